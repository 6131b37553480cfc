"""Redis 7.0.15's own ACL tests (tests/unit/acl.tcl and acl-v2.tcl) against herald.

Redis tags every ACL test `external:skip`, so they cannot run against an already started server:
the suite starts its servers itself, from `src/redis-server` with its own redis.conf. Here that
path is herald-server (or, with HERALD_TEST_TARGET=redis, /usr/bin/redis-server, which must pass
the same selection). The tests come from Debian's source package of redis, which
`scripts/setup --test` downloads into build/redis-src; only its tests/ folder and runtest are
used. The tests that need a keyspace or scripting are skipped, by name, in acl.skip and
acl-v2.skip, with the reason for each group; every other test must pass.
"""

import glob
import os
import re
import shlex
import signal
import subprocess
import tarfile
import tempfile
import unittest

from harness import IS_REDIS, server_binary, target_defaults

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def redis_tarball():
    where = os.environ.get("HERALD_REDIS_SRC", os.path.join(REPO, "build", "redis-src"))
    found = sorted(glob.glob(os.path.join(where, "redis_*.orig.tar.gz")))
    return found[-1] if found else None


def skip_names(path):
    with open(path) as f:
        return [line.rstrip("\n") for line in f if line.strip() and not line.startswith("#")]


class RedisAclSuiteTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        tarball = redis_tarball()
        if tarball is None:
            raise AssertionError("no redis_*.orig.tar.gz in build/redis-src: run scripts/setup --test")
        cls.tmp = tempfile.TemporaryDirectory(prefix="herald-redis-suite-")
        with tarfile.open(tarball) as tar:
            members = [m for m in tar.getmembers()
                       if re.match(r"^[^/]+/(tests/|runtest$)", m.name)]
            tar.extractall(cls.tmp.name, members=members)
        (top,) = os.listdir(cls.tmp.name)
        cls.root = os.path.join(cls.tmp.name, top)
        src = os.path.join(cls.root, "src")
        os.makedirs(src, exist_ok=True)
        # A wrapper, so that herald's servers also get the harness's defaults (no HTTP gateway
        # on 8080: the suite runs several servers at once). It runs the server as its child
        # rather than exec'ing it, because the suite stops a server with SIGTERM followed at once
        # by SIGCONT ("node might have been stopped"): under AddressSanitizer, a SIGCONT that
        # lands while LeakSanitizer's exit-time check is attaching to the process cancels the
        # SIGSTOP that check waits for, and the process hangs until the suite kills it
        # (reproduced with a plain herald and kill -TERM; kill -CONT a few ms apart, about 1 in
        # 10 tries). The wrapper passes TERM, INT and SEGV on, and only those: the suite's
        # SIGCONT stops at the wrapper. The suite waits for " PID: <pid it started>" in the
        # server's log, so the wrapper announces its own.
        wrapper = os.path.join(src, "redis-server")
        cls.pid_file = os.path.join(cls.tmp.name, "server-pids")
        defaults = " ".join(shlex.quote(a) for a in ([] if IS_REDIS else target_defaults()))
        with open(wrapper, "w") as f:
            f.write(f"""#!/bin/sh
echo "test wrapper PID: $$"
{shlex.quote(server_binary())} "$@" {defaults} &
child=$!
echo "$child" >> {shlex.quote(cls.pid_file)}
for sig in TERM INT SEGV; do trap "kill -$sig $child 2>/dev/null" $sig; done
status=0
while kill -0 "$child" 2>/dev/null; do wait "$child"; status=$?; done
exit $status
""")
        os.chmod(wrapper, 0o755)
        os.symlink("/usr/bin/redis-cli", os.path.join(src, "redis-cli"))

    @classmethod
    def tearDownClass(cls):
        # A server whose wrapper the suite killed outright (SIGKILL cannot be passed on).
        if os.path.exists(cls.pid_file):
            with open(cls.pid_file) as f:
                for pid in {int(line) for line in f if line.strip()}:
                    try:
                        with open(f"/proc/{pid}/cmdline", "rb") as cmd:
                            ours = cmd.read().split(b"\0")[0] == server_binary().encode()
                        if ours:
                            os.kill(pid, signal.SIGKILL)
                    except (OSError, ValueError):
                        pass  # already gone
        cls.tmp.cleanup()

    def run_unit(self, unit, skipfile):
        names = skip_names(os.path.join(HERE, skipfile))
        skip = os.path.join(self.tmp.name, skipfile)
        with open(skip, "w") as f:
            f.write("\n".join(names) + "\n")
        # Ports: the suite's defaults (21079 for its test server, from 21111 for the servers it
        # starts) are below the ephemeral range; it checks that each one is free before use.
        proc = subprocess.run(
            ["tclsh", "tests/test_helper.tcl", "--single", unit, "--clients", "1",
             "--skipfile", skip, "--timeout", "120"],
            cwd=self.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=280)
        out = ANSI.sub("", proc.stdout.decode(errors="replace"))
        passed = re.findall(r"^\[ok\]: (.*) \(\d+ ms\)$", out, re.M)
        skipped = re.findall(r"^\[skip\]: (.*)$", out, re.M)
        failed = re.findall(r"^\[(?:err|exception)\]: (.*)$", out, re.M)
        print(f"{unit}: {len(passed)} passed, {len(skipped)} skipped by name, {len(failed)} failed")
        self.assertEqual(failed, [], out[-6000:])
        self.assertEqual(proc.returncode, 0, out[-6000:])
        self.assertIn("All tests passed without errors!", out)
        # Every name in the skip file is a real test of this file (no stale entries), and what is
        # not skipped ran.
        self.assertEqual(sorted(set(skipped)), sorted(set(names)), "skip file and suite disagree")
        return passed

    def test_unit_acl(self):
        passed = self.run_unit("unit/acl", "acl.skip")
        for name in ("Usernames can not contain spaces or null characters",
                     "Subscribers are killed when revoked of channel permission",
                     "It's possible to allow subscribing to a subset of channel patterns",
                     "When default user has no command permission, hello command still works for other users",
                     "Test loading an ACL file with duplicate users",
                     "In transaction queue publish/subscribe/psubscribe to unauthorized channel "
                     "will fail"):
            self.assertIn(name, passed)

    def test_unit_acl_v2(self):
        passed = self.run_unit("unit/acl-v2", "acl-v2.skip")
        for name in ("Test flexible selector definition", "Test sharded channel permissions",
                     "Test ACL list idempotency"):
            self.assertIn(name, passed)


if __name__ == "__main__":
    unittest.main()

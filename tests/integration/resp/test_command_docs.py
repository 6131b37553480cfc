"""COMMAND, COMMAND DOCS / INFO / LIST / COUNT / HELP / GETKEYS against the real Redis 7.0.15,
byte for byte in RESP2 and RESP3, and the redis-cli hints and `help` built from COMMAND DOCS.

Every comparison starts a reference /usr/bin/redis-server next to the server under test. Only
the commands both servers have are compared, and lists whose order Redis takes from a randomly
seeded hash table (all commands, subcommands of a container) are put in name order first; all
other bytes must match exactly.

Run: HERALD_TEST_TARGET=redis /usr/bin/python3 -m unittest -v resp.test_command_docs  (see harness.py)
"""

import fcntl
import os
import pty
import re
import select
import struct
import termios
import time
import unittest

import harness as h

HAVE_REDIS = os.access(h.REDIS_SERVER, os.X_OK)
HAVE_CLI = os.access(h.REDIS_CLI, os.X_OK)

# Commands herald must have (so that the comparisons cannot pass vacuously).
HERALD_COMMANDS = """auth client client|caching client|getname client|getredir client|help client|id
client|info client|kill client|tracking client|trackinginfo
client|list client|no-evict client|pause client|reply client|unpause client|setname command command|count command|docs
command|help command|info command|list config config|get config|help config|resetstat config|set
dbsize debug echo flushall flushdb function function|flush function|help hello info monitor ping
psubscribe psync publish pubsub pubsub|channels pubsub|help pubsub|numpat pubsub|numsub
pubsub|shardchannels pubsub|shardnumsub punsubscribe quit replconf replicaof reset role select
shutdown slaveof spublish ssubscribe subscribe sunsubscribe sync time unsubscribe wait
multi exec discard watch unwatch""".split()
# Redis 7.2 commands that herald has but 7.0.15 cannot be compared with (none: herald reports
# 7.0.15 and answers 7.2-only commands as 7.0 does).
NEWER_THAN_7_0 = set()


class ReferenceRedis(h.Server):
    """/usr/bin/redis-server whatever HERALD_TEST_TARGET says."""

    def build_argv(self, port):
        return [h.REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no"]


# --------------------------------------------------------------------------------------------
# A RESP tree that keeps the exact bytes of every value, so replies can be reordered and then
# compared byte for byte.


class Node:
    def __init__(self, kind, line, body=b"", children=None):
        self.kind = kind  # the type byte: b"*", b"%", b"$", b"+", ...
        self.line = line  # the header line without type byte and CRLF
        self.body = body  # bulk payload with its CRLF
        self.children = children  # list for aggregates, else None

    def dump(self):
        out = self.kind + self.line + b"\r\n" + self.body
        if self.children is not None:
            out += b"".join(c.dump() for c in self.children)
        return out

    def text(self):
        """A bulk's payload or a simple string's text."""
        return self.body[:-2] if self.kind in (b"$", b"=", b"!") else self.line

    def is_map(self):
        return self.kind == b"%"

    def pairs(self, resp3):
        """Key/value pairs of a map (RESP3 %) or of a RESP2 flattened map (*)."""
        assert self.kind == (b"%" if resp3 else b"*"), self.kind
        return list(zip(self.children[0::2], self.children[1::2]))

    def set_pairs(self, pairs):
        self.children = [x for pair in pairs for x in pair]
        self.line = b"%d" % (len(pairs) if self.kind == b"%" else 2 * len(pairs))

    def set_items(self, items):
        self.children = list(items)
        self.line = b"%d" % len(items)


def parse_tree(buf, pos=0):
    kind = buf[pos:pos + 1]
    end = buf.index(b"\r\n", pos)
    line = buf[pos + 1:end]
    pos = end + 2
    if kind in (b"$", b"!", b"=") and int(line) >= 0:
        n = int(line)
        return Node(kind, line, buf[pos:pos + n + 2]), pos + n + 2
    if kind in (b"*", b"~", b">", b"%", b"|") and int(line) >= 0:
        count = int(line) * (2 if kind in (b"%", b"|") else 1)
        children = []
        for _ in range(count):
            child, pos = parse_tree(buf, pos)
            children.append(child)
        return Node(kind, line, b"", children), pos
    return Node(kind, line), pos


def canonical_docs(raw, resp3, keep):
    """A COMMAND DOCS reply with only the names `keep` accepts, in name order, at both levels."""
    root, end = parse_tree(raw)
    assert end == len(raw)

    def fix(node):
        pairs = [(k, v) for k, v in node.pairs(resp3) if keep(k.text().decode())]
        for _, doc in pairs:
            for key, value in doc.pairs(resp3):
                if key.text() == b"subcommands":
                    fix(value)
        node.set_pairs(sorted(pairs, key=lambda kv: kv[0].text()))

    fix(root)
    return root.dump()


def canonical_info(raw, keep):
    """A COMMAND / COMMAND INFO reply with entries (and subcommand entries) that `keep` accepts,
    in name order. Null entries (unknown names) stay where they are."""
    root, end = parse_tree(raw)
    assert end == len(raw)

    def fix(node):
        items = [e for e in node.children if e.children is None or keep(e.children[0].text().decode())]
        for e in items:
            if e.children is not None and e.children[9].children:
                fix(e.children[9])
        if all(e.children is not None for e in items):
            items.sort(key=lambda e: e.children[0].text())
        node.set_items(items)

    fix(root)
    return root.dump()


# --------------------------------------------------------------------------------------------


@unittest.skipUnless(HAVE_REDIS, "redis-server not installed (the reference to compare with)")
class CommandDocsParityTest(h.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.reference = ReferenceRedis().start()
        cls.addClassCleanup(cls.reference.stop)
        with cls.server.connect() as target, cls.reference.connect() as ref:
            cls.target_names = [n.decode() for n in target.cmd("COMMAND", "LIST")]
            cls.reference_names = {n.decode() for n in ref.cmd("COMMAND", "LIST")}
        cls.shared = {n for n in cls.target_names if n in cls.reference_names}

    def keep(self, name):
        return name in self.shared

    def pair(self, resp3):
        """Connections to the server under test and to the reference, in the same protocol."""
        target, ref = self.connect(), self.reference.connect()
        self.addCleanup(ref.close)
        if resp3:
            target.hello3()
            ref.hello3()
        return target, ref

    def both(self, target, ref, *args):
        target.send_cmd(*args)
        ref.send_cmd(*args)
        return target.read_raw_reply(), ref.read_raw_reply()

    def test_command_set(self):
        self.assertEqual(len(self.target_names), len(set(self.target_names)), "duplicates")
        missing = [n for n in HERALD_COMMANDS if n not in self.target_names]
        self.assertEqual(missing, [])
        extra = [n for n in self.target_names
                 if n not in self.reference_names and n not in NEWER_THAN_7_0]
        self.assertEqual(extra, [], "commands Redis 7.0.15 does not have")

    def test_docs_per_command(self):
        for resp3 in (False, True):
            target, ref = self.pair(resp3)
            for name in sorted(self.shared):
                with self.subTest(name=name, resp3=resp3):
                    mine, theirs = self.both(target, ref, "COMMAND", "DOCS", name)
                    self.assertEqual(canonical_docs(mine, resp3, self.keep),
                                     canonical_docs(theirs, resp3, self.keep))

    def test_info_per_command(self):
        for resp3 in (False, True):
            target, ref = self.pair(resp3)
            for name in sorted(self.shared):
                with self.subTest(name=name, resp3=resp3):
                    mine, theirs = self.both(target, ref, "COMMAND", "INFO", name)
                    self.assertEqual(canonical_info(mine, self.keep),
                                     canonical_info(theirs, self.keep))

    def test_docs_all(self):
        top = sorted(n for n in self.target_names if "|" not in n)
        for resp3 in (False, True):
            with self.subTest(resp3=resp3):
                target, ref = self.pair(resp3)
                mine, theirs = self.both(target, ref, "COMMAND", "DOCS")
                names = [k.text().decode() for k, _ in parse_tree(mine)[0].pairs(resp3)]
                self.assertEqual(sorted(names), top)
                self.assertEqual(canonical_docs(mine, resp3, self.keep),
                                 canonical_docs(theirs, resp3, self.keep))

    def test_info_all(self):
        for resp3 in (False, True):
            for args in (("COMMAND",), ("COMMAND", "INFO")):
                with self.subTest(args=args, resp3=resp3):
                    target, ref = self.pair(resp3)
                    mine, theirs = self.both(target, ref, *args)
                    self.assertEqual(canonical_info(mine, self.keep),
                                     canonical_info(theirs, self.keep))
                    count = target.cmd("COMMAND", "COUNT")
                    self.assertEqual(count, len(parse_tree(mine)[0].children))
                    self.assertEqual(count, len([n for n in self.target_names if "|" not in n]))

    def test_by_name_lists(self):
        """Unknown names, container|sub forms, any case and repeats: byte for byte."""
        cases = [
            ("COMMAND", "DOCS", "PING", "nosuch", "Config|Get", "ping|x", "config|nosuch",
             "nosuch|get", "client|kill|x", "ping"),
            ("COMMAND", "DOCS", "nosuch"),
            ("COMMAND", "DOCS", "subscribe", "SPUBLISH", "pubsub|NUMSUB", "command|docs"),
            ("COMMAND", "INFO", "spublish", "nosuch", "CONFIG|GET", "ssubscribe", "ping|x",
             "sunsubscribe", "time"),
            ("COMMAND", "INFO", "nosuch"),
            ("COMMAND", "HELP"),
            ("COMMAND", "COUNT", "x"),
            ("COMMAND", "LIST", "FILTERBY"),
            ("COMMAND", "LIST", "x"),
            ("COMMAND", "LIST", "x", "y", "z"),
            ("COMMAND", "LIST", "FILTERBY", "bad", "x"),
            ("COMMAND", "LIST", "FILTERBY", "pattern", "x", "y"),
            ("COMMAND", "LIST", "FILTERBY", "MODULE", "x"),
            ("COMMAND", "LIST", "FILTERBY", "aclcat", "nosuch"),
            ("COMMAND", "LIST", "FILTERBY", "aclcat", "@pubsub"),
            ("COMMAND", "LIST", "FILTERBY", "pattern", "nosuch*"),
        ]
        for resp3 in (False, True):
            target, ref = self.pair(resp3)
            for args in cases:
                with self.subTest(args=args, resp3=resp3):
                    mine, theirs = self.both(target, ref, *args)
                    self.assertEqual(mine, theirs)

    def test_list_filterby(self):
        filters = [("ACLCAT", "pubsub"), ("aclcat", "CONNECTION"), ("aclcat", "admin"),
                   ("aclcat", "slow"), ("PATTERN", "p*"), ("pattern", "CLIENT|*"),
                   ("pattern", "*|HELP"), ("pattern", "pub[s]ub*"), ("pattern", "?ing")]
        target, ref = self.pair(False)
        for kind, value in filters:
            with self.subTest(kind=kind, value=value):
                args = ("COMMAND", "LIST", "FILTERBY", kind, value)
                mine = [n.decode() for n in target.cmd(*args)]
                theirs = [n.decode() for n in ref.cmd(*args)]
                self.assertEqual(len(mine), len(set(mine)))
                self.assertTrue(mine, "filter matches nothing: the test would prove nothing")
                self.assertEqual(sorted(n for n in mine if n not in NEWER_THAN_7_0),
                                 sorted(n for n in theirs if n in self.target_names))

    def test_getkeys(self):
        if "command|getkeys" not in self.shared:
            self.skipTest("COMMAND GETKEYS is not in the command table")
        cases = [
            ("COMMAND", "GETKEYS", "spublish", "ch", "msg"),
            ("COMMAND", "GETKEYS", "SSUBSCRIBE", "a", "b"),
            ("COMMAND", "GETKEYS", "publish", "ch"),
            ("COMMAND", "GETKEYS", "client", "id", "x"),
            ("COMMAND", "GETKEYS", "client", "nosuch"),
            ("COMMAND", "GETKEYS", "nosuch", "a"),
            ("COMMAND", "GETKEYS", "ping"),
            ("COMMAND", "GETKEYSANDFLAGS", "spublish", "ch", "msg"),
            ("COMMAND", "GETKEYSANDFLAGS", "config", "nosuch"),
            # WATCH is the one command with keys.
            ("COMMAND", "GETKEYS", "watch", "a", "b"),
            ("COMMAND", "GETKEYS", "WATCH", "a"),
            ("COMMAND", "GETKEYSANDFLAGS", "watch", "a", "b"),
            ("COMMAND", "GETKEYS", "unwatch", "x"),
        ]
        for resp3 in (False, True):
            target, ref = self.pair(resp3)
            for args in cases:
                with self.subTest(args=args, resp3=resp3):
                    self.assertEqual(*self.both(target, ref, *args))


# --------------------------------------------------------------------------------------------
# redis-cli's interactive mode reads COMMAND DOCS at start-up for its hints and `help`.

ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


@unittest.skipUnless(HAVE_CLI, "redis-cli not installed")
class RedisCliHintsTest(h.ServerTestCase):

    def start_cli(self):
        master, slave = pty.openpty()
        # A real window size: without one linenoise asks the terminal for it (ESC[6n) and, with
        # no answer, works as if the line were one column wide and shows no hints.
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 250, 0, 0))
        env = dict(os.environ, TERM="xterm", HOME=self.server.tmpdir or "/tmp")
        env.pop("REDISCLI_HISTFILE", None)
        proc = h.spawn([h.REDIS_CLI, "-p", str(self.server.port)], stdin=slave, stdout=slave,
                       stderr=slave, env=env, close_fds=True, start_new_session=True)
        os.close(slave)
        self.addCleanup(os.close, master)
        self.addCleanup(h.stop_process, proc, 5)
        return master

    def wait_for(self, master, pattern, seen, timeout=h.WAIT_TIMEOUT):
        """Reads the pty until `pattern` (a bytes regex) matches the output read since the
        last call, with ANSI escapes removed from it; returns that output."""
        deadline = time.monotonic() + timeout
        while True:
            plain = ANSI.sub(b"", seen[0])
            if re.search(pattern, plain):
                seen[0] = b""
                return plain
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{pattern!r} not seen within {timeout}s: {plain[-2000:]!r}")
            r, _, _ = select.select([master], [], [], min(left, 0.2))
            if r:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: redis-cli exited
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"redis-cli exited; output: {plain[-2000:]!r}")
                seen[0] += chunk

    def test_hints_and_help(self):
        master = self.start_cli()
        seen = [b""]
        prompt = re.escape(b"127.0.0.1:%d> " % self.server.port)
        self.wait_for(master, prompt, seen)
        # The hint is drawn right after what was typed (linenoise redraws the whole line). The
        # first missing hint ends the test: the rest of the session would run on a dirty line.
        for typed, hint in ((b"subscribe ", b"channel [channel ...]"),
                            (b"spublish ", b"shardchannel message"),
                            (b"pubsub numsub ", b"[channel [channel ...]]"),
                            (b"ping ", b"[message]")):
            os.write(master, typed)
            self.wait_for(master, prompt + re.escape(typed + hint), seen)
            os.write(master, b"\x15")  # Ctrl-U: clear the line
            self.wait_for(master, prompt + rb"\r", seen)
        # Each command waits for the prompt after its output: until linenoise is back in raw mode
        # (it then draws the prompt) the terminal is cooked, and entering raw mode (TCSAFLUSH)
        # discards whatever was typed meanwhile.
        os.write(master, b"help publish\r")
        out = self.wait_for(master, rb"group: pubsub(.|\n)*" + prompt, seen)
        self.assertIn(b"PUBLISH channel message", out)
        self.assertIn(b"summary: Post a message to a channel", out)
        self.assertIn(b"since: 2.0.0", out)
        os.write(master, b"help client kill\r")
        out = self.wait_for(master, rb"group: connection(.|\n)*" + prompt, seen)
        self.assertIn(b"CLIENT KILL ip:port|[ID client-id]", out)
        self.assertIn(b"summary: Kill the connection of a client", out)


if __name__ == "__main__":
    unittest.main()

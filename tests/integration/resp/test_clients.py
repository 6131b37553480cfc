"""Real clients against the server: redis-cli (one-shot, -3, -a, interactive through a pty),
redis-benchmark, redis-py; plus CONFIG, INFO and CLIENT as those tools use them.

Run: HERALD_TEST_TARGET=redis /usr/bin/python3 -m unittest -v resp.test_clients   (see harness.py)
"""

import os
import pty
import re
import select
import subprocess
import threading
import time
import unittest

import harness as h
from harness import ack, bulk, encode, message

try:
    import redis  # Debian's python3-redis (4.3.4); use /usr/bin/python3
except ImportError:  # pragma: no cover
    redis = None

HAVE_CLI = os.access(h.REDIS_CLI, os.X_OK)
HAVE_BENCHMARK = os.access(h.REDIS_BENCHMARK, os.X_OK)


class OutputReader:
    """Collects a child's output (a pipe or a pty master fd) and waits for text in it."""

    def __init__(self, fd):
        self.fd = fd
        self.data = b""
        self.eof = False

    def pump(self, timeout):
        if self.eof:
            return False
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return True
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO on a pty when the child exits
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.data += chunk
        return True

    def wait_for(self, needle, timeout=h.WAIT_TIMEOUT):
        """Wait until `needle` (bytes) appears in the output; returns all output so far."""
        deadline = time.monotonic() + timeout
        while needle not in self.data:
            left = deadline - time.monotonic()
            if left <= 0 or not self.pump(min(left, 0.2)):
                if needle in self.data:
                    break
                raise AssertionError("%r not seen in output within %ss (eof=%s): %r"
                                     % (needle, timeout, self.eof, self.data[-3000:]))
        return self.data

    def wait_eof(self, timeout=h.WAIT_TIMEOUT):
        deadline = time.monotonic() + timeout
        while self.pump(max(0.0, min(deadline - time.monotonic(), 0.2))):
            if time.monotonic() > deadline:
                raise AssertionError("no EOF within %ss: %r" % (timeout, self.data[-3000:]))
        return self.data


def pairs(flat):
    """A flat [k1, v1, k2, v2, ...] array as a dict (asserting no key repeats)."""
    assert isinstance(flat, list) and len(flat) % 2 == 0, flat
    d = dict(zip(flat[0::2], flat[1::2]))
    assert len(d) * 2 == len(flat), flat
    return d


def run_cli(port, *args, timeout=30):
    return subprocess.run([h.REDIS_CLI, "-p", str(port)] + list(args), capture_output=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


@unittest.skipUnless(HAVE_CLI, "redis-cli not installed")
class RedisCliOneShotTest(h.ServerTestCase):

    def subscribe_cli(self, *args):
        """Start `redis-cli -p P <args>`; returns (process, reader of its stdout)."""
        cm = h.started_process([h.REDIS_CLI, "-p", str(self.server.port)] + list(args),
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
        proc = cm.__enter__()
        self.addCleanup(cm.__exit__, None, None, None)
        return proc, OutputReader(proc.stdout.fileno())

    def check_subscribe(self, *extra):
        ch, ch2 = self.chan("news"), self.chan("n2")
        proc, out = self.subscribe_cli(*extra, "subscribe", ch, ch2)
        admin = self.connect()
        h.wait_numsub(admin, ch2, 1)
        out.wait_for(b"subscribe\n%s\n2\n" % ch2.encode())
        admin.send(encode("PUBLISH", ch, "hello") + encode("PUBLISH", ch2, "x y"))
        admin.expect(b":1\r\n:1\r\n")
        expected = ("subscribe\n{0}\n1\nsubscribe\n{1}\n2\nmessage\n{0}\nhello\n"
                    "message\n{1}\nx y\n").format(ch, ch2).encode()
        self.assertEqual(out.wait_for(b"x y\n"), expected)
        # Killing its connection ends redis-cli with an error. (Find it in CLIENT LIST; a
        # closed redis-cli of an earlier test may linger there for a moment.)
        resp = " resp=3" if "-3" in extra else " resp=2"

        def cli_connection():
            lines = [line for line in admin.cmd("CLIENT", "LIST").decode().splitlines()
                     if "cmd=subscribe" in line and " sub=2 " in line and resp in line]
            return lines[0] if len(lines) == 1 else None
        line = h.wait_until(cli_connection, message="redis-cli's connection in CLIENT LIST")
        victim = re.search(r"\bid=(\d+)", line).group(1)
        admin.send(encode("CLIENT", "KILL", "ID", victim))
        admin.expect(b":1\r\n")
        self.assertEqual(proc.wait(15), 1)
        self.assertIn(b"Server closed the connection", proc.stderr.read())

    def test_subscribe(self):
        self.check_subscribe()

    def test_subscribe_resp3(self):
        self.check_subscribe("-3")

    def test_psubscribe(self):
        pat = self.ns + "*"
        ch = self.chan("p")
        proc, out = self.subscribe_cli("psubscribe", pat)
        admin = self.connect()
        out.wait_for(b"psubscribe\n%s\n1\n" % pat.encode())  # acked: the pattern is active
        admin.send(encode("PUBLISH", ch, "hello"))
        admin.expect(b":1\r\n")
        self.assertEqual(out.wait_for(b"hello\n"),
                         ("psubscribe\n{0}\n1\npmessage\n{0}\n{1}\nhello\n"
                          .format(pat, ch).encode()))

    def test_commands(self):
        port = self.server.port
        cases = [
            (["ping"], b"PONG\n"),
            (["-3", "ping"], b"PONG\n"),
            (["echo", "a b"], b"a b\n"),
            (["publish", self.chan("nobody"), "hi"], b"0\n"),
            (["pubsub", "numsub", "a", "b"], b"a\n0\nb\n0\n"),
            (["-n", "3", "ping"], b"PONG\n"),
            (["nosuch"], b"ERR unknown command 'nosuch', with args beginning with: \n\n"),
        ]
        for args, expected in cases:
            with self.subTest(args=args):
                r = run_cli(port, *args)
                self.assertEqual((r.returncode, r.stdout), (0, expected), r.stderr)
        r = run_cli(port, "-n", "16", "ping")
        self.assertEqual(r.stdout, b"PONG\n")
        self.assertIn(b"SELECT 16 failed: ERR DB index is out of range", r.stderr)
        r = run_cli(port, "hello", "3")
        self.assertRegex(r.stdout, rb"^server redis\nversion 7\.0\.15\nproto 3\nid \d+\n"
                                   rb"mode standalone\nrole master\nmodules \n$")

    def test_publish_to_cli_subscriber_count(self):
        ch = self.chan("count")
        proc, out = self.subscribe_cli("subscribe", ch)
        admin = self.connect()
        h.wait_numsub(admin, ch, 1)
        r = run_cli(self.server.port, "publish", ch, "from-cli")
        self.assertEqual(r.stdout, b"1\n")
        out.wait_for(b"message\n%s\nfrom-cli\n" % ch.encode())


@unittest.skipUnless(HAVE_CLI, "redis-cli not installed")
class RedisCliAuthTest(h.ServerTestCase):
    server_args = ["--requirepass", "pw"]

    def test_password_option(self):
        port = self.server.port
        r = run_cli(port, "-a", "pw", "ping")
        self.assertEqual((r.returncode, r.stdout), (0, b"PONG\n"))
        self.assertIn(b"Warning: Using a password", r.stderr)
        r = run_cli(port, "-a", "pw", "--no-auth-warning", "-3", "ping")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, b"PONG\n", b""))
        r = run_cli(port, "ping")
        self.assertEqual(r.stdout, b"NOAUTH Authentication required.\n\n")
        r = run_cli(port, "-a", "bad", "--no-auth-warning", "ping")
        self.assertEqual(r.stdout, b"NOAUTH Authentication required.\n\n")
        self.assertEqual(r.stderr, b"AUTH failed: WRONGPASS invalid username-password pair or "
                                   b"user is disabled.\n")

    def test_subscribe_with_password(self):
        ch = self.chan("secure")
        with h.started_process([h.REDIS_CLI, "-p", str(self.server.port), "-a", "pw",
                                "--no-auth-warning", "subscribe", ch],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE) as proc:
            out = OutputReader(proc.stdout.fileno())
            out.wait_for(b"subscribe\n%s\n1\n" % ch.encode())
            admin = self.connect()
            admin.send(b"AUTH pw\r\n" + encode("PUBLISH", ch, "m"))
            admin.expect(b"+OK\r\n:1\r\n")
            out.wait_for(b"message\n%s\nm\n" % ch.encode())


@unittest.skipUnless(HAVE_CLI, "redis-cli not installed")
class RedisCliInteractiveTest(h.ServerTestCase):

    def test_interactive_session(self):
        master, slave = pty.openpty()
        env = dict(os.environ, TERM="dumb", HOME=self.server.tmpdir or "/tmp")
        env.pop("REDISCLI_HISTFILE", None)
        proc = h.spawn([h.REDIS_CLI, "-p", str(self.server.port)], stdin=slave, stdout=slave,
                       stderr=slave, env=env, close_fds=True, start_new_session=True)
        os.close(slave)
        self.addCleanup(os.close, master)
        self.addCleanup(h.stop_process, proc, 5)
        out = OutputReader(master)
        prompt = b"127.0.0.1:%d> " % self.server.port
        out.wait_for(prompt)
        os.write(master, b"ping\r")
        out.wait_for(b"PONG\r\n" + prompt)
        os.write(master, b'echo "a b"\r')
        out.wait_for(b'"a b"\r\n' + prompt)
        ch = self.chan("tty").encode()
        os.write(master, b"subscribe " + ch + b"\r")
        out.wait_for(b'Reading messages... (press Ctrl-C to quit)\r\n1) "subscribe"\r\n2) "'
                     + ch + b'"\r\n3) (integer) 1\r\n')
        admin = self.connect()
        h.wait_numsub(admin, ch, 1)
        admin.send(encode("PUBLISH", ch, "hi there"))
        admin.expect(b":1\r\n")
        out.wait_for(b'1) "message"\r\n2) "' + ch + b'"\r\n3) "hi there"\r\n')
        self.assertIsNone(proc.poll())


@unittest.skipUnless(HAVE_BENCHMARK, "redis-benchmark not installed")
class RedisBenchmarkTest(h.ServerTestCase):

    def test_publish_benchmark(self):
        sub = self.connect()
        sub.send(encode("SUBSCRIBE", "news"))
        sub.expect(ack("subscribe", "news", 1))
        r = subprocess.run([h.REDIS_BENCHMARK, "-p", str(self.server.port), "-n", "100000",
                            "-P", "16", "-q", "publish", "news", "hello"],
                           capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 0, r.stderr)
        m = re.search(rb"publish news hello: ([0-9.]+) requests per second", r.stdout)
        self.assertIsNotNone(m, r.stdout)
        self.assertGreater(float(m.group(1)), 0)
        # Every one of the 100000 messages reached the subscriber, in full.
        sub.expect(message("news", "hello") * 100000, timeout=60)
        sub.send(encode("PING"))
        sub.expect(b"*2\r\n$4\r\npong\r\n$0\r\n\r\n")


@unittest.skipIf(redis is None, "python3-redis not available (use /usr/bin/python3)")
class RedisPyTest(h.ServerTestCase):

    def client(self):
        r = redis.Redis(host=self.server.host, port=self.server.port, socket_timeout=10)
        self.addCleanup(r.close)
        return r

    def pubsub(self, r):
        p = r.pubsub()
        self.addCleanup(p.close)
        return p

    def test_subscribe_get_message(self):
        r = self.client()
        p = self.pubsub(r)
        ch = self.chan("news").encode()
        p.subscribe(ch)
        self.assertEqual(p.get_message(timeout=10),
                         {"type": "subscribe", "pattern": None, "channel": ch, "data": 1})
        self.assertEqual(r.publish(ch, "hello"), 1)
        self.assertEqual(p.get_message(timeout=10),
                         {"type": "message", "pattern": None, "channel": ch, "data": b"hello"})
        p.ping()
        self.assertEqual(p.get_message(timeout=10),
                         {"type": "pong", "pattern": None, "channel": None, "data": b""})
        p.unsubscribe()
        self.assertEqual(p.get_message(timeout=10),
                         {"type": "unsubscribe", "pattern": None, "channel": ch, "data": 0})
        self.assertEqual(r.publish(ch, "nobody"), 0)

    def test_psubscribe(self):
        r = self.client()
        p = self.pubsub(r)
        pat, ch = (self.ns + "n*").encode(), self.chan("news").encode()
        p.subscribe(ch)
        p.psubscribe(pat)
        self.assertEqual(p.get_message(timeout=10)["data"], 1)
        self.assertEqual(p.get_message(timeout=10),
                         {"type": "psubscribe", "pattern": None, "channel": pat, "data": 2})
        self.assertEqual(r.publish(ch, "hello"), 2)
        self.assertEqual(p.get_message(timeout=10),
                         {"type": "message", "pattern": None, "channel": ch, "data": b"hello"})
        self.assertEqual(p.get_message(timeout=10),
                         {"type": "pmessage", "pattern": pat, "channel": ch, "data": b"hello"})
        p.punsubscribe()
        self.assertEqual(p.get_message(timeout=10),
                         {"type": "punsubscribe", "pattern": None, "channel": pat, "data": 1})

    def test_run_in_thread(self):
        r = self.client()
        p = self.pubsub(r)
        ch = self.chan("thread")
        got = []
        done = threading.Event()

        def handler(msg):
            got.append(msg["data"])
            if len(got) == 100:
                done.set()

        p.subscribe(**{ch: handler})
        worker = p.run_in_thread(sleep_time=0.01, daemon=True)
        self.addCleanup(worker.join, 5)
        self.addCleanup(worker.stop)
        h.wait_until(lambda: r.pubsub_numsub(ch) == [(ch.encode(), 1)], message="subscribed")
        for i in range(100):
            self.assertEqual(r.publish(ch, str(i)), 1)
        self.assertTrue(done.wait(20), got)
        self.assertEqual(got, [str(i).encode() for i in range(100)])

    def test_commands(self):
        r = self.client()
        self.assertTrue(r.ping())
        self.assertEqual(r.echo("x"), b"x")
        self.assertEqual(r.dbsize(), 0)
        secs, usecs = r.time()
        self.assertLess(abs(secs - time.time()), 120)
        ch = self.chan("c")
        p = self.pubsub(r)
        p.subscribe(ch)
        p.get_message(timeout=10)
        self.assertEqual(r.pubsub_channels(self.ns + "*"), [ch.encode()])
        self.assertEqual(r.pubsub_numsub(ch, "zz"), [(ch.encode(), 1), (b"zz", 0)])
        self.assertIsInstance(r.pubsub_numpat(), int)
        self.assertIsInstance(r.client_id(), int)
        self.assertTrue(r.client_setname("py"))
        self.assertEqual(r.client_getname(), "py")
        self.assertEqual(r.config_get("maxclients"), {"maxclients": "10000"})
        info = r.info()
        self.assertEqual(info["role"], "master")
        self.assertIn("redis_version", info)
        self.assertGreaterEqual(r.info("clients")["connected_clients"], 2)


class ConfigCommandTest(h.ServerTestCase):

    DEFAULTS = [
        ("maxclients", "10000"),
        ("timeout", "0"),
        ("tcp-keepalive", "300"),
        ("tcp-backlog", "511"),
        ("protected-mode", "yes"),
        ("bind", "127.0.0.1"),
        ("requirepass", ""),
        ("loglevel", "notice"),
        ("logfile", ""),
        ("unixsocket", ""),
        ("proto-max-bulk-len", "536870912"),
        ("client-query-buffer-limit", "1073741824"),
        ("client-output-buffer-limit",
         "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"),
    ]

    def test_defaults(self):
        c = self.connect()
        for name, value in self.DEFAULTS + [("port", str(self.server.port))]:
            with self.subTest(name=name):
                c.send(encode("CONFIG", "GET", name))
                c.expect(b"*2\r\n" + bulk(name) + bulk(value))

    def test_get_unknown_and_several(self):
        c = self.connect()
        c.send(encode("CONFIG", "GET", "no-such-directive"))
        c.expect(b"*0\r\n")
        # Several parameters: pairs in unspecified order (Redis builds a dict).
        self.assertEqual(pairs(c.cmd("CONFIG", "GET", "maxclients", "timeout")),
                         {b"maxclients": b"10000", b"timeout": b"0"})
        # Asking twice for the same parameter reports it once.
        c.send(encode("CONFIG", "GET", "timeout", "timeout"))
        c.expect(b"*2\r\n$7\r\ntimeout\r\n$1\r\n0\r\n")

    def test_get_in_resp3_is_a_map(self):
        c = self.connect()
        c.hello3()
        c.send(encode("CONFIG", "GET", "timeout"))
        c.expect(b"%1\r\n$7\r\ntimeout\r\n$1\r\n0\r\n")

    def test_set_and_get(self):
        c = self.connect()
        self.addCleanup(lambda: self.connect().cmd("CONFIG", "SET", "maxclients", "10000",
                                                   "timeout", "0"))
        c.send(encode("CONFIG", "SET", "maxclients", "50"))
        c.expect(b"+OK\r\n")
        c.send(encode("CONFIG", "GET", "maxclients"))
        c.expect(b"*2\r\n$10\r\nmaxclients\r\n$2\r\n50\r\n")
        c.send(encode("CONFIG", "SET", "maxclients", "100", "timeout", "7"))
        c.expect(b"+OK\r\n")
        self.assertEqual(pairs(c.cmd("CONFIG", "GET", "maxclients", "timeout")),
                         {b"maxclients": b"100", b"timeout": b"7"})

    def test_set_errors(self):
        c = self.connect()
        cases = [
            (("nosuch", "1"),
             b"-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'\r\n"),
            (("maxclients", "abc"),
             b"-ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument "
             b"couldn't be parsed into an integer\r\n"),
            (("timeout", "-1"),
             b"-ERR CONFIG SET failed (possibly related to argument 'timeout') - argument must "
             b"be between 0 and 2147483647 inclusive\r\n"),
            (("protected-mode", "maybe"),
             b"-ERR CONFIG SET failed (possibly related to argument 'protected-mode') - "
             b"argument must be 'yes' or 'no'\r\n"),
            (("loglevel", "bogus"),
             b"-ERR CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) "
             b"must be one of the following: debug, verbose, notice, warning\r\n"),
            (("tcp-backlog", "3"),
             b"-ERR CONFIG SET failed (possibly related to argument 'tcp-backlog') - can't set "
             b"immutable config\r\n"),
            (("client-query-buffer-limit", "1000"),
             b"-ERR CONFIG SET failed (possibly related to argument 'client-query-buffer-limit')"
             b" - argument must be between 1048576 and 9223372036854775807 inclusive\r\n"),
            (("maxclients", "100", "maxclients", "200"),
             b"-ERR CONFIG SET failed (possibly related to argument 'maxclients') - duplicate "
             b"parameter\r\n"),
        ]
        for args, expected in cases:
            with self.subTest(args=args):
                c.send(encode("CONFIG", "SET", *args))
                c.expect(expected)
        # A failed multi-parameter SET changes nothing.
        c.send(encode("CONFIG", "SET", "timeout", "5", "maxclients", "abc"))
        c.expect(b"-ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument "
                 b"couldn't be parsed into an integer\r\n")
        c.send(encode("CONFIG", "GET", "timeout"))
        c.expect(b"*2\r\n$7\r\ntimeout\r\n$1\r\n0\r\n")

    def test_client_output_buffer_limit(self):
        c = self.connect()
        default = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        self.addCleanup(lambda: self.connect().cmd("CONFIG", "SET",
                                                   "client-output-buffer-limit", default))
        c.send(encode("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 512kb 5"))
        c.expect(b"+OK\r\n")
        c.send(encode("CONFIG", "GET", "client-output-buffer-limit"))
        c.expect(b"*2\r\n$26\r\nclient-output-buffer-limit\r\n"
                 + bulk("normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 524288 5"))
        # replica is shown as slave; k = 1000, kb = 1024, gb = 1024^3.
        c.send(encode("CONFIG", "SET", "client-output-buffer-limit",
                      "replica 1mb 1mb 0 normal 1gb 2k 1"))
        c.expect(b"+OK\r\n")
        c.send(encode("CONFIG", "GET", "client-output-buffer-limit"))
        c.expect(b"*2\r\n$26\r\nclient-output-buffer-limit\r\n"
                 + bulk("normal 1073741824 2000 1 slave 1048576 1048576 0 "
                        "pubsub 1048576 524288 5"))
        prefix = (b"-ERR CONFIG SET failed (possibly related to argument "
                  b"'client-output-buffer-limit') - ")
        for value, error in [
                ("master 1mb 512kb 5", b"Invalid client class specified in buffer limit "
                                       b"configuration."),
                ("foo 1 2 3", b"Invalid client class specified in buffer limit configuration."),
                ("pubsub 1mb 512kb", b"Wrong number of arguments in buffer limit "
                                     b"configuration."),
                ("pubsub x 2 3", b"Error in hard, soft or soft_seconds setting in buffer limit "
                                 b"configuration.")]:
            with self.subTest(value=value):
                c.send(encode("CONFIG", "SET", "client-output-buffer-limit", value))
                c.expect(prefix + error + b"\r\n")

    def test_resetstat(self):
        c = self.connect()
        for _ in range(20):
            c.send(b"PING\r\n")
            c.expect(b"+PONG\r\n")
        before = int(h.info_fields(c, "stats")["total_commands_processed"])
        self.assertGreaterEqual(before, 20)
        c.send(encode("CONFIG", "RESETSTAT"))
        c.expect(b"+OK\r\n")
        after = int(h.info_fields(c, "stats")["total_commands_processed"])
        self.assertLess(after, 5)


class InfoTest(h.ServerTestCase):

    def test_default_sections(self):
        c = self.connect()
        text = bytes(c.cmd("INFO")).decode()
        for section in ("# Server", "# Clients", "# Stats", "# Replication", "# Keyspace"):
            self.assertIn(section + "\r\n", text)
        self.assertTrue(text.startswith("# Server\r\n"), text[:100])
        fields = h.info_fields(c)
        self.assertRegex(fields["redis_version"], r"^\d+\.\d+\.\d+$")
        self.assertEqual(fields["redis_mode"], "standalone")
        self.assertEqual(fields["process_id"], str(self.server.pid))
        self.assertEqual(fields["tcp_port"], str(self.server.port))
        self.assertRegex(fields["uptime_in_seconds"], r"^\d+$")
        self.assertEqual(fields["loading"], "0")
        self.assertEqual(fields["role"], "master")
        self.assertEqual(fields["connected_slaves"], "0")
        for name in ("connected_clients", "maxclients", "total_connections_received",
                     "total_commands_processed", "pubsub_channels", "pubsub_patterns"):
            self.assertRegex(fields[name], r"^\d+$", name)

    def test_single_section(self):
        c = self.connect()
        text = bytes(c.cmd("INFO", "server")).decode()
        self.assertTrue(text.startswith("# Server\r\nredis_version:"), text[:100])
        self.assertNotIn("# Clients", text)
        text = bytes(c.cmd("INFO", "clients")).decode()
        self.assertTrue(text.startswith("# Clients\r\nconnected_clients:"), text[:100])
        self.assertNotIn("# Server", text)
        self.assertTrue(bytes(c.cmd("INFO", "replication")).startswith(
            b"# Replication\r\nrole:master\r\n"))
        self.assertTrue(bytes(c.cmd("INFO", "keyspace")).startswith(b"# Keyspace\r\n"))
        self.assertIn("pubsub_channels:", bytes(c.cmd("INFO", "stats")).decode())

    def test_resp3_verbatim(self):
        c = self.connect()
        c.hello3()
        c.send(encode("INFO", "server"))
        c.expect_match(rb"=\d+\r\ntxt:# Server\r\nredis_version:.*\r\n")

    def test_counters(self):
        c = self.connect()
        pub = self.connect()
        before = h.info_fields(c)
        ch1, ch2 = self.chan("a"), self.chan("b")
        sub = self.connect()
        sub.send(encode("SUBSCRIBE", ch1, ch2) + encode("PSUBSCRIBE", self.ns + "*"))
        sub.expect(ack("subscribe", ch1, 1) + ack("subscribe", ch2, 2)
                   + h.ack("psubscribe", self.ns + "*", 3))
        for _ in range(5):
            pub.send(encode("PUBLISH", ch1, "x"))
            pub.expect(b":2\r\n")
        after = h.info_fields(c)
        self.assertEqual(int(after["pubsub_channels"]), int(before["pubsub_channels"]) + 2)
        self.assertEqual(int(after["pubsub_patterns"]), int(before["pubsub_patterns"]) + 1)
        self.assertGreaterEqual(int(after["total_commands_processed"]),
                                int(before["total_commands_processed"]) + 7)
        self.assertGreaterEqual(int(after["total_connections_received"]),
                                int(before["total_connections_received"]) + 1)
        h.wait_connected_clients(c, 3)
        sub.close()
        h.wait_connected_clients(c, 2)
        h.wait_until(lambda: h.info_fields(c)["pubsub_channels"] == before["pubsub_channels"],
                     message="pubsub_channels back to the previous value")


class ClientCommandTest(h.ServerTestCase):

    def test_id(self):
        a, b = self.connect(), self.connect()
        a.send(b"CLIENT ID\r\n")
        ida = int(a.expect_match(rb":\d+\r\n")[1:-2])
        idb = b.cmd("CLIENT", "ID")
        self.assertGreater(idb, ida)  # ids increase with every connection
        a.send(b"CLIENT ID\r\n")
        a.expect(b":%d\r\n" % ida)

    def test_setname_getname(self):
        c = self.connect()
        c.send(b"CLIENT GETNAME\r\n")
        c.expect(b"$-1\r\n")
        c.send(b"CLIENT SETNAME worker-1\r\nCLIENT GETNAME\r\n")
        c.expect(b"+OK\r\n$8\r\nworker-1\r\n")
        for bad in (b'"a b"', b'"a\\nb"', b'"\\x01"'):
            c.send(b"CLIENT SETNAME " + bad + b"\r\n")
            c.expect(b"-ERR Client names cannot contain spaces, newlines or special characters."
                     b"\r\n")
        c.send(b'CLIENT SETNAME ""\r\nCLIENT GETNAME\r\n')
        c.expect(b"+OK\r\n$-1\r\n")

    @staticmethod
    def parse_line(line):
        return dict(kv.split("=", 1) for kv in line.split(" "))

    def test_list(self):
        me, sub = self.connect(), self.connect()
        me.send(b"CLIENT SETNAME lister\r\n")
        me.expect(b"+OK\r\n")
        sub.hello3()
        ch = self.chan("l")
        sub.send(encode("SELECT", "2") + encode("SUBSCRIBE", ch, ch + "2")
                 + encode("PSUBSCRIBE", ch + "*") + encode("SSUBSCRIBE", ch))
        sub.expect(b"+OK\r\n" + ack("subscribe", ch, 1, True) + ack("subscribe", ch + "2", 2, True)
                   + ack("psubscribe", ch + "*", 3, True) + ack("ssubscribe", ch, 1, True))
        sub_id = sub.cmd("CLIENT", "ID")
        my_id = me.cmd("CLIENT", "ID")
        raw = me.cmd("CLIENT", "LIST")
        self.assertIsInstance(raw, bytes)
        text = raw.decode()
        self.assertTrue(text.endswith("\n"), text)
        clients = {}
        for line in text[:-1].split("\n"):
            fields = self.parse_line(line)
            clients[int(fields["id"])] = fields
        mine, theirs = clients[my_id], clients[sub_id]
        names = ["id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db", "sub", "psub",
                 "ssub", "multi", "qbuf", "omem", "cmd", "user", "resp"]
        for n in names:
            self.assertIn(n, mine)
        self.assertEqual(mine["addr"], "%s:%d" % me.sock.getsockname())
        self.assertEqual(mine["laddr"], "127.0.0.1:%d" % self.server.port)
        self.assertEqual(mine["name"], "lister")
        self.assertEqual(mine["cmd"], "client|list")
        self.assertEqual((mine["flags"], mine["db"], mine["sub"], mine["psub"], mine["ssub"],
                          mine["resp"]), ("N", "0", "0", "0", "0", "2"))
        self.assertEqual(theirs["addr"], "%s:%d" % sub.sock.getsockname())
        self.assertEqual((theirs["flags"], theirs["db"], theirs["sub"], theirs["psub"],
                          theirs["ssub"], theirs["resp"], theirs["name"], theirs["cmd"]),
                         ("P", "2", "2", "1", "1", "3", "", "client|id"))

    def test_info(self):
        c = self.connect()
        cid = c.cmd("CLIENT", "ID")
        raw = c.cmd("CLIENT", "INFO")
        self.assertTrue(raw.endswith(b"\n") and raw.count(b"\n") == 1, raw)
        fields = self.parse_line(raw.decode()[:-1])
        self.assertEqual(fields["id"], str(cid))
        self.assertEqual(fields["addr"], "%s:%d" % c.sock.getsockname())
        self.assertEqual(fields["cmd"], "client|info")

    def test_kill(self):
        admin = self.connect()
        victim = self.connect()
        ch = self.chan("k")
        vid = victim.cmd("CLIENT", "ID")
        victim.send(encode("SUBSCRIBE", ch))
        victim.expect(ack("subscribe", ch, 1))
        admin.send(encode("CLIENT", "KILL", "ID", str(vid)))
        admin.expect(b":1\r\n")
        victim.expect_eof(b"")
        h.wait_numsub(admin, ch, 0)
        admin.send(encode("CLIENT", "KILL", "ID", str(vid)))
        admin.expect(b":0\r\n")
        # New style by address, old style by address.
        v2 = self.connect()
        v2.send(b"PING\r\n")
        v2.expect(b"+PONG\r\n")
        admin.send(encode("CLIENT", "KILL", "ADDR", "%s:%d" % v2.sock.getsockname()))
        admin.expect(b":1\r\n")
        v2.expect_eof(b"")
        v3 = self.connect()
        v3.send(b"PING\r\n")
        v3.expect(b"+PONG\r\n")
        admin.send(encode("CLIENT", "KILL", "%s:%d" % v3.sock.getsockname()))
        admin.expect(b"+OK\r\n")
        v3.expect_eof(b"")
        admin.send(encode("CLIENT", "KILL", "1.2.3.4:5"))
        admin.expect(b"-ERR No such client\r\n")
        admin.send(encode("CLIENT", "KILL", "ADDR", "1.2.3.4:5"))
        admin.expect(b":0\r\n")
        # The new style skips the caller by default.
        admin.send(encode("CLIENT", "KILL", "ID", str(admin.cmd("CLIENT", "ID"))))
        admin.expect(b":0\r\n")
        admin.send(encode("CLIENT", "KILL", "ID", "abc"))
        admin.expect(b"-ERR client-id should be greater than 0\r\n")
        admin.send(encode("CLIENT", "KILL", "ID", "1", "FOO", "bar"))
        admin.expect(b"-ERR syntax error\r\n")


if __name__ == "__main__":
    unittest.main()

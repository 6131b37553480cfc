"""Redis 7.0 introspection commands herald answers as Redis does: DEBUG, CLIENT NO-EVICT, the
7.2-only CLIENT subcommands, INFO's persistence times, CLIENT TRACKING and friends, CLIENT
PAUSE, MONITOR, INFO commandstats/errorstats/latencystats.

Every expectation here is Redis 7.0.15's own reply, byte for byte:
Run: HERALD_TEST_TARGET=redis /usr/bin/python3 -m unittest -v resp.test_introspection
"""

import os
import re
import select
import subprocess
import time
import unittest

import harness as h


def raw(conn, *args):
    """The exact bytes of the reply to one command."""
    conn.send_cmd(*args)
    return conn.read_raw_reply()


def client_field(line, name):
    m = re.search(rb"(?:^| )" + re.escape(name.encode()) + rb"=(\S*)", line)
    assert m, (name, line)
    return m.group(1).decode()


class DebugRefusedTest(h.ServerTestCase):
    # enable-debug-command no (the default): DEBUG is refused outright.
    def test_refused(self):
        self.assertEqual(self.connect().cmd("DEBUG", "LOG", "x"), h.RespError(
            'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", '
            "you can run it from a local connection, otherwise you need to set this option in "
            "the configuration file, and then restart the server."))


class DebugTest(h.ServerTestCase):
    server_args = ("--enable-debug-command", "yes")

    def test_replies(self):
        c = self.connect()
        unknown = b"-ERR unknown subcommand or wrong number of arguments for '%s'. Try DEBUG HELP.\r\n"
        cases = [
            (("DEBUG", "LOG", "hello"), b"+OK\r\n"),
            (("DEBUG", "SLEEP", "0"), b"+OK\r\n"),
            (("DEBUG", "SLEEP", "0.01"), b"+OK\r\n"),
            (("DEBUG", "SLEEP", "x"), b"+OK\r\n"),
            (("DEBUG", "ERROR", "foo bar"), b"-foo bar\r\n"),
            (("DEBUG", "ERROR", "a\nb"), b"-a b\r\n"),
            (("DEBUG", "DIGEST"), b"+" + b"0" * 40 + b"\r\n"),
            (("DEBUG", "DIGEST-VALUE", "a", "b"),
             b"*2\r\n+" + b"0" * 40 + b"\r\n+" + b"0" * 40 + b"\r\n"),
            (("DEBUG", "DIGEST-VALUE"), b"*0\r\n"),
            (("DEBUG", "OBJECT", "k"), b"-ERR no such key\r\n"),
            (("DEBUG", "SDSLEN", "k"), b"-ERR no such key\r\n"),
            (("DEBUG", "nosuch"), unknown % b"nosuch"),
            (("DEBUG", "JMAP"), unknown % b"JMAP"),
            (("DEBUG", "ziplist", "k"), unknown % b"ziplist"),
            (("DEBUG", "LOG"), unknown % b"LOG"),
            (("DEBUG", "SLEEP"), unknown % b"SLEEP"),
            (("DEBUG", "OBJECT"), unknown % b"OBJECT"),
            (("DEBUG", "ERROR"), unknown % b"ERROR"),
            (("DEBUG", "HELP", "x"), unknown % b"HELP"),
            (("DEBUG",), b"-ERR wrong number of arguments for 'debug' command\r\n"),
        ]
        for args, expected in cases:
            with self.subTest(args=args):
                self.assertEqual(raw(c, *args), expected)
        self.assertEqual(raw(c, "PING"), b"+PONG\r\n")

    def test_help(self):
        c = self.connect()
        lines = [bytes(x).decode() for x in c.cmd("DEBUG", "HELP")]
        self.assertTrue(lines[0].startswith("DEBUG <subcommand>"), lines[0])
        self.assertIn("LOG <message>", lines)
        self.assertEqual(lines[-2:], ["HELP", "    Prints this help."])


class ClientCompatTest(h.ServerTestCase):

    def test_newer_subcommands_unknown(self):
        # CLIENT SETINFO and NO-TOUCH arrived in Redis 7.2; 7.0.15 (the version reported) does
        # not know them, and clients fall back on that error.
        c = self.connect()
        for sub in ("SETINFO", "setinfo"):
            self.assertEqual(raw(c, "CLIENT", sub, "lib-name", "x"),
                             b"-ERR unknown subcommand '%s'. Try CLIENT HELP.\r\n" % sub.encode())
        self.assertEqual(raw(c, "CLIENT", "NO-TOUCH", "on"),
                         b"-ERR unknown subcommand 'NO-TOUCH'. Try CLIENT HELP.\r\n")

    def test_no_evict_flag(self):
        c = self.connect()
        self.assertEqual(client_field(c.cmd("CLIENT", "INFO"), "flags"), "N")
        self.assertEqual(raw(c, "CLIENT", "NO-EVICT", "on"), b"+OK\r\n")
        self.assertEqual(client_field(c.cmd("CLIENT", "INFO"), "flags"), "e")
        c.cmd("SUBSCRIBE", self.chan("x"))
        c.send_cmd("CLIENT", "INFO")  # RESP2 subscribed: not allowed, just checks the flag below
        self.assertIsInstance(c.read_reply(), h.RespError)
        c2 = self.connect()
        listing = bytes(c2.cmd("CLIENT", "LIST", "TYPE", "pubsub"))
        self.assertEqual(client_field(listing, "flags"), "Pe")
        self.assertEqual(raw(c2, "CLIENT", "NO-EVICT", "maybe"), b"-ERR syntax error\r\n")
        self.assertEqual(raw(c2, "CLIENT", "NO-EVICT", "off"), b"+OK\r\n")
        self.assertEqual(client_field(c2.cmd("CLIENT", "INFO"), "flags"), "N")


class InfoTimesTest(h.ServerTestCase):

    def test_rdb_last_save_time_is_unix_time(self):
        c = self.connect()
        fields = h.info_fields(c, "persistence")
        started = int(fields["rdb_last_save_time"])
        uptime = int(h.info_fields(c, "server")["uptime_in_seconds"])
        # Set at start-up: now minus uptime, give or take the seconds the test took.
        self.assertLessEqual(abs(time.time() - uptime - started), 5)


class TrackingTest(h.ServerTestCase):
    """CLIENT TRACKING and friends on a server without keys: accepted and reported as Redis
    does; nothing is ever invalidated."""

    def test_errors(self):
        c = self.connect()
        other = self.connect()
        other_id = other.cmd("CLIENT", "ID")
        cases = [
            (("CLIENT", "TRACKING"), b"-ERR wrong number of arguments for 'client|tracking' command\r\n"),
            (("CLIENT", "TRACKING", "maybe"), b"-ERR syntax error\r\n"),
            (("CLIENT", "TRACKING", "on", "nosuch"), b"-ERR syntax error\r\n"),
            (("CLIENT", "TRACKING", "on", "REDIRECT"), b"-ERR syntax error\r\n"),
            (("CLIENT", "TRACKING", "on", "REDIRECT", "x"),
             b"-ERR value is not an integer or out of range\r\n"),
            (("CLIENT", "TRACKING", "on", "REDIRECT", "999999"),
             b"-ERR The client ID you want redirect to does not exist\r\n"),
            (("CLIENT", "TRACKING", "on", "REDIRECT", str(other_id), "REDIRECT", str(other_id)),
             b"-ERR A client can only redirect to a single other client\r\n"),
            (("CLIENT", "TRACKING", "on", "PREFIX", "a"),
             b"-ERR PREFIX option requires BCAST mode to be enabled\r\n"),
            (("CLIENT", "TRACKING", "on", "BCAST", "OPTIN"),
             b"-ERR OPTIN and OPTOUT are not compatible with BCAST\r\n"),
            (("CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT"),
             b"-ERR You can't specify both OPTIN mode and OPTOUT mode\r\n"),
            (("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "ab", "PREFIX", "a"),
             b"-ERR Prefix 'ab' overlaps with another provided prefix 'a'. Prefixes for a "
             b"single client must not overlap.\r\n"),
            (("CLIENT", "CACHING", "yes"),
             b"-ERR CLIENT CACHING can be called only when the client is in tracking mode with "
             b"OPTIN or OPTOUT mode enabled\r\n"),
            (("CLIENT", "GETREDIR"), b":-1\r\n"),
            (("CLIENT", "TRACKINGINFO"),
             b"*6\r\n$5\r\nflags\r\n*1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n"
             b"$8\r\nprefixes\r\n*0\r\n"),
        ]
        for args, expected in cases:
            with self.subTest(args=args):
                self.assertEqual(raw(c, *args), expected)

    def test_optin_caching_and_info(self):
        c = self.connect()
        target = self.connect()
        target_id = target.cmd("CLIENT", "ID")
        self.assertEqual(raw(c, "CLIENT", "TRACKING", "on", "OPTIN", "REDIRECT", str(target_id)),
                         b"+OK\r\n")
        self.assertEqual(raw(c, "CLIENT", "GETREDIR"), b":%d\r\n" % target_id)
        line = c.cmd("CLIENT", "INFO")
        self.assertEqual(client_field(line, "flags"), "t")
        self.assertEqual(client_field(line, "redir"), str(target_id))
        self.assertEqual(raw(c, "CLIENT", "CACHING", "no"),
                         b"-ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT "
                         b"mode.\r\n")
        self.assertEqual(raw(c, "CLIENT", "CACHING", "maybe"), b"-ERR syntax error\r\n")
        self.assertEqual(raw(c, "CLIENT", "CACHING", "yes"), b"+OK\r\n")
        c.hello3()
        # HELLO ended the CACHING YES (it lasts for the next command only, CLIENT excepted).
        self.assertEqual(raw(c, "CLIENT", "CACHING", "yes"), b"+OK\r\n")
        self.assertEqual(
            raw(c, "CLIENT", "TRACKINGINFO"),
            b"%%3\r\n$5\r\nflags\r\n~3\r\n$2\r\non\r\n$5\r\noptin\r\n$11\r\ncaching-yes\r\n"
            b"$8\r\nredirect\r\n:%d\r\n$8\r\nprefixes\r\n*0\r\n" % target_id)
        self.assertEqual(raw(c, "PING"), b"+PONG\r\n")
        self.assertEqual(
            raw(c, "CLIENT", "TRACKINGINFO"),
            b"%%3\r\n$5\r\nflags\r\n~2\r\n$2\r\non\r\n$5\r\noptin\r\n"
            b"$8\r\nredirect\r\n:%d\r\n$8\r\nprefixes\r\n*0\r\n" % target_id)
        self.assertEqual(raw(c, "CLIENT", "TRACKING", "on", "OPTOUT"),
                         b"-ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for "
                         b"this client, and then re-enabling it with a different mode.\r\n")
        self.assertEqual(raw(c, "CLIENT", "TRACKING", "on", "BCAST"),
                         b"-ERR You can't switch BCAST mode on/off before disabling tracking for "
                         b"this client, and then re-enabling it with a different mode.\r\n")
        self.assertEqual(int(h.info_fields(target, "clients")["tracking_clients"]), 1)
        self.assertEqual(raw(c, "CLIENT", "TRACKING", "off"), b"+OK\r\n")
        self.assertEqual(raw(c, "CLIENT", "GETREDIR"), b":-1\r\n")
        self.assertEqual(int(h.info_fields(target, "clients")["tracking_clients"]), 0)

    def test_bcast_prefixes(self):
        c = self.connect()
        self.assertEqual(raw(c, "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "b", "PREFIX", "a",
                             "NOLOOP"), b"+OK\r\n")
        self.assertEqual(raw(c, "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "bc"),
                         b"-ERR Prefix 'bc' overlaps with an existing prefix 'b'. Prefixes for a "
                         b"single client must not overlap.\r\n")
        self.assertEqual(raw(c, "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "c"), b"+OK\r\n")
        self.assertEqual(client_field(c.cmd("CLIENT", "INFO"), "flags"), "tB")
        self.assertEqual(client_field(c.cmd("CLIENT", "INFO"), "redir"), "0")
        # Re-enabling replaced NOLOOP (not given again) and kept the prefixes, sorted.
        self.assertEqual(
            raw(c, "CLIENT", "TRACKINGINFO"),
            b"*6\r\n$5\r\nflags\r\n*2\r\n$2\r\non\r\n$5\r\nbcast\r\n$8\r\nredirect\r\n:0\r\n"
            b"$8\r\nprefixes\r\n*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n")
        self.assertEqual(raw(c, "RESET"), b"+RESET\r\n")
        self.assertEqual(raw(c, "CLIENT", "TRACKING", "on", "BCAST"), b"+OK\r\n")
        self.assertEqual(
            raw(c, "CLIENT", "TRACKINGINFO"),
            b"*6\r\n$5\r\nflags\r\n*2\r\n$2\r\non\r\n$5\r\nbcast\r\n$8\r\nredirect\r\n:0\r\n"
            b"$8\r\nprefixes\r\n*1\r\n$0\r\n\r\n")


def info_sections(conn, *args):
    text = bytes(conn.cmd("INFO", *args)).decode()
    return [line[2:] for line in text.split("\r\n") if line.startswith("# ")]


def info_lines(conn, section):
    text = bytes(conn.cmd("INFO", section)).decode()
    return [line for line in text.split("\r\n") if line and not line.startswith("#")]


class InfoStatsTest(h.ServerTestCase):
    server_args = ("--enable-debug-command", "yes")
    # One class per server: the counters are server-wide, so this test owns them.

    def test_sections(self):
        c = self.connect()
        default = ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU",
                   "Modules", "Errorstats", "Cluster", "Keyspace"]
        every = default[:8] + ["Commandstats", "Errorstats", "Latencystats", "Cluster", "Keyspace"]
        self.assertEqual(info_sections(c), default)
        self.assertEqual(info_sections(c, "default"), default)
        self.assertEqual(info_sections(c, "all"), every)
        self.assertEqual(info_sections(c, "everything"), every)
        self.assertEqual(info_sections(c, "latencystats", "CommandStats"),
                         ["Commandstats", "Latencystats"])

    def test_counters(self):
        c = self.connect()
        self.assertEqual(raw(c, "CONFIG", "RESETSTAT"), b"+OK\r\n")
        raw(c, "CLIENT", "nosuch")              # unknown subcommand: no command counted
        raw(c, "CLIENT")                        # rejected (arity)
        raw(c, "CLIENT", "LIST", "x")           # ran and failed
        raw(c, "PUBLISH", self.chan("a"), "b")  # ran
        raw(c, "PUBLISH", self.chan("a"), "b")
        raw(c, "SUBSCRIBE", self.chan("s"))
        raw(c, "ECHO", "x")                     # rejected: RESP2 subscribed context
        raw(c, "UNSUBSCRIBE")
        raw(c, "NOSUCHCMD")
        other = self.connect()
        stats = {}
        for line in info_lines(other, "commandstats"):
            name, fields = line.split(":", 1)
            stats[name] = dict(f.split("=") for f in fields.split(","))
        def counts(name):
            s = stats[name]
            return int(s["calls"]), int(s["rejected_calls"]), int(s["failed_calls"])
        self.assertEqual(counts("cmdstat_config|resetstat"), (1, 0, 0))
        self.assertEqual(counts("cmdstat_client"), (0, 1, 0))
        self.assertEqual(counts("cmdstat_client|list"), (1, 0, 1))
        self.assertEqual(counts("cmdstat_publish"), (2, 0, 0))
        self.assertEqual(counts("cmdstat_echo"), (0, 1, 0))
        self.assertEqual(counts("cmdstat_subscribe"), (1, 0, 0))
        self.assertNotIn("cmdstat_nosuchcmd", stats)
        calls, usec = int(stats["cmdstat_publish"]["calls"]), int(stats["cmdstat_publish"]["usec"])
        self.assertEqual(stats["cmdstat_publish"]["usec_per_call"], "%.2f" % (usec / calls))
        self.assertEqual(info_lines(other, "errorstats"), ["errorstat_ERR:count=5"])
        latency = [l for l in info_lines(other, "latencystats")
                   if l.startswith("latency_percentiles_usec_publish:")]
        self.assertEqual(len(latency), 1)
        self.assertRegex(latency[0], r"^latency_percentiles_usec_publish:"
                                     r"p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}$")
        self.assertFalse([l for l in info_lines(other, "latencystats") if "_echo:" in l])
        raw(other, "AUTH", "x")  # no password set: its own error code
        self.assertEqual(sorted(info_lines(other, "errorstats")),
                         ["errorstat_ERR:count=6"])
        raw(other, "AUTH", "nosuchuser", "x")
        # DEBUG ERROR's errors are not counted.
        self.assertEqual(raw(other, "DEBUG", "ERROR", "MYCODE something"), b"-MYCODE something\r\n")
        self.assertEqual(info_lines(other, "errorstats"),
                         ["errorstat_ERR:count=6", "errorstat_WRONGPASS:count=1"])
        self.assertEqual(raw(other, "CONFIG", "RESETSTAT"), b"+OK\r\n")
        self.assertEqual(info_lines(other, "errorstats"), [])
        # Counted once they ran: RESETSTAT itself, and the INFO errorstats just above.
        self.assertEqual(sorted(l.split(":")[0] for l in info_lines(other, "commandstats")),
                         ["cmdstat_config|resetstat", "cmdstat_info"])


class PauseTest(h.ServerTestCase):
    """CLIENT PAUSE holds commands unanswered until UNPAUSE or the timeout; the waits are
    bounded by deadlines, never by sleeps that decide the outcome."""

    def tearDown(self):
        with self.server.connect() as c:
            c.cmd("CLIENT", "UNPAUSE")
        super().tearDown()

    def assert_no_reply(self, conn, wait=0.3):
        self.assertEqual(conn.read_available(wait), b"")

    def test_errors(self):
        c = self.connect()
        cases = [
            (("CLIENT", "PAUSE"), b"-ERR wrong number of arguments for 'client|pause' command\r\n"),
            (("CLIENT", "PAUSE", "abc"), b"-ERR timeout is not an integer or out of range\r\n"),
            (("CLIENT", "PAUSE", "-1"), b"-ERR timeout is negative\r\n"),
            (("CLIENT", "PAUSE", "abc", "read"), b"-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n"),
            # The end time overflows into the past: no pause.
            (("CLIENT", "PAUSE", "9223372036854775807"), b"+OK\r\n"),
            (("PING",), b"+PONG\r\n"),
            (("CLIENT", "Pause", "1", "ALL", "x"),
             b"-ERR unknown subcommand or wrong number of arguments for 'Pause'. Try CLIENT HELP.\r\n"),
            (("CLIENT", "UNPAUSE", "x"),
             b"-ERR wrong number of arguments for 'client|unpause' command\r\n"),
            (("CLIENT", "PAUSE", "0"), b"+OK\r\n"),
            (("PING",), b"+PONG\r\n"),
            (("CLIENT", "UNPAUSE"), b"+OK\r\n"),
        ]
        for args, expected in cases:
            with self.subTest(args=args):
                self.assertEqual(raw(c, *args), expected)

    def test_write_pause_holds_publish_only(self):
        admin = self.connect()
        sub = self.connect()
        pub = self.connect()
        pub_id = pub.cmd("CLIENT", "ID")
        sub.cmd("SUBSCRIBE", self.chan("c"))
        self.assertEqual(raw(admin, "CLIENT", "PAUSE", "100000", "WRITE"), b"+OK\r\n")
        pub.send_cmd("PUBLISH", self.chan("c"), "m1")
        # Other commands go on, pub/sub ones included; PUBLISH waits (it may replicate).
        self.assertEqual(raw(admin, "PING"), b"+PONG\r\n")
        other = self.connect()
        self.assertEqual(raw(other, "SUBSCRIBE", self.chan("d")),
                         h.ack("subscribe", self.chan("d"), 1))
        h.wait_until(lambda: h.info_fields(admin, "clients")["blocked_clients"] == "1",
                     message="PUBLISH postponed")
        line = bytes(admin.cmd("CLIENT", "LIST", "ID", str(pub_id)))
        self.assertEqual(client_field(line, "flags"), "b")
        self.assert_no_reply(pub)
        self.assert_no_reply(sub)
        # A weaker or shorter pause neither shortens nor weakens this one.
        self.assertEqual(raw(admin, "CLIENT", "PAUSE", "1", "WRITE"), b"+OK\r\n")
        self.assert_no_reply(pub)
        self.assertEqual(raw(admin, "CLIENT", "UNPAUSE"), b"+OK\r\n")
        pub.expect(b":1\r\n")
        sub.expect(h.message(self.chan("c"), "m1"))
        self.assertEqual(h.info_fields(admin, "clients")["blocked_clients"], "0")
        self.assertEqual(raw(pub, "PUBLISH", self.chan("c"), "m2"), b":1\r\n")

    def test_all_pause_holds_everything_until_timeout(self):
        admin = self.connect()
        c = self.connect()
        started = time.monotonic()
        self.assertEqual(raw(admin, "CLIENT", "PAUSE", "3000", "ALL"), b"+OK\r\n")
        c.send(h.encode("PING") + h.encode("ECHO", "x"))
        # Even UNPAUSE waits under ALL (the pausing client included): only the timeout ends it.
        admin.send_cmd("CLIENT", "UNPAUSE")
        self.assert_no_reply(c)
        self.assert_no_reply(admin, 0.0)
        c.expect(b"+PONG\r\n$1\r\nx\r\n", timeout=h.WAIT_TIMEOUT)
        admin.expect(b"+OK\r\n", timeout=h.WAIT_TIMEOUT)
        self.assertGreaterEqual(time.monotonic() - started, 2.9)
        self.assertEqual(raw(c, "PING"), b"+PONG\r\n")

    def test_postponed_client_may_close(self):
        admin = self.connect()
        self.assertEqual(raw(admin, "CLIENT", "PAUSE", "100000", "WRITE"), b"+OK\r\n")
        gone = self.server.connect()
        gone.send_cmd("PUBLISH", self.chan("x"), "y")
        h.wait_until(lambda: h.info_fields(admin, "clients")["blocked_clients"] == "1",
                     message="PUBLISH postponed")
        gone.close()
        h.wait_until(lambda: h.info_fields(admin, "clients")["blocked_clients"] == "0",
                     message="closed client forgotten")
        self.assertEqual(raw(admin, "CLIENT", "UNPAUSE"), b"+OK\r\n")
        self.assertEqual(raw(admin, "PING"), b"+PONG\r\n")

class MonitorTest(h.ServerTestCase):
    server_args = ("--enable-debug-command", "yes")

    def read_line(self, conn):
        while b"\r\n" not in conn.buf:
            conn._fill(time.monotonic() + h.IO_TIMEOUT)
        i = conn.buf.index(b"\r\n") + 2
        line = bytes(conn.buf[:i])
        del conn.buf[:i]
        return line

    def test_stream(self):
        m = self.connect()
        self.assertEqual(raw(m, "MONITOR"), b"+OK\r\n")
        c = self.connect()
        addr = client_field(c.cmd("CLIENT", "INFO"), "addr")  # CLIENT INFO is not admin: shown
        sent = [
            ("PING",),
            ("ECHO", 'a"b\\c\n\x01\xff\t\r\x07\x08 d'),
            ("AUTH", "foo"),
            ("AUTH", "u", "p"),
            ("HELLO", "2", "AUTH", "u", "p"),
            ("HELLO", "2"),
            ("CLIENT", "LIST"),       # admin: not shown
            ("CONFIG", "GET", "x"),   # admin
            ("DEBUG", "LOG", "x"),    # admin
            ("NOSUCH",),              # never ran
            ("ECHO",),                # refused (arity)
            ("SELECT", "3"),
            ("PUBLISH", "c", "m"),
            ("SUBSCRIBE", "x"),
            ("PING",),
            ("QUIT",),
        ]
        for args in sent:
            c.send(h.encode(*[a.encode("latin-1") for a in args]))
            c.read_raw_reply()
        expected = [
            b'[0 %s] "CLIENT" "INFO"' % addr.encode(),
            b'[0 %s] "PING"' % addr.encode(),
            b'[0 %s] "ECHO" "a\\"b\\\\c\\n\\x01\\xff\\t\\r\\a\\b d"' % addr.encode(),
            b'[0 %s] "AUTH" "(redacted)"' % addr.encode(),
            b'[0 %s] "AUTH" "(redacted)" "(redacted)"' % addr.encode(),
            b'[0 %s] "HELLO" "2" "AUTH" "(redacted)" "(redacted)"' % addr.encode(),
            b'[0 %s] "HELLO" "2"' % addr.encode(),
            b'[3 %s] "SELECT" "3"' % addr.encode(),
            b'[3 %s] "PUBLISH" "c" "m"' % addr.encode(),
            b'[3 %s] "SUBSCRIBE" "x"' % addr.encode(),
            b'[3 %s] "PING"' % addr.encode(),
            b'[3 %s] "QUIT"' % addr.encode(),
        ]
        before = time.time()
        for want in expected:
            line = self.read_line(m)
            match = re.match(rb"^\+(\d+)\.(\d{6}) (.*)\r\n$", line)
            self.assertIsNotNone(match, line)
            self.assertEqual(match.group(3), want)
            self.assertLess(abs(int(match.group(1)) - before), 60)
        # The monitor's own commands: answered first, then shown; MONITOR again is silent.
        m.send_cmd("MONITOR")
        m.send_cmd("PING")
        m.expect(b"+PONG\r\n")
        self.assertRegex(self.read_line(m), rb'^\+\d+\.\d{6} \[0 [^\]]+\] "PING"\r\n$')
        self.assertEqual(client_field(m.cmd("CLIENT", "INFO"), "flags"), "O")
        self.read_line(m)  # its CLIENT INFO
        self.assertEqual(raw(m, "RESET"), b"+RESET\r\n")
        self.assertEqual(raw(m, "PING"), b"+PONG\r\n")
        c2 = self.connect()
        c2.cmd("PING")
        self.assertEqual(m.read_available(0.2), b"")

    @unittest.skipUnless(os.access(h.REDIS_CLI, os.X_OK), "redis-cli not installed")
    def test_redis_cli_monitor(self):
        proc = h.spawn([h.REDIS_CLI, "-p", str(self.server.port), "monitor"],
                       stdout=subprocess.PIPE)
        self.addCleanup(proc.stdout.close)
        self.addCleanup(h.stop_process, proc, 5)
        c = self.connect()
        # Keep sending until the monitor is attached and shows our command.
        out = b""
        deadline = time.monotonic() + h.WAIT_TIMEOUT
        while b'"ECHO" "hello monitor"' not in out:
            self.assertLess(time.monotonic(), deadline, out)
            c.cmd("ECHO", "hello monitor")
            r, _, _ = select.select([proc.stdout], [], [], 0.2)
            if r:
                out += os.read(proc.stdout.fileno(), 65536)
        self.assertTrue(out.startswith(b"OK\n"), out)
        self.assertRegex(out, rb'\n\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] "ECHO" "hello monitor"\n')


class ClientMemoryTest(h.ServerTestCase):

    def test_query_buffer_and_argv(self):
        c = self.connect()
        request = h.encode("CLIENT", "INFO")
        c.send(request)
        line = bytes(c.read_reply())
        self.assertEqual(int(client_field(line, "qbuf")), len(request))
        self.assertEqual(int(client_field(line, "argv-mem")), len("CLIENT") + len("INFO"))
        # Pipelined: the requests behind the running one are in the query buffer too.
        c.send(request + h.encode("PING"))
        line = bytes(c.read_reply())
        self.assertEqual(int(client_field(line, "qbuf")), len(request) + len(h.encode("PING")))
        self.assertEqual(c.read_raw_reply(), b"+PONG\r\n")
        # Another client, idle: nothing running, nothing kept.
        other = self.connect()
        other.cmd("PING")
        other_id = other.cmd("CLIENT", "ID")
        line = bytes(c.cmd("CLIENT", "LIST", "ID", str(other_id)))
        self.assertEqual(client_field(line, "qbuf"), "0")
        self.assertEqual(client_field(line, "argv-mem"), "0")
        self.assertGreater(int(client_field(line, "tot-mem")), 0)

    def test_output_memory(self):
        c = self.connect()
        slow = h.Conn(self.server.port, rcvbuf=4096)
        self.addCleanup(slow.close)
        slow_id = slow.cmd("CLIENT", "ID")
        chan = self.chan("big")
        slow.cmd("SUBSCRIBE", chan)
        payload = "x" * 100000
        for _ in range(100):  # 10 MB: more than the socket buffers take, less than the limits
            c.cmd("PUBLISH", chan, payload)
        def omem():
            line = bytes(c.cmd("CLIENT", "LIST", "ID", str(slow_id)))
            return int(client_field(line, "omem")), int(client_field(line, "tot-mem"))
        h.wait_until(lambda: omem()[0] > 100000, message="output queued for the slow reader")
        queued, total = omem()
        self.assertGreater(total, queued)


if __name__ == "__main__":
    unittest.main()

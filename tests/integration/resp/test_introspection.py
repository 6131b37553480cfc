"""Redis 7.0 introspection commands herald answers as Redis does: DEBUG, CLIENT NO-EVICT, the
7.2-only CLIENT subcommands, INFO's persistence times, CLIENT TRACKING and friends, CLIENT
PAUSE, MONITOR, INFO commandstats/errorstats/latencystats.

Every expectation here is Redis 7.0.15's own reply, byte for byte:
Run: HERALD_TEST_TARGET=redis /usr/bin/python3 -m unittest -v resp.test_introspection
"""

import re
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


class DebugTest(h.ServerTestCase):
    # Redis refuses DEBUG altogether unless enabled; herald accepts (and ignores) the directive.
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


if __name__ == "__main__":
    unittest.main()

"""Config loading: config file directives, include, command-line overrides, bad directives,
--version / --help, a real Debian redis.conf, unixsocket / pidfile / logfile / IPv6 bind,
timeout, and a clean exit on SIGTERM.

Run: HERALD_TEST_TARGET=redis /usr/bin/python3 -m unittest -v config.test_config   (see harness.py)
"""

import os
import re
import socket
import unittest

import harness as h
from harness import ack, encode

DEBIAN_REDIS_CONF = "/etc/redis/redis.conf"


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def config_get(conn, name):
    reply = conn.cmd("CONFIG", "GET", name)
    assert len(reply) == 2, reply
    return reply[1].decode()


class ConfigTestCase(unittest.TestCase):

    def start(self, **kw):
        srv = h.Server(**kw).start()
        self.addCleanup(srv.stop)
        return srv

    def connect(self, srv, **kw):
        c = srv.connect(**kw)
        self.addCleanup(c.close)
        return c

    def assert_fatal(self, status, output, line, directive):
        """A config error: non-zero exit, Redis's banner, the line number and the directive."""
        self.assertNotEqual(status, 0, output)
        self.assertIn("FATAL CONFIG FILE ERROR", output)
        if line is not None:
            self.assertRegex(output, r"(\bline %d\b|:%d\b)" % (line, line))
        self.assertIn(directive, output)


class ConfigFileTest(ConfigTestCase):

    def test_directives_from_file(self):
        srv = self.start(config=(
            "# a comment, then a blank line\n"
            "\n"
            "maxclients 77\n"
            "timeout 5\n"
            "tcp-keepalive 60\n"
            "loglevel warning\n"
            "   protected-mode no   \n"
            "client-output-buffer-limit pubsub 2mb 1mb 10\n"
            "client-output-buffer-limit normal 0 0 0\n"
            "proto-max-bulk-len 2mb\n"
            "client-query-buffer-limit 4mb\n"
            "MAXCLIENTS 78\n"))  # directive names are case-insensitive; the last one wins
        c = self.connect(srv)
        expected = {
            "maxclients": "78", "timeout": "5", "tcp-keepalive": "60", "loglevel": "warning",
            "protected-mode": "no", "proto-max-bulk-len": "2097152",
            "client-query-buffer-limit": "4194304",
            "client-output-buffer-limit":
                "normal 0 0 0 slave 268435456 67108864 60 pubsub 2097152 1048576 10",
        }
        for name, value in expected.items():
            with self.subTest(name=name):
                self.assertEqual(config_get(c, name), value)

    def test_quoted_values(self):
        srv = self.start(config='requirepass "pass word"\n')
        c = self.connect(srv)
        c.send(b"PING\r\n")
        c.expect(b"-NOAUTH Authentication required.\r\n")
        c.send(encode("AUTH", "pass word"))
        c.expect(b"+OK\r\n")
        self.assertEqual(config_get(c, "requirepass"), "pass word")

    def test_include(self):
        srv = self.start(
            config="maxclients 10\ninclude {tmpdir}/extra.conf\ntimeout 9\n",
            files={"extra.conf": "maxclients 20\ntimeout 3\ntcp-keepalive 42\n"})
        c = self.connect(srv)
        # Directives apply in order: the included file overrides what came before it and is
        # overridden by what follows.
        self.assertEqual(config_get(c, "maxclients"), "20")
        self.assertEqual(config_get(c, "timeout"), "9")
        self.assertEqual(config_get(c, "tcp-keepalive"), "42")

    def test_command_line_overrides_file(self):
        srv = self.start(config="maxclients 10\ntimeout 3\n",
                         args=["--maxclients", "20", "--client-output-buffer-limit",
                               "pubsub 3mb 2mb 7"])
        c = self.connect(srv)
        self.assertEqual(config_get(c, "maxclients"), "20")
        self.assertEqual(config_get(c, "timeout"), "3")
        self.assertEqual(config_get(c, "client-output-buffer-limit"),
                         "normal 0 0 0 slave 268435456 67108864 60 pubsub 3145728 2097152 7")

    def test_port_from_file(self):
        srv = self.start(config="port {port}\nbind 127.0.0.1\n", pass_port=False, bind=None)
        c = self.connect(srv)
        self.assertEqual(config_get(c, "port"), str(srv.port))

    def test_datastore_directives_are_accepted(self):
        srv = self.start(config=(
            "save 900 1\nsave 300 10\nappendonly no\nappendfsync everysec\n"
            "maxmemory 100mb\nmaxmemory-policy noeviction\ndatabases 16\n"
            "dbfilename dump.rdb\ndir {tmpdir}\nhz 10\nrdbcompression yes\n"
            "lazyfree-lazy-eviction no\nnotify-keyspace-events \"\"\n"))
        c = self.connect(srv)
        c.send(b"PING\r\n")
        c.expect(b"+PONG\r\n")

    def test_every_supported_directive(self):
        srv = self.start(config=(
            "port {port}\n"
            "bind 127.0.0.1\n"
            "unixsocket {tmpdir}/herald.sock\n"
            "unixsocketperm 700\n"
            "requirepass pw\n"
            "protected-mode yes\n"
            "maxclients 100\n"
            "timeout 0\n"
            "tcp-keepalive 300\n"
            "tcp-backlog 128\n"
            "client-output-buffer-limit normal 0 0 0\n"
            "client-output-buffer-limit replica 256mb 64mb 60\n"
            "client-output-buffer-limit pubsub 32mb 8mb 60\n"
            "client-query-buffer-limit 1gb\n"
            "proto-max-bulk-len 512mb\n"
            "loglevel notice\n"
            "logfile {tmpdir}/server.log\n"
            "pidfile {tmpdir}/server.pid\n"), pass_port=False, bind=None)
        # TCP works (with the password) ...
        c = self.connect(srv)
        c.send(b"AUTH pw\r\nPING\r\n")
        c.expect(b"+OK\r\n+PONG\r\n")
        self.assertEqual(config_get(c, "unixsocket"), srv.tmpdir + "/herald.sock")
        self.assertEqual(config_get(c, "tcp-backlog"), "128")
        # ... and so does the unix socket.
        u = self.connect(srv, unix_path=os.path.join(srv.tmpdir, "herald.sock"))
        u.send(b"AUTH pw\r\n" + encode("SUBSCRIBE", "unix"))
        u.expect(b"+OK\r\n" + ack("subscribe", "unix", 1))
        c.send(encode("PUBLISH", "unix", "over-tcp"))
        c.expect(b":1\r\n")
        u.expect(h.message("unix", "over-tcp"))
        # The pid file holds the server's pid; the log goes to the log file.
        pidfile = os.path.join(srv.tmpdir, "server.pid")
        h.wait_until(lambda: read_text(pidfile).strip(), message="pid file written")
        self.assertEqual(read_text(pidfile).strip(), str(srv.pid))
        logfile = os.path.join(srv.tmpdir, "server.log")
        h.wait_until(lambda: os.path.exists(logfile) and os.path.getsize(logfile) > 0,
                     message="log file written")

    @unittest.skipUnless(os.access(DEBIAN_REDIS_CONF, os.R_OK), "no readable " + DEBIAN_REDIS_CONF)
    def test_real_debian_redis_conf(self):
        with open(DEBIAN_REDIS_CONF) as f:
            text = f.read()
        replacements = [
            (r"(?m)^daemonize .*$", "daemonize no"),
            (r"(?m)^logfile .*$", 'logfile ""'),
            (r"(?m)^port .*$", "port {port}"),
            (r"(?m)^dir .*$", "dir {tmpdir}"),
            (r"(?m)^pidfile .*$", "pidfile {tmpdir}/redis-server.pid"),
        ]
        for pattern, repl in replacements:
            text, n = re.subn(pattern, repl, text)
            self.assertEqual(n, 1, pattern)
        srv = self.start(config=text, pass_port=False, bind=None)
        c = self.connect(srv)
        c.send(b"PING\r\n")
        c.expect(b"+PONG\r\n")
        self.assertEqual(config_get(c, "port"), str(srv.port))
        self.assertEqual(config_get(c, "client-output-buffer-limit"),
                         "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60")
        sub = self.connect(srv)
        sub.send(encode("SUBSCRIBE", "news"))
        sub.expect(ack("subscribe", "news", 1))
        c.send(encode("PUBLISH", "news", "hello"))
        c.expect(b":1\r\n")
        sub.expect(h.message("news", "hello"))

    def test_sigterm_exits_cleanly(self):
        srv = self.start()
        c = self.connect(srv)
        c.send(encode("SUBSCRIBE", "x"))
        c.expect(ack("subscribe", "x", 1))
        self.assertEqual(srv.stop(), 0, srv.log()[-2000:])
        c.read_until_eof()


class BadConfigTest(ConfigTestCase):

    def test_bad_directive(self):
        status, out = h.run_server_expect_exit(
            config="# comment\nmaxclients 10\nnosuchdirective 1 2\n")
        self.assert_fatal(status, out, 3, "nosuchdirective")
        if h.IS_REDIS:
            self.assertIn("Reading the configuration file, at line 3\n"
                          ">>> 'nosuchdirective 1 2'\n"
                          "Bad directive or wrong number of arguments\n", out)

    def test_bad_value(self):
        status, out = h.run_server_expect_exit(config="timeout 1\nmaxclients abc\n")
        self.assert_fatal(status, out, 2, "maxclients")

    def test_out_of_range_values(self):
        for line in ("port 99999", "proto-max-bulk-len 1000", "timeout -1",
                     "protected-mode maybe", "loglevel bogus",
                     "client-output-buffer-limit pubsub 1mb 512kb",
                     "client-output-buffer-limit master 1mb 512kb 5"):
            with self.subTest(line=line):
                status, out = h.run_server_expect_exit(config="\n" + line + "\n")
                self.assert_fatal(status, out, 2, line.split()[0])

    def test_unbalanced_quotes(self):
        status, out = h.run_server_expect_exit(config='requirepass "unterminated\n')
        self.assert_fatal(status, out, 1, "requirepass")

    def test_bad_command_line_directive(self):
        status, out = h.run_server_expect_exit(args=["--nosuchdirective", "1"])
        self.assert_fatal(status, out, None, "nosuchdirective")
        status, out = h.run_server_expect_exit(args=["--maxclients", "x"])
        self.assert_fatal(status, out, None, "maxclients")

    def test_missing_include(self):
        status, out = h.run_server_expect_exit(config="include /nonexistent/herald-x.conf\n")
        self.assertNotEqual(status, 0, out)
        self.assertIn("/nonexistent/herald-x.conf", out)

    def test_missing_config_file(self):
        status, out = h.run_server_expect_exit(raw_argv=["/nonexistent/herald.conf"])
        self.assertNotEqual(status, 0, out)
        self.assertIn("/nonexistent/herald.conf", out)


class CommandLineTest(unittest.TestCase):

    def test_version(self):
        for flag in ("--version", "-v"):
            with self.subTest(flag=flag):
                status, out = h.run_server_expect_exit(raw_argv=[flag])
                self.assertEqual(status, 0, out)
                self.assertRegex(out, r"\d+\.\d+\.\d+")
                if h.IS_REDIS:
                    self.assertTrue(out.startswith("Redis server v=7.0.15 "), out)

    @h.herald_only("herald-server names itself in --version")
    def test_version_names_herald(self):
        status, out = h.run_server_expect_exit(raw_argv=["--version"])
        self.assertIn("herald", out.lower())

    def test_help(self):
        for flag in ("--help", "-h"):
            with self.subTest(flag=flag):
                status, out = h.run_server_expect_exit(raw_argv=[flag])
                self.assertIn("Usage", out)
                self.assertIn("--port", out)

    def test_help_exit_status(self):
        # redis-server --help exits with status 1, and so does herald, for scripts that check.
        status, out = h.run_server_expect_exit(raw_argv=["--help"])
        self.assertEqual(status, 1, out)


class NetworkDirectivesTest(ConfigTestCase):

    @unittest.skipUnless(socket.has_ipv6 and h.free_port_pair_available("::1"),
                         "no IPv6 loopback")
    def test_bind_ipv4_and_ipv6(self):
        srv = self.start(bind=["127.0.0.1", "::1"])
        c4 = self.connect(srv, host="127.0.0.1")
        c6 = self.connect(srv, host="::1")
        c6.send(encode("SUBSCRIBE", "v6"))
        c6.expect(ack("subscribe", "v6", 1))
        c4.send(encode("PUBLISH", "v6", "x"))
        c4.expect(b":1\r\n")
        c6.expect(h.message("v6", "x"))
        self.assertIn("::1", config_get(c4, "bind"))

    def test_unixsocket_only_client(self):
        srv = self.start(args=["--unixsocket", "herald-test.sock"])
        # A relative path is relative to the working directory (the server's temp dir).
        u = self.connect(srv, unix_path=os.path.join(srv.tmpdir, "herald-test.sock"))
        u.send(b"PING\r\n")
        u.expect(b"+PONG\r\n")
        u.send(encode("CLIENT", "INFO"))
        info = u.read_reply().decode()
        self.assertIn("flags=U", info)


class TimeoutTest(ConfigTestCase):

    def test_idle_clients_closed_but_not_subscribers(self):
        srv = self.start(args=["--timeout", "1"])
        sub = self.connect(srv)
        sub.send(encode("SUBSCRIBE", "keep"))
        sub.expect(ack("subscribe", "keep", 1))
        r3 = self.connect(srv)
        r3.hello3()
        r3.send(encode("SUBSCRIBE", "keep3"))
        r3.expect(ack("subscribe", "keep3", 1, True))
        for _ in range(2):
            idle = self.connect(srv)
            idle.send(b"PING\r\n")
            idle.expect(b"+PONG\r\n")
            # Closed silently after ~1 s of inactivity.
            idle.expect_eof(b"", timeout=20)
        # The subscribers have been idle for longer and are still there.
        admin = self.connect(srv)
        admin.send(encode("PUBSUB", "NUMSUB", "keep", "keep3"))
        admin.expect(b"*4\r\n$4\r\nkeep\r\n:1\r\n$5\r\nkeep3\r\n:1\r\n")
        admin.send(encode("PUBLISH", "keep", "still-here"))
        admin.expect(b":1\r\n")
        sub.expect(h.message("keep", "still-here"))


if __name__ == "__main__":
    unittest.main()

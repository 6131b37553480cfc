"""requirepass / AUTH / HELLO AUTH and protected mode (Redis 7.0.15 texts, byte for byte).

Run: HERALD_TEST_TARGET=redis /usr/bin/python3 -m unittest -v resp.test_auth   (see harness.py)
"""

import unittest

import harness as h
from harness import ack, encode

NOAUTH = b"-NOAUTH Authentication required.\r\n"
WRONGPASS = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
HELLO_NOAUTH = (b"-NOAUTH HELLO must be called with the client already authenticated, otherwise "
                b"the HELLO AUTH <user> <pass> option can be used to authenticate the client and "
                b"select the RESP protocol version at the same time\r\n")

# Redis 7.0.15 sends this on accept to a non-loopback peer when protected mode applies
# (protected-mode yes and no password for the default user), whatever `bind` says, then
# closes the connection.
DENIED = (
    b"-DENIED Redis is running in protected mode because protected mode is enabled and no "
    b"password is set for the default user. In this mode connections are only accepted from "
    b"the loopback interface. If you want to connect from external computers to Redis you may "
    b"adopt one of the following solutions: 1) Just disable protected mode sending the command "
    b"'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from "
    b"the same host the server is running, however MAKE SURE Redis is not publicly accessible "
    b"from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) "
    b"Alternatively you can just disable the protected mode by editing the Redis configuration "
    b"file, and setting the protected mode option to 'no', and then restarting the server. 3) "
    b"If you started the server manually just for testing, restart it with the "
    b"'--protected-mode no' option. 4) Setup a an authentication password for the default "
    b"user. NOTE: You only need to do one of the above things in order for the server to start "
    b"accepting connections from the outside.\r\n")


class RequirepassTest(h.ServerTestCase):
    server_args = ["--requirepass", "s3cret"]

    def test_commands_need_auth(self):
        c = self.connect()
        for request in (b"PING\r\n", encode("SUBSCRIBE", "x"), encode("PSUBSCRIBE", "x*"),
                        encode("SSUBSCRIBE", "x"), encode("PUBLISH", "x", "y"),
                        encode("ECHO", "e"), encode("CLIENT", "ID"),
                        encode("PUBSUB", "NUMSUB", "x"), encode("SELECT", "1"),
                        encode("CONFIG", "GET", "maxclients"), encode("INFO")):
            c.send(request)
            c.expect(NOAUTH, msg=repr(request))
        # Unknown commands and arity errors are reported before authentication.
        c.send(b"nosuch\r\n")
        c.expect(b"-ERR unknown command 'nosuch', with args beginning with: \r\n")
        c.send(b"AUTH\r\n")
        c.expect(b"-ERR wrong number of arguments for 'auth' command\r\n")

    def test_auth(self):
        c = self.connect()
        c.send(b"AUTH wrong\r\nAUTH default wrong\r\nAUTH nouser s3cret\r\n")
        c.expect(WRONGPASS * 3)
        c.send(b"PING\r\n")
        c.expect(NOAUTH)
        c.send(b"AUTH s3cret\r\nPING\r\n")
        c.expect(b"+OK\r\n+PONG\r\n")
        c2 = self.connect()
        c2.send(b"AUTH default s3cret\r\nPING\r\n")
        c2.expect(b"+OK\r\n+PONG\r\n")
        # A later wrong AUTH does not log an authenticated client out.
        c2.send(b"AUTH wrong\r\nPING\r\n")
        c2.expect(WRONGPASS + b"+PONG\r\n")

    def test_hello_needs_auth(self):
        c = self.connect()
        for request in (b"HELLO\r\n", b"HELLO 3\r\n", b"HELLO 3 SETNAME x\r\n"):
            c.send(request)
            c.expect(HELLO_NOAUTH, msg=repr(request))

    def test_hello_auth(self):
        c = self.connect()
        c.send(b"HELLO 3 AUTH default wrong\r\n")
        c.expect(WRONGPASS)
        c.send(b"PING\r\n")
        c.expect(NOAUTH)
        c.send(b"HELLO 3 AUTH default s3cret\r\n")
        self.assertEqual(h.mask_hello_id(c.read_raw_reply()), h.HELLO_RESP3_MASKED)
        c.send(b"PING\r\n")
        c.expect(b"+PONG\r\n")
        c2 = self.connect()
        c2.send(b"HELLO 2 AUTH default s3cret SETNAME nm\r\n")
        self.assertEqual(h.mask_hello_id(c2.read_raw_reply()), h.HELLO_RESP2_MASKED)
        c2.send(b"CLIENT GETNAME\r\n")
        c2.expect(b"$2\r\nnm\r\n")
        c3 = self.connect()
        c3.send(b"HELLO 3 AUTH default\r\n")
        c3.expect(b"-ERR Syntax error in HELLO option 'AUTH'\r\n")

    def test_quit_and_reset_without_auth(self):
        c = self.connect()
        c.send(b"RESET\r\n")
        c.expect(b"+RESET\r\n")
        c.send(b"QUIT\r\n")
        c.expect_eof(b"+OK\r\n")

    def test_reset_logs_out(self):
        c = self.connect()
        c.send(b"AUTH s3cret\r\nPING\r\nRESET\r\nPING\r\n")
        c.expect(b"+OK\r\n+PONG\r\n+RESET\r\n" + NOAUTH)

    def test_pubsub_after_auth(self):
        sub, pub = self.connect(), self.connect()
        sub.send(b"AUTH s3cret\r\n" + encode("SUBSCRIBE", "a"))
        sub.expect(b"+OK\r\n" + ack("subscribe", "a", 1))
        pub.send(encode("PUBLISH", "a", "x"))
        pub.expect(NOAUTH)
        pub.send(b"AUTH s3cret\r\n" + encode("PUBLISH", "a", "x"))
        pub.expect(b"+OK\r\n:1\r\n")
        sub.expect(h.message("a", "x"))

    def test_unauthenticated_multibulk_length(self):
        c = self.connect()
        c.send(b"*11\r\n")
        c.expect_eof(b"-ERR Protocol error: unauthenticated multibulk length\r\n")
        # 10 arguments are still allowed.
        c = self.connect()
        c.send(encode("AUTH", *["x"] * 9))
        c.expect(b"-ERR syntax error\r\n")

    def test_unauthenticated_bulk_length(self):
        c = self.connect()
        c.send(b"*2\r\n$4\r\nAUTH\r\n$16385\r\n")
        c.expect_eof(b"-ERR Protocol error: unauthenticated bulk length\r\n")
        c = self.connect()
        c.send(b"*2\r\n$4\r\nAUTH\r\n$16384\r\n" + b"x" * 16384 + b"\r\n")
        c.expect(WRONGPASS)

    def test_authenticated_clients_have_no_such_limits(self):
        c = self.connect()
        c.send(b"AUTH s3cret\r\n")
        c.expect(b"+OK\r\n")
        c.send(encode("PUBLISH", "big", "x" * 100000))
        c.expect(b":0\r\n")
        c.send(encode("PUBSUB", "NUMSUB", *["c%d" % i for i in range(20)]))
        self.assertEqual(len(c.read_reply()), 40)

    def test_config_get_requirepass(self):
        c = self.connect()
        c.send(b"AUTH s3cret\r\n")
        c.expect(b"+OK\r\n")
        c.send(encode("CONFIG", "GET", "requirepass"))
        c.expect(b"*2\r\n$11\r\nrequirepass\r\n$6\r\ns3cret\r\n")


class NoPasswordTest(h.ServerTestCase):

    def test_auth_without_password_configured(self):
        c = self.connect()
        c.send(b"AUTH secret\r\n")
        c.expect(b"-ERR AUTH <password> called without any password configured for the default "
                 b"user. Are you sure your configuration is correct?\r\n")
        c.send(b"PING\r\n")
        c.expect(b"+PONG\r\n")

    def test_config_set_requirepass(self):
        admin = self.connect()
        admin.send(encode("CONFIG", "SET", "requirepass", "later"))
        admin.expect(b"+OK\r\n")
        try:
            # The connection that was authenticated (implicitly) stays usable ...
            admin.send(b"PING\r\n")
            admin.expect(b"+PONG\r\n")
            # ... new connections must authenticate.
            c = self.connect()
            c.send(b"PING\r\nAUTH later\r\nPING\r\n")
            c.expect(NOAUTH + b"+OK\r\n+PONG\r\n")
        finally:
            admin.send(encode("CONFIG", "SET", "requirepass", ""))
            admin.expect(b"+OK\r\n")
        c = self.connect()
        c.send(b"PING\r\n")
        c.expect(b"+PONG\r\n")


SECOND_LOOPBACK = "127.0.0.2"


@unittest.skipUnless(h.free_port_pair_available(SECOND_LOOPBACK),
                     "cannot bind a socket to 127.0.0.2 on this host")
class ProtectedModeTest(h.ServerTestCase):
    """Protected mode: the server listens on 127.0.0.1 and 127.0.0.2; a client whose peer
    address is 127.0.0.2 is not 'loopback' for Redis (only 127.0.0.1 and ::1 are)."""

    server_bind = ("127.0.0.1", SECOND_LOOPBACK)

    def test_denied_from_non_loopback_address(self):
        for dest in ("127.0.0.1", SECOND_LOOPBACK):
            with self.subTest(dest=dest):
                # The error comes on accept, without a request; then the server closes.
                c = self.connect(host=dest, source=SECOND_LOOPBACK)
                c.expect_eof(DENIED)

    def test_loopback_clients_are_served(self):
        for dest in ("127.0.0.1", SECOND_LOOPBACK):
            with self.subTest(dest=dest):
                c = self.connect(host=dest, source="127.0.0.1")
                c.send(b"PING\r\n")
                c.expect(b"+PONG\r\n")

    def test_config_get_protected_mode(self):
        c = self.connect()
        c.send(encode("CONFIG", "GET", "protected-mode"))
        c.expect(b"*2\r\n$14\r\nprotected-mode\r\n$3\r\nyes\r\n")


@unittest.skipUnless(h.free_port_pair_available(SECOND_LOOPBACK),
                     "cannot bind a socket to 127.0.0.2 on this host")
class ProtectedModeVariantsTest(unittest.TestCase):

    def test_protected_mode_no(self):
        with h.Server(args=["--protected-mode", "no"], bind=["127.0.0.1", SECOND_LOOPBACK]) as s:
            c = s.connect(source=SECOND_LOOPBACK)
            self.addCleanup(c.close)
            c.send(b"PING\r\n")
            c.expect(b"+PONG\r\n")

    def test_password_lifts_protected_mode(self):
        with h.Server(args=["--requirepass", "pw"], bind=["127.0.0.1", SECOND_LOOPBACK]) as s:
            c = s.connect(source=SECOND_LOOPBACK)
            self.addCleanup(c.close)
            c.send(b"PING\r\n")
            c.expect(NOAUTH)
            c.send(b"AUTH pw\r\nPING\r\n")
            c.expect(b"+OK\r\n+PONG\r\n")

    def test_config_set_protected_mode_no(self):
        with h.Server(bind=["127.0.0.1", SECOND_LOOPBACK]) as s:
            admin = s.connect()
            self.addCleanup(admin.close)
            c = s.connect(source=SECOND_LOOPBACK)
            self.addCleanup(c.close)
            c.expect_eof(DENIED)
            admin.send(encode("CONFIG", "SET", "protected-mode", "no"))
            admin.expect(b"+OK\r\n")
            c = s.connect(source=SECOND_LOOPBACK)
            self.addCleanup(c.close)
            c.send(b"PING\r\n")
            c.expect(b"+PONG\r\n")


if __name__ == "__main__":
    unittest.main()

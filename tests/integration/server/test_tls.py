"""TLS on every socket: RESP's tls-port, TLS replication both ways with a real redis-server, and
the gateway's https/wss port.

The certificates come from tls_certs.py: a test CA, a server certificate for localhost and
127.0.0.1, a client certificate from the same CA and one from another CA that must be refused.

The RESP tests run against herald, and with HERALD_TEST_TARGET=redis against Debian's
redis-server (built with TLS), which shows the expectations are Redis's own; the herald-only
counters (INFO's tls_handshake_*) are checked on herald only.
"""

import os
import ssl
import subprocess
import unittest

import harness as h
from harness import encode

import tls_certs

HAVE_OPENSSL = tls_certs.AVAILABLE
HAVE_CLI = os.access(h.REDIS_CLI, os.X_OK)
cert = tls_certs.path
tls_args = tls_certs.server_args
client_context = tls_certs.client_context


def tls_conn(port, ctx=None):
    """A harness.Conn over TLS: the same byte-exact reading, through an ssl socket."""
    return h.Conn(port=port, ssl_context=ctx or client_context())


def free_port():
    return h.pick_port()


def stat(conn, field):
    return int(h.info_fields(conn, "stats").get(field, "0"))


@unittest.skipUnless(HAVE_OPENSSL, "needs the openssl command")
class TlsTestCase(unittest.TestCase):
    def start(self, *args, server_class=h.Server, config=None):
        """A server with a plain port (for the harness and admin) and a TLS port."""
        tls_port = free_port()
        server = server_class(args=tls_args(tls_port) + list(args), config=config)
        server.start()
        self.addCleanup(server.stop)
        server.tls_port = tls_port
        server.admin = server.connect()
        self.addCleanup(server.admin.close)
        return server

    def conn(self, server, ctx=None):
        c = tls_conn(server.tls_port, ctx)
        self.addCleanup(c.close)
        return c


class RespTlsTest(TlsTestCase):
    def test_ping_subscribe_publish_over_tls_with_client_certificate(self):
        s = self.start()
        c = self.conn(s)
        c.send(encode("PING"))
        c.expect(b"+PONG\r\n")
        sub = self.conn(s)
        sub.send(encode("SUBSCRIBE", "news"))
        sub.expect(h.ack("subscribe", "news", 1))
        # Published on the plain port and on the TLS port, received over TLS.
        self.assertEqual(s.admin.cmd("PUBLISH", "news", "plain"), 1)
        c.send(encode("PUBLISH", "news", "secure"))
        c.expect(b":1\r\n")
        sub.expect(h.message("news", "plain") + h.message("news", "secure"))

    def test_many_and_large_messages_arrive_intact_and_in_order(self):
        s = self.start()
        subs = [self.conn(s) for _ in range(3)]
        for sub in subs:
            sub.send(encode("SUBSCRIBE", "bulk"))
            sub.expect(h.ack("subscribe", "bulk", 1))
        big = os.urandom(3 << 20).hex()  # 6 MB: many records, writes that fill the socket
        payloads = [f"m{i}-" + "x" * (i % 300) for i in range(3000)] + [big, "last"]
        s.admin.send(b"".join(encode("PUBLISH", "bulk", p) for p in payloads))
        for _ in payloads:
            self.assertEqual(s.admin.read_reply(), 3)
        expected = b"".join(h.message("bulk", p) for p in payloads)
        for sub in subs:
            self.assertEqual(sub.read_exact(len(expected), timeout=60), expected)

    def test_client_without_certificate_is_refused(self):
        s = self.start()
        before = stat(s.admin, "tls_handshake_errors")
        with self.assertRaises((ssl.SSLError, ConnectionError, OSError)):
            c = tls_conn(s.tls_port, client_context(certificate=None))
            # TLS 1.3: the server's verdict arrives after the client's handshake is done.
            c.send(encode("PING"))
            c.read_exact(1)
        with self.assertRaises((ssl.SSLError, ConnectionError, OSError)):
            c = tls_conn(s.tls_port, client_context(certificate="rogue"))
            c.send(encode("PING"))
            c.read_exact(1)
        if not h.IS_REDIS:
            h.wait_until(lambda: stat(s.admin, "tls_handshake_errors") >= before + 2,
                         message="refused handshakes counted")
        # Others are served as before.
        c = self.conn(s)
        c.send(encode("PING"))
        c.expect(b"+PONG\r\n")

    def test_tls_auth_clients_no_and_optional(self):
        s = self.start("--tls-auth-clients", "no")
        c = self.conn(s, client_context(certificate=None))
        c.send(encode("PING"))
        c.expect(b"+PONG\r\n")
        s2 = self.start("--tls-auth-clients", "optional")
        for ctx in (client_context(certificate=None), client_context()):
            c = self.conn(s2, ctx)
            c.send(encode("PING"))
            c.expect(b"+PONG\r\n")
        with self.assertRaises((ssl.SSLError, ConnectionError, OSError)):
            c = tls_conn(s2.tls_port, client_context(certificate="rogue"))
            c.send(encode("PING"))
            c.read_exact(1)

    def test_garbage_and_plaintext_on_the_tls_port_are_dropped(self):
        s = self.start()
        before = stat(s.admin, "tls_handshake_errors")
        for junk in (encode("PING"), b"\x16\x03\x01\x00\x05hello", os.urandom(4096)):
            raw = h.Conn(port=s.tls_port)
            self.addCleanup(raw.close)
            raw.send(junk)
            data = raw.read_until_eof()
            # At most a TLS alert record (content type 21), never a RESP reply.
            self.assertTrue(data == b"" or data[:1] == b"\x15", data)
        if not h.IS_REDIS:
            self.assertEqual(stat(s.admin, "tls_handshake_errors"), before + 3)
        c = self.conn(s)
        c.send(encode("PING"))
        c.expect(b"+PONG\r\n")

    @h.herald_only("tls-handshake-timeout is herald's own (Redis has none)")
    def test_stalled_handshake_is_dropped_and_counted(self):
        s = self.start("--tls-handshake-timeout", "1")
        stalled = [h.Conn(port=s.tls_port) for _ in range(5)]
        half = h.Conn(port=s.tls_port)
        half.send(b"\x16\x03\x01\x02\x00\x01")  # the start of a ClientHello, then nothing
        for c in stalled + [half]:
            self.addCleanup(c.close)
        # Meanwhile a real client is served at once.
        c = self.conn(s)
        c.send(encode("PING"))
        c.expect(b"+PONG\r\n")
        for raw in stalled + [half]:
            self.assertEqual(raw.read_until_eof(), b"")
        self.assertEqual(stat(s.admin, "tls_handshake_timeouts"), 6)

    def test_tls_protocols_restricts_versions(self):
        s = self.start("--tls-protocols", "TLSv1.3")
        c = self.conn(s)
        self.assertEqual(c.sock.version(), "TLSv1.3")
        with self.assertRaises((ssl.SSLError, ConnectionError, OSError)):
            tls_conn(s.tls_port, client_context(maximum_version=ssl.TLSVersion.TLSv1_2))
        s2 = self.start("--tls-protocols", "TLSv1.2", "--tls-ciphers", "ECDHE-RSA-AES128-GCM-SHA256")
        c = self.conn(s2)
        self.assertEqual(c.sock.version(), "TLSv1.2")
        self.assertEqual(c.sock.cipher()[0], "ECDHE-RSA-AES128-GCM-SHA256")

    def test_quit_over_tls_ends_cleanly(self):
        s = self.start()
        c = self.conn(s)
        c.send(encode("QUIT"))
        c.expect(b"+OK\r\n")
        self.assertEqual(c.read_until_eof(), b"")

    def test_config_set_tls_port_and_files(self):
        s = self.start()
        new_port = free_port()
        self.assertEqual(s.admin.cmd("CONFIG", "SET", "tls-port", str(new_port)), b"OK")
        self.assertEqual(s.admin.cmd("CONFIG", "GET", "tls-port"), [b"tls-port", str(new_port).encode()])
        c = tls_conn(new_port)
        self.addCleanup(c.close)
        c.send(encode("PING"))
        c.expect(b"+PONG\r\n")
        reply = s.admin.cmd("CONFIG", "SET", "tls-cert-file", cert("not-a-cert.pem"))
        self.assertEqual(reply, h.RespError(
            "ERR CONFIG SET failed (possibly related to argument 'tls-cert-file') - Unable to "
            "update TLS configuration. Check server logs."))
        # The old settings stay.
        self.assertEqual(s.admin.cmd("CONFIG", "GET", "tls-cert-file"),
                         [b"tls-cert-file", cert("server.crt").encode()])
        c = tls_conn(new_port)
        self.addCleanup(c.close)
        c.send(encode("PING"))
        c.expect(b"+PONG\r\n")

    def test_bad_certificate_files_refuse_to_start(self):
        for args, words in (
                (["--tls-port", "0", "--tls-replication", "yes"], "tls-cert-file"),
                (tls_args(free_port())[:4], "tls-key-file"),
                (tls_args(free_port(), "--tls-cert-file", cert("not-a-cert.pem")), "certificate"),
                (tls_args(free_port(), "--tls-key-file", cert("client.key")), "key"),
                (tls_args(free_port(), "--tls-protocols", "TLSv9"), "tls-protocols")):
            status, out = h.run_server_expect_exit(args=args)
            self.assertNotEqual(status, 0, out)
            self.assertIn("Failed to configure TLS", out)
            self.assertIn(words, out)

    @unittest.skipUnless(HAVE_CLI, "needs redis-cli")
    def test_redis_cli_tls(self):
        s = self.start()
        base = [h.REDIS_CLI, "-p", str(s.tls_port), "--tls", "--cacert", cert("ca.crt"),
                "--cert", cert("client.crt"), "--key", cert("client.key")]
        out = subprocess.run(base + ["PING"], capture_output=True, timeout=30)
        self.assertEqual(out.stdout, b"PONG\n", out)
        with h.started_process(base + ["SUBSCRIBE", "cli"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT) as cli:
            h.wait_numsub(s.admin, "cli", 1)
            out = subprocess.run(base + ["PUBLISH", "cli", "over-tls"], capture_output=True,
                                 timeout=30)
            self.assertEqual(out.stdout, b"1\n", out)
            got = b""
            while b"over-tls\n" not in got:
                chunk = os.read(cli.stdout.fileno(), 4096)
                self.assertTrue(chunk, got)
                got += chunk
            self.assertEqual(got, b"subscribe\ncli\n1\nmessage\ncli\nover-tls\n")

    def test_redis_py_ssl(self):
        import redis
        s = self.start()
        client = redis.Redis(host="127.0.0.1", port=s.tls_port, ssl=True,
                             ssl_ca_certs=cert("ca.crt"), ssl_certfile=cert("client.crt"),
                             ssl_keyfile=cert("client.key"))
        self.addCleanup(client.close)
        self.assertTrue(client.ping())
        pubsub = client.pubsub()
        self.addCleanup(pubsub.close)
        pubsub.subscribe("py")
        self.assertEqual(pubsub.get_message(timeout=10)["type"], "subscribe")
        self.assertEqual(client.publish("py", "hello"), 1)
        message = None
        for _ in range(100):
            message = pubsub.get_message(timeout=10)
            if message:
                break
        self.assertEqual(message["data"], b"hello")


class ReplicationTlsTest(TlsTestCase):
    """A chain over TLS: master -> replica with tls-replication, both ways with redis-server."""

    def chain(self, master_class, replica_class):
        m = self.start(server_class=master_class)
        r = self.start("--tls-replication", "yes", "--replicaof", "127.0.0.1", str(m.tls_port),
                       server_class=replica_class)
        h.wait_until(lambda: h.info_fields(r.admin, "replication").get("master_link_status")
                     == "up", message="link up over TLS")
        sub = r.connect()
        self.addCleanup(sub.close)
        sub.send(encode("SUBSCRIBE", "relay"))
        sub.expect(h.ack("subscribe", "relay", 1))
        messages = [f"r{i}" for i in range(200)] + ["y" * 200000]
        m.admin.send(b"".join(encode("PUBLISH", "relay", p) for p in messages))
        for _ in messages:
            m.admin.read_reply()
        expected = b"".join(h.message("relay", p) for p in messages)
        self.assertEqual(sub.read_exact(len(expected), timeout=30), expected)
        # The master sees its replica at the replica's TLS port (what Redis announces).
        fields = h.info_fields(m.admin, "replication")
        self.assertIn(f"port={r.tls_port},", fields["slave0"])
        return m, r

    def test_chain_of_the_target(self):
        self.chain(h.Server, h.Server)

    @h.herald_only("pairs herald with a real redis-server")
    def test_herald_replica_of_redis_over_tls(self):
        from replication.test_replication import RedisServer
        self.chain(RedisServer, h.Server)

    @h.herald_only("pairs herald with a real redis-server")
    def test_redis_replica_of_herald_over_tls(self):
        from replication.test_replication import RedisServer
        self.chain(h.Server, RedisServer)

    @h.herald_only("replica-publish is herald's own")
    def test_forwarded_publishes_go_up_over_tls(self):
        m, r = self.chain(h.Server, h.Server)
        self.assertEqual(r.admin.cmd("CONFIG", "SET", "replica-publish", "forward"),
                         h.Status(b"OK"))
        sub = m.connect()
        self.addCleanup(sub.close)
        sub.send(encode("SUBSCRIBE", "up"))
        sub.expect(h.ack("subscribe", "up", 1))
        self.assertEqual(r.admin.cmd("PUBLISH", "up", "from the replica"), 1)
        self.assertEqual(sub.read_reply(), [b"message", b"up", b"from the replica"])
        # The forward connection is a TLS client of the master's TLS port.
        line = [x for x in m.admin.cmd("CLIENT", "LIST").decode().splitlines()
                if "name=herald-forward" in x]
        self.assertEqual(len(line), 1, line)
        self.assertIn(f" laddr=127.0.0.1:{m.tls_port} ", line[0])

    @h.herald_only("counts herald's own handshake errors")
    def test_replica_refuses_a_master_with_an_unknown_certificate(self):
        m = self.start("--tls-cert-file", cert("rogue.crt"), "--tls-key-file", cert("rogue.key"),
                       "--tls-auth-clients", "no")
        r = self.start("--tls-replication", "yes", "--replicaof", "127.0.0.1", str(m.tls_port))
        h.wait_until(lambda: stat(r.admin, "tls_handshake_errors") >= 1,
                     message="the replica refused the master's certificate")
        self.assertEqual(h.info_fields(r.admin, "replication")["master_link_status"], "down")


if __name__ == "__main__":
    unittest.main()

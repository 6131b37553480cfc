"""The gateway over TLS (gateway-tls-port): https and wss with the tls-* certificates, driven by
the real curl and by raw TLS sockets. The test CA and certificates come from tls_certs.py.
"""

import json
import shutil
import ssl
import subprocess
import unittest

import harness
import tls_certs
from gateway.test_gateway import Http, WebSocket
from harness import Server, herald_only, wait_until

CURL = shutil.which("curl")


def start_tls_gateway(*args):
    """A herald with a plain gateway port and a TLS one, retried if a port was taken."""
    last = None
    for _ in range(4):
        gport, tport = harness.pick_port(), harness.pick_port()
        server = Server(args=["--gateway-port", str(gport), "--gateway-tls-port", str(tport),
                              "--tls-cert-file", tls_certs.path("server.crt"),
                              "--tls-key-file", tls_certs.path("server.key"), *args])
        try:
            server.start()
            conn = Http(tport, ssl_context=tls_certs.client_context(certificate=None))
            status, _, _ = conn.request("GET", "/healthz")
            conn.close()
            if status == 200:
                server.gport, server.tport = gport, tport
                return server
        except (OSError, harness.ConnectionClosed, harness.ServerStartError) as e:
            last = e
        server.stop()
    raise AssertionError(f"TLS gateway did not come up: {last!r}")


@unittest.skipUnless(tls_certs.AVAILABLE, "needs the openssl command")
@herald_only("the HTTP gateway is herald's own")
class GatewayTlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = start_tls_gateway()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def ctx(self):
        # Browsers carry no client certificate: gateway-tls-auth-clients is "no" by default.
        return tls_certs.client_context(certificate=None)

    def resp(self):
        conn = self.server.connect()
        self.addCleanup(conn.close)
        return conn

    def wait_numsub(self, channel, n):
        conn = self.resp()
        wait_until(lambda: conn.cmd("PUBSUB", "NUMSUB", channel)[1] == n,
                   message=f"{n} subscribers on {channel}")

    def test_wss_subscribe_and_publish(self):
        ws = WebSocket(self.server.tport, "/ws/secure", ssl_context=self.ctx())
        self.addCleanup(ws.close)
        self.assertEqual(ws.status, 101)
        self.wait_numsub("secure", 1)
        self.assertEqual(self.resp().cmd("PUBLISH", "secure", "over wss"), 1)
        self.assertEqual(ws.recv_data(), (0x1, b"over wss"))
        big = b"z" * 300000
        ws.send_frame(0x2, big)
        self.assertEqual(ws.recv_data(), (0x2, big))

    def test_same_origin_means_the_https_origin(self):
        port = self.server.tport
        ok = WebSocket(port, "/ws", headers=[f"Origin: https://localhost"], ssl_context=self.ctx())
        self.addCleanup(ok.close)
        self.assertEqual(ok.status, 101)
        # The http:// origin of the same host is another origin.
        refused = WebSocket(port, "/ws", headers=["Origin: http://localhost"],
                            ssl_context=self.ctx())
        self.addCleanup(refused.close)
        self.assertEqual(refused.status, 403)
        # And on the plain port, the https:// page is not its origin either.
        plain = WebSocket(self.server.gport, "/ws", headers=["Origin: https://localhost"])
        self.addCleanup(plain.close)
        self.assertEqual(plain.status, 403)

    def test_plain_http_on_the_tls_port_is_dropped_and_counted(self):
        before = int(harness.info_fields(self.resp(), "stats")["tls_handshake_errors"])
        raw = harness.ByteStream(self.server.tport)
        self.addCleanup(raw.close)
        raw.send(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        data = raw.read_until_eof()
        self.assertFalse(data.startswith(b"HTTP/"), data)
        wait_until(lambda: int(harness.info_fields(self.resp(), "stats")["tls_handshake_errors"])
                   == before + 1, message="the refused handshake counted")

    def test_a_client_certificate_is_not_needed_but_an_untrusted_server_is_refused(self):
        with self.assertRaises(ssl.SSLCertVerificationError):
            Http(self.server.tport, ssl_context=tls_certs.client_context(certificate=None,
                                                                         ca="rogue-ca.crt"))

    @unittest.skipUnless(CURL, "needs curl")
    def test_curl_https_publish_and_sse(self):
        base = f"https://localhost:{self.server.tport}"
        ca = ["--cacert", tls_certs.path("ca.crt")]
        out = subprocess.run([CURL, "-sS", *ca, f"{base}/healthz"], capture_output=True,
                             timeout=60)
        self.assertEqual(out.returncode, 0, out)
        sse = subprocess.Popen([CURL, "-sS", "-N", "--max-time", "60", *ca, f"{base}/sse/tls"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(sse.wait)
        self.addCleanup(sse.kill)
        self.wait_numsub("tls", 1)
        out = subprocess.run([CURL, "-sS", *ca, "-X", "POST", "--data-binary", "hello https",
                              f"{base}/publish/tls"], capture_output=True, timeout=60)
        self.assertEqual(json.loads(out.stdout)["receivers"], 1, out)
        lines = []
        while b"data: hello https" not in lines:
            line = sse.stdout.readline()
            self.assertTrue(line, lines)
            lines.append(line.rstrip(b"\n"))
        # Without the CA, curl refuses the server.
        out = subprocess.run([CURL, "-sS", f"{base}/healthz"], capture_output=True, timeout=60)
        self.assertNotEqual(out.returncode, 0)


if __name__ == "__main__":
    unittest.main()

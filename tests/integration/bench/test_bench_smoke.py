"""Smoke run of herald-benchmark against the server under test, so the tool never rots.

No timing assertions: each scenario runs for a bounded number of messages and must exit 0
(which herald-benchmark only does when no message was lost, duplicated or reordered) and print
one JSON result line with the counters it promises. Besides the server under test: a
replication chain (a master and a replica of the target's kind, subscribers on the replica)
and, for Herald, WebSocket and SSE subscribers on the HTTP gateway. Over TLS (`--tls`): a
server with a tls-port and the test CA of tls_certs.py, on herald and, with
HERALD_TEST_TARGET=redis, on Debian's redis-server (built with TLS).
"""

import base64
import hashlib
import http.client
import json
import os
import socket
import struct
import subprocess
import threading
import unittest
import urllib.parse

import harness as h
import tls_certs

BENCHMARK = os.environ.get("HERALD_BENCHMARK")


class BenchmarkRunner:
    """Runs the tool and checks its result line (a mixin for unittest.TestCase)."""

    def run_tool(self, *args):
        """Runs herald-benchmark with `args`; asserts exit 0 and one JSON line, returned."""
        argv = [BENCHMARK, *args, "--quiet"]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        self.assertEqual(proc.returncode, 0, f"{argv}\nstdout: {proc.stdout}\nstderr: {proc.stderr}")
        lines = [line for line in proc.stdout.splitlines() if line.strip()]
        self.assertEqual(len(lines), 1, proc.stdout)
        return json.loads(lines[0])

    def assert_complete(self, result):
        """ok, and every expected delivery arrived exactly once."""
        metrics = result["metrics"]
        self.assertTrue(result["ok"], result)
        self.assertGreater(metrics["expected_deliveries"], 0, result)
        self.assertEqual(metrics["received"], metrics["expected_deliveries"], result)
        self.assertEqual(metrics["lost"], 0, result)


@unittest.skipUnless(BENCHMARK, "HERALD_BENCHMARK is not set (ctest sets it)")
class BenchmarkSmokeTest(BenchmarkRunner, h.ServerTestCase):

    def run_scenario(self, *args):
        return self.run_tool(*args, "--port", str(self.server.port), "--server-pid",
                             str(self.server.pid))

    def test_publish(self):
        result = self.run_scenario("publish", "--publishers", "2", "--pipeline", "8",
                                   "--messages", "2000")
        self.assertEqual(result["scenario"], "publish")
        self.assertIn("metrics", result)

    def test_fanout_channels_patterns_and_resp3(self):
        for mode, resp in (("channel", "2"), ("pattern", "3"), ("shard", "2")):
            with self.subTest(mode=mode, resp=resp):
                result = self.run_scenario("fanout", "--subscribers", "20", "--mode", mode,
                                           "--resp", resp, "--messages", "500")
                self.assertEqual(result["scenario"], "fanout")
                self.assertEqual(result["metrics"]["lost"], 0)

    def test_latency(self):
        result = self.run_scenario("latency", "--subscribers", "5", "--rate", "2000",
                                   "--messages", "1000")
        self.assertEqual(result["scenario"], "latency")
        cdf = result["metrics"]["latency_cdf"]
        self.assertEqual([p for p, _ in cdf], [0, 1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95,
                                               98, 99, 99.5, 99.9, 99.99, 100])
        self.assertEqual([us for _, us in cdf], sorted(us for _, us in cdf))

    # A chain: publishers on a master, subscribers on its replica (started together, so the
    # tool's setup has to wait for the replica's link by itself).

    def start_chain(self):
        master = h.Server().start()
        self.addCleanup(master.stop)
        replica = h.Server(args=["--replicaof", "127.0.0.1", str(master.port)]).start()
        self.addCleanup(replica.stop)
        return master, replica

    def test_chain_fanout(self):
        master, replica = self.start_chain()
        result = self.run_tool("fanout", "--port", str(master.port), "--sub-port",
                               str(replica.port), "--subscribers", "20", "--channels", "2",
                               "--publishers", "2", "--messages", "1000")
        self.assert_complete(result)
        self.assertEqual(result["params"]["sub_host"], "127.0.0.1")
        self.assertEqual(result["params"]["sub_ports"], [replica.port])
        self.assertIn("probe_s", result["metrics"])

    def test_chain_latency_by_port(self):
        master, replica = self.start_chain()
        result = self.run_tool("latency", "--port", str(master.port), "--sub-port",
                               f"{replica.port},{master.port}", "--subscribers", "6",
                               "--rate", "2000", "--messages", "1000")
        self.assert_complete(result)
        self.assertEqual(result["params"]["sub_ports"], [replica.port, master.port])
        by_port = result["metrics"]["latency_by_port"]
        self.assertEqual(sorted(by_port), sorted([str(replica.port), str(master.port)]))
        for figures in by_port.values():
            self.assertGreater(figures["samples"], 0)
            self.assertLessEqual(figures["p50_us"], figures["p99_us"])


    def test_sub_host_per_port(self):
        # A replica on another loopback address: each --sub-port gets its own --sub-host.
        master = h.Server().start()
        self.addCleanup(master.stop)
        replica = h.Server(args=["--replicaof", "127.0.0.1", str(master.port)],
                           bind=("127.0.0.2",)).start()
        self.addCleanup(replica.stop)
        result = self.run_tool("latency", "--port", str(master.port), "--sub-host",
                               "127.0.0.2,127.0.0.1", "--sub-port",
                               f"{replica.port},{master.port}", "--subscribers", "4",
                               "--rate", "2000", "--messages", "500")
        self.assert_complete(result)
        by_port = result["metrics"]["latency_by_port"]
        self.assertEqual(sorted(by_port), sorted([str(replica.port), str(master.port)]))
        for figures in by_port.values():
            self.assertGreater(figures["samples"], 0)
        # Two hosts for three ports: refused, naming the rule.
        proc = subprocess.run([BENCHMARK, "latency", "--sub-host", "127.0.0.1,127.0.0.2",
                               "--sub-port", "7001,7002,7003", "--quiet"],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn("one for each subscriber port", proc.stderr)

    def test_tree_tool(self):
        # bench/tree end to end, small: 13 nodes, one short run of each measurement.
        tool = os.path.join(h.REPO_ROOT, "bench", "tree")
        proc = subprocess.run([tool, "--runs", "1", "--duration", "1", "--subscribers", "27",
                               "--rate", "500"], capture_output=True, text=True, timeout=300)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        for row in ("| root (1 node) |", "| middle (3 nodes) |", "| leaves (9 nodes) |",
                    "| through the tree |", "| the same subscribers on one node |"):
            self.assertIn(row, proc.stdout)

@unittest.skipUnless(BENCHMARK, "HERALD_BENCHMARK is not set (ctest sets it)")
@unittest.skipUnless(tls_certs.AVAILABLE, "needs the openssl command")
class BenchmarkTlsSmokeTest(BenchmarkRunner, unittest.TestCase):
    """herald-benchmark --tls against a tls-port: every message arrives, whatever the sizes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # tls-auth-clients is yes by default: the tool must present --cert/--key.
        cls.tls_port = h.pick_port()
        cls.server = h.Server(args=tls_certs.server_args(cls.tls_port)).start()
        cls.addClassCleanup(cls.server.stop)

    def run_tls(self, *args, cert=True):
        ca = ["--tls", "--cacert", tls_certs.path("ca.crt")]
        client = ["--cert", tls_certs.path("client.crt"), "--key",
                  tls_certs.path("client.key")] if cert else []
        return self.run_tool(*args, "--port", str(self.tls_port), *ca, *client,
                             "--server-pid", str(self.server.pid))

    def assert_tls(self, result):
        self.assertIs(result["params"]["tls"], True, result)
        self.assertRegex(result["metrics"]["tls"], r"^TLSv1\.[23] \S+$", result)

    def test_fanout_over_tls_delivers_everything(self):
        for mode, resp in (("channel", "2"), ("pattern", "3"), ("shard", "2")):
            with self.subTest(mode=mode, resp=resp):
                result = self.run_tls("fanout", "--subscribers", "50", "--channels", "2",
                                      "--publishers", "2", "--mode", mode, "--resp", resp,
                                      "--messages", "2000")
                self.assert_complete(result)
                self.assert_tls(result)
                self.assertEqual(result["metrics"]["received"], 2000 * 25)
                self.assertEqual(result["metrics"]["replies"], 2000)

    def test_large_messages_span_tls_records(self):
        # 40 KB payloads: every message spans three TLS records (16 KB each at most) and many
        # socket reads, and a window of 8 keeps several of them in flight per subscriber.
        result = self.run_tls("fanout", "--subscribers", "10", "--payload", "40k", "--window",
                              "8", "--messages", "300")
        self.assert_complete(result)
        self.assertEqual(result["metrics"]["received"], 300 * 10)

    def test_latency_and_publish_over_tls(self):
        result = self.run_tls("latency", "--subscribers", "5", "--rate", "2000", "--messages",
                              "1000")
        self.assert_complete(result)
        self.assert_tls(result)
        self.assertEqual(result["metrics"]["received"], 5000)
        result = self.run_tls("publish", "--publishers", "2", "--pipeline", "8", "--messages",
                              "2000")
        self.assertTrue(result["ok"], result)
        self.assertEqual(result["metrics"]["replies"], 2000)

    def test_refused_without_client_certificate_or_trusted_ca(self):
        def failing(*args):
            argv = [BENCHMARK, "fanout", "--port", str(self.tls_port), "--subscribers", "2",
                    "--messages", "10", "--quiet", "--tls", *args]
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=60)
            self.assertEqual(proc.returncode, 2, proc)
            result = json.loads(proc.stdout.splitlines()[-1])
            self.assertFalse(result["ok"])
            return result["error"]

        # No --cert: the server (tls-auth-clients yes) refuses the connection.
        self.assertIn("certificate", failing("--cacert", tls_certs.path("ca.crt")))
        # No --cacert: the system's CAs do not know the test CA.
        self.assertIn("certificate verify failed", failing(
            "--cert", tls_certs.path("client.crt"), "--key", tls_certs.path("client.key")))


def start_gateway_server(*args):
    """A herald with its HTTP gateway on a free port (retried if the port was taken)."""
    last = None
    for _ in range(4):
        gport = h.pick_port()
        server = h.Server(args=["--gateway-port", str(gport), *args]).start()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", gport, timeout=10)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                server.gport = gport
                return server
        except OSError as e:
            last = e
        server.stop()
    raise AssertionError(f"the gateway did not come up: {last!r}")


@unittest.skipUnless(BENCHMARK, "HERALD_BENCHMARK is not set (ctest sets it)")
@h.herald_only("the HTTP gateway (WebSocket, SSE) is Herald's")
class BenchmarkGatewaySmokeTest(BenchmarkRunner, unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = start_gateway_server()
        cls.addClassCleanup(cls.server.stop)

    def run_gateway(self, scenario, transport, *args):
        return self.run_tool(scenario, "--port", str(self.server.port), "--transport", transport,
                             "--gateway-port", str(self.server.gport), "--server-pid",
                             str(self.server.pid), *args)

    def test_fanout_ws_and_sse(self):
        for transport in ("ws", "sse"):
            for mode in ("channel", "pattern"):
                with self.subTest(transport=transport, mode=mode):
                    result = self.run_gateway("fanout", transport, "--subscribers", "20",
                                              "--channels", "2", "--publishers", "2", "--mode",
                                              mode, "--messages", "1000")
                    self.assert_complete(result)
                    self.assertEqual(result["params"]["transport"], transport)
                    self.assertEqual(result["params"]["gateway_ports"], [self.server.gport])

    def test_latency_ws_and_sse(self):
        for transport in ("ws", "sse"):
            with self.subTest(transport=transport):
                result = self.run_gateway("latency", transport, "--subscribers", "4", "--rate",
                                          "2000", "--messages", "500")
                self.assert_complete(result)

    def test_chain_ws_and_sse_on_replica_gateway(self):
        replica = start_gateway_server("--replicaof", "127.0.0.1", str(self.server.port))
        self.addCleanup(replica.stop)
        for transport in ("ws", "sse"):
            with self.subTest(transport=transport):
                result = self.run_tool("fanout", "--port", str(self.server.port), "--sub-port",
                                       str(replica.port), "--transport", transport,
                                       "--gateway-port", str(replica.gport), "--subscribers",
                                       "10", "--channels", "2", "--messages", "500")
                self.assert_complete(result)
                self.assertEqual(result["params"]["gateway_ports"], [replica.gport])

    def test_connections_ws_and_sse(self):
        for transport in ("ws", "sse"):
            with self.subTest(transport=transport):
                result = self.run_gateway("connections", transport, "--connections", "50",
                                          "--settle", "1")
                self.assert_complete(result)
                self.assertIn("bytes_per_connection", result["metrics"])



# --------------------------------------------------------------------------------------------
# The tool's own WebSocket and SSE readers against a fake gateway that frames every message in
# the awkward ways the protocols allow (Herald's gateway does not): fragmented WebSocket
# messages with pings between the fragments, binary frames, JSON pushes with members in another
# order, escaped characters and string ids; SSE with CRLF and CR line endings, explicit event
# names, comments and odd ids. The fake also answers PUBLISH on a RESP port (with the receiver
# count the tool checks) and counts the pongs it gets back.


class FakeGateway:
    WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    def __init__(self):
        self.lock = threading.Lock()
        self.subscribers = []  # (kind, channel or pattern prefix, Delivery)
        self.pongs_ok = 0
        self.pongs_bad = 0
        self.errors = []
        self.threads = []
        self.sockets = []
        self.stopping = False
        self.resp = self._listen()
        self.gateway = self._listen()
        self.resp_port = self.resp.getsockname()[1]
        self.gateway_port = self.gateway.getsockname()[1]
        for listener, handler in ((self.resp, self._serve_resp),
                                  (self.gateway, self._serve_gateway)):
            self._thread(self._accept_loop, listener, handler)

    def _listen(self):
        for _ in range(20):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                sock.bind(("127.0.0.1", h.pick_port()))
            except OSError:
                sock.close()
                continue
            sock.listen(128)
            return sock
        raise RuntimeError("no free port for the fake gateway")

    def _thread(self, target, *args):
        t = threading.Thread(target=target, args=args, daemon=True)
        t.start()
        self.threads.append(t)

    def _accept_loop(self, listener, handler):
        while not self.stopping:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sockets.append(conn)
            self._thread(self._guard, handler, conn)

    def _guard(self, handler, conn):
        try:
            handler(conn)
        except OSError:
            pass
        except Exception as e:  # reported by the test
            self.errors.append(repr(e))
        finally:
            conn.close()

    def close(self):
        self.stopping = True
        for sock in [self.resp, self.gateway] + self.sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        for t in self.threads:
            t.join(5)

    @staticmethod
    def _recv_until(conn, buf, marker):
        while marker not in buf:
            chunk = conn.recv(65536)
            if not chunk:
                raise OSError("closed")
            buf += chunk
        return buf

    # RESP side: PUBLISH only.
    def _serve_resp(self, conn):
        buf = b""
        while True:
            buf = self._recv_until(conn, buf, b"\r\n")
            args, buf = self._parse_command(conn, buf)
            if args[0].upper() != b"PUBLISH":
                conn.sendall(b"-ERR only PUBLISH here\r\n")
                continue
            receivers = self.publish(args[1].decode(), args[2].decode())
            conn.sendall(b":%d\r\n" % receivers)

    def _parse_command(self, conn, buf):
        buf = self._recv_until(conn, buf, b"\r\n")
        line, buf = buf.split(b"\r\n", 1)
        args = []
        for _ in range(int(line[1:])):
            buf = self._recv_until(conn, buf, b"\r\n")
            line, buf = buf.split(b"\r\n", 1)
            size = int(line[1:])
            while len(buf) < size + 2:
                buf += conn.recv(65536) or b""
            args.append(buf[:size])
            buf = buf[size + 2:]
        return args, buf

    def publish(self, channel, payload):
        with self.lock:
            targets = [(kind, key, d) for kind, key, d in self.subscribers
                       if (kind == "channel" and key == channel)
                       or (kind == "pattern" and channel.startswith(key))]
        for kind, key, delivery in targets:
            delivery(channel, key + "*" if kind == "pattern" else None, payload)
        return len(targets)

    # Gateway side.
    def _serve_gateway(self, conn):
        buf = self._recv_until(conn, b"", b"\r\n\r\n")
        head, rest = buf.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        target = lines[0].split(" ")[1]
        headers = {k.strip().lower(): v.strip() for k, v in
                   (line.split(":", 1) for line in lines[1:])}
        send_lock = threading.Lock()
        counter = [0]

        def send(data):
            with send_lock:
                conn.sendall(data)

        if target.startswith("/ws"):
            key = headers["sec-websocket-key"].encode()
            accept = base64.b64encode(hashlib.sha1(key + self.WS_GUID).digest())
            # Like herald: subscribed by the time the response head is out (the tool publishes
            # as soon as it has it), and no message can overtake the head. So the subscription
            # is added first, under the lock that a delivery must take to send.
            with send_lock:
                if target.startswith("/ws/"):
                    self._add("channel", urllib.parse.unquote(target[4:]),
                              lambda ch, pat, payload: self._ws_deliver(send, counter, payload))
                conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                             b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept +
                             b"\r\n\r\n")
            self._ws_read(conn, rest, send, counter, send_lock)
        else:
            with send_lock:  # subscribed before the head is out, as above
                if target.startswith("/sse/"):
                    self._add("channel", urllib.parse.unquote(target[5:]),
                              lambda ch, pat, payload: self._sse_deliver(send, counter, payload))
                else:
                    query = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query)
                    prefix = query["pattern"][0][:-1]
                    self._add("pattern", prefix, lambda ch, pat, payload: self._sse_deliver(
                        send, counter, self._envelope(ch, pat, payload, counter[0])))
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                             b"Cache-Control: no-cache\r\n\r\nretry: 1000\n: padding\n\n")
            while conn.recv(65536):
                pass

    def _add(self, kind, key, delivery):
        with self.lock:
            self.subscribers.append((kind, key, delivery))

    @staticmethod
    def _frame(opcode, payload, fin=True):
        first = (0x80 if fin else 0) | opcode
        if len(payload) < 126:
            return bytes([first, len(payload)]) + payload
        if len(payload) < 65536:
            return bytes([first, 126]) + struct.pack(">H", len(payload)) + payload
        return bytes([first, 127]) + struct.pack(">Q", len(payload)) + payload

    def _ws_deliver(self, send, counter, payload, opcode=None):
        counter[0] += 1
        n = counter[0]
        data = payload.encode()
        if n % 3 == 0:
            # Three fragments with a ping between the first two.
            third = len(data) // 3
            send(self._frame(opcode or 0x1, data[:third], fin=False))
            send(self._frame(0x9, b"ping-%d" % n))
            send(self._frame(0x0, data[third:2 * third], fin=False))
            send(self._frame(0x0, data[2 * third:]))
        elif n % 3 == 1:
            send(self._frame(opcode or 0x2, data))
        else:
            frame = self._frame(opcode or 0x1, data)
            send(frame[:3])
            send(frame[3:])

    @staticmethod
    def _envelope(channel, pattern, payload, n):
        # Members in another order than Herald's, a string id, and the payload's dots escaped.
        data = json.dumps(payload).replace(".", "\\u002e", 3)
        return ('{"id":"x-%d","pattern":%s,"data":%s,"channel":%s,"type":"pmessage"}'
                % (n, json.dumps(pattern), data, json.dumps(channel)))

    def _ws_read(self, conn, buf, send, counter, send_lock):
        while True:
            while len(buf) < 6:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
            opcode, size = buf[0] & 0x0F, buf[1] & 0x7F
            if not buf[1] & 0x80:
                raise AssertionError("unmasked frame from the client")
            offset = 2
            if size == 126:
                size, offset = struct.unpack(">H", buf[2:4])[0], 4
            while len(buf) < offset + 4 + size:
                buf += conn.recv(65536) or b""
            mask = buf[offset:offset + 4]
            body = bytes(b ^ mask[i % 4] for i, b in enumerate(buf[offset + 4:offset + 4 + size]))
            buf = buf[offset + 4 + size:]
            if opcode == 0xA:
                with self.lock:
                    if body.startswith(b"ping-"):
                        self.pongs_ok += 1
                    else:
                        self.pongs_bad += 1
            elif opcode == 0x1:
                command = json.loads(body)
                assert command[0] == "PSUBSCRIBE", command
                pattern = command[1]
                with send_lock:  # subscribed before the confirmation is out
                    self._add("pattern", pattern[:-1], lambda ch, pat, payload: self._ws_deliver(
                        send, counter, self._envelope(ch, pat, payload, counter[0]), opcode=0x1))
                    conn.sendall(self._frame(0x1, json.dumps({"count": 1, "pattern": pattern,
                                                              "type": "psubscribe"}).encode()))

    def _sse_deliver(self, send, counter, data):
        counter[0] += 1
        n = counter[0]
        if n % 3 == 0:
            # CR line ends. Each subscriber's last event is one of these in the test, so no
            # byte follows its final CR.
            event = f":heartbeat\rid:{n}\rdata:{data}\r\r"
        elif n % 3 == 1:
            event = f"id: a-{n}\r\nevent: message\r\ndata: {data}\r\n\r\n"
        else:
            event = f"id: {n}\ndata: {data}\n\n:\n\n"
        raw = event.encode()
        send(raw[:7])
        send(raw[7:])


class BenchmarkFakeGatewayTest(BenchmarkRunner, unittest.TestCase):

    def setUp(self):
        super().setUp()
        if not BENCHMARK:
            self.skipTest("HERALD_BENCHMARK is not set (ctest sets it)")
        self.fake = FakeGateway()
        self.addCleanup(self.fake.close)

    def test_awkward_framing(self):
        for transport in ("ws", "sse"):
            for mode in ("channel", "pattern"):
                with self.subTest(transport=transport, mode=mode):
                    result = self.run_tool(
                        "fanout", "--port", str(self.fake.resp_port), "--transport", transport,
                        "--gateway-port", str(self.fake.gateway_port), "--subscribers", "4",
                        "--channels", "2", "--mode", mode, "--messages", "300")
                    self.assert_complete(result)
        self.assertEqual(self.fake.errors, [])
        self.assertGreater(self.fake.pongs_ok, 0)
        self.assertEqual(self.fake.pongs_bad, 0)


if __name__ == "__main__":
    unittest.main()

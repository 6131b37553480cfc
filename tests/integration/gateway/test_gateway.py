"""HTTP gateway (gateway/gateway.{h,cc}): routing, limits, timeouts, POST /publish, SSE and
WebSocket, against the real herald-server binary.

Every server gets its own `--gateway-port` (a free port); clients are raw sockets so that the
exact bytes on the wire are checked. Waiting is always bounded (harness.IO_TIMEOUT,
wait_until): no test sleeps and then asserts.
"""

import base64
import json
import os
import shutil
import struct
import subprocess
import unittest

import harness
from harness import Server, herald_only, wait_until


ConnectionClosed = harness.ConnectionClosed


class Http(harness.ByteStream):
    """A raw HTTP/1.1 client connection with a receive buffer."""

    def response(self):
        """One response with a Content-Length body: (status, {lower name: value}, body)."""
        head = self.read_until(b"\r\n\r\n").decode("latin-1")
        lines = head.split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        body = self.read_exact(int(headers.get("content-length", "0")))
        return status, headers, body

    def request(self, method, path, body=b"", headers=()):
        lines = [f"{method} {path} HTTP/1.1", "Host: localhost"]
        lines += list(headers)
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        return self.response()


class WebSocket(Http):
    """A strict-enough WebSocket client: masks every frame, decodes unmasked server frames."""

    def __init__(self, port, path, headers=(), **kw):
        super().__init__(port, **kw)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {path} HTTP/1.1", "Host: localhost", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {key}",
                 "Sec-WebSocket-Version: 13"] + list(headers)
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.status, self.headers, _ = self.head()

    def head(self):
        head = self.read_until(b"\r\n\r\n").decode("latin-1")
        lines = head.split("\r\n")
        headers = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        return int(lines[0].split(" ")[1]), headers, head

    frame = staticmethod(harness.ws_frame)

    def send_frame(self, opcode, payload, **kw):
        self.send(self.frame(opcode, payload, **kw))

    def recv_frame(self):
        """(opcode, payload) of the next server frame; asserts it is not masked."""
        b0, b1 = self.read_exact(2)
        assert not b1 & 0x80, "server frames must not be masked"
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self.read_exact(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self.read_exact(8))[0]
        return b0 & 0x0F, self.read_exact(n)

    def recv_data(self):
        """Next text/binary frame, answering nothing and skipping server pings."""
        while True:
            opcode, payload = self.recv_frame()
            if opcode != 0x9:
                return opcode, payload

    def recv_json(self):
        opcode, payload = self.recv_data()
        assert opcode == 1, (opcode, payload)
        return json.loads(payload)


def offset_of(message_id):
    """The stream offset in a gateway message id ("<replid prefix>-<offset>")."""
    return int(message_id.rsplit("-", 1)[1])


def second_id(first_id, *argv):
    """The id of the message after `first_id` when it is `argv` (a PUBLISH as sent): ids are
    replication offsets, so the next one is further by that command's RESP encoding."""
    size = len(f"*{len(argv)}\r\n") + sum(len(f"${len(a.encode())}\r\n{a}\r\n") for a in argv)
    prefix, offset = first_id.rsplit("-", 1)
    return f"{prefix}-{int(offset) + size}"


def start_gateway(*args):
    """A herald with the gateway on a free port; retried if that port was taken meanwhile."""
    last = None
    for _ in range(4):
        gport = harness.pick_port()
        server = Server(args=["--gateway-port", str(gport)] + list(args)).start()
        try:
            conn = Http(gport)
            status, _, _ = conn.request("GET", "/healthz")
            conn.close()
            if status == 200:
                server.gport = gport
                return server
        except (OSError, ConnectionClosed) as e:
            # The port was free when picked; another test's process may have taken it since.
            last = e
        server.stop()
    raise AssertionError(f"gateway did not come up: {last!r}")


@herald_only("the HTTP gateway is herald's own")
class GatewayTestBase(unittest.TestCase):
    server_args = ()

    @classmethod
    def setUpClass(cls):
        cls.server = start_gateway(*cls.server_args)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def http(self, **kw):
        conn = Http(self.server.gport, **kw)
        self.addCleanup(conn.close)
        return conn

    def ws(self, path, **kw):
        conn = WebSocket(self.server.gport, path, **kw)
        self.addCleanup(conn.close)
        return conn

    def resp(self):
        conn = self.server.connect()
        self.addCleanup(conn.close)
        return conn

    def wait_numsub(self, channel, n):
        conn = self.resp()
        wait_until(lambda: conn.cmd("PUBSUB", "NUMSUB", channel)[1] == n,
                   message=f"{n} subscribers on {channel}")

    def wait_numpat(self, n):
        conn = self.resp()
        wait_until(lambda: conn.cmd("PUBSUB", "NUMPAT") == n, message=f"{n} patterns")


class HttpTest(GatewayTestBase):
    server_args = ("--gateway-max-body-bytes", "1024", "--gateway-max-header-bytes", "2048")

    def test_healthz(self):
        status, headers, body = self.http().request("GET", "/healthz")
        self.assertEqual((status, body), (200, b"ok\n"))
        self.assertEqual(headers["content-type"], "text/plain")

    def test_unknown_path_is_404(self):
        conn = self.http()
        # "/" is the demo page (gateway/assets.h).
        for path in ("/index.html", "/nope", "/sse/", "/publish/", "/wsx"):
            self.assertEqual(conn.request("GET", path)[0], 404, path)

    def test_wrong_method_is_405(self):
        conn = self.http()
        status, headers, _ = conn.request("GET", "/publish/news")
        self.assertEqual((status, headers["allow"]), (405, "POST"))
        self.assertEqual(conn.request("POST", "/healthz")[0], 405)
        self.assertEqual(conn.request("DELETE", "/sse/news")[0], 405)

    def test_keep_alive_and_pipelining(self):
        conn = self.http()
        req = b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"
        conn.send(req * 3)
        for _ in range(3):
            self.assertEqual(conn.response()[0], 200)
        self.assertEqual(conn.request("GET", "/healthz")[0], 200)

    def test_connection_close_is_honoured(self):
        conn = self.http()
        status, headers, _ = conn.request("GET", "/healthz", headers=["Connection: close"])
        self.assertEqual((status, headers.get("connection")), (200, "close"))
        self.assertEqual(conn.read_until_eof(), b"")

    def test_bad_requests_are_400_and_close(self):
        for raw in (b"GET /healthz HTTP/1.1\r\nHost : a\r\n\r\n",
                    b"GET /healthz HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n",
                    b"GET /healthz HTTP/1.1\r\n\r\n",
                    b"NOT HTTP\r\n\r\n"):
            conn = self.http()
            conn.send(raw)
            self.assertEqual(conn.response()[0], 400, raw)
            self.assertEqual(conn.read_until_eof(), b"")

    def test_header_limit_is_431(self):
        conn = self.http()
        conn.send(b"GET /healthz HTTP/1.1\r\nHost: a\r\nX-Big: " + b"x" * 4096 + b"\r\n\r\n")
        self.assertEqual(conn.response()[0], 431)

    def test_body_limit_is_413(self):
        conn = self.http()
        self.assertEqual(conn.request("POST", "/publish/big", b"x" * 1025)[0], 413)

    def test_cors_preflight_without_configured_origins(self):
        status, headers, _ = self.http().request(
            "OPTIONS", "/publish/news", headers=["Origin: http://evil.example"])
        self.assertEqual(status, 403)


class TimeoutTest(GatewayTestBase):
    server_args = ("--gateway-header-timeout", "1", "--gateway-keepalive-timeout", "1")

    def test_slow_request_gets_408(self):
        conn = self.http()
        conn.send(b"GET /healthz HTTP/1.1\r\nHo")  # and never the rest (slowloris)
        status, _, _ = conn.response()
        self.assertEqual(status, 408)
        self.assertEqual(conn.read_until_eof(), b"")

    def test_idle_keep_alive_connection_is_closed(self):
        conn = self.http()
        self.assertEqual(conn.request("GET", "/healthz")[0], 200)
        self.assertEqual(conn.read_until_eof(), b"")  # closed silently by the idle timeout


class PublishTest(GatewayTestBase):
    server_args = ("--gateway-publish-token", "s3cret")

    def test_publish_reaches_resp_subscriber(self):
        sub = self.resp()
        sub.cmd("SUBSCRIBE", "news")
        status, headers, body = self.http().request("POST", "/publish/news", b"hi\r\nthere")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "application/json")
        self.assertEqual(json.loads(body)["receivers"], 1)
        self.assertRegex(json.loads(body)["id"], r"^[0-9a-f]{12}-[1-9][0-9]*$")
        self.assertEqual(sub.read_reply(), [b"message", b"news", b"hi\r\nthere"])

    def test_percent_encoded_channel(self):
        sub = self.resp()
        sub.cmd("SUBSCRIBE", "a b/c")
        status, _, body = self.http().request("POST", "/publish/a%20b%2Fc", b"x")
        self.assertEqual((status, json.loads(body)["receivers"]), (200, 1))

    def test_non_loopback_needs_token(self):
        conn = self.http(source="127.0.0.2")  # not 127.0.0.1 or ::1: counts as remote
        self.assertEqual(conn.request("POST", "/publish/news", b"x")[0], 403)
        conn = self.http(source="127.0.0.2")
        # A token that is neither the publish token nor a valid JWT is refused as such.
        self.assertEqual(conn.request("POST", "/publish/news", b"x",
                                      headers=["Authorization: Bearer wrong"])[0], 401)
        conn = self.http(source="127.0.0.2")
        status, _, body = conn.request("POST", "/publish/news", b"x",
                                       headers=["Authorization: Bearer s3cret"])
        self.assertEqual((status, json.loads(body)["receivers"]), (200, 0))


class SseTest(GatewayTestBase):
    server_args = ("--gateway-sse-heartbeat", "1",
                   "--client-output-buffer-limit", "pubsub 256kb 0 0")

    def open_sse(self, path, **kw):
        conn = self.http(**kw)
        conn.send(f"GET {path} HTTP/1.1\r\nHost: a\r\n\r\n".encode())
        head = conn.read_until(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 200 OK\r\n"), head)
        self.assertIn(b"Content-Type: text/event-stream\r\n", head)
        self.assertNotIn(b"Content-Length", head)
        return conn

    def next_event(self, conn):
        """The next dispatched event's lines, skipping heartbeat comments and retry."""
        while True:
            block = conn.read_until(b"\n\n")
            lines = [ln for ln in block[:-2].split(b"\n")
                     if not ln.startswith((b":", b"retry:", b"id:"))]
            if lines and any(ln.startswith(b"data:") for ln in lines):
                return lines

    def test_single_channel_data_lines(self):
        conn = self.open_sse("/sse/news")
        self.assertEqual(conn.read_until(b"\n"), b"retry: 2000\n")
        self.wait_numsub("news", 1)
        pub = self.resp()
        self.assertEqual(pub.cmd("PUBLISH", "news", "one\r\ntwo\rthree\nid: 7"), 1)
        self.assertEqual(self.next_event(conn),
                         [b"data: one", b"data: two", b"data: three", b"data: id: 7"])

    def test_several_channels_and_patterns_get_envelopes(self):
        conn = self.open_sse("/sse?channel=a&channel=b&pattern=news.*")
        self.wait_numsub("b", 1)
        pub = self.resp()
        pub.cmd("PUBLISH", "b", "x")
        pub.cmd("PUBLISH", "news.eu", "y")
        (line,) = self.next_event(conn)
        first = json.loads(line[len(b"data: "):])
        self.assertEqual(first, {"channel": "b", "data": "x", "id": first["id"]})
        (line,) = self.next_event(conn)
        self.assertEqual(json.loads(line[len(b"data: "):]),
                         {"channel": "news.eu", "pattern": "news.*", "data": "y",
                          "id": second_id(first["id"], "PUBLISH", "news.eu", "y")})

    def test_gateway_publish_to_sse(self):
        conn = self.open_sse("/sse/chat")
        self.wait_numsub("chat", 1)
        self.http().request("POST", "/publish/chat", b"hello")
        self.assertEqual(self.next_event(conn), [b"data: hello"])

    def test_padding(self):
        conn = self.open_sse("/sse/pad?padding=1")
        self.assertEqual(len(conn.read_until(b"\n")), 2048)
        self.assertEqual(conn.read_until(b"\n"), b"retry: 2000\n")

    def test_heartbeat_comment(self):
        conn = self.open_sse("/sse/quiet")
        conn.read_until(b":\n\n")  # bounded by the socket timeout

    def test_missing_channel_is_400(self):
        self.assertEqual(self.http().request("GET", "/sse")[0], 400)

    def test_slow_consumer_is_disconnected(self):
        conn = self.open_sse("/sse/flood", rcvbuf=4096)
        self.wait_numsub("flood", 1)
        pub = self.resp()
        before = int(pub.cmd("INFO", "stats").decode().split(
            "client_output_buffer_limit_disconnections:")[1].split("\r\n")[0])
        # One message above the 256 kB hard limit: over it as soon as it is queued, whatever
        # the socket buffers could take.
        payload = "z" * (300 * 1024)

        def flooded():
            pub.cmd("PUBLISH", "flood", payload)
            return pub.cmd("PUBSUB", "NUMSUB", "flood")[1] == 0

        wait_until(flooded, message="the slow SSE client to be disconnected")
        after = int(pub.cmd("INFO", "stats").decode().split(
            "client_output_buffer_limit_disconnections:")[1].split("\r\n")[0])
        self.assertEqual(after, before + 1)


class WebSocketTest(GatewayTestBase):
    server_args = ("--gateway-sse-heartbeat", "1", "--gateway-ws-max-message", "4096")

    def test_handshake(self):
        ws = self.ws("/ws/hs")
        self.assertEqual(ws.status, 101)
        self.assertEqual(ws.headers["upgrade"].lower(), "websocket")
        self.assertNotIn("sec-websocket-extensions", ws.headers)

    def test_text_and_binary_echo_to_sender_and_others(self):
        a = self.ws("/ws/room")
        b = self.ws("/ws/room")
        sub = self.resp()
        sub.cmd("SUBSCRIBE", "room")
        self.wait_numsub("room", 3)
        a.send_frame(0x1, "héllo".encode())
        for ws in (a, b):
            self.assertEqual(ws.recv_data(), (0x1, "héllo".encode()))
        self.assertEqual(sub.read_reply(), [b"message", b"room", "héllo".encode()])
        a.send_frame(0x2, b"\x00\xff\x01")
        for ws in (a, b):
            self.assertEqual(ws.recv_data(), (0x2, b"\x00\xff\x01"))
        self.assertEqual(sub.read_reply(), [b"message", b"room", b"\x00\xff\x01"])

    def test_fragmented_message_with_ping_in_between(self):
        ws = self.ws("/ws/frag")
        self.wait_numsub("frag", 1)
        ws.send_frame(0x1, b"ab", fin=False)
        ws.send_frame(0x9, b"p")
        ws.send_frame(0x0, b"cd")
        self.assertEqual(ws.recv_data(), (0xA, b"p"))
        self.assertEqual(ws.recv_data(), (0x1, b"abcd"))

    def test_resp_publish_reaches_websocket(self):
        ws = self.ws("/ws/feed")
        self.wait_numsub("feed", 1)
        pub = self.resp()
        self.assertEqual(pub.cmd("PUBLISH", "feed", "text"), 1)
        self.assertEqual(ws.recv_data(), (0x1, b"text"))
        pub.cmd("PUBLISH", "feed", b"\xff\xfe")
        self.assertEqual(ws.recv_data(), (0x2, b"\xff\xfe"))

    def test_close_handshake(self):
        ws = self.ws("/ws/bye")
        ws.send_frame(0x8, struct.pack("!H", 1000) + b"done")
        self.assertEqual(ws.recv_data(), (0x8, struct.pack("!H", 1000)))
        self.assertEqual(ws.read_until_eof(), b"")

    def close_code(self, ws):
        opcode, payload = ws.recv_data()
        self.assertEqual(opcode, 0x8)
        return struct.unpack("!H", payload[:2])[0]

    def test_unmasked_frame_is_1002(self):
        ws = self.ws("/ws/x")
        ws.send_frame(0x1, b"hi", mask=False)
        self.assertEqual(self.close_code(ws), 1002)

    def test_invalid_utf8_is_1007(self):
        ws = self.ws("/ws/x")
        ws.send_frame(0x1, b"\xc3\x28")
        self.assertEqual(self.close_code(ws), 1007)

    def test_too_big_is_1009(self):
        ws = self.ws("/ws/x")
        ws.send_frame(0x2, b"x" * 5000)
        self.assertEqual(self.close_code(ws), 1009)

    def test_server_pings(self):
        ws = self.ws("/ws/idle")
        opcode, _ = ws.recv_frame()  # heartbeat 1 s: a ping comes within the socket timeout
        self.assertEqual(opcode, 0x9)

    def test_bad_version_is_426(self):
        conn = self.http()
        status, headers, _ = conn.request(
            "GET", "/ws/x", headers=["Upgrade: websocket", "Connection: Upgrade",
                                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                                     "Sec-WebSocket-Version: 8"])
        self.assertEqual((status, headers["sec-websocket-version"]), (426, "13"))

    def test_missing_key_is_400(self):
        conn = self.http()
        status, _, _ = conn.request(
            "GET", "/ws/x", headers=["Upgrade: websocket", "Connection: Upgrade",
                                     "Sec-WebSocket-Version: 13"])
        self.assertEqual(status, 400)

    def test_json_protocol(self):
        ws = self.ws("/ws")
        ws.send_frame(0x1, b'["SUBSCRIBE","a","b"]')
        self.assertEqual(ws.recv_json(), {"type": "subscribe", "channel": "a", "count": 1})
        self.assertEqual(ws.recv_json(), {"type": "subscribe", "channel": "b", "count": 2})
        ws.send_frame(0x1, b'["PSUBSCRIBE","news.*"]')
        self.assertEqual(ws.recv_json(), {"type": "psubscribe", "pattern": "news.*", "count": 3})
        ws.send_frame(0x1, b'["PUBLISH","a","x"]')
        message = ws.recv_json()
        self.assertEqual(message, {"type": "message", "channel": "a", "data": "x",
                                   "id": message["id"]})
        self.assertEqual(ws.recv_json(), {"type": "publish", "channel": "a", "receivers": 1,
                                          "id": message["id"]})
        self.resp().cmd("PUBLISH", "news.eu", "y")
        self.assertEqual(ws.recv_json(), {"type": "pmessage", "channel": "news.eu",
                                          "pattern": "news.*", "data": "y",
                                          "id": second_id(message["id"], "PUBLISH", "news.eu",
                                                          "y")})
        ws.send_frame(0x1, b'["PING"]')
        self.assertEqual(ws.recv_json(), {"type": "pong"})
        ws.send_frame(0x1, b'["UNSUBSCRIBE"]')
        got = sorted(m["channel"] for m in (ws.recv_json(), ws.recv_json()))
        self.assertEqual(got, ["a", "b"])
        ws.send_frame(0x1, b'{"not":"an array"}')
        self.assertEqual(ws.recv_json()["type"], "error")


class WebSocketPolicyTest(GatewayTestBase):
    server_args = ("--gateway-publish-token", "t0k")

    def test_remote_sender_without_token_is_closed_1008(self):
        ws = self.ws("/ws/pol", source="127.0.0.2")
        self.assertEqual(ws.status, 101)
        ws.send_frame(0x1, b"x")
        opcode, payload = ws.recv_data()
        self.assertEqual((opcode, struct.unpack("!H", payload[:2])[0]), (0x8, 1008))

    def test_remote_sender_with_token_may_publish(self):
        ws = self.ws("/ws/pol2?token=t0k", source="127.0.0.2")
        self.wait_numsub("pol2", 1)
        ws.send_frame(0x1, b"x")
        self.assertEqual(ws.recv_data(), (0x1, b"x"))

    def test_remote_json_publish_is_refused(self):
        ws = self.ws("/ws", source="127.0.0.2")
        ws.send_frame(0x1, b'["PUBLISH","a","x"]')
        self.assertEqual(ws.recv_json(),
                         {"type": "error", "message": "publishing not allowed", "code": 403})


class PublishRulesTest(GatewayTestBase):
    server_args = ("--gateway-publish-from", "127.0.0.2", "10.0.0.0/8",
                   "--gateway-publish-channels", "chat.*", "public")

    def post(self, source, channel):
        status, _, body = self.http(source=source).request("POST", f"/publish/{channel}", b"x")
        return status, json.loads(body)

    def test_addresses_and_channels(self):
        status, body = self.post("127.0.0.2", "chat.room")
        self.assertEqual((status, body["receivers"]), (200, 0))
        self.assertEqual(self.post("127.0.0.2", "public")[0], 200)
        # Loopback is no longer special once the list is set.
        self.assertEqual(self.post("127.0.0.1", "public"),
                         (403, {"error": "publishing not allowed"}))
        self.assertEqual(self.post("127.0.0.3", "public")[0], 403)
        self.assertEqual(self.post("127.0.0.2", "secret"),
                         (403, {"error": "publishing to this channel is not allowed"}))

    def test_websocket_channel_rules(self):
        ws = self.ws("/ws/secret", source="127.0.0.2")
        ws.send_frame(0x1, b"x")
        opcode, payload = ws.recv_data()
        self.assertEqual((opcode, struct.unpack("!H", payload[:2])[0]), (0x8, 1008))
        ws = self.ws("/ws", source="127.0.0.2")
        ws.send_frame(0x1, b'["PUBLISH","secret","x"]')
        self.assertEqual(ws.recv_json(), {"type": "error", "code": 403,
                                          "message": "publishing to this channel is not allowed"})
        ws.send_frame(0x1, b'["PUBLISH","chat.a","x"]')
        self.assertEqual(ws.recv_json()["type"], "publish")

    def test_config(self):
        conn = self.resp()
        got = conn.cmd("CONFIG", "GET", "gateway-publish-*")
        self.assertEqual(dict(zip(got[::2], got[1::2])),
                         {b"gateway-publish-channels": b"chat.* public",
                          b"gateway-publish-from": b"127.0.0.2 10.0.0.0/8",
                          b"gateway-publish-token": b""})
        self.assertEqual(str(conn.cmd("CONFIG", "SET", "gateway-publish-from", "localhost")),
                         "ERR CONFIG SET failed (possibly related to argument "
                         "'gateway-publish-from') - Invalid address 'localhost': expected an IP "
                         "address, a CIDR block or *")
        self.assertEqual(conn.cmd("CONFIG", "SET", "gateway-publish-from", "*"), b"OK")
        self.assertEqual(self.post("127.0.0.9", "public")[0], 200)
        self.assertEqual(conn.cmd("CONFIG", "SET", "gateway-publish-from", "127.0.0.2 10.0.0.0/8"),
                         b"OK")


class MetricsTest(GatewayTestBase):
    server_args = ("--gateway-history-size", "2")

    def metrics(self):
        status, headers, body = self.http().request("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/plain; version=0.0.4"))
        samples = {}
        for line in body.decode().splitlines():
            if line.startswith("#"):
                self.assertRegex(line, r"^# (HELP|TYPE) herald_[a-z_]+ .+$")
                continue
            self.assertRegex(line, r'^herald_[a-z_]+(\{[a-z]+="[a-z_]+"\})? [0-9]+$')
            name, value = line.rsplit(" ", 1)
            samples[name] = int(value)
        return samples

    def test_connections_messages_and_history(self):
        before = self.metrics()
        sse = self.http()
        sse.send(b"GET /sse/mx HTTP/1.1\r\nHost: a\r\n\r\n")
        ws = self.ws("/ws/mx")
        resp = self.resp()
        resp.cmd("SUBSCRIBE", "mx")
        self.wait_numsub("mx", 3)
        got = self.metrics()
        self.assertEqual(got['herald_connections{transport="sse"}'], 1)
        self.assertEqual(got['herald_connections{transport="websocket"}'], 1)
        # The subscriber, the one wait_numsub used, and nothing else over RESP.
        self.assertEqual(got['herald_connections{transport="resp"}'], 2)
        ws.send_frame(0x1, b"from-ws")               # gateway publish: 3 deliveries
        self.assertEqual(ws.recv_data(), (0x1, b"from-ws"))
        pub = self.resp()
        for i in range(3):                            # RESP publishes: 3 deliveries each
            pub.cmd("PUBLISH", "mx", f"m{i}")
        for _ in range(4):
            resp.read_reply()
        ws.recv_data(), ws.recv_data(), ws.recv_data()
        got = self.metrics()
        delta = {k: got[k] - before.get(k, 0) for k in got}
        self.assertEqual(delta['herald_messages_published_total{origin="gateway"}'], 1)
        self.assertEqual(delta['herald_messages_published_total{origin="resp"}'], 3)
        self.assertEqual(delta['herald_messages_published_total{origin="replication"}'], 0)
        self.assertEqual(delta['herald_deliveries_total{transport="sse"}'], 4)
        self.assertEqual(delta['herald_deliveries_total{transport="websocket"}'], 4)
        self.assertEqual(delta['herald_deliveries_total{transport="resp"}'], 4)
        self.assertEqual(delta["herald_websocket_messages_received_total"], 1)
        self.assertEqual(delta["herald_history_evicted_total"], 2)   # 4 kept as 2
        self.assertEqual(got["herald_replication_offset"],
                         int(harness.info_fields(pub, "replication")["master_repl_offset"]))
        self.assertEqual(got["herald_master_link_up"], 0)
        self.assertEqual(self.http().request("POST", "/metrics")[0], 405)


class OriginTest(GatewayTestBase):
    server_args = ("--gateway-cors-origins", "http://good.example")

    def test_websocket_origin_checked(self):
        ws = self.ws("/ws/o", headers=["Origin: http://good.example"])
        self.assertEqual(ws.status, 101)
        ws = self.ws("/ws/o", headers=["Origin: http://evil.example"])
        self.assertEqual(ws.status, 403)

    def test_preflight_and_cors_headers(self):
        status, headers, _ = self.http().request(
            "OPTIONS", "/sse/news", headers=["Origin: http://good.example",
                                             "Access-Control-Request-Method: GET"])
        self.assertEqual(status, 204)
        self.assertEqual(headers["access-control-allow-origin"], "http://good.example")
        self.assertIn("Last-Event-ID", headers["access-control-allow-headers"])
        status, headers, _ = self.http().request("GET", "/healthz",
                                                 headers=["Origin: http://good.example"])
        self.assertEqual(headers["access-control-allow-origin"], "http://good.example")


class MaxClientsTest(GatewayTestBase):
    server_args = ("--maxclients", "1", "--gateway-maxclients", "2")

    def test_gateway_and_resp_have_their_own_limits(self):
        # Two idle keep-alive gateway connections fill gateway-maxclients...
        for _ in range(2):
            self.assertEqual(self.http().request("GET", "/healthz")[0], 200)
        status, headers, body = self.http().request("GET", "/healthz")
        self.assertEqual((status, headers.get("connection"), body),
                         (503, "close", b"max number of clients reached\n"))
        # ...and do not take RESP's one slot: redis-cli still gets in.
        resp = self.resp()
        self.assertEqual(resp.cmd("PING"), b"PONG")
        second = self.resp()
        self.assertEqual(str(second.cmd("PING")), "ERR max number of clients reached")


class PerAddressLimitTest(GatewayTestBase):
    server_args = ("--gateway-max-per-address", "2")

    def test_one_address_cannot_take_every_slot(self):
        for _ in range(2):
            self.assertEqual(self.http(source="127.0.0.2").request("GET", "/healthz")[0], 200)
        status, _, body = self.http(source="127.0.0.2").request("GET", "/healthz")
        self.assertEqual((status, body), (503, b"too many connections from this address\n"))
        self.assertEqual(self.http(source="127.0.0.3").request("GET", "/healthz")[0], 200)
        _, _, text = self.http().request("GET", "/metrics")
        self.assertIn(b'herald_gateway_rejected_connections_total{limit="per_address"} 1',
                      text)


class TrustedProxyTest(GatewayTestBase):
    server_args = ("--gateway-trusted-proxies", "127.0.0.1",
                   "--gateway-publish-from", "10.1.2.3", "--gateway-metrics-from", "10.1.2.3")

    def post(self, forwarded_for, source="127.0.0.1"):
        headers = [f"X-Forwarded-For: {forwarded_for}"] if forwarded_for else []
        return self.http(source=source).request("POST", "/publish/p", b"x", headers=headers)[0]

    def test_the_proxy_names_the_client(self):
        self.assertEqual(self.post("10.1.2.3"), 200)
        self.assertEqual(self.post("10.9.9.9"), 403)
        self.assertEqual(self.post(None), 403)  # the proxy itself is not in publish-from
        # The client may prepend anything; the proxy appends the address it saw.
        self.assertEqual(self.post("10.1.2.3, 10.9.9.9"), 403)
        self.assertEqual(self.post("10.9.9.9, 10.1.2.3"), 200)
        self.assertEqual(self.post("10.1.2.3, 127.0.0.1"), 200)  # a chain of our proxies
        self.assertEqual(self.post("garbage, 10.1.2.3"), 200)
        self.assertEqual(self.post("10.1.2.3, unknown"), 403)
        # Only a trusted peer's header counts.
        self.assertEqual(self.post("10.1.2.3", source="127.0.0.2"), 403)

    def test_metrics_access(self):
        conn = self.http()
        self.assertEqual(conn.request("GET", "/metrics",
                                      headers=["X-Forwarded-For: 10.1.2.3"])[0], 200)
        self.assertEqual(self.http().request("GET", "/metrics")[0], 403)


class ForwardedHeaderTest(GatewayTestBase):
    server_args = ("--gateway-trusted-proxies", "127.0.0.0/8", "--gateway-proxy-header",
                   "forwarded", "--gateway-publish-from", "2001:db8::/32", "192.0.2.7")

    def test_rfc_7239_for(self):
        def post(value):
            return self.http().request("POST", "/publish/p", b"x",
                                       headers=[f"Forwarded: {value}"])[0]
        self.assertEqual(post('for="[2001:db8::1]:4711";proto=https'), 200)
        self.assertEqual(post("for=192.0.2.7"), 200)
        self.assertEqual(post('proto=http;for="192.0.2.7:80"'), 200)
        self.assertEqual(post("for=192.0.2.8"), 403)
        self.assertEqual(post("for=_hidden"), 403)
        # X-Forwarded-For is not what this proxy sets: a client could have sent it.
        status = self.http().request("POST", "/publish/p", b"x",
                                     headers=["X-Forwarded-For: 192.0.2.7"])[0]
        self.assertEqual(status, 403)


class MetricsAccessTest(GatewayTestBase):
    server_args = ("--gateway-publish-token", "m3trics")

    def test_loopback_or_the_publish_token(self):
        self.assertEqual(self.http().request("GET", "/metrics")[0], 200)
        self.assertEqual(self.http(source="127.0.0.2").request("GET", "/metrics")[0], 403)
        self.assertEqual(self.http(source="127.0.0.2").request(
            "GET", "/metrics", headers=["Authorization: Bearer m3trics"])[0], 200)


class HistoryTest(GatewayTestBase):
    server_args = ("--gateway-history-size", "3")

    def publish(self, channel, message):
        status, _, body = self.http().request("POST", f"/publish/{channel}", message.encode())
        self.assertEqual(status, 200)
        return json.loads(body)["id"]

    def open_sse(self, path, headers=()):
        conn = self.http()
        conn.send((f"GET {path} HTTP/1.1\r\nHost: a\r\n" + "".join(h + "\r\n" for h in headers)
                   + "\r\n").encode())
        self.assertTrue(conn.read_until(b"\r\n\r\n").startswith(b"HTTP/1.1 200 OK"))
        self.assertEqual(conn.read_until(b"\n"), b"retry: 2000\n")
        return conn

    def event(self, conn):
        """{field: value} of the next event (skipping comments)."""
        while True:
            block = conn.read_until(b"\n\n")[:-2].decode()
            fields = {}
            for line in block.split("\n"):
                if line and not line.startswith(":"):
                    name, _, value = line.partition(": ")
                    fields[name] = value
            if "data" in fields:
                return fields

    def test_ids_are_replication_offsets(self):
        a = self.publish("ids", "1")
        b = self.publish("other", "2")
        self.assertGreater(offset_of(b), offset_of(a))
        info = self.resp().cmd("INFO", "replication").decode()
        fields = dict(line.split(":", 1) for line in info.split("\r\n") if ":" in line)
        self.assertEqual(a.split("-")[0], fields["master_replid"][:12])
        self.assertEqual(offset_of(b), int(fields["master_repl_offset"]))
        self.assertEqual(b, second_id(a, "publish", "other", "2"))

    def test_sse_ids_and_resume_from_last_event_id(self):
        ids = [self.publish("r", f"m{i}") for i in range(3)]
        conn = self.open_sse("/sse/r", headers=[f"Last-Event-ID: {ids[0]}"])
        self.assertEqual(self.event(conn), {"id": ids[1], "data": "m1"})
        self.assertEqual(self.event(conn), {"id": ids[2], "data": "m2"})
        self.wait_numsub("r", 1)
        live = self.publish("r", "live")
        self.assertEqual(self.event(conn), {"id": live, "data": "live"})

    def test_resume_with_query_parameter_on_multi_stream(self):
        ids = [self.publish("q1", "a"), self.publish("q2", "b")]
        conn = self.open_sse(f"/sse?channel=q1&channel=q2&lastEventId={ids[0]}")
        event = self.event(conn)
        self.assertEqual(event["id"], ids[1])
        self.assertEqual(json.loads(event["data"]), {"channel": "q2", "data": "b", "id": ids[1]})

    def test_gap_event_when_history_is_shorter(self):
        ids = [self.publish("g", f"m{i}") for i in range(5)]  # only the last 3 are kept
        conn = self.open_sse("/sse/g", headers=[f"Last-Event-ID: {ids[0]}"])
        gap = self.event(conn)
        self.assertEqual(gap["event"], "gap")
        self.assertEqual(json.loads(gap["data"])["type"], "gap")
        self.assertEqual([self.event(conn)["data"] for _ in range(3)], ["m2", "m3", "m4"])

    def test_unknown_id_is_a_gap(self):
        self.publish("u", "x")
        conn = self.open_sse("/sse/u", headers=["Last-Event-ID: 99999999"])
        self.assertEqual(self.event(conn)["event"], "gap")
        self.assertEqual(self.event(conn)["data"], "x")

    def test_id_of_another_history_is_a_gap(self):
        # The same offset under another replication ID: a restart or another server.
        good = self.publish("e", "x")
        other = "000000000000-" + good.split("-")[1]
        conn = self.open_sse("/sse/e", headers=[f"Last-Event-ID: {other}"])
        gap = self.event(conn)
        self.assertEqual((gap["event"], json.loads(gap["data"])["since"]), ("gap", other))
        self.assertEqual(self.event(conn), {"id": good, "data": "x"})

    def test_sse_resume_of_patterns(self):
        ids = [self.publish("pr.a", "1"), self.publish("zz", "2"), self.publish("pr.b", "3"),
               self.publish("pr.a", "4")]
        conn = self.open_sse(f"/sse?pattern=pr.*&channel=zz&lastEventId={ids[0]}")
        got = [json.loads(self.event(conn)["data"]) for _ in range(3)]
        self.assertEqual(got, [{"channel": "zz", "data": "2", "id": ids[1]},
                               {"channel": "pr.b", "pattern": "pr.*", "data": "3", "id": ids[2]},
                               {"channel": "pr.a", "pattern": "pr.*", "data": "4", "id": ids[3]}])

    def test_json_websocket_resumes_from_last_event_id(self):
        ids = [self.publish("wr", "1"), self.publish("wr.x", "2"), self.publish("wr", "3")]
        ws = self.ws(f"/ws?lastEventId={ids[0]}")
        ws.send_frame(0x1, b'["SUBSCRIBE","wr"]')
        self.assertEqual(ws.recv_json(), {"type": "subscribe", "channel": "wr", "count": 1})
        self.assertEqual(ws.recv_json(), {"type": "message", "channel": "wr", "data": "3",
                                          "id": ids[2]})
        ws.send_frame(0x1, b'["PSUBSCRIBE","wr.*"]')
        self.assertEqual(ws.recv_json(), {"type": "psubscribe", "pattern": "wr.*", "count": 2})
        self.assertEqual(ws.recv_json(), {"type": "pmessage", "pattern": "wr.*",
                                          "channel": "wr.x", "data": "2", "id": ids[1]})
        live = self.publish("wr", "live")
        self.assertEqual(ws.recv_json(), {"type": "message", "channel": "wr", "data": "live",
                                          "id": live})

    def test_json_websocket_resume_gap(self):
        ids = [self.publish("wg", f"m{i}") for i in range(5)]
        ws = self.ws(f"/ws?lastEventId={ids[0]}")
        ws.send_frame(0x1, b'["SUBSCRIBE","wg"]')
        ws.recv_json()
        gap = ws.recv_json()
        self.assertEqual((gap["type"], gap["since"]), ("gap", ids[0]))
        self.assertEqual([ws.recv_json()["data"] for _ in range(3)], ["m2", "m3", "m4"])

    def test_poll_several_channels_and_patterns(self):
        ids = [self.publish("pa", "1"), self.publish("pb.x", "2"), self.publish("pc", "3")]
        status, _, body = self.http().request(
            "GET", f"/poll?channel=pa&channel=pc&pattern=pb.*&since={ids[0]}&timeout=0")
        self.assertEqual((status, json.loads(body)), (200, {
            "messages": [{"channel": "pb.x", "pattern": "pb.*", "id": ids[1], "data": "2"},
                         {"channel": "pc", "id": ids[2], "data": "3"}],
            "last_id": ids[2], "gap": False}))
        conn = self.http()
        conn.send(f"GET /poll?pattern=pb.*&since={ids[2]}&timeout=60 HTTP/1.1\r\n"
                  "Host: a\r\n\r\n".encode())
        self.wait_numpat(1)
        live = self.publish("pb.y", "4")
        status, _, body = conn.response()
        self.assertEqual(json.loads(body), {
            "messages": [{"channel": "pb.y", "pattern": "pb.*", "id": live, "data": "4"}],
            "last_id": live, "gap": False})

    def test_poll_since(self):
        ids = [self.publish("p", f"m{i}") for i in range(3)]
        status, _, body = self.http().request("GET", f"/poll/p?since={ids[0]}&timeout=0")
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body), {
            "messages": [{"channel": "p", "id": ids[1], "data": "m1"},
                         {"channel": "p", "id": ids[2], "data": "m2"}],
            "last_id": ids[2], "gap": False})
        status, _, body = self.http().request("GET", f"/poll/p?since={ids[2]}&timeout=0")
        self.assertEqual(json.loads(body)["messages"], [])

    def test_long_poll_wakes_on_publish(self):
        conn = self.http()
        conn.send(b"GET /poll/lp?timeout=60 HTTP/1.1\r\nHost: a\r\n\r\n")
        self.wait_numsub("lp", 1)
        msg_id = self.publish("lp", "wake")
        status, _, body = conn.response()
        self.assertEqual((status, json.loads(body)),
                         (200, {"messages": [{"channel": "lp", "id": msg_id, "data": "wake"}],
                                "last_id": msg_id, "gap": False}))
        self.wait_numsub("lp", 0)
        self.assertEqual(conn.request("GET", "/healthz")[0], 200)  # still keep-alive

    def test_long_poll_times_out_empty(self):
        status, _, body = self.http().request("GET", "/poll/nothing?timeout=1")
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["messages"], [])

    def test_json_websocket_pushes_ids(self):
        ws = self.ws("/ws")
        ws.send_frame(0x1, b'["SUBSCRIBE","wj"]')
        ws.recv_json()
        msg_id = self.publish("wj", "x")
        self.assertEqual(ws.recv_json(), {"type": "message", "channel": "wj", "data": "x",
                                          "id": msg_id})


CURL = shutil.which("curl")


@unittest.skipUnless(CURL, "curl is not installed")
class CurlTest(GatewayTestBase):
    """The README's curl examples, with the real curl."""

    def curl(self, *args, **kw):
        return subprocess.Popen([CURL, "-sS", "--max-time", "60", *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)

    def url(self, path):
        return f"http://127.0.0.1:{self.server.gport}{path}"

    def test_sse_stream_with_curl(self):
        proc = self.curl("-N", self.url("/sse/curl"))
        self.addCleanup(proc.wait)
        self.addCleanup(proc.kill)
        self.wait_numsub("curl", 1)
        pub = self.resp()
        pub.cmd("PUBLISH", "curl", "hello")
        pub.cmd("PUBLISH", "curl", "two\nlines")
        lines = []
        while lines.count(b"") < 2:  # "retry:", then two events, each ended by an empty line
            lines.append(proc.stdout.readline().rstrip(b"\n"))
        events = [line for line in lines if line.startswith(b"data: ")]
        self.assertEqual(events, [b"data: hello", b"data: two", b"data: lines"])
        self.assertEqual(lines[0], b"retry: 2000")
        self.assertEqual(sum(1 for line in lines if line.startswith(b"id: ")), 2)

    def test_publish_and_poll_with_curl(self):
        out = subprocess.run([CURL, "-sS", "-X", "POST", "--data-binary", "first",
                              self.url("/publish/curlp")], capture_output=True, check=True)
        first = json.loads(out.stdout)["id"]
        subprocess.run([CURL, "-sS", "-X", "POST", "--data-binary", "second",
                        self.url("/publish/curlp")], capture_output=True, check=True)
        out = subprocess.run([CURL, "-sS", self.url(f"/poll/curlp?since={first}&timeout=0")],
                             capture_output=True, check=True)
        reply = json.loads(out.stdout)
        self.assertEqual([m["data"] for m in reply["messages"]], ["second"])
        # Long-poll: curl waits until a message comes.
        proc = self.curl(self.url(f"/poll/curlp?since={reply['last_id']}&timeout=60"))
        self.addCleanup(proc.kill)
        self.wait_numsub("curlp", 1)
        self.resp().cmd("PUBLISH", "curlp", "third")
        stdout, _ = proc.communicate(timeout=60)
        self.assertEqual([m["data"] for m in json.loads(stdout)["messages"]], ["third"])


@herald_only("the HTTP gateway is herald's own")
class ChainResumeTest(unittest.TestCase):
    """Ids are replication offsets: the same message has the same id on every node of a chain,
    so a browser resumes on another node where it left off."""

    def node(self, *args):
        server = start_gateway("--repl-ping-replica-period", "3600", *args)
        self.addCleanup(server.stop)
        server.admin = server.connect()
        self.addCleanup(server.admin.close)
        return server

    def sse(self, server, path, headers=()):
        conn = Http(server.gport)
        self.addCleanup(conn.close)
        conn.send((f"GET {path} HTTP/1.1\r\nHost: a\r\n" + "".join(h + "\r\n" for h in headers)
                   + "\r\n").encode())
        self.assertTrue(conn.read_until(b"\r\n\r\n").startswith(b"HTTP/1.1 200 OK"))
        self.assertEqual(conn.read_until(b"\n"), b"retry: 2000\n")
        return conn

    def replica_of(self, upstream):
        """A node replicating from `upstream`, once its link is up."""
        node = self.node("--replicaof", "127.0.0.1", str(upstream.port))
        wait_until(lambda: harness.info_fields(node.admin, "replication")
                   .get("master_link_status") == "up", message="link up")
        return node

    event = HistoryTest.event

    def wait_numsub(self, server, channel, n):
        wait_until(lambda: server.admin.cmd("PUBSUB", "NUMSUB", channel)[1] == n,
                   message=f"{n} subscribers on {channel}")

    def test_same_ids_on_every_node_and_resume_across_nodes(self):
        master = self.node()
        # Traffic before the chain exists: a per-node message counter would now differ between
        # the master and its replicas, stream offsets do not.
        warm = Http(master.gport)
        self.addCleanup(warm.close)
        warm.request("POST", "/publish/warm", b"x")
        replica = self.replica_of(master)
        sub = self.replica_of(replica)
        on_master = self.sse(master, "/sse/news")
        on_leaf = self.sse(sub, "/sse/news")
        self.wait_numsub(master, "news", 1)
        self.wait_numsub(sub, "news", 1)
        pub = master.connect()
        self.addCleanup(pub.close)
        for i in range(3):
            pub.cmd("PUBLISH", "news", f"m{i}")
        first = [self.event(on_master) for _ in range(3)]
        self.assertEqual([e["data"] for e in first], ["m0", "m1", "m2"])
        self.assertEqual([self.event(on_leaf) for _ in range(3)], first)
        # The browser on the leaf saw m0 only, then reconnects to the middle node.
        for i in range(3, 5):
            pub.cmd("PUBLISH", "news", f"m{i}")
        wait_until(lambda: harness.info_fields(replica.admin, "replication")["master_repl_offset"]
                   == harness.info_fields(master.admin, "replication")["master_repl_offset"],
                   message="replica caught up")
        moved = self.sse(replica, "/sse/news", headers=[f"Last-Event-ID: {first[0]['id']}"])
        got = [self.event(moved) for _ in range(4)]
        self.assertEqual([e["data"] for e in got], ["m1", "m2", "m3", "m4"])
        self.assertEqual(got[:2], first[1:])
        # And from the middle node back to the master, by query parameter, on a multi stream.
        back = self.sse(master, f"/sse?channel=news&channel=x&lastEventId={got[2]['id']}")
        event = self.event(back)
        self.assertEqual((event["id"], json.loads(event["data"])),
                         (got[3]["id"], {"channel": "news", "data": "m4", "id": got[3]["id"]}))

    def test_resume_across_a_promotion_or_an_explicit_gap(self):
        """A failover (the replica promoted with REPLICAOF NO ONE, as Sentinel does): a browser
        resumes on the promoted node with the id it holds; an id the old master gave to a
        message the replica never got is answered with an explicit gap, never a silent skip."""
        master = self.node()
        replica = self.replica_of(master)
        on_replica = self.sse(replica, "/sse/news")
        self.wait_numsub(replica, "news", 1)
        pub = master.connect()
        self.addCleanup(pub.close)
        for i in range(3):
            pub.cmd("PUBLISH", "news", f"m{i}")
        first = [self.event(on_replica) for _ in range(3)]
        self.assertEqual([e["data"] for e in first], ["m0", "m1", "m2"])
        self.assertEqual(replica.admin.cmd("REPLICAOF", "NO", "ONE"), harness.Status(b"OK"))
        # The old master goes on alone: this message is lost to the promoted node.
        http = Http(master.gport)
        self.addCleanup(http.close)
        status, _, body = http.request("POST", "/publish/news", b"lost")
        self.assertEqual(status, 200)
        lost_id = json.loads(body)["id"]
        replica.admin.cmd("PUBLISH", "news", "m3")
        resumed = self.sse(replica, "/sse/news", headers=[f"Last-Event-ID: {first[0]['id']}"])
        got = [self.event(resumed) for _ in range(3)]
        self.assertEqual([e["data"] for e in got], ["m1", "m2", "m3"])
        self.assertEqual(got[:2], first[1:])
        gapped = self.sse(replica, "/sse/news", headers=[f"Last-Event-ID: {lost_id}"])
        gap = self.event(gapped)
        self.assertEqual((gap["event"], json.loads(gap["data"])["since"]), ("gap", lost_id))

    def test_resume_across_a_failover_command(self):
        """FAILOVER hands the stream over with PSYNC, so the ids go on: a browser that held an
        id of the old master resumes on the new one without a gap, and one published through
        the old master (now a replica, forwarding) gets the new master's next id."""
        master = self.node()
        replica = self.replica_of(master)
        on_master = self.sse(master, "/sse/fo")
        self.wait_numsub(master, "fo", 1)
        http = Http(master.gport)
        self.addCleanup(http.close)
        ids = []
        for i in range(3):
            status, _, body = http.request("POST", "/publish/fo", f"m{i}".encode())
            self.assertEqual(status, 200)
            ids.append(json.loads(body)["id"])
        self.assertEqual([self.event(on_master)["id"] for _ in range(3)], ids)
        self.assertEqual(master.admin.cmd("FAILOVER"), harness.Status(b"OK"))
        wait_until(lambda: harness.info_fields(replica.admin, "replication")["role"] == "master"
                   and harness.info_fields(master.admin, "replication")
                   .get("master_link_status") == "up", message="roles swapped")
        status, _, body = http.request("POST", "/publish/fo", b"after")  # on the old master
        self.assertEqual(status, 200, body)
        after = json.loads(body)["id"]
        resumed = self.sse(replica, "/sse/fo", headers=[f"Last-Event-ID: {ids[0]}"])
        got = [self.event(resumed) for _ in range(3)]
        self.assertEqual(got, [{"id": ids[1], "data": "m1"}, {"id": ids[2], "data": "m2"},
                               {"id": after, "data": "after"}])
        self.assertEqual(self.event(on_master), {"id": after, "data": "after"})

    def test_publish_on_a_replica_goes_through_the_master(self):
        """A browser on an edge node publishes to the whole tree: the message goes up to the
        master, gets its id there, and every node's subscribers get it once, with that id."""
        master = self.node()
        middle = self.replica_of(master)
        leaf = self.replica_of(middle)
        subs = [self.sse(node, "/sse/edge") for node in (master, middle, leaf)]
        for node in (master, middle, leaf):
            self.wait_numsub(node, "edge", 1)
        http = Http(leaf.gport)
        self.addCleanup(http.close)
        ids = []
        for i in range(3):
            status, _, body = http.request("POST", "/publish/edge", f"e{i}".encode())
            reply = json.loads(body)
            self.assertEqual((status, reply["receivers"]), (200, 1), body)  # the master's count
            ids.append(reply["id"])
        self.assertEqual(ids[0].split("-")[0], harness.info_fields(
            master.admin, "replication")["master_replid"][:12])
        for conn in subs:
            self.assertEqual([self.event(conn) for _ in range(3)],
                             [{"id": ids[i], "data": f"e{i}"} for i in range(3)])
        # The JSON WebSocket's PUBLISH, from the middle node, answers with the master's id.
        ws = WebSocket(middle.gport, "/ws")
        self.addCleanup(ws.close)
        ws.send_frame(0x1, b'["PUBLISH","edge","from ws"]')
        reply = ws.recv_json()
        self.assertEqual((reply["type"], reply["receivers"]), ("publish", 1), reply)
        for conn in subs:
            self.assertEqual(self.event(conn), {"id": reply["id"], "data": "from ws"})
        # The raw channel socket publishes with every frame.
        raw = WebSocket(leaf.gport, "/ws/edge")
        self.addCleanup(raw.close)
        raw.send_frame(0x1, b"raw frame")
        events = [self.event(conn) for conn in subs]
        self.assertEqual({e["data"] for e in events}, {"raw frame"})
        self.assertEqual(len({e["id"] for e in events}), 1, events)
        self.assertEqual(raw.recv_data(), (0x1, b"raw frame"))  # it is a subscriber too

    def test_publish_on_a_replica_without_its_master_fails(self):
        master = self.node()
        replica = self.replica_of(master)
        master.stop()
        wait_until(lambda: harness.info_fields(replica.admin, "replication")
                   .get("master_link_status") == "down", message="link down")
        http = Http(replica.gport)
        self.addCleanup(http.close)
        status, _, body = http.request("POST", "/publish/x", b"lost?")
        self.assertEqual((status, json.loads(body)), (
            503, {"error": "publish cannot be forwarded: no link with the master"}))
        ws = WebSocket(replica.gport, "/ws")
        self.addCleanup(ws.close)
        ws.send_frame(0x1, b'["PUBLISH","x","lost?"]')
        self.assertEqual(ws.recv_json(), {
            "type": "error", "code": 503,
            "message": "publish cannot be forwarded: no link with the master"})
        raw = WebSocket(replica.gport, "/ws/x")
        self.addCleanup(raw.close)
        raw.send_frame(0x1, b"lost?")
        opcode, payload = raw.recv_data()
        self.assertEqual((opcode, struct.unpack("!H", payload[:2])[0], payload[2:]),
                         (0x8, 1013, b"publish cannot be forwarded: no link with the master"))


@herald_only("the HTTP gateway is herald's own")
class GatewayOffTest(unittest.TestCase):
    def test_port_zero_disables_the_gateway(self):
        gport = harness.pick_port()
        with Server(args=["--gateway-port", "0"]) as server:
            with server.connect() as conn:
                self.assertEqual(conn.cmd("CONFIG", "GET", "gateway-port"),
                                 [b"gateway-port", b"0"])
            self.assertTrue(harness.port_is_free(gport))


if __name__ == "__main__":
    unittest.main()

"""WebSocket conformance (RFC 6455) of the HTTP gateway, case by case after Autobahn|Testsuite.

The issue holds herald's WebSocket implementation to the Autobahn|Testsuite cases 1-7, 9 and 10.
Autobahn itself is not available here, so this module replays its case groups with raw sockets
against the real herald-server binary. Test methods are named after the case numbers
(`test_1_1_text_lengths` covers Autobahn 1.1.1-1.1.8, and so on):

   1  Framing: text and binary payloads of 0-65536 bytes, 7/16/64-bit lengths.
   2  Pings and pongs.
   3  Reserved bits.
   4  Reserved opcodes.
   5  Fragmentation.
   6  UTF-8 handling (Markus Kuhn's test vectors, fail-fast, splits at every byte).
   7  Close handling (codes, reasons, data after close, the TCP close).
   9  Limits and performance (large messages up to gateway-ws-max-message, 1009 above it,
      many messages, chunked writes). Correctness only: nothing is timed.
  10  Misc (auto-fragmentation, pipelining).
Plus the opening handshake and masking, which Autobahn checks implicitly.

Echo: a client of /ws/<channel> is subscribed to <channel>, and what it sends is published there,
so it receives its own message back: text that is valid UTF-8 as a text frame, binary as a
binary frame (gateway/websocket.cc). That is the "echo" Autobahn expects from its test server.

Every failing case must leave the server running and serving others: tearDown checks that a
fresh client still gets its echo. Waiting is always bounded by socket timeouts; no test sleeps
and then asserts. Run:

    cd tests/integration && HERALD_SERVER=.../herald-server /usr/bin/python3 -m unittest -v \\
        gateway.test_websocket_conformance
"""

import base64
import hashlib
import os
import socket
import struct
import threading
import time
import unittest

import harness
from harness import IO_TIMEOUT, Server, herald_only

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

TEXT, BINARY, CONT, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA

# The message limit of the main test server: Autobahn's largest messages (section 9) are 16 MiB.
MAX_MESSAGE = 16 * 1024 * 1024


Closed = harness.ConnectionClosed


mask_bytes = harness.ws_mask
frame = harness.ws_frame


def close_payload(code, reason=b""):
    return struct.pack("!H", code) + reason


def fragments(opcode, payload, sizes):
    """`payload` as one fragmented message: fragments of the given sizes (the last one takes
    whatever remains), first with `opcode`, then continuations."""
    out = []
    pos = 0
    for i, size in enumerate(sizes):
        last = i == len(sizes) - 1
        piece = payload[pos:] if last else payload[pos:pos + size]
        pos += len(piece)
        out.append(frame(opcode if i == 0 else CONT, piece, fin=last))
    return b"".join(out)


def chunked(payload, size):
    return [payload[i:i + size] for i in range(0, len(payload), size)] or [b""]


def accept_key(key):
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


class WsClient(harness.ByteStream):
    """A raw WebSocket client: masks what it sends (unless told not to) and checks every server
    frame against RFC 6455 (unmasked, RSV clear, known opcode, minimal length encoding, control
    frames FIN and at most 125 bytes)."""

    def __init__(self, port, path, headers=(), key=None, version="13", send_after=b"",
                 timeout=IO_TIMEOUT):
        super().__init__(port, timeout=timeout)
        self.key = base64.b64encode(os.urandom(16)).decode() if key is None else key
        lines = [f"GET {path} HTTP/1.1", "Host: localhost", "Upgrade: websocket",
                 "Connection: Upgrade"]
        if self.key is not False:
            lines.append(f"Sec-WebSocket-Key: {self.key}")
        if version is not None:
            lines.append(f"Sec-WebSocket-Version: {version}")
        lines += list(headers)
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode() + send_after)
        head = self.read_until(b"\r\n\r\n").decode("latin-1").split("\r\n")
        self.status = int(head[0].split(" ")[1])
        self.headers = {}
        for line in head[1:]:
            if line:
                name, _, value = line.partition(":")
                self.headers[name.strip().lower()] = value.strip()

    # -- bytes ---------------------------------------------------------------------------------

    def send_chunks(self, data, size, until_closed=False):
        """`data` in writes of `size` bytes (TCP_NODELAY: each write leaves as its own
        segment on loopback). With `until_closed`, stops quietly when the server has already
        closed the connection (it may fail a connection at the first byte that decides)."""
        for i in range(0, len(data), size):
            try:
                self.sock.sendall(data[i:i + size])
            except (BrokenPipeError, ConnectionResetError):
                if not until_closed:
                    raise
                return

    # -- frames -------------------------------------------------------------------------------

    def recv_frame(self):
        """(fin, opcode, payload) of the next server frame, after checking it obeys RFC 6455."""
        b0, b1 = self.read_exact(2)
        assert b0 & 0x70 == 0, f"server frame with RSV bits set: {b0:#x}"
        opcode = b0 & 0x0F
        assert opcode in (CONT, TEXT, BINARY, CLOSE, PING, PONG), f"server opcode {opcode}"
        assert not b1 & 0x80, "server frames must not be masked"
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self.read_exact(2))[0]
            assert n >= 126, f"16-bit length {n} is not the minimal encoding"
        elif n == 127:
            n = struct.unpack("!Q", self.read_exact(8))[0]
            assert 65536 <= n < 1 << 63, f"64-bit length {n} is not minimal or has the top bit"
        if opcode & 0x8:
            assert b0 & 0x80 and n <= 125, "server control frame fragmented or too long"
        return bool(b0 & 0x80), opcode, self.read_exact(n)

    def recv_message(self):
        """(opcode, payload) of the next complete message or control frame; the server may
        fragment data messages, continuations are joined here."""
        fin, opcode, payload = self.recv_frame()
        assert opcode != CONT, "continuation frame without a message"
        if opcode & 0x8 or fin:
            return opcode, payload
        parts = [payload]
        while True:
            fin, op, piece = self.recv_frame()
            assert op == CONT, f"opcode {op} inside a fragmented server message"
            parts.append(piece)
            if fin:
                return opcode, b"".join(parts)


@herald_only("the HTTP gateway is herald's own")
class WsTestBase(unittest.TestCase):
    """One herald with the gateway on a free port per class; server pings are off so that every
    frame a test reads is an answer to what it sent."""

    server_args = ("--gateway-sse-heartbeat", "0", "--gateway-ws-max-message", str(MAX_MESSAGE))

    @classmethod
    def setUpClass(cls):
        last = None
        for _ in range(4):
            gport = harness.pick_port()
            try:
                server = Server(args=["--gateway-port", str(gport)] +
                                list(cls.server_args)).start()
            except harness.ServerStartError as e:  # the gateway port was taken meanwhile
                last = e
                continue
            try:
                with socket.create_connection(("127.0.0.1", gport), timeout=IO_TIMEOUT) as s:
                    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    s.settimeout(IO_TIMEOUT)
                    if s.recv(100).startswith(b"HTTP/1.1 200"):
                        server.gport = gport
                        cls.server = server
                        return
            except OSError as e:
                last = e
            server.stop()
        raise AssertionError(f"gateway did not come up: {last!r}")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def setUp(self):
        # One channel per test, so that echoes never cross between tests.
        self.channel = "conf." + self.id().rsplit(".", 1)[-1]

    def tearDown(self):
        # Whatever the case did, the server must still be up and serving new clients.
        self.assertTrue(self.server.alive(), "the server died:\n" + self.server.log()[-3000:])
        ws = WsClient(self.server.gport, "/ws/canary")
        try:
            self.assertEqual(ws.status, 101)
            ws.send(frame(TEXT, b"still alive"))
            self.assertEqual(ws.recv_message(), (TEXT, b"still alive"))
            ws.send(frame(CLOSE, close_payload(1000)))
            self.assertEqual(ws.recv_message(), (CLOSE, close_payload(1000)))
            self.assertEqual(ws.read_until_eof(), b"")
        finally:
            ws.close()

    # -- helpers ------------------------------------------------------------------------------

    def ws(self, path=None, **kw):
        """A WebSocket on /ws/<this test's channel> (or `path`), closed at cleanup."""
        ws = WsClient(self.server.gport, path or "/ws/" + self.channel, **kw)
        self.addCleanup(ws.close)
        self.assertEqual(ws.status, 101, ws.headers)
        return ws

    def echo(self, ws, opcode, payload, data=None):
        """Sends `data` (default: one frame of `payload`) and expects `payload` back."""
        ws.send(frame(opcode, payload) if data is None else data)
        got = ws.recv_message()
        self.assertEqual(got[0], opcode)
        self.assertEqual(len(got[1]), len(payload))
        self.assertTrue(got[1] == payload, "echoed payload differs")

    def sync(self, ws, tag=b"sync"):
        """Pings and waits for the pong: proves nothing else was sent before it."""
        ws.send(frame(PING, tag))
        self.assertEqual(ws.recv_message(), (PONG, tag))

    def expect_close(self, ws, code, eof=True):
        """The next frame is a close with `code` (None: no payload), and then the server closes
        the TCP connection with nothing more. Returns the close reason."""
        opcode, payload = ws.recv_message()
        self.assertEqual(opcode, CLOSE, payload)
        if code is None:
            self.assertEqual(payload, b"")
            reason = b""
        else:
            self.assertGreaterEqual(len(payload), 2, payload)
            self.assertEqual(struct.unpack("!H", payload[:2])[0], code, payload)
            reason = payload[2:]
            reason.decode("utf-8")  # the server's reason must be UTF-8 itself
        if eof:
            self.assertEqual(ws.read_until_eof(), b"")
            # A FIN, not a RST: the server reads (and drops) whatever the client still sends.
            self.assertFalse(ws.reset, "the server reset the connection")
        return reason

    def expect_failure(self, data, code, chunk=None, before=()):
        """A fresh connection sends `data` (in writes of `chunk` bytes if given) and must get
        `before` (a list of (opcode, payload) messages) and then a close with `code`."""
        ws = self.ws()
        if chunk:
            ws.send_chunks(data, chunk, until_closed=True)
        else:
            ws.send(data)
        for message in before:
            self.assertEqual(ws.recv_message(), message)
        return self.expect_close(ws, code)


# ------------------------------------------------------------------------------------------------
# 1 Framing


class Case1Framing(WsTestBase):
    SIZES = (0, 125, 126, 127, 128, 65535, 65536)

    def test_1_1_1_to_1_1_7_text_lengths(self):
        ws = self.ws()
        for n in self.SIZES:
            with self.subTest(size=n):
                self.echo(ws, TEXT, b"*" * n)

    def test_1_1_8_text_65536_sent_in_997_byte_chunks(self):
        ws = self.ws()
        ws.send_chunks(frame(TEXT, b"*" * 65536), 997)
        self.assertEqual(ws.recv_message(), (TEXT, b"*" * 65536))

    def test_1_2_1_to_1_2_7_binary_lengths(self):
        ws = self.ws()
        for n in self.SIZES:
            with self.subTest(size=n):
                self.echo(ws, BINARY, bytes([0xFE]) * n)

    def test_1_2_8_binary_65536_sent_in_997_byte_chunks(self):
        ws = self.ws()
        ws.send_chunks(frame(BINARY, b"\xfe" * 65536), 997)
        self.assertEqual(ws.recv_message(), (BINARY, b"\xfe" * 65536))

    def test_1_x_length_encodings_on_the_wire(self):
        # The server answers with the minimal encoding (recv_frame checks it): exact headers.
        ws = self.ws()
        for n, header in ((125, b"\x81\x7d"), (126, b"\x81\x7e\x00\x7e"),
                          (65535, b"\x81\x7e\xff\xff"),
                          (65536, b"\x81\x7f\x00\x00\x00\x00\x00\x01\x00\x00")):
            with self.subTest(size=n):
                ws.send(frame(TEXT, b"a" * n))
                self.assertEqual(ws.read_exact(len(header)), header)
                self.assertEqual(ws.read_exact(n), b"a" * n)

    def test_1_x_binary_payload_with_every_byte_value(self):
        payload = bytes(range(256)) * 300
        self.echo(self.ws(), BINARY, payload)

    def test_1_x_binary_that_is_valid_utf8_stays_binary(self):
        self.echo(self.ws(), BINARY, "héllo".encode())

    def test_1_x_others_on_the_channel_get_the_same_frames(self):
        a, b = self.ws(), self.ws()
        self.sync(b)  # b's subscription is in place before a publishes
        a.send(frame(TEXT, b"to all"))
        a.send(frame(BINARY, b"\x00\x01"))
        for ws in (a, b):
            self.assertEqual(ws.recv_message(), (TEXT, b"to all"))
            self.assertEqual(ws.recv_message(), (BINARY, b"\x00\x01"))


# ------------------------------------------------------------------------------------------------
# 2 Pings and pongs


class Case2PingPong(WsTestBase):
    def test_2_1_ping_without_payload(self):
        ws = self.ws()
        ws.send(frame(PING))
        self.assertEqual(ws.recv_message(), (PONG, b""))

    def test_2_2_ping_with_text_payload(self):
        ws = self.ws()
        ws.send(frame(PING, b"Hello, world!"))
        self.assertEqual(ws.recv_message(), (PONG, b"Hello, world!"))

    def test_2_3_ping_with_binary_payload(self):
        ws = self.ws()
        ws.send(frame(PING, b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff"))
        self.assertEqual(ws.recv_message(), (PONG, b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff"))

    def test_2_4_ping_with_125_bytes(self):
        ws = self.ws()
        ws.send(frame(PING, b"\xfe" * 125))
        self.assertEqual(ws.recv_message(), (PONG, b"\xfe" * 125))

    def test_2_5_ping_with_126_bytes_is_1002(self):
        self.expect_failure(frame(PING, b"\xfe" * 126), 1002)

    def test_2_5_ping_with_126_bytes_is_1002_before_its_payload(self):
        # Decided by the length field alone: no payload byte is needed.
        self.expect_failure(frame(PING, length=126)[:4], 1002)

    def test_2_6_ping_125_bytes_sent_byte_by_byte(self):
        ws = self.ws()
        ws.send_chunks(frame(PING, b"\xfe" * 125), 1)
        self.assertEqual(ws.recv_message(), (PONG, b"\xfe" * 125))

    def test_2_7_unsolicited_pong_without_payload_is_ignored(self):
        ws = self.ws()
        ws.send(frame(PONG))
        self.sync(ws)

    def test_2_8_unsolicited_pong_with_payload_is_ignored(self):
        ws = self.ws()
        ws.send(frame(PONG, b"unsolicited pong payload"))
        self.sync(ws)

    def test_2_9_unsolicited_pong_then_ping(self):
        ws = self.ws()
        ws.send(frame(PONG, b"unsolicited pong payload") + frame(PING, b"ping payload"))
        self.assertEqual(ws.recv_message(), (PONG, b"ping payload"))

    def test_2_10_ten_pings_in_a_row(self):
        ws = self.ws()
        ws.send(b"".join(frame(PING, b"payload-%d" % i) for i in range(10)))
        for i in range(10):
            self.assertEqual(ws.recv_message(), (PONG, b"payload-%d" % i))

    def test_2_11_ten_pings_sent_byte_by_byte(self):
        ws = self.ws()
        ws.send_chunks(b"".join(frame(PING, b"payload-%d" % i) for i in range(10)), 1)
        for i in range(10):
            self.assertEqual(ws.recv_message(), (PONG, b"payload-%d" % i))

    def test_2_x_unmasked_ping_is_1002(self):
        self.expect_failure(frame(PING, b"x", mask=False), 1002)


# ------------------------------------------------------------------------------------------------
# 3 Reserved bits


class Case3ReservedBits(WsTestBase):
    def test_3_1_rsv1_on_text(self):
        self.expect_failure(frame(TEXT, b"Hello, world!", rsv=4), 1002)

    def test_3_2_rsv2_after_a_valid_message(self):
        data = frame(TEXT, b"Hello, world!") + frame(TEXT, b"Hello, world!", rsv=2) + frame(PING)
        self.expect_failure(data, 1002, before=[(TEXT, b"Hello, world!")])

    def test_3_3_rsv1_rsv2_after_a_valid_message_frame_wise(self):
        ws = self.ws()
        self.echo(ws, TEXT, b"Hello, world!")
        ws.send(frame(TEXT, b"Hello, world!", rsv=6))
        ws.send(frame(PING))
        self.expect_close(ws, 1002)

    def test_3_4_rsv3_after_a_valid_message_byte_by_byte(self):
        data = frame(TEXT, b"Hello, world!") + frame(TEXT, b"Hello, world!", rsv=1) + frame(PING)
        self.expect_failure(data, 1002, chunk=1, before=[(TEXT, b"Hello, world!")])

    def test_3_5_rsv1_rsv3_on_binary(self):
        self.expect_failure(frame(BINARY, bytes(range(8)), rsv=5), 1002)

    def test_3_6_rsv2_rsv3_on_ping(self):
        self.expect_failure(frame(PING, b"Hello, world!", rsv=3), 1002)

    def test_3_7_all_rsv_on_close(self):
        self.expect_failure(frame(CLOSE, close_payload(1000), rsv=7), 1002)

    def test_3_x_rsv_on_a_continuation(self):
        data = frame(TEXT, b"ab", fin=False) + frame(CONT, b"cd", rsv=4)
        self.expect_failure(data, 1002)

    def test_3_x_rsv_is_decided_by_the_first_byte(self):
        # A frame header cut after its first byte: the server already knows.
        self.expect_failure(frame(TEXT, b"x", rsv=4)[:1], 1002)


# ------------------------------------------------------------------------------------------------
# 4 Opcodes


class Case4Opcodes(WsTestBase):
    def test_4_1_1_opcode_3_empty(self):
        self.expect_failure(frame(3), 1002)

    def test_4_1_2_opcode_4_with_payload(self):
        self.expect_failure(frame(4, b"reserved opcode payload"), 1002)

    def test_4_1_3_to_4_1_5_after_a_valid_message(self):
        for op, payload in ((5, b""), (6, b"reserved opcode payload"), (7, b"")):
            with self.subTest(opcode=op):
                data = frame(TEXT, b"Hello, world!") + frame(op, payload) + frame(PING)
                self.expect_failure(data, 1002, before=[(TEXT, b"Hello, world!")])

    def test_4_2_1_opcode_11_empty(self):
        self.expect_failure(frame(11), 1002)

    def test_4_2_2_opcode_12_with_payload(self):
        self.expect_failure(frame(12, b"reserved opcode payload"), 1002)

    def test_4_2_3_to_4_2_5_after_a_valid_message(self):
        for op, payload in ((13, b""), (14, b"reserved opcode payload"), (15, b"")):
            with self.subTest(opcode=op):
                data = frame(TEXT, b"Hello, world!") + frame(op, payload) + frame(PING)
                self.expect_failure(data, 1002, before=[(TEXT, b"Hello, world!")])

    def test_4_x_every_reserved_opcode_byte_by_byte(self):
        for op in (3, 4, 5, 6, 7, 11, 12, 13, 14, 15):
            with self.subTest(opcode=op):
                self.expect_failure(frame(op, b"xy"), 1002, chunk=1)

    def test_4_x_reserved_opcode_inside_a_fragmented_message(self):
        data = frame(TEXT, b"ab", fin=False) + frame(3, b"", fin=False)
        self.expect_failure(data, 1002)


# ------------------------------------------------------------------------------------------------
# 5 Fragmentation


class Case5Fragmentation(WsTestBase):
    def test_5_1_ping_in_two_fragments(self):
        data = frame(PING, b"frag", fin=False) + frame(CONT, b"ment", fin=True)
        self.expect_failure(data, 1002)

    def test_5_2_pong_in_two_fragments(self):
        data = frame(PONG, b"frag", fin=False) + frame(CONT, b"ment", fin=True)
        self.expect_failure(data, 1002)

    def test_5_3_to_5_5_text_in_two_fragments(self):
        data = frame(TEXT, b"fragment1", fin=False) + frame(CONT, b"fragment2")
        for mode, chunk in (("one chop", None), ("frame-wise", "frames"), ("octet-wise", 1)):
            with self.subTest(mode=mode):
                ws = self.ws()
                if chunk == "frames":
                    ws.send(frame(TEXT, b"fragment1", fin=False))
                    ws.send(frame(CONT, b"fragment2"))
                elif chunk:
                    ws.send_chunks(data, chunk)
                else:
                    ws.send(data)
                self.assertEqual(ws.recv_message(), (TEXT, b"fragment1fragment2"))

    def test_5_6_to_5_8_ping_between_fragments(self):
        data = (frame(TEXT, b"fragment1", fin=False) + frame(PING, b"ping payload") +
                frame(CONT, b"fragment2"))
        for mode, chunk in (("one chop", None), ("octet-wise", 1)):
            with self.subTest(mode=mode):
                ws = self.ws()
                if chunk:
                    ws.send_chunks(data, chunk)
                else:
                    ws.send(data)
                # The pong comes as soon as the ping is read, before the message is complete.
                self.assertEqual(ws.recv_message(), (PONG, b"ping payload"))
                self.assertEqual(ws.recv_message(), (TEXT, b"fragment1fragment2"))

    def test_5_7_pong_answered_before_the_last_fragment_is_sent(self):
        ws = self.ws()
        ws.send(frame(TEXT, b"fragment1", fin=False))
        ws.send(frame(PING, b"ping payload"))
        self.assertEqual(ws.recv_message(), (PONG, b"ping payload"))
        ws.send(frame(CONT, b"fragment2"))
        self.assertEqual(ws.recv_message(), (TEXT, b"fragment1fragment2"))

    def test_5_9_to_5_11_continuation_fin_without_a_message(self):
        data = frame(CONT, b"non-continuation payload") + frame(TEXT, b"Hello, world!")
        for chunk in (None, 1):
            with self.subTest(chunk=chunk):
                self.expect_failure(data, 1002, chunk=chunk)

    def test_5_12_to_5_14_continuation_without_fin_without_a_message(self):
        data = frame(CONT, b"non-continuation payload", fin=False) + frame(TEXT, b"Hello, world!")
        for chunk in (None, 1):
            with self.subTest(chunk=chunk):
                self.expect_failure(data, 1002, chunk=chunk)

    def test_5_15_continuation_after_a_finished_message(self):
        data = (frame(TEXT, b"fragment1", fin=False) + frame(CONT, b"fragment2") +
                frame(CONT, b"fragment3", fin=False) + frame(TEXT, b"fragment4"))
        self.expect_failure(data, 1002, before=[(TEXT, b"fragment1fragment2")])

    def test_5_16_5_17_continuation_first_then_a_message(self):
        for fin in (False, True):
            with self.subTest(first_fin=fin):
                data = (frame(CONT, b"fragment1", fin=fin) + frame(TEXT, b"fragment2", fin=False) +
                        frame(CONT, b"fragment3")) * 2
                self.expect_failure(data, 1002)

    def test_5_18_new_text_frame_while_a_message_is_unfinished(self):
        data = frame(TEXT, b"fragment1", fin=False) + frame(TEXT, b"fragment2")
        self.expect_failure(data, 1002)

    def test_5_18_new_binary_frame_while_a_text_message_is_unfinished(self):
        data = frame(TEXT, b"fragment1", fin=False) + frame(BINARY, b"fragment2", fin=False)
        self.expect_failure(data, 1002)

    def test_5_19_5_20_five_fragments_with_pings_after_the_second_and_fourth(self):
        pieces = [b"fragment%d" % i for i in range(1, 6)]
        ws = self.ws()
        for i, piece in enumerate(pieces):
            ws.send(frame(TEXT if i == 0 else CONT, piece, fin=i == 4))
            if i in (1, 3):
                ws.send(frame(PING, b"pongme %d" % i))
                self.assertEqual(ws.recv_message(), (PONG, b"pongme %d" % i))
        self.assertEqual(ws.recv_message(), (TEXT, b"".join(pieces)))

    def test_5_x_fragmented_close_is_1002(self):
        data = frame(CLOSE, close_payload(1000), fin=False)
        self.expect_failure(data, 1002)

    def test_5_x_fragmented_binary(self):
        payload = bytes(range(256)) * 4
        self.echo(self.ws(), BINARY, payload, fragments(BINARY, payload, [100, 200, 300]))

    def test_5_x_one_byte_fragments(self):
        for opcode, payload in ((TEXT, "1-byte fragments ✓".encode()),
                                (BINARY, b"\x00\xff" * 40)):
            with self.subTest(opcode=opcode):
                self.echo(self.ws(), opcode, payload,
                          fragments(opcode, payload, [1] * len(payload)))

    def test_5_x_empty_fragments(self):
        # 6.1.2/6.1.3 too: empty first, middle and last fragments are legal.
        ws = self.ws()
        self.echo(ws, TEXT, b"", fragments(TEXT, b"", [0, 0, 0]))
        self.echo(ws, TEXT, b"middle", frame(TEXT, b"mid", fin=False) + frame(CONT, b"", fin=False)
                  + frame(CONT, b"dle"))

    def test_5_x_many_messages_each_fragmented_with_controls_between(self):
        ws = self.ws()
        data = b""
        expected = []
        for i in range(20):
            payload = b"message %d" % i
            data += frame(TEXT, payload[:3], fin=False) + frame(PONG, b"ignored")
            data += frame(CONT, payload[3:6], fin=False) + frame(PING, b"%d" % i)
            data += frame(CONT, payload[6:])
            expected += [(PONG, b"%d" % i), (TEXT, payload)]
        ws.send_chunks(data, 7)
        for message in expected:
            self.assertEqual(ws.recv_message(), message)


# ------------------------------------------------------------------------------------------------
# 6 UTF-8 handling

KOSME = "κόσμε".encode()
HELLO_UTF8 = "Hello-µ@ßöäüàá-UTF-8!!".encode()


def utf8_vectors():
    """(name, bytes, valid) after Autobahn 6.5-6.23 (Markus Kuhn's UTF-8 decoder stress test)."""
    v = [("6.5 kosme", KOSME, True), ("6.2 hello", HELLO_UTF8, True)]
    # 6.6: κόσμε cut at every length; only cuts on a character boundary are valid.
    for i in range(1, len(KOSME) + 1):
        prefix = KOSME[:i]
        try:
            prefix.decode("utf-8")
            ok = True
        except UnicodeDecodeError:
            ok = False
        v.append((f"6.6 kosme[:{i}]", prefix, ok))
    # 6.7/6.9/6.11: boundaries that are valid.
    for cp in (0x0, 0x80, 0x800, 0x10000, 0x7F, 0x7FF, 0xFFFF, 0x10FFFF, 0xD7FF, 0xE000,
               0xFFFD):
        v.append((f"6.7 U+{cp:04X}", chr(cp).encode("utf-8"), True))
    # 6.8/6.10/6.11: first and last of each length beyond the maximum.
    for b in (b"\xf8\x88\x80\x80\x80", b"\xfc\x84\x80\x80\x80\x80", b"\xf7\xbf\xbf\xbf",
              b"\xfb\xbf\xbf\xbf\xbf", b"\xfd\xbf\xbf\xbf\xbf\xbf", b"\xf4\x90\x80\x80"):
        v.append((f"6.8 beyond max {b.hex()}", b, False))
    # 6.12: unexpected continuation bytes.
    for b in (b"\x80", b"\xbf", b"\x80\xbf", b"\x80\xbf\x80", b"\x80\xbf\x80\xbf",
              b"\x80\xbf\x80\xbf\x80", b"\x80\xbf\x80\xbf\x80\xbf", bytes(range(0x80, 0xC0))):
        v.append((f"6.12 continuation {b[:6].hex()}", b, False))
    # 6.13: lonely start characters, each followed by a space.
    for lo, hi in ((0xC0, 0xDF), (0xE0, 0xEF), (0xF0, 0xF7), (0xF8, 0xFB), (0xFC, 0xFD)):
        v.append((f"6.13 lonely {lo:x}-{hi:x}", b"".join(bytes([c]) + b" "
                                                         for c in range(lo, hi + 1)), False))
    # 6.14/6.15: sequences with the last continuation byte missing, alone and concatenated.
    missing = [b"\xc0", b"\xe0\x80", b"\xf0\x80\x80", b"\xf8\x80\x80\x80", b"\xfc\x80\x80\x80\x80",
               b"\xdf", b"\xef\xbf", b"\xf7\xbf\xbf", b"\xfb\xbf\xbf\xbf", b"\xfd\xbf\xbf\xbf\xbf"]
    for b in missing:
        v.append((f"6.14 missing last {b.hex()}", b, False))
    v.append(("6.15 concatenated incomplete", b"".join(missing), False))
    # Valid leads whose sequence is cut by the end of the message (only the end decides).
    for b in (b"\xc2", b"\xe1\x80", b"\xf1\x80\x80", b"\xf4\x8f\xbf"):
        v.append((f"6.14 truncated at the end {b.hex()}", b"ok " + b, False))
    # 6.16: impossible bytes.
    for b in (b"\xfe", b"\xff", b"\xfe\xfe\xff\xff"):
        v.append((f"6.16 impossible {b.hex()}", b, False))
    # 6.17-6.19: overlong forms of "/", the largest overlongs, overlong NUL.
    for b in (b"\xc0\xaf", b"\xe0\x80\xaf", b"\xf0\x80\x80\xaf", b"\xf8\x80\x80\x80\xaf",
              b"\xfc\x80\x80\x80\x80\xaf", b"\xc1\xbf", b"\xe0\x9f\xbf", b"\xf0\x8f\xbf\xbf",
              b"\xf8\x87\xbf\xbf\xbf", b"\xfc\x83\xbf\xbf\xbf\xbf", b"\xc0\x80", b"\xe0\x80\x80",
              b"\xf0\x80\x80\x80", b"\xf8\x80\x80\x80\x80", b"\xfc\x80\x80\x80\x80\x80"):
        v.append((f"6.17 overlong {b.hex()}", b, False))
    # 6.20/6.21: single and paired UTF-16 surrogates (U+D800-U+DFFF) are not UTF-8.
    singles = [b"\xed\xa0\x80", b"\xed\xad\xbf", b"\xed\xae\x80", b"\xed\xaf\xbf",
               b"\xed\xb0\x80", b"\xed\xbe\x80", b"\xed\xbf\xbf"]
    for b in singles:
        v.append((f"6.20 surrogate {b.hex()}", b, False))
    for hi in singles[:4]:
        for lo in (b"\xed\xb0\x80", b"\xed\xbf\xbf"):
            v.append((f"6.21 surrogate pair {(hi + lo).hex()}", hi + lo, False))
    # 6.22/6.23: noncharacters and specials are valid UTF-8.
    for cp in [0xFFFE, 0xFFFF] + [(p << 16) | t for p in range(1, 17) for t in (0xFFFE, 0xFFFF)] + \
            list(range(0xFDD0, 0xFDF0)) + [0xFFF9, 0xFFFA, 0xFFFB, 0xFFFC, 0xFFFD, 0xFEFF]:
        v.append((f"6.22 U+{cp:04X}", chr(cp).encode("utf-8"), True))
    # 6.3.1: invalid in the middle of valid text.
    v.append(("6.3.1 kosme+surrogate+edited", KOSME + b"\xed\xa0\x80edited", False))
    return v


class Case6Utf8(WsTestBase):
    def check(self, payload, valid, data):
        """Sends `data` carrying the text `payload`; echo when valid, else 1007."""
        if valid:
            self.echo(self.ws(), TEXT, payload, data)
        else:
            self.expect_failure(data, 1007)

    def test_6_1_empty_text(self):
        ws = self.ws()
        self.echo(ws, TEXT, b"")
        self.echo(ws, TEXT, b"", fragments(TEXT, b"", [0, 0, 0]))

    def test_6_2_valid_utf8_split_at_every_byte(self):
        # 6.2.1 in one frame, 6.2.2 in two fragments split at every position, 6.2.3/6.2.4
        # in 1-byte fragments and sent byte by byte.
        for text in (HELLO_UTF8, KOSME):
            ws = self.ws()
            self.echo(ws, TEXT, text)
            for k in range(len(text) + 1):
                self.echo(ws, TEXT, text, fragments(TEXT, text, [k, len(text) - k]))
            self.echo(ws, TEXT, text, fragments(TEXT, text, [1] * len(text)))
            ws.send_chunks(fragments(TEXT, text, [1] * len(text)), 1)
            self.assertEqual(ws.recv_message(), (TEXT, text))

    def test_6_3_invalid_utf8_whole_and_in_1_byte_fragments(self):
        payload = KOSME + b"\xed\xa0\x80edited"
        self.expect_failure(frame(TEXT, payload), 1007)
        self.expect_failure(fragments(TEXT, payload, [1] * len(payload)), 1007)

    def test_6_4_1_fail_fast_in_a_fragment(self):
        # Autobahn 6.4.1: the second of three fragments is invalid; the server must close
        # without waiting for the third (it is never sent).
        ws = self.ws()
        ws.send(frame(TEXT, KOSME, fin=False))
        ws.send(frame(CONT, b"\xf4\x90\x80\x80", fin=False))
        self.expect_close(ws, 1007)

    def test_6_4_2_fail_fast_inside_a_code_point(self):
        # F4 90: no continuation can make it valid (> U+10FFFF), decided at the 90.
        ws = self.ws()
        ws.send(frame(TEXT, KOSME + b"\xf4\x90", fin=False))
        self.expect_close(ws, 1007)

    def test_6_4_3_6_4_4_fail_fast_inside_one_frame(self):
        # One frame whose rest is never sent: invalid bytes close it in the middle.
        for bad in (b"\xf4\x90\x80\x80", b"\xf4\x90"):
            with self.subTest(bad=bad.hex()):
                payload = KOSME + bad + b"edited"
                data = frame(TEXT, payload, length=len(payload) + 100)  # 100 bytes never come
                self.expect_failure(data, 1007)

    def test_6_x_fail_fast_in_the_first_fragment(self):
        ws = self.ws()
        ws.send(frame(TEXT, b"\xc0\xaf", fin=False))
        self.expect_close(ws, 1007)

    def test_6_x_surrogate_decided_at_its_second_byte(self):
        ws = self.ws()
        ws.send(frame(TEXT, b"\xed\xa0", fin=False))
        self.expect_close(ws, 1007)

    def test_6_x_message_ending_inside_a_code_point(self):
        # Each fragment is a valid prefix; only the end of the message makes it invalid.
        data = frame(TEXT, b"ok \xe2\x82", fin=False) + frame(CONT, b"", fin=True)
        self.expect_failure(data, 1007)

    def test_6_x_code_point_split_across_fragments_is_valid(self):
        ws = self.ws()
        euro = "€".encode()
        for k in range(1, 3):
            self.echo(ws, TEXT, euro, fragments(TEXT, euro, [k, 3 - k]))
        # ...with a ping in the middle of the code point.
        ws.send(frame(TEXT, euro[:1], fin=False) + frame(PING, b"p") + frame(CONT, euro[1:]))
        self.assertEqual(ws.recv_message(), (PONG, b"p"))
        self.assertEqual(ws.recv_message(), (TEXT, euro))

    def test_6_5_to_6_23_vectors_in_one_frame(self):
        for name, payload, valid in utf8_vectors():
            with self.subTest(name):
                self.check(payload, valid, frame(TEXT, payload))

    def test_6_5_to_6_23_vectors_in_1_byte_fragments(self):
        for name, payload, valid in utf8_vectors():
            with self.subTest(name):
                self.check(payload, valid, fragments(TEXT, payload, [1] * max(1, len(payload))))

    def test_6_x_vectors_split_in_two_at_every_byte(self):
        for name, payload, valid in utf8_vectors():
            if len(payload) > 12:
                continue
            for k in range(len(payload) + 1):
                with self.subTest(name, split=k):
                    self.check(payload, valid, fragments(TEXT, payload, [k, len(payload) - k]))

    def test_6_x_vectors_sent_byte_by_byte_on_the_wire(self):
        ws = self.ws()
        for name, payload, valid in utf8_vectors():
            if valid:
                with self.subTest(name):
                    ws.send_chunks(frame(TEXT, payload), 1)
                    self.assertEqual(ws.recv_message(), (TEXT, payload))

    def test_6_x_binary_messages_are_not_checked(self):
        ws = self.ws()
        for name, payload, valid in utf8_vectors():
            if not valid:
                with self.subTest(name):
                    self.echo(ws, BINARY, payload)

    def test_6_x_json_protocol_checks_utf8_too(self):
        ws = self.ws("/ws")
        ws.send(frame(TEXT, b'["PING","\xed\xa0\x80"]'))
        self.expect_close(ws, 1007)


# ------------------------------------------------------------------------------------------------
# 7 Close handling


class Case7Close(WsTestBase):
    def clean_close(self, ws, sent, echoed):
        """Sends the close payload `sent`, expects the close frame `echoed` back and then a
        clean TCP close (FIN) from the server."""
        ws.send(frame(CLOSE, sent))
        self.assertEqual(ws.recv_message(), (CLOSE, echoed))
        self.assertEqual(ws.read_until_eof(), b"")
        self.assertFalse(ws.reset, "the server reset the connection instead of closing it")

    def test_7_1_1_message_then_close(self):
        ws = self.ws()
        self.echo(ws, TEXT, b"Hello World!")
        self.clean_close(ws, close_payload(1000), close_payload(1000))

    def test_7_1_2_close_twice(self):
        ws = self.ws()
        ws.send(frame(CLOSE, close_payload(1000)) + frame(CLOSE, close_payload(1000)))
        self.assertEqual(ws.recv_message(), (CLOSE, close_payload(1000)))
        self.assertEqual(ws.read_until_eof(), b"")

    def test_7_1_3_ping_after_close_is_not_answered(self):
        ws = self.ws()
        ws.send(frame(CLOSE, close_payload(1000)) + frame(PING, b"Hello World!"))
        self.assertEqual(ws.recv_message(), (CLOSE, close_payload(1000)))
        self.assertEqual(ws.read_until_eof(), b"")

    def test_7_1_4_text_after_close_is_not_echoed(self):
        ws = self.ws()
        other = self.ws()
        self.sync(other)
        ws.send(frame(CLOSE, close_payload(1000)) + frame(TEXT, b"Hello World!"))
        self.assertEqual(ws.recv_message(), (CLOSE, close_payload(1000)))
        self.assertEqual(ws.read_until_eof(), b"")
        # Not published either: the other subscriber sees only its own sync.
        self.sync(other, b"after")

    def test_7_1_5_close_inside_a_fragmented_message(self):
        ws = self.ws()
        ws.send(frame(TEXT, b"fragment1", fin=False) + frame(CLOSE, close_payload(1000)) +
                frame(CONT, b"fragment2"))
        self.assertEqual(ws.recv_message(), (CLOSE, close_payload(1000)))
        self.assertEqual(ws.read_until_eof(), b"")

    def test_7_1_6_large_message_then_close_then_ping(self):
        ws = self.ws()
        payload = b"BAsd7&jh23" * 26214 + b"Bj"  # 256 KiB
        ws.send(frame(TEXT, payload) + frame(CLOSE, close_payload(1000)) + frame(PING, b"x"))
        self.assertEqual(ws.recv_message(), (TEXT, payload))
        self.assertEqual(ws.recv_message(), (CLOSE, close_payload(1000)))
        self.assertEqual(ws.read_until_eof(), b"")

    def test_7_3_1_close_without_payload(self):
        self.clean_close(self.ws(), b"", b"")

    def test_7_3_2_close_with_1_byte_payload_is_1002(self):
        self.expect_failure(frame(CLOSE, b"a"), 1002)

    def test_7_3_3_close_with_code_only(self):
        self.clean_close(self.ws(), close_payload(1000), close_payload(1000))

    def test_7_3_4_close_with_code_and_reason(self):
        self.clean_close(self.ws(), close_payload(1000, b"Hello World!"), close_payload(1000))

    def test_7_3_5_close_with_123_byte_reason(self):
        self.clean_close(self.ws(), close_payload(1000, b"*" * 123), close_payload(1000))

    def test_7_3_6_close_with_124_byte_reason_is_1002(self):
        # 126-byte control frame.
        self.expect_failure(frame(CLOSE, close_payload(1000, b"*" * 124)), 1002)

    def test_7_5_1_close_reason_invalid_utf8_is_1007(self):
        reason = KOSME + b"\xed\xa0\x80edited"
        self.expect_failure(frame(CLOSE, close_payload(1000, reason)), 1007)

    def test_7_5_x_close_reason_utf8_cut_is_1007(self):
        self.expect_failure(frame(CLOSE, close_payload(1000, "€".encode()[:2])), 1007)

    def test_7_5_x_close_reason_valid_utf8(self):
        self.clean_close(self.ws(), close_payload(1000, KOSME), close_payload(1000))

    def test_7_7_valid_close_codes_are_echoed(self):
        for code in (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000,
                     4999):
            with self.subTest(code=code):
                self.clean_close(self.ws(), close_payload(code), close_payload(code))

    def test_7_9_invalid_close_codes_are_1002(self):
        for code in (0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535):
            with self.subTest(code=code):
                self.expect_failure(frame(CLOSE, close_payload(code)), 1002)

    def test_7_x_unmasked_close_is_1002(self):
        self.expect_failure(frame(CLOSE, close_payload(1000), mask=False), 1002)

    def test_7_x_close_sent_byte_by_byte(self):
        ws = self.ws()
        ws.send_chunks(frame(CLOSE, close_payload(1001, b"bye")), 1)
        self.assertEqual(ws.recv_message(), (CLOSE, close_payload(1001)))
        self.assertEqual(ws.read_until_eof(), b"")

    def test_7_x_closing_unsubscribes(self):
        ws = self.ws()
        conn = self.server.connect()
        self.addCleanup(conn.close)
        self.assertEqual(conn.cmd("PUBSUB", "NUMSUB", self.channel), [self.channel.encode(), 1])
        self.clean_close(ws, close_payload(1000), close_payload(1000))
        harness.wait_until(
            lambda: conn.cmd("PUBSUB", "NUMSUB", self.channel) == [self.channel.encode(), 0],
            message="the closed WebSocket unsubscribed")

    def connected_clients(self, conn):
        info = conn.cmd("INFO", "clients").decode()
        return int(info.split("connected_clients:")[1].split()[0])

    def test_7_x_peer_that_never_closes_is_released(self):
        # After its close frame and FIN the server drains input until the peer closes; a peer
        # that keeps its socket open and silent is dropped anyway (connections count towards
        # connected_clients, one of them being `conn` itself).
        conn = self.server.connect()
        self.addCleanup(conn.close)
        ws = self.ws()
        ws.send(frame(TEXT, b"x", mask=False))
        self.expect_close(ws, 1002)  # FIN seen; the socket stays open on this side
        harness.wait_until(lambda: self.connected_clients(conn) == 1,
                           message="the lingering connection to be closed")

    def test_7_x_peer_that_never_stops_sending_is_released(self):
        ws = self.ws()
        ws.send(frame(TEXT, b"x", mask=False))
        self.expect_close(ws, 1002)
        outcome = []

        def flood():
            chunk = b"\x00" * 4096
            deadline = time.monotonic() + 60  # far beyond the server's linger limit
            while time.monotonic() < deadline:
                try:
                    ws.sock.sendall(chunk)
                except OSError as e:
                    outcome.append(e)
                    return
            outcome.append("the server never closed")

        sender = threading.Thread(target=flood)
        sender.start()
        sender.join(90)
        self.assertFalse(sender.is_alive())
        self.assertIsInstance(outcome[0], OSError)

    def test_7_x_tcp_close_without_close_frame(self):
        ws = self.ws()
        ws.send(frame(TEXT, b"half", fin=False))
        ws.sock.shutdown(socket.SHUT_WR)
        self.assertEqual(ws.read_until_eof(), b"")


# ------------------------------------------------------------------------------------------------
# 9 Limits and performance (correctness only, nothing is timed)


class Case9Limits(WsTestBase):
    AUTOBAHN_SIZES = (64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024, 8 * 1024 * 1024,
                      16 * 1024 * 1024)

    def test_9_1_text_messages_up_to_16_mib(self):
        ws = self.ws()
        for n in self.AUTOBAHN_SIZES:
            with self.subTest(size=n):
                self.echo(ws, TEXT, b"*" * n)

    def test_9_2_binary_messages_up_to_16_mib(self):
        ws = self.ws()
        for n in self.AUTOBAHN_SIZES:
            with self.subTest(size=n):
                self.echo(ws, BINARY, b"\xfe" * n)

    def test_9_3_9_4_4_mib_fragmented(self):
        # Autobahn 9.3/9.4: 4 MiB in fragments of 64 B..4 MiB (64 B and 256 B fragments are
        # covered at 1 MiB to keep the frame count reasonable).
        ws = self.ws()
        for opcode, fill in ((TEXT, b"*"), (BINARY, b"\xfe")):
            for size in (64, 256, 1024, 4096, 16384, 65536, 262144, 1 << 20, 4 << 20):
                total = (1 << 20) if size < 1024 else (4 << 20)
                with self.subTest(opcode=opcode, fragment=size):
                    payload = fill * total
                    self.echo(ws, opcode, payload,
                              fragments(opcode, payload, [size] * (total // size)))

    def test_9_5_9_6_1_mib_in_chunks_on_the_wire(self):
        ws = self.ws()
        for opcode, fill in ((TEXT, b"*"), (BINARY, b"\xfe")):
            for chunk in (64, 128, 256, 512, 1024, 2048, 4096):
                with self.subTest(opcode=opcode, chunk=chunk):
                    payload = fill * (1 << 20)
                    ws.send_chunks(frame(opcode, payload), chunk)
                    self.assertEqual(ws.recv_message(), (opcode, payload))

    def test_9_7_9_8_many_small_messages_round_trips(self):
        ws = self.ws()
        for opcode in (TEXT, BINARY):
            for i in range(300):
                self.echo(ws, opcode, b"message %05d" % i)

    def test_9_x_many_small_messages_pipelined(self):
        ws = self.ws()
        payloads = [b"m%05d" % i for i in range(2000)]
        ws.send(b"".join(frame(TEXT, p) for p in payloads))
        for p in payloads:
            self.assertEqual(ws.recv_message(), (TEXT, p))

    def test_9_x_frames_split_into_chunks_of_every_size(self):
        ws = self.ws()
        data = (frame(TEXT, b"a" * 130) + frame(BINARY, b"\x00" * 70000) + frame(PING, b"pp") +
                fragments(TEXT, KOSME, [3, 1, 5]) + frame(PONG, b"x") + frame(TEXT, b""))
        expected = [(TEXT, b"a" * 130), (BINARY, b"\x00" * 70000), (PONG, b"pp"), (TEXT, KOSME),
                    (TEXT, b"")]
        for size in list(range(1, 20)) + [127, 1000, 4096, 65537]:
            with self.subTest(chunk=size):
                ws.send_chunks(data, size)
                for message in expected:
                    self.assertEqual(ws.recv_message(), message)

    def test_9_x_message_of_exactly_the_limit_passes(self):
        ws = self.ws()
        payload = b"L" * MAX_MESSAGE
        self.echo(ws, BINARY, payload, fragments(BINARY, payload, [MAX_MESSAGE // 2] * 2))

    def test_9_x_frame_over_the_limit_is_1009_before_its_payload(self):
        # Only the header is sent: the server decides on the declared length alone, so it
        # neither waits for nor buffers the payload.
        for n in (MAX_MESSAGE + 1, 1 << 40, (1 << 63) - 1):
            with self.subTest(length=n):
                self.expect_failure(frame(BINARY, length=n), 1009)

    def test_9_x_fragments_summing_over_the_limit_are_1009(self):
        half = b"h" * (MAX_MESSAGE // 2)
        ws = self.ws()
        ws.send(frame(TEXT, half, fin=False) + frame(CONT, half, fin=False))
        # The message is now exactly at the limit; one more byte is announced.
        ws.send(frame(CONT, length=1))
        self.expect_close(ws, 1009)

    def test_9_x_64_bit_length_with_the_top_bit_is_1002(self):
        data = bytes([0x82, 0xFF]) + struct.pack("!Q", 1 << 63) + os.urandom(4)
        self.expect_failure(data, 1002)

    def test_9_x_large_ping_storm_between_fragments(self):
        ws = self.ws()
        payload = b"x" * (1 << 20)
        pieces = chunked(payload, 65536)
        data = b""
        for i, piece in enumerate(pieces):
            data += frame(TEXT if i == 0 else CONT, piece, fin=i == len(pieces) - 1)
            if i < len(pieces) - 1:
                data += frame(PING, b"%d" % i)
        ws.send(data)
        for i in range(len(pieces) - 1):
            self.assertEqual(ws.recv_message(), (PONG, b"%d" % i))
        self.assertEqual(ws.recv_message(), (TEXT, payload))


class Case9SmallLimit(WsTestBase):
    """The limit is the configured gateway-ws-max-message (here 4096)."""

    server_args = ("--gateway-sse-heartbeat", "0", "--gateway-ws-max-message", "4096")

    def test_9_x_at_the_configured_limit(self):
        ws = self.ws()
        self.echo(ws, TEXT, b"t" * 4096)
        self.echo(ws, BINARY, b"b" * 4096, fragments(BINARY, b"b" * 4096, [1000] * 5))

    def test_9_x_over_the_configured_limit_is_1009(self):
        for data in (frame(TEXT, b"t" * 4097), frame(BINARY, length=4097),
                     frame(BINARY, b"b" * 4000, fin=False) + frame(CONT, b"b" * 97)):
            with self.subTest(size=len(data)):
                self.expect_failure(data, 1009)

    def test_9_x_oversize_message_still_streaming_gets_1009_and_a_clean_close(self):
        # The client is still sending the rest of a 4 MiB message when the server fails it at
        # the header. The close frame must reach the client intact: the server stops writing
        # (FIN) but keeps reading and discarding, so the client's writes do not meet a RST
        # that would destroy the close frame before the client reads it (what browsers and
        # `ws` would then report is 1006, not 1009).
        ws = self.ws()
        data = frame(BINARY, b"o" * (4 << 20))
        errors = []

        def send():
            try:
                ws.sock.sendall(data)
            except OSError as e:
                errors.append(e)

        sender = threading.Thread(target=send)
        sender.start()
        try:
            self.expect_close(ws, 1009)
        finally:
            sender.join(IO_TIMEOUT)
        self.assertFalse(sender.is_alive(), "the server stopped reading the rest")
        self.assertEqual(errors, [])
        self.assertFalse(ws.reset, "the server reset the connection")

    def test_9_x_control_frames_do_not_count(self):
        ws = self.ws()
        data = (frame(TEXT, b"t" * 4000, fin=False) + frame(PING, b"p" * 125) +
                frame(CONT, b"t" * 96))
        ws.send(data)
        self.assertEqual(ws.recv_message(), (PONG, b"p" * 125))
        self.assertEqual(ws.recv_message(), (TEXT, b"t" * 4096))

    def test_9_x_json_protocol_limit(self):
        ws = self.ws("/ws")
        ws.send(frame(TEXT, b'["PING","' + b"x" * 5000 + b'"]'))
        self.expect_close(ws, 1009)


# ------------------------------------------------------------------------------------------------
# 10 Misc


class Case10Misc(WsTestBase):
    def test_10_1_1_auto_fragmented_65536_text(self):
        payload = b"*" * 65536
        self.echo(self.ws(), TEXT, payload, fragments(TEXT, payload, [1300] * (65536 // 1300 + 1)))

    def test_10_x_message_in_many_frames(self):
        payload = "ünïcødé ✓ ".encode() * 2000
        self.echo(self.ws(), TEXT, payload, fragments(TEXT, payload, [7] * (len(payload) // 7 + 1)))

    def test_10_x_frames_pipelined_behind_the_handshake(self):
        # The handshake request and the first frames in one TCP segment.
        data = frame(TEXT, b"first") + frame(PING, b"p") + frame(BINARY, b"\x01")
        ws = self.ws(send_after=data)
        self.assertEqual(ws.recv_message(), (TEXT, b"first"))
        self.assertEqual(ws.recv_message(), (PONG, b"p"))
        self.assertEqual(ws.recv_message(), (BINARY, b"\x01"))

    def test_10_x_error_pipelined_behind_the_handshake(self):
        ws = self.ws(send_after=frame(TEXT, b"x", mask=False))
        self.expect_close(ws, 1002)

    def test_10_x_pipelined_messages_and_close_in_one_segment(self):
        ws = self.ws()
        ws.send(frame(TEXT, b"one") + frame(BINARY, b"two") + frame(PING, b"three") +
                frame(CLOSE, close_payload(1000, b"done")))
        self.assertEqual(ws.recv_message(), (TEXT, b"one"))
        self.assertEqual(ws.recv_message(), (BINARY, b"two"))
        self.assertEqual(ws.recv_message(), (PONG, b"three"))
        self.assertEqual(ws.recv_message(), (CLOSE, close_payload(1000)))
        self.assertEqual(ws.read_until_eof(), b"")

    def test_10_x_mask_keys_vary_per_frame(self):
        ws = self.ws()
        for key in (b"\x00\x00\x00\x00", b"\xff\xff\xff\xff", b"\x01\x02\x03\x04"):
            ws.send(frame(BINARY, b"masked payload", key=key))
            self.assertEqual(ws.recv_message(), (BINARY, b"masked payload"))


# ------------------------------------------------------------------------------------------------
# Masking and the opening handshake


class MaskingTest(WsTestBase):
    def test_unmasked_data_frames_are_1002(self):
        for opcode in (TEXT, BINARY):
            with self.subTest(opcode=opcode):
                self.expect_failure(frame(opcode, b"hello", mask=False), 1002)

    def test_unmasked_continuation_is_1002(self):
        data = frame(TEXT, b"ab", fin=False) + frame(CONT, b"cd", mask=False)
        self.expect_failure(data, 1002)

    def test_unmasked_pong_is_1002(self):
        self.expect_failure(frame(PONG, b"", mask=False), 1002)

    def test_unmasked_after_a_valid_message(self):
        data = frame(TEXT, b"ok") + frame(TEXT, b"not masked", mask=False)
        self.expect_failure(data, 1002, before=[(TEXT, b"ok")])

    def test_unmasked_on_the_json_protocol(self):
        ws = self.ws("/ws")
        ws.send(frame(TEXT, b'["PING"]', mask=False))
        self.expect_close(ws, 1002)


class HandshakeTest(WsTestBase):
    def raw(self, request):
        """Sends a raw request; returns (status, headers) of the response and the connection."""
        s = socket.create_connection(("127.0.0.1", self.server.gport), timeout=IO_TIMEOUT)
        self.addCleanup(s.close)
        s.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        head = data.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return int(head[0].split(" ")[1]), headers

    def request(self, key="dGhlIHNhbXBsZSBub25jZQ==", version="13", extra=(), method="GET",
                http="HTTP/1.1", path=None):
        lines = [f"{method} {path or '/ws/' + self.channel} {http}", "Host: localhost",
                 "Upgrade: websocket", "Connection: Upgrade"]
        if key is not None:
            lines.append(f"Sec-WebSocket-Key: {key}")
        if version is not None:
            lines.append(f"Sec-WebSocket-Version: {version}")
        return ("\r\n".join(lines + list(extra)) + "\r\n\r\n").encode()

    def test_accept_key(self):
        status, headers = self.raw(self.request())
        self.assertEqual(status, 101)
        self.assertEqual(headers["sec-websocket-accept"], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        self.assertEqual(headers["upgrade"].lower(), "websocket")
        self.assertIn("upgrade", headers["connection"].lower())
        ws = self.ws()
        self.assertEqual(ws.headers["sec-websocket-accept"], accept_key(ws.key))

    def test_missing_key_is_400(self):
        self.assertEqual(self.raw(self.request(key=None))[0], 400)

    def test_invalid_keys_are_400(self):
        for key in ("", "abc", "dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25jZQ==x",
                    "dGhlIHNhbXBsZSBub25j", "!!!!!!!!!!!!!!!!!!!!!!==",
                    "dGhlIHNhbXBsZSBub25jZXh4eA=="):  # base64 of 17 bytes
            with self.subTest(key=key):
                self.assertEqual(self.raw(self.request(key=key))[0], 400)

    def test_two_keys_are_400(self):
        extra = ["Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="]
        self.assertEqual(self.raw(self.request(extra=extra))[0], 400)

    def test_other_versions_are_426(self):
        for version in ("8", "7", "12", "14", "13, 8", "x"):
            with self.subTest(version=version):
                status, headers = self.raw(self.request(version=version))
                self.assertEqual(status, 426)
                self.assertEqual(headers["sec-websocket-version"], "13")

    def test_missing_version_is_refused(self):
        status, _ = self.raw(self.request(version=None))
        self.assertIn(status, (400, 426))

    def test_not_get_or_not_http_1_1_is_refused(self):
        self.assertEqual(self.raw(self.request(method="POST"))[0], 405)
        self.assertEqual(self.raw(self.request(http="HTTP/1.0"))[0], 400)

    def test_no_upgrade_headers_is_refused(self):
        request = (f"GET /ws/{self.channel} HTTP/1.1\r\nHost: x\r\n"
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   "Sec-WebSocket-Version: 13\r\n\r\n").encode()
        self.assertEqual(self.raw(request)[0], 400)

    def test_rejection_closes_and_does_not_subscribe(self):
        ws = WsClient(self.server.gport, "/ws/" + self.channel, version="8")
        self.addCleanup(ws.close)
        self.assertEqual(ws.status, 426)
        ws.read_exact(int(ws.headers["content-length"]))
        self.assertEqual(ws.read_until_eof(), b"")
        conn = self.server.connect()
        self.addCleanup(conn.close)
        self.assertEqual(conn.cmd("PUBSUB", "NUMSUB", self.channel), [self.channel.encode(), 0])

    def test_extensions_are_declined(self):
        extra = ["Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"]
        status, headers = self.raw(self.request(extra=extra))
        self.assertEqual(status, 101)
        self.assertNotIn("sec-websocket-extensions", headers)
        # And RSV1 (what a compressed frame would set) is still a protocol error.
        ws = self.ws(headers=extra)
        self.assertNotIn("sec-websocket-extensions", ws.headers)
        ws.send(frame(TEXT, b"\xf2\x48\xcd\xc9\xc9\x07\x00", rsv=4))
        self.expect_close(ws, 1002)

    def test_subprotocol_not_selected(self):
        status, headers = self.raw(self.request(extra=["Sec-WebSocket-Protocol: chat, mqtt"]))
        self.assertEqual(status, 101)
        self.assertNotIn("sec-websocket-protocol", headers)

    def test_header_names_and_tokens_are_case_insensitive(self):
        request = (f"GET /ws/{self.channel} HTTP/1.1\r\nhost: x\r\nupgrade: WebSocket\r\n"
                   "connection: keep-alive, UPGRADE\r\n"
                   "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   "sec-websocket-version: 13\r\n\r\n").encode()
        self.assertEqual(self.raw(request)[0], 101)

    def test_upgrade_after_a_keep_alive_request_on_the_same_connection(self):
        # An HTTP request, then the handshake, then a frame, all in one segment.
        s = socket.create_connection(("127.0.0.1", self.server.gport), timeout=IO_TIMEOUT)
        self.addCleanup(s.close)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + self.request() +
                  frame(TEXT, b"after upgrade"))
        expected_tail = b"\r\n\r\n\x81\x0dafter upgrade"
        data = b""
        while not data.endswith(expected_tail):
            chunk = s.recv(4096)
            self.assertTrue(chunk, f"closed early: {data!r}")
            data += chunk
        self.assertTrue(data.startswith(b"HTTP/1.1 200 OK\r\n"), data)
        self.assertIn(b"ok\nHTTP/1.1 101 Switching Protocols\r\n", data)

    def test_only_the_same_origin_without_configured_origins(self):
        # Cross-site WebSocket hijacking: a page of another site must not get in.
        for origin in ("http://anything.example", "http://localhost.evil", "null"):
            with self.subTest(origin=origin):
                ws = WsClient(self.server.gport, "/ws/" + self.channel,
                              headers=[f"Origin: {origin}"])
                self.addCleanup(ws.close)
                self.assertEqual(ws.status, 403)
        # The page the gateway itself serves (the request's Host is localhost).
        # The scheme is part of the origin: https pages belong to gateway-tls-port (see
        # test_gateway_tls), http ones to this plain port.
        ws = WsClient(self.server.gport, "/ws/" + self.channel,
                      headers=["Origin: https://localhost"])
        self.addCleanup(ws.close)
        self.assertEqual(ws.status, 403)
        for origin in ("http://localhost", "HTTP://LOCALHOST"):
            with self.subTest(origin=origin):
                self.echo(self.ws(headers=[f"Origin: {origin}"]), TEXT, b"hi")


class OriginTest(WsTestBase):
    server_args = ("--gateway-sse-heartbeat", "0",
                   "--gateway-cors-origins", "http://good.example", "https://app.example")

    def test_allowed_origins_are_accepted(self):
        for origin in ("http://good.example", "https://app.example"):
            with self.subTest(origin=origin):
                ws = self.ws(headers=[f"Origin: {origin}"])
                self.echo(ws, TEXT, b"hi")

    def test_other_origins_are_403(self):
        for origin in ("http://evil.example", "http://good.example.evil", "null",
                       "HTTP://GOOD.EXAMPLE.evil"):
            with self.subTest(origin=origin):
                ws = WsClient(self.server.gport, "/ws/" + self.channel,
                              headers=[f"Origin: {origin}"])
                self.addCleanup(ws.close)
                self.assertEqual(ws.status, 403)

    def test_no_origin_is_a_non_browser_client(self):
        self.echo(self.ws(), TEXT, b"hi")


if __name__ == "__main__":
    unittest.main()

"""Limits: maxclients, output-buffer limits for a stalled subscriber (hard and soft, with the
server's RSS staying bounded), client-query-buffer-limit and proto-max-bulk-len.

Run: HERALD_TEST_TARGET=redis /usr/bin/python3 -m unittest -v resp.test_limits   (see harness.py)
"""

import socket
import threading
import time
import unittest

import harness as h
from harness import ack, bulk, encode, message

MB = 1024 * 1024


class MaxclientsTest(h.ServerTestCase):
    server_args = ["--maxclients", "3"]

    def test_maxclients(self):
        a = self.connect()
        a.send(b"PING\r\n")
        a.expect(b"+PONG\r\n")
        # The harness's readiness probe may still be counted for a moment.
        h.wait_connected_clients(a, 1)
        b, c = self.connect(), self.connect()
        for conn in (b, c):
            conn.send(b"PING\r\n")
            conn.expect(b"+PONG\r\n")
        # The 4th client gets the error on accept (without sending anything), then EOF.
        d = self.connect()
        d.expect_eof(b"-ERR max number of clients reached\r\n")
        a.send(encode("CONFIG", "GET", "maxclients"))
        a.expect(b"*2\r\n$10\r\nmaxclients\r\n$1\r\n3\r\n")
        # Room again once a client leaves.
        b.close()
        h.wait_connected_clients(a, 2)
        e = self.connect()
        e.send(b"PING\r\n")
        e.expect(b"+PONG\r\n")
        f = self.connect()
        f.expect_eof(b"-ERR max number of clients reached\r\n")


class FrameCounter(threading.Thread):
    """Reads a subscriber socket in the background and checks that it receives exactly the
    messages `message(channel, payload(i))` for i = 0, 1, 2, ... (fixed-size payloads)."""

    def __init__(self, conn, channel, payload_size, make_payload):
        super().__init__(daemon=True)
        self.conn = conn
        self.make_payload = make_payload
        self.prefix = message(channel, b"x" * payload_size)[:-(payload_size + 2)]
        self.frame_len = len(self.prefix) + payload_size + 2
        self.count = 0
        self.error = None
        self.cond = threading.Condition()
        self.stop = False

    def run(self):
        buf = bytearray()
        sock = self.conn.sock
        sock.settimeout(0.5)
        try:
            while not self.stop:
                try:
                    chunk = sock.recv(4 * MB)
                except socket.timeout:
                    continue
                if not chunk:
                    raise AssertionError("normal subscriber disconnected after %d messages"
                                         % self.count)
                buf += chunk
                pos = 0
                while len(buf) - pos >= self.frame_len:
                    frame = bytes(buf[pos:pos + self.frame_len])
                    expected = self.prefix + self.make_payload(self.count) + b"\r\n"
                    if frame != expected:
                        raise AssertionError("message %d differs: %r..." % (self.count,
                                                                             frame[:80]))
                    pos += self.frame_len
                    with self.cond:
                        self.count += 1
                        self.cond.notify_all()
                del buf[:pos]
        except BaseException as e:  # reported by wait_for
            self.error = e
            with self.cond:
                self.cond.notify_all()

    def wait_for(self, n, timeout=60):
        deadline = time.monotonic() + timeout
        with self.cond:
            while self.count < n and self.error is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("normal subscriber got %d of %d messages in %ss"
                                         % (self.count, n, timeout))
                self.cond.wait(left)
        if self.error is not None:
            raise AssertionError("normal subscriber failed: %s" % self.error)


class StalledSubscriberTest(h.ServerTestCase):
    server_args = ["--client-output-buffer-limit", "pubsub 1mb 512kb 5"]

    PAYLOAD = 64 * 1024
    TOTAL = 200 * MB
    WINDOW = 8  # messages the normal subscriber may lag behind the publisher

    def payload(self, i, _filler=b"p" * (64 * 1024)):
        return b"%010d" % i + _filler[10:]

    def test_stalled_subscriber_is_cut_and_memory_stays_bounded(self):
        ch = self.chan("firehose")
        admin = self.connect()
        stalled = self.connect(rcvbuf=4096)
        stalled.send(encode("SUBSCRIBE", ch))
        stalled.expect(ack("subscribe", ch, 1))
        normal = self.connect()
        normal.send(encode("SUBSCRIBE", ch))
        normal.expect(ack("subscribe", ch, 1))
        pub = self.connect()

        reader = FrameCounter(normal, ch, self.PAYLOAD, self.payload)
        reader.start()
        self.addCleanup(setattr, reader, "stop", True)

        baseline_kb = self.server.rss_kb()
        peak_kb = baseline_kb
        receivers = []
        n = self.TOTAL // self.PAYLOAD
        for i in range(n):
            if i >= self.WINDOW:
                reader.wait_for(i - self.WINDOW)
            pub.send(encode("PUBLISH", ch, self.payload(i)))
            receivers.append(pub.read_reply())
            if i % 32 == 0:
                peak_kb = max(peak_kb, self.server.rss_kb())
        reader.wait_for(n)
        peak_kb = max(peak_kb, self.server.rss_kb())

        # The publisher got an integer reply for every message: 2 while the stalled client
        # was still subscribed, then 1.
        self.assertEqual(set(receivers) - {1, 2}, set(), receivers[:20])
        self.assertEqual(receivers[0], 2)
        self.assertEqual(receivers[-1], 1)
        first_one = receivers.index(1)
        self.assertTrue(all(r == 1 for r in receivers[first_one:]))
        h.wait_numsub(admin, ch, 1)
        self.assertEqual(reader.count, n)

        # Memory stayed bounded (a server buffering for the stalled client would grow by
        # ~200 MB).
        growth_mb = (peak_kb - baseline_kb) / 1024
        self.assertLess(growth_mb, 64, "RSS grew by %.1f MB (baseline %d kB, peak %d kB)"
                        % (growth_mb, baseline_kb, peak_kb))

        # The stalled client was closed silently: what it can still read is a prefix of its
        # message stream, then EOF.
        data = stalled.read_until_eof(timeout=30)
        frame_len = reader.frame_len
        self.assertLess(len(data), self.TOTAL // 4)
        complete = len(data) // frame_len
        for i in range(complete):
            self.assertEqual(data[i * frame_len:(i + 1) * frame_len],
                             message(ch, self.payload(i)))
        self.assertTrue(message(ch, self.payload(complete)).startswith(
            data[complete * frame_len:]), "stalled client got something else than messages")

        # The publisher and the server are fine.
        pub.send(b"PING\r\n")
        pub.expect(b"+PONG\r\n")
        admin.send(encode("PUBSUB", "NUMSUB", ch))
        admin.expect(b"*2\r\n" + bulk(ch) + b":1\r\n")

    def test_pattern_subscriber_is_limited_too(self):
        pat = self.ns + "*"
        ch = self.chan("p")
        admin = self.connect()
        stalled = self.connect(rcvbuf=4096)
        stalled.send(encode("PSUBSCRIBE", pat))
        stalled.expect(ack("psubscribe", pat, 1))
        pub = self.connect()
        payload = b"z" * (256 * 1024)
        for i in range(200):  # 50 MB, far above the 1 MB hard limit
            pub.send(encode("PUBLISH", ch, payload))
            r = pub.read_reply()
            self.assertIn(r, (0, 1))
            if r == 0:
                break
        h.wait_until(lambda: admin.cmd("PUBSUB", "NUMPAT") == 0, message="pattern dropped")
        pub.send(encode("PUBLISH", ch, "after"))
        pub.expect(b":0\r\n")
        self.assertTrue(stalled.read_until_eof(timeout=30).startswith(
            h.pmessage(pat, ch, payload)[:100]))


class SoftLimitTest(h.ServerTestCase):
    """The soft limit fires without further traffic (checked periodically); the limit is set
    at run time with CONFIG SET."""

    def test_soft_limit_without_traffic(self):
        admin = self.connect()
        admin.send(encode("CONFIG", "SET", "client-output-buffer-limit", "pubsub 64mb 256kb 2"))
        admin.expect(b"+OK\r\n")
        admin.send(encode("CONFIG", "GET", "client-output-buffer-limit"))
        admin.expect(b"*2\r\n$26\r\nclient-output-buffer-limit\r\n"
                     + bulk("normal 0 0 0 slave 268435456 67108864 60 pubsub 67108864 262144 2"))
        ch = self.chan("soft")
        stalled = self.connect(rcvbuf=4096)
        stalled.send(encode("SUBSCRIBE", ch))
        stalled.expect(ack("subscribe", ch, 1))
        pub = self.connect()
        payload = b"s" * (128 * 1024)
        # 16 MB: above the soft limit even if the kernel buffers absorb a few MB, well below
        # the 64 MB hard limit.
        for _ in range(128):
            pub.send(encode("PUBLISH", ch, payload))
            pub.expect(b":1\r\n")
        done = time.monotonic()
        still_there = h.numsub(admin, ch)
        if time.monotonic() - done < 1.0:
            # Checked well within the 2 s allowance: the hard limit did not fire.
            self.assertEqual(still_there, 1)
        # No more traffic: the soft limit alone must disconnect it.
        h.wait_numsub(admin, ch, 0, timeout=30)
        data = stalled.read_until_eof(timeout=30)
        self.assertTrue(data.startswith(message(ch, payload)))
        self.assertLess(len(data), 128 * len(payload))
        admin.send(encode("CONFIG", "SET", "client-output-buffer-limit", "pubsub 32mb 8mb 60"))
        admin.expect(b"+OK\r\n")

    def test_subscriber_below_soft_limit_survives(self):
        admin = self.connect()
        ch = self.chan("ok")
        sub = self.connect()
        sub.send(encode("SUBSCRIBE", ch))
        sub.expect(ack("subscribe", ch, 1))
        pub = self.connect()
        for i in range(100):
            pub.send(encode("PUBLISH", ch, str(i)))
            pub.expect(b":1\r\n")
        for i in range(100):
            sub.expect(message(ch, str(i)))
        self.assertEqual(h.numsub(admin, ch), 1)


class QueryBufferLimitTest(h.ServerTestCase):
    server_args = ["--client-query-buffer-limit", "1mb"]

    def test_config_get(self):
        c = self.connect()
        c.send(encode("CONFIG", "GET", "client-query-buffer-limit"))
        c.expect(b"*2\r\n$25\r\nclient-query-buffer-limit\r\n$7\r\n1048576\r\n")

    def test_request_below_limit_works(self):
        c = self.connect()
        payload = b"q" * (900 * 1024)
        c.send(encode("ECHO", payload))
        c.expect(bulk(payload))

    def test_client_over_query_buffer_limit_is_closed_without_reply(self):
        c = self.connect()
        c.send(b"*2\r\n$4\r\nECHO\r\n$2000000\r\n")
        try:
            for _ in range(24):  # 1.5 MB of the 2 MB argument, never completed
                c.send(b"x" * 65536)
        except OSError:
            pass  # the server may close while we are still writing
        c.expect_eof(b"", timeout=30)
        other = self.connect()
        other.send(b"PING\r\n")
        other.expect(b"+PONG\r\n")


class ProtoMaxBulkLenTest(h.ServerTestCase):
    server_args = ["--proto-max-bulk-len", "1mb"]

    def test_bulk_length_limit(self):
        c = self.connect()
        c.send(encode("CONFIG", "GET", "proto-max-bulk-len"))
        c.expect(b"*2\r\n$18\r\nproto-max-bulk-len\r\n$7\r\n1048576\r\n")
        payload = b"m" * MB  # exactly the limit is accepted
        c.send(encode("ECHO", payload))
        c.expect(bulk(payload))
        c.send(b"*2\r\n$4\r\nECHO\r\n$1048577\r\n")
        c.expect_eof(b"-ERR Protocol error: invalid bulk length\r\n")

    def test_config_set(self):
        admin = self.connect()
        admin.send(encode("CONFIG", "SET", "proto-max-bulk-len", "2mb"))
        admin.expect(b"+OK\r\n")
        try:
            c = self.connect()
            payload = b"n" * (MB + 1)
            c.send(encode("ECHO", payload))
            c.expect(bulk(payload))
        finally:
            admin.send(encode("CONFIG", "SET", "proto-max-bulk-len", "1mb"))
            admin.expect(b"+OK\r\n")
        admin.send(encode("CONFIG", "SET", "proto-max-bulk-len", "1000"))
        admin.expect(b"-ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len')"
                     b" - argument must be between 1048576 and 9223372036854775807 inclusive\r\n")


if __name__ == "__main__":
    unittest.main()

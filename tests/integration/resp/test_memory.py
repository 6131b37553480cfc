"""Memory after large messages (issue 9): a 64 MB PUBLISH must not stay allocated once it is
done, whether nobody subscribed, the connection left half a request in its buffer, or the
gateway (whose ids need the replication stream) is on. used_memory and used_memory_rss come
from INFO memory; each test starts its own server so that the figures are its own.

Bounds: redis-server 7.0.15 falls back to about 1 MB used / 13 MB RSS after the big message;
herald to about 0.2 MB / 6 MB. Before the fix herald stayed at 135 MB used / 74 MB RSS.

Run: HERALD_TEST_TARGET=redis /usr/bin/python3 -m unittest -v resp.test_memory   (see harness.py)
"""

import os
import unittest

import harness as h
from harness import encode

MB = 1024 * 1024
BIG = 64 * MB
USED_BOUND = 16 * MB  # well above either server's baseline, far below one 64 MB message
RSS_BOUND = 48 * MB
TIMEOUT = 30.0  # the server cron frees idle buffers once a second; be generous


# Under AddressSanitizer (scripts/test runs that suite with ASAN_OPTIONS set) freed memory goes
# to ASan's quarantine and allocator, not back to the system, and used_memory reads 0: these
# figures only mean something with the real allocator, which the release run of the suite uses.
@unittest.skipIf("ASAN_OPTIONS" in os.environ, "memory figures need the real allocator, not ASan's")
class MemoryAfterLargeMessagesTest(unittest.TestCase):

    def start(self, *args):
        server = h.Server(args=list(args)).start()
        self.addCleanup(server.stop)
        admin = server.connect()
        self.addCleanup(admin.close)
        return server, admin

    def memory(self, admin):
        fields = h.info_fields(admin, "memory")
        return int(fields["used_memory"]), int(fields["used_memory_rss"])

    def wait_memory_back(self, server, admin):
        seen = []

        def back():
            used, rss = self.memory(admin)
            seen[:] = [used, rss]
            return used < USED_BOUND and rss < RSS_BOUND

        try:
            h.wait_until(back, timeout=TIMEOUT, message="memory back below the bounds")
        except AssertionError:
            self.fail("used_memory %d / used_memory_rss %d stayed above %d / %d"
                      % (seen[0], seen[1], USED_BOUND, RSS_BOUND))
        self.assertTrue(server.alive())

    def big_publish_then_small_ones(self, server, channel):
        c = server.connect()
        self.addCleanup(c.close)
        c.send(encode("PUBLISH", channel, b"x" * BIG))
        c.expect(b":0\r\n", timeout=60)
        # 20,000 small publishes, as in the issue, pipelined in batches.
        for _ in range(20):
            c.send(encode("PUBLISH", channel + ":small", "hello") * 1000)
            c.expect(b":0\r\n" * 1000)
        return c

    def test_64mb_publish_without_subscriber_is_not_kept(self):
        server, admin = self.start()
        before = self.memory(admin)[0]
        self.big_publish_then_small_ones(server, "big")
        self.wait_memory_back(server, admin)
        self.assertLess(self.memory(admin)[0], before + 8 * MB)

    def test_idle_half_request_after_a_big_one_gives_the_buffer_back(self):
        # The big request and the start of the next one arrive together: the input buffer,
        # grown for 64 MB, is never emptied by a read, so only the cron can shrink it.
        server, admin = self.start()
        c = server.connect()
        self.addCleanup(c.close)
        c.send(encode("PUBLISH", "big", b"x" * BIG) + b"*3\r\n$7\r\nPUBLISH\r\n")
        c.expect(b":0\r\n", timeout=60)
        self.wait_memory_back(server, admin)
        # The half request is still there and completes normally.
        c.send(b"$3\r\nbig\r\n$2\r\nhi\r\n")
        c.expect(b":0\r\n")

    @h.herald_only("herald's HTTP gateway")
    def test_with_the_gateway_on_the_backlog_and_history_stay_bounded(self):
        # Gateway ids are stream offsets, so the stream runs without replicas; the backlog
        # still keeps only repl-backlog-size, and the history does not keep an oversized
        # message (a resumer is told about the gap instead).
        server, admin = self.start("--gateway-port", str(h.pick_port()))
        self.big_publish_then_small_ones(server, "big")
        self.wait_memory_back(server, admin)
        fields = h.info_fields(admin, "replication")
        self.assertEqual(fields["repl_backlog_active"], "1")
        self.assertGreater(int(fields["master_repl_offset"]), BIG)
        self.assertEqual(fields["repl_backlog_histlen"], str(1 * MB))


if __name__ == "__main__":
    unittest.main()

"""Long-poll sessions (gateway/poll.{h,cc}): a poller keeps its place between two polls for
gateway-poll-grace seconds, PUBLISH counts it meanwhile, and what arrives answers its next poll;
since=0 waits like a first poll. Against the real herald-server binary, raw sockets.
"""

import json
import unittest

from harness import herald_only
from gateway.test_gateway import GatewayTestBase


@herald_only("the HTTP gateway is herald's own")
class PollSessionTest(GatewayTestBase):
    # A grace period no test run outlives by accident; the expiry test uses its own server.
    server_args = ("--gateway-poll-grace", "600", "--gateway-poll-buffer", "3",
                   "--gateway-history-size", "2")

    def poll(self, query):
        status, _, body = self.http().request("GET", f"/poll?{query}")
        self.assertEqual(status, 200, body)
        return json.loads(body)

    def publish(self, channel, message):
        return self.resp().cmd("PUBLISH", channel, message)

    def test_session_counts_and_keeps_messages_between_polls(self):
        first = self.poll("channel=s1&timeout=0&session=")
        self.assertEqual(first["messages"], [])
        session = first["session"]
        self.assertRegex(session, r"^[0-9a-f]{32}$")
        # Between two polls the session is subscribed: counted by PUBLISH and NUMSUB.
        self.assertEqual(self.publish("s1", "a"), 1)
        self.assertEqual(self.resp().cmd("PUBSUB", "NUMSUB", "s1"), [b"s1", 1])
        self.assertEqual(self.publish("s1", "b"), 1)
        second = self.poll(f"channel=s1&timeout=30&session={session}&since={first['last_id']}")
        self.assertEqual([m["data"] for m in second["messages"]], ["a", "b"])
        self.assertEqual(second["session"], session)
        self.assertEqual(second["last_id"], second["messages"][-1]["id"])
        self.assertFalse(second["gap"])
        # The held messages were handed out once: the next poll waits for a new one.
        conn = self.http()
        conn.send(f"GET /poll?channel=s1&timeout=60&session={session}&since={second['last_id']}"
                  " HTTP/1.1\r\nHost: a\r\n\r\n".encode())
        self.wait_numsub("s1", 1)
        self.assertEqual(self.publish("s1", "c"), 1)
        _, _, body = conn.response()
        self.assertEqual([m["data"] for m in json.loads(body)["messages"]], ["c"])
        self.assertEqual(self.resp().cmd("PUBSUB", "NUMSUB", "s1"), [b"s1", 1])

    def test_metrics_count_sessions(self):
        def sessions():
            status, _, body = self.http().request("GET", "/metrics")
            line = next(l for l in body.decode().splitlines() if l.startswith("herald_poll_sessions "))
            return int(line.split()[1])
        before = sessions()
        self.poll("channel=s9&timeout=0&session=")
        self.assertEqual(sessions(), before + 1)

    def test_buffer_overflow_falls_back_to_history_with_gap(self):
        first = self.poll("channel=s2&timeout=0&session=")
        for i in range(5):  # over gateway-poll-buffer 3, and history keeps 2
            self.assertEqual(self.publish("s2", f"m{i}"), 1)
        reply = self.poll(f"channel=s2&timeout=0&session={first['session']}"
                          f"&since={first['last_id']}")
        self.assertTrue(reply["gap"])
        self.assertEqual([m["data"] for m in reply["messages"]], ["m3", "m4"])

    def test_other_names_end_the_session(self):
        first = self.poll("channel=s3&timeout=0&session=")
        self.assertEqual(self.publish("s3", "x"), 1)
        reply = self.poll(f"channel=s4&timeout=0&session={first['session']}"
                          f"&since={first['last_id']}")
        self.assertNotEqual(reply["session"], first["session"])
        self.assertEqual(self.publish("s3", "y"), 0)
        self.assertEqual(self.publish("s4", "z"), 1)

    def test_unknown_since_is_served_from_history(self):
        # A client that lost an answer comes back with the older id: the history serves it.
        first = self.poll("channel=s5&timeout=0&session=")
        self.publish("s5", "one")
        second = self.poll(f"channel=s5&timeout=0&session={first['session']}"
                           f"&since={first['last_id']}")
        self.publish("s5", "two")
        again = self.poll(f"channel=s5&timeout=0&session={first['session']}"
                          f"&since={first['last_id']}")
        self.assertEqual([m["data"] for m in second["messages"]], ["one"])
        self.assertEqual([m["data"] for m in again["messages"]], ["one", "two"])

    def test_without_session_parameter_nothing_is_kept(self):
        self.poll("channel=s6&timeout=0")
        self.assertEqual(self.resp().cmd("PUBSUB", "NUMSUB", "s6"), [b"s6", 0])
        self.assertNotIn("session", self.poll("channel=s6&timeout=0"))

    def test_since_zero_waits_for_the_next_message(self):
        self.publish("s7", "old")
        conn = self.http()
        conn.send(b"GET /poll?channel=s7&since=0&timeout=60 HTTP/1.1\r\nHost: a\r\n\r\n")
        self.wait_numsub("s7", 1)
        self.publish("s7", "new")
        _, _, body = conn.response()
        reply = json.loads(body)
        self.assertEqual(([m["data"] for m in reply["messages"]], reply["gap"]), (["new"], False))
        # With timeout=0 it answers at once, empty and without a gap.
        reply = self.poll("channel=s7&since=0&timeout=0")
        self.assertEqual((reply["messages"], reply["gap"]), ([], False))

    def test_since_start_is_everything_kept_without_gap(self):
        for i in range(3):  # the history keeps 2
            self.publish("s8", f"m{i}")
        reply = self.poll("channel=s8&since=start&timeout=0")
        self.assertEqual(([m["data"] for m in reply["messages"]], reply["gap"]), (["m1", "m2"], False))
        self.assertEqual(reply["last_id"], reply["messages"][-1]["id"])


@herald_only("the HTTP gateway is herald's own")
class PollSessionExpiryTest(GatewayTestBase):
    server_args = ("--gateway-poll-grace", "1")

    def test_session_expires_after_the_grace_period(self):
        status, _, body = self.http().request("GET", "/poll?channel=e1&timeout=0&session=")
        session = json.loads(body)["session"]
        self.assertEqual(self.resp().cmd("PUBSUB", "NUMSUB", "e1"), [b"e1", 1])
        self.wait_numsub("e1", 0)
        # An expired session id is simply a new session.
        status, _, body = self.http().request(
            "GET", f"/poll?channel=e1&timeout=0&session={session}")
        self.assertNotEqual(json.loads(body)["session"], session)


@herald_only("the HTTP gateway is herald's own")
class PollGraceOffTest(GatewayTestBase):
    server_args = ("--gateway-poll-grace", "0")

    def test_no_session_without_grace(self):
        status, _, body = self.http().request("GET", "/poll?channel=g0&timeout=0&session=")
        self.assertEqual(status, 200)
        self.assertNotIn("session", json.loads(body))
        self.assertEqual(self.resp().cmd("PUBSUB", "NUMSUB", "g0"), [b"g0", 0])


if __name__ == "__main__":
    unittest.main()

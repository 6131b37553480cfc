"""Pub/sub over raw sockets, byte for byte, in RESP2 and RESP3 (Redis 7.0.15 behaviour).

Run: HERALD_TEST_TARGET=redis /usr/bin/python3 -m unittest -v resp.test_pubsub   (see harness.py)
"""

import unittest

import harness as h
from harness import ack, bulk, encode, integer, message, pmessage, smessage, subscribed_error


class Resp2PubSubTest(h.ServerTestCase):
    """SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE and delivery in RESP2."""

    def test_subscribe_acks_duplicates(self):
        c = self.connect()
        c.send(b"*4\r\n$9\r\nSUBSCRIBE\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\na\r\n")
        c.expect(b"*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"
                 b"*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n"
                 b"*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:2\r\n")

    def test_psubscribe_count_includes_channels(self):
        c = self.connect()
        c.send(encode("SUBSCRIBE", "a", "b"))
        c.expect(ack("subscribe", "a", 1) + ack("subscribe", "b", 2))
        c.send(b"*2\r\n$10\r\nPSUBSCRIBE\r\n$5\r\nh?llo\r\n")
        c.expect(b"*3\r\n$10\r\npsubscribe\r\n$5\r\nh?llo\r\n:3\r\n")
        # A second subscription to the same pattern does not change the count.
        c.send(encode("PSUBSCRIBE", "h?llo", "x*"))
        c.expect(ack("psubscribe", "h?llo", 3) + ack("psubscribe", "x*", 4))

    def test_shard_channels_counted_apart(self):
        c = self.connect()
        c.send(b"*2\r\n$10\r\nSSUBSCRIBE\r\n$2\r\ns1\r\n")
        c.expect(b"*3\r\n$10\r\nssubscribe\r\n$2\r\ns1\r\n:1\r\n")
        c.send(encode("SUBSCRIBE", "c1"))
        c.expect(ack("subscribe", "c1", 1))  # shard channel not counted
        c.send(encode("PSUBSCRIBE", "p1"))
        c.expect(ack("psubscribe", "p1", 2))
        c.send(encode("SSUBSCRIBE", "s2", "c1"))  # same name as a channel: separate namespace
        c.expect(ack("ssubscribe", "s2", 2) + ack("ssubscribe", "c1", 3))
        c.send(encode("SUBSCRIBE", "c2"))
        c.expect(ack("subscribe", "c2", 3))
        c.send(encode("SUNSUBSCRIBE", "s1", "s2"))
        c.expect(ack("sunsubscribe", "s1", 2) + ack("sunsubscribe", "s2", 1))
        # Still subscribed (channels/patterns remain): commands are refused.
        c.send(encode("ECHO", "y"))
        c.expect(subscribed_error("echo"))
        c.send(encode("UNSUBSCRIBE", "c1", "c2"))
        c.expect(ack("unsubscribe", "c1", 2) + ack("unsubscribe", "c2", 1))
        c.send(encode("PUNSUBSCRIBE", "p1"))
        c.expect(ack("punsubscribe", "p1", 0))
        # Only the shard channel c1 is left: still in subscribed mode.
        c.send(encode("ECHO", "y"))
        c.expect(subscribed_error("echo"))
        c.send(encode("SUNSUBSCRIBE"))
        c.expect(ack("sunsubscribe", "c1", 0))
        c.send(encode("ECHO", "z"))
        c.expect(b"$1\r\nz\r\n")

    def test_ssubscribe_alone_enters_subscribed_state(self):
        c = self.connect()
        c.send(encode("SSUBSCRIBE", self.chan("s")))
        c.expect(ack("ssubscribe", self.chan("s"), 1))
        c.send(encode("ECHO", "x"))
        c.expect(subscribed_error("echo"))

    def test_message_delivery(self):
        sub, pub = self.connect(), self.connect()
        sub.send(encode("SUBSCRIBE", "a"))
        sub.expect(ack("subscribe", "a", 1))
        # Other tests of this class use channel "a"; their closed connections must be gone.
        h.wait_numsub(pub, "a", 1)
        pub.send(b"*3\r\n$7\r\nPUBLISH\r\n$1\r\na\r\n$2\r\nhi\r\n")
        pub.expect(b":1\r\n")
        sub.expect(b"*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n")

    def test_binary_safe_payload_and_channel(self):
        sub, pub = self.connect(), self.connect()
        chan = self.chan("bin\x00\r\n\xff").encode("latin-1")
        payload = bytes(range(256)) + b"\r\n*3\r\n"
        sub.send(encode("SUBSCRIBE", chan))
        sub.expect(ack("subscribe", chan, 1))
        pub.send(encode("PUBLISH", chan, payload))
        pub.expect(b":1\r\n")
        sub.expect(message(chan, payload))
        pub.send(encode("PUBLISH", chan, b""))
        pub.expect(b":1\r\n")
        sub.expect(message(chan, b""))

    def test_pmessage_delivery(self):
        sub, pub = self.connect(), self.connect()
        pat, ch = self.ns + "h?llo", self.ns + "hello"
        sub.send(encode("PSUBSCRIBE", pat))
        sub.expect(ack("psubscribe", pat, 1))
        pub.send(encode("PUBLISH", ch, "m"))
        pub.expect(b":1\r\n")
        sub.expect(pmessage(pat, ch, "m"))
        pub.send(encode("PUBLISH", self.ns + "hxxllo", "no"))
        pub.expect(b":0\r\n")

    def test_smessage_delivery_and_spublish_counts(self):
        sub, pub, other = self.connect(), self.connect(), self.connect()
        sub.send(b"*2\r\n$10\r\nSSUBSCRIBE\r\n$2\r\ns1\r\n")
        sub.expect(b"*3\r\n$10\r\nssubscribe\r\n$2\r\ns1\r\n:1\r\n")
        # Other tests of this class use "s1"; their closed connections must be gone.
        h.wait_until(lambda: h.shardnumsub(pub, "s1") == 1, message="SHARDNUMSUB s1 == 1")
        h.wait_numsub(pub, "s1", 0)
        # A channel subscriber and a pattern subscriber of the same name get nothing from
        # SPUBLISH and are not counted.
        other.send(encode("SUBSCRIBE", "s1") + encode("PSUBSCRIBE", "s1*"))
        other.expect(ack("subscribe", "s1", 1) + ack("psubscribe", "s1*", 2))
        pub.send(b"*3\r\n$8\r\nSPUBLISH\r\n$2\r\ns1\r\n$1\r\nm\r\n")
        pub.expect(b":1\r\n")
        sub.expect(b"*3\r\n$8\r\nsmessage\r\n$2\r\ns1\r\n$1\r\nm\r\n")
        # And PUBLISH does not reach the shard subscriber.
        pub.send(encode("PUBLISH", "s1", "p"))
        pub.expect(b":2\r\n")
        other.expect(message("s1", "p") + pmessage("s1*", "s1", "p"))
        pub.send(encode("SPUBLISH", "nobody", "x"))
        pub.expect(b":0\r\n")
        # Nothing else was delivered: the next frames are the ones that follow.
        pub.send(encode("SPUBLISH", "s1", "2"))
        pub.expect(b":1\r\n")
        sub.expect(smessage("s1", "2"))
        other.send(encode("PING"))
        other.expect(b"*2\r\n$4\r\npong\r\n$0\r\n\r\n")

    def test_publish_receiver_counts(self):
        ch = self.chan("news")
        s1, s2, s3, pub = self.connect(), self.connect(), self.connect(), self.connect()
        pub.send(encode("PUBLISH", ch, "nobody"))
        pub.expect(b":0\r\n")
        # s1: the channel and two matching patterns; s2: the channel; s3: one pattern.
        s1.send(encode("SUBSCRIBE", ch) + encode("PSUBSCRIBE", self.ns + "*", self.ns + "n?ws"))
        s1.expect(ack("subscribe", ch, 1) + ack("psubscribe", self.ns + "*", 2)
                  + ack("psubscribe", self.ns + "n?ws", 3))
        s2.send(encode("SUBSCRIBE", ch))
        s2.expect(ack("subscribe", ch, 1))
        s3.send(encode("PSUBSCRIBE", self.ns + "*"))
        s3.expect(ack("psubscribe", self.ns + "*", 1))
        pub.send(encode("PUBLISH", ch, "m"))
        pub.expect(b":5\r\n")  # 2 channel subscribers + 3 (client, pattern) pairs
        # The channel message comes first, then one pmessage per matching pattern.
        s1.expect(message(ch, "m"))
        got = {s1.read_raw_reply(), s1.read_raw_reply()}
        self.assertEqual(got, {pmessage(self.ns + "*", ch, "m"),
                               pmessage(self.ns + "n?ws", ch, "m")})
        s2.expect(message(ch, "m"))
        s3.expect(pmessage(self.ns + "*", ch, "m"))

    def test_pattern_shared_by_two_clients(self):
        pat = self.ns + "*"
        a, b, pub = self.connect(), self.connect(), self.connect()
        for c in (a, b):
            c.send(encode("PSUBSCRIBE", pat))
            c.expect(ack("psubscribe", pat, 1))
        pub.send(encode("PUBLISH", self.ns + "x", "y"))
        pub.expect(b":2\r\n")
        for c in (a, b):
            c.expect(pmessage(pat, self.ns + "x", "y"))

    def test_messages_in_publish_order(self):
        ch = self.chan("seq")
        sub, pub = self.connect(), self.connect()
        sub.send(encode("SUBSCRIBE", ch))
        sub.expect(ack("subscribe", ch, 1))
        pub.send(b"".join(encode("PUBLISH", ch, str(i)) for i in range(500)))
        pub.expect(b":1\r\n" * 500)
        sub.expect(b"".join(message(ch, str(i)) for i in range(500)))

    def test_unsubscribe_when_none_subscribed(self):
        c = self.connect()
        c.send(b"*1\r\n$11\r\nUNSUBSCRIBE\r\n")
        c.expect(b"*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n")
        c.send(b"*1\r\n$12\r\nPUNSUBSCRIBE\r\n")
        c.expect(b"*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:0\r\n")
        c.send(b"*1\r\n$12\r\nSUNSUBSCRIBE\r\n")
        c.expect(b"*3\r\n$12\r\nsunsubscribe\r\n$-1\r\n:0\r\n")
        # Not in subscribed state afterwards.
        c.send(encode("ECHO", "still-normal"))
        c.expect(bulk("still-normal"))

    def test_unsubscribe_unknown_channel_replies_current_count(self):
        c = self.connect()
        c.send(encode("SUBSCRIBE", "c1") + encode("SSUBSCRIBE", "c1") + encode("PSUBSCRIBE", "c*"))
        c.expect(ack("subscribe", "c1", 1) + ack("ssubscribe", "c1", 1)
                 + ack("psubscribe", "c*", 2))
        c.send(encode("UNSUBSCRIBE", "zz") + encode("PUNSUBSCRIBE", "zz")
               + encode("SUNSUBSCRIBE", "zz") + encode("UNSUBSCRIBE", "c1", "c1"))
        c.expect(ack("unsubscribe", "zz", 2) + ack("punsubscribe", "zz", 2)
                 + ack("sunsubscribe", "zz", 1) + ack("unsubscribe", "c1", 1)
                 + ack("unsubscribe", "c1", 1))
        # PUNSUBSCRIBE with no arguments while no pattern is left reports the count of channels.
        c.send(encode("PUNSUBSCRIBE") + encode("PUNSUBSCRIBE"))
        c.expect(ack("punsubscribe", "c*", 0) + ack("punsubscribe", None, 0))

    def test_unsubscribe_all(self):
        c = self.connect()
        names = ["u1", "u2", "u3"]
        c.send(encode("SUBSCRIBE", *names) + encode("PSUBSCRIBE", "h?llo"))
        c.expect(ack("subscribe", "u1", 1) + ack("subscribe", "u2", 2)
                 + ack("subscribe", "u3", 3) + ack("psubscribe", "h?llo", 4))
        c.send(b"*1\r\n$11\r\nUNSUBSCRIBE\r\n")
        # One reply per channel in unspecified order, with decreasing counts.
        replies = [c.read_reply() for _ in names]
        self.assertEqual([r[0] for r in replies], [b"unsubscribe"] * 3)
        self.assertEqual(sorted(r[1] for r in replies), [b"u1", b"u2", b"u3"])
        self.assertEqual([r[2] for r in replies], [3, 2, 1])
        c.send(b"*1\r\n$12\r\nPUNSUBSCRIBE\r\n")
        c.expect(b"*3\r\n$12\r\npunsubscribe\r\n$5\r\nh?llo\r\n:0\r\n")
        c.send(encode("ECHO", "normal"))
        c.expect(bulk("normal"))

    def test_subscribe_without_arguments(self):
        c = self.connect()
        for name in ("SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE"):
            c.send(encode(name))
            c.expect(b"-ERR wrong number of arguments for '%s' command\r\n"
                     % name.lower().encode())

    def test_subscribed_state_errors(self):
        c = self.connect()
        c.send(encode("SUBSCRIBE", "a"))
        c.expect(ack("subscribe", "a", 1))
        cases = [
            (b"*2\r\n$4\r\nECHO\r\n$1\r\nx\r\n", "echo"),
            (b"*3\r\n$7\r\nPUBLISH\r\n$1\r\na\r\n$1\r\nx\r\n", "publish"),
            (b"*3\r\n$8\r\nSPUBLISH\r\n$1\r\na\r\n$1\r\nx\r\n", "spublish"),
            (b"*2\r\n$6\r\nCLIENT\r\n$2\r\nID\r\n", "client|id"),
            (b"*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n", "hello"),
            (b"*3\r\n$6\r\nPUBSUB\r\n$6\r\nNUMSUB\r\n$1\r\na\r\n", "pubsub|numsub"),
            (b"*2\r\n$6\r\nSELECT\r\n$1\r\n1\r\n", "select"),
            (b"*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$7\r\ntimeout\r\n", "config|get"),
            (b"*1\r\n$4\r\nINFO\r\n", "info"),
        ]
        for request, name in cases:
            c.send(request)
            c.expect(subscribed_error(name), msg=repr(request))
        # Unknown commands are rejected as unknown even in subscribed state.
        c.send(b"*2\r\n$9\r\nNOSUCHCMD\r\n$1\r\nx\r\n")
        c.expect(b"-ERR unknown command 'NOSUCHCMD', with args beginning with: 'x' \r\n")
        # Arity is checked before the subscribed-state filter.
        c.send(encode("PUBLISH", "a"))
        c.expect(b"-ERR wrong number of arguments for 'publish' command\r\n")
        # The connection is still subscribed and working.
        c.send(encode("PING"))
        c.expect(b"*2\r\n$4\r\npong\r\n$0\r\n\r\n")

    def test_ping_in_subscribed_state(self):
        c = self.connect()
        c.send(b"*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nPING\r\n$3\r\nfoo\r\n")
        c.expect(b"+PONG\r\n$3\r\nfoo\r\n")
        c.send(encode("SUBSCRIBE", "a"))
        c.expect(ack("subscribe", "a", 1))
        c.send(b"*1\r\n$4\r\nPING\r\n")
        c.expect(b"*2\r\n$4\r\npong\r\n$0\r\n\r\n")
        c.send(b"*2\r\n$4\r\nPING\r\n$3\r\nfoo\r\n")
        c.expect(b"*2\r\n$4\r\npong\r\n$3\r\nfoo\r\n")
        c.send(b"ping\r\n")
        c.expect(b"*2\r\n$4\r\npong\r\n$0\r\n\r\n")
        c.send(b"*2\r\n$4\r\nPING\r\n$0\r\n\r\n")  # what redis-py's PubSub.ping() sends
        c.expect(b"*2\r\n$4\r\npong\r\n$0\r\n\r\n")
        c.send(encode("PING", "a", "b"))
        c.expect(b"-ERR wrong number of arguments for 'ping' command\r\n")

    def test_reset_leaves_subscribed_state_silently(self):
        c, admin = self.connect(), self.connect()
        ch = self.chan("r")
        c.send(encode("CLIENT", "SETNAME", "before-reset"))
        c.expect(b"+OK\r\n")
        c.send(encode("SELECT", "3"))
        c.expect(b"+OK\r\n")
        c.send(encode("SUBSCRIBE", ch) + encode("PSUBSCRIBE", ch + "*")
               + encode("SSUBSCRIBE", ch))
        c.expect(ack("subscribe", ch, 1) + ack("psubscribe", ch + "*", 2)
                 + ack("ssubscribe", ch, 1))
        c.send(b"*1\r\n$5\r\nRESET\r\n")
        c.expect(b"+RESET\r\n")  # and no unsubscribe frames
        c.send(encode("ECHO", "after"))
        c.expect(bulk("after"))
        c.send(encode("CLIENT", "GETNAME"))
        c.expect(b"$-1\r\n")
        info = c.cmd("CLIENT", "INFO").decode()
        self.assertIn(" db=0 ", info)
        self.assertIn(" sub=0 psub=0 ", info)
        admin.send(encode("PUBSUB", "NUMSUB", ch) + encode("PUBSUB", "SHARDNUMSUB", ch)
                   + encode("PUBSUB", "CHANNELS", ch + "*"))
        admin.expect(b"*2\r\n" + bulk(ch) + b":0\r\n" + b"*2\r\n" + bulk(ch) + b":0\r\n"
                     + b"*0\r\n")
        admin.send(encode("PUBLISH", ch, "x"))
        admin.expect(b":0\r\n")

    def test_reset_restores_resp2_and_replies(self):
        c = self.connect()
        c.hello3()
        c.send(encode("CLIENT", "REPLY", "OFF") + encode("RESET") + encode("PING"))
        c.expect(b"+RESET\r\n+PONG\r\n")
        c.send(encode("SUBSCRIBE", "x"))
        c.expect(ack("subscribe", "x", 1))  # RESP2 array again

    def test_quit_while_subscribed(self):
        c = self.connect()
        c.send(encode("SUBSCRIBE", "a"))
        c.expect(ack("subscribe", "a", 1))
        c.send(b"*1\r\n$4\r\nQUIT\r\n")
        c.expect_eof(b"+OK\r\n")

    def test_quit(self):
        c = self.connect()
        c.send(b"QUIT\r\nPING\r\n")
        c.expect_eof(b"+OK\r\n")

    def test_client_reply_off_does_not_silence_pushes(self):
        c, pub = self.connect(), self.connect()
        ch = self.chan("quiet")
        c.send(encode("CLIENT", "REPLY", "OFF") + encode("PING"))
        c.send(encode("SUBSCRIBE", ch))
        c.expect(ack("subscribe", ch, 1))  # the PING reply was suppressed, the ack was not
        # Replies (and errors) in subscribed state stay suppressed; messages are delivered.
        c.send(encode("PING") + encode("ECHO", "x") + encode("NOSUCH")
               + encode("CLIENT", "REPLY", "ON"))
        pub.send(encode("PUBLISH", ch, "hi"))
        pub.expect(b":1\r\n")
        c.expect(message(ch, "hi"))
        c.send(encode("UNSUBSCRIBE") + encode("CLIENT", "REPLY", "ON") + encode("PING"))
        c.expect(ack("unsubscribe", ch, 0) + b"+OK\r\n+PONG\r\n")

    def test_client_reply_skip(self):
        c = self.connect()
        c.send(encode("CLIENT", "REPLY", "SKIP") + encode("ECHO", "1") + encode("ECHO", "2"))
        c.expect(bulk("2"))
        c.send(encode("CLIENT", "REPLY", "ON"))
        c.expect(b"+OK\r\n")
        c.send(encode("CLIENT", "REPLY", "FOO"))
        c.expect(b"-ERR syntax error\r\n")

    def test_subscriptions_dropped_on_disconnect(self):
        ch = self.chan("gone")
        admin = self.connect()
        sub = self.server.connect()
        sub.send(encode("SUBSCRIBE", ch) + encode("PSUBSCRIBE", ch + "*")
                 + encode("SSUBSCRIBE", ch))
        sub.expect(ack("subscribe", ch, 1) + ack("psubscribe", ch + "*", 2)
                   + ack("ssubscribe", ch, 1))
        self.assertEqual(h.numsub(admin, ch), 1)
        sub.close()
        h.wait_numsub(admin, ch, 0)
        h.wait_until(lambda: h.shardnumsub(admin, ch) == 0, message="SHARDNUMSUB 0")
        admin.send(encode("PUBLISH", ch, "x") + encode("SPUBLISH", ch, "x"))
        admin.expect(b":0\r\n:0\r\n")

    def test_channels_are_global_across_databases(self):
        ch = self.chan("db")
        sub, pub = self.connect(), self.connect()
        sub.send(encode("SELECT", "5") + encode("SUBSCRIBE", ch))
        sub.expect(b"+OK\r\n" + ack("subscribe", ch, 1))
        pub.send(encode("SELECT", "9") + encode("PUBLISH", ch, "x"))
        pub.expect(b"+OK\r\n:1\r\n")
        sub.expect(message(ch, "x"))

    def test_publish_arity(self):
        c = self.connect()
        c.send(b"*2\r\n$7\r\nPUBLISH\r\n$1\r\na\r\n")
        c.expect(b"-ERR wrong number of arguments for 'publish' command\r\n")
        c.send(b"*2\r\n$8\r\nSPUBLISH\r\n$1\r\na\r\n")
        c.expect(b"-ERR wrong number of arguments for 'spublish' command\r\n")
        c.send(encode("PUBLISH", "a", "b", "c"))
        c.expect(b"-ERR wrong number of arguments for 'publish' command\r\n")


class Resp3PubSubTest(h.ServerTestCase):
    """The same in RESP3: `>` pushes and no subscribed-state restriction."""

    def resp3(self):
        c = self.connect()
        c.send(b"*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n")
        self.assertEqual(h.mask_hello_id(c.read_raw_reply()), h.HELLO_RESP3_MASKED)
        return c

    def test_subscribe_acks_are_pushes(self):
        c = self.resp3()
        c.send(encode("SUBSCRIBE", "a", "b", "a") + encode("PSUBSCRIBE", "*")
               + encode("SSUBSCRIBE", "s1"))
        c.expect(b">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"
                 b">3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n"
                 b">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:2\r\n"
                 b">3\r\n$10\r\npsubscribe\r\n$1\r\n*\r\n:3\r\n"
                 b">3\r\n$10\r\nssubscribe\r\n$2\r\ns1\r\n:1\r\n")

    def test_no_restriction_while_subscribed(self):
        c = self.resp3()
        c.send(encode("SUBSCRIBE", "a"))
        c.expect(b">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n")
        c.send(b"*1\r\n$4\r\nPING\r\n")
        c.expect(b"+PONG\r\n")
        c.send(encode("PING", "foo"))
        c.expect(b"$3\r\nfoo\r\n")
        c.send(encode("ECHO", "y"))
        c.expect(b"$1\r\ny\r\n")
        c.send(encode("CLIENT", "ID"))
        c.expect_match(rb":\d+\r\n")
        c.send(encode("PUBSUB", "NUMSUB", "a"))
        c.expect(b"*2\r\n$1\r\na\r\n:1\r\n")
        c.send(encode("SELECT", "1"))
        c.expect(b"+OK\r\n")

    def test_messages_are_pushes(self):
        c, pub = self.resp3(), self.connect()
        ch = self.chan("m")
        c.send(encode("SUBSCRIBE", ch) + encode("PSUBSCRIBE", ch + "*")
               + encode("SSUBSCRIBE", ch))
        c.expect(ack("subscribe", ch, 1, True) + ack("psubscribe", ch + "*", 2, True)
                 + ack("ssubscribe", ch, 1, True))
        pub.send(encode("PUBLISH", ch, "two"))
        pub.expect(b":2\r\n")
        c.expect(b">3\r\n$7\r\nmessage\r\n" + bulk(ch) + b"$3\r\ntwo\r\n"
                 b">4\r\n$8\r\npmessage\r\n" + bulk(ch + "*") + bulk(ch) + b"$3\r\ntwo\r\n")
        pub.send(encode("SPUBLISH", ch, "s"))
        pub.expect(b":1\r\n")
        c.expect(b">3\r\n$8\r\nsmessage\r\n" + bulk(ch) + b"$1\r\ns\r\n")

    def test_publish_to_self_push_before_reply(self):
        c = self.resp3()
        c.send(encode("SUBSCRIBE", "a"))
        c.expect(ack("subscribe", "a", 1, True))
        # Other tests of this class use channel "a"; their closed connections must be gone.
        admin = self.connect()
        h.wait_numsub(admin, "a", 1)
        c.send(b"*3\r\n$7\r\nPUBLISH\r\n$1\r\na\r\n$4\r\nself\r\n")
        # Redis 7.0 order: the push comes before the command's reply (7.2+ reverses it).
        c.expect(b">3\r\n$7\r\nmessage\r\n$1\r\na\r\n$4\r\nself\r\n:1\r\n")
        h.wait_until(lambda: h.shardnumsub(admin, "a") == 0, message="no shard 'a'")
        c.send(encode("SSUBSCRIBE", "a") + encode("SPUBLISH", "a", "sself"))
        c.expect(ack("ssubscribe", "a", 1, True)
                 + b">3\r\n$8\r\nsmessage\r\n$1\r\na\r\n$5\r\nsself\r\n:1\r\n")

    def test_unsubscribe_when_none_subscribed(self):
        c = self.resp3()
        c.send(b"*1\r\n$11\r\nUNSUBSCRIBE\r\n")
        c.expect(b">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n")
        c.send(b"*1\r\n$12\r\nPUNSUBSCRIBE\r\n")
        c.expect(b">3\r\n$12\r\npunsubscribe\r\n_\r\n:0\r\n")
        c.send(b"*1\r\n$12\r\nSUNSUBSCRIBE\r\n")
        c.expect(b">3\r\n$12\r\nsunsubscribe\r\n_\r\n:0\r\n")

    def test_unsubscribe_sequences(self):
        c = self.resp3()
        c.send(encode("SUBSCRIBE", "x") + encode("PSUBSCRIBE", "*"))
        c.expect(ack("subscribe", "x", 1, True) + ack("psubscribe", "*", 2, True))
        c.send(b"*2\r\n$11\r\nUNSUBSCRIBE\r\n$2\r\nzz\r\n")
        c.expect(b">3\r\n$11\r\nunsubscribe\r\n$2\r\nzz\r\n:2\r\n")
        c.send(b"*1\r\n$12\r\nPUNSUBSCRIBE\r\n")
        c.expect(b">3\r\n$12\r\npunsubscribe\r\n$1\r\n*\r\n:1\r\n")
        # No pattern left: the null push carries the remaining channel count (1), not 0.
        c.send(encode("PUNSUBSCRIBE") + encode("SUNSUBSCRIBE"))
        c.expect(b">3\r\n$12\r\npunsubscribe\r\n_\r\n:1\r\n"
                 b">3\r\n$12\r\nsunsubscribe\r\n_\r\n:0\r\n")
        c.send(b"*1\r\n$11\r\nUNSUBSCRIBE\r\n")
        c.expect(b">3\r\n$11\r\nunsubscribe\r\n$1\r\nx\r\n:0\r\n")
        c.send(b"*1\r\n$11\r\nUNSUBSCRIBE\r\n")
        c.expect(b">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n")

    def test_client_reply_off_does_not_silence_pushes(self):
        c, pub = self.resp3(), self.connect()
        ch = self.chan("q3")
        c.send(encode("CLIENT", "REPLY", "OFF") + encode("SUBSCRIBE", ch) + encode("PING")
               + encode("ECHO", "x"))
        c.expect(ack("subscribe", ch, 1, True))
        pub.send(encode("PUBLISH", ch, "hi3"))
        pub.expect(b":1\r\n")
        c.expect(message(ch, "hi3", True))
        c.send(encode("CLIENT", "REPLY", "ON") + encode("PING"))
        c.expect(b"+OK\r\n+PONG\r\n")

    def test_resp2_and_resp3_subscribers_get_their_own_shapes(self):
        ch = self.chan("mixed")
        r3, r2, pub = self.resp3(), self.connect(), self.connect()
        for c, resp3 in ((r3, True), (r2, False)):
            c.send(encode("SUBSCRIBE", ch) + encode("PSUBSCRIBE", ch))
            c.expect(ack("subscribe", ch, 1, resp3) + ack("psubscribe", ch, 2, resp3))
        pub.send(encode("PUBLISH", ch, "both"))
        pub.expect(b":4\r\n")
        r3.expect(message(ch, "both", True) + pmessage(ch, ch, "both", True))
        r2.expect(message(ch, "both") + pmessage(ch, ch, "both"))

    def test_hello2_returns_to_resp2(self):
        c = self.resp3()
        c.send(b"*2\r\n$5\r\nHELLO\r\n$1\r\n2\r\n")
        self.assertEqual(h.mask_hello_id(c.read_raw_reply()), h.HELLO_RESP2_MASKED)
        c.send(encode("SUBSCRIBE", "a"))
        c.expect(ack("subscribe", "a", 1))
        c.send(encode("ECHO", "x"))
        c.expect(subscribed_error("echo"))


class PubSubIntrospectionTest(h.ServerTestCase):
    """PUBSUB CHANNELS / NUMSUB / NUMPAT / SHARDCHANNELS / SHARDNUMSUB / HELP."""

    def test_channels_and_numsub(self):
        a, b, admin = self.connect(), self.connect(), self.connect()
        x, y = self.chan("x"), self.chan("y")
        a.send(encode("SUBSCRIBE", x, y))
        a.expect(ack("subscribe", x, 1) + ack("subscribe", y, 2))
        b.send(encode("SUBSCRIBE", x) + encode("PSUBSCRIBE", self.ns + "*"))
        b.expect(ack("subscribe", x, 1) + ack("psubscribe", self.ns + "*", 2))
        got = admin.cmd("PUBSUB", "CHANNELS", self.ns + "*")
        self.assertEqual(sorted(got), sorted([x.encode(), y.encode()]))
        admin.send(encode("PUBSUB", "CHANNELS", self.ns + "y"))
        admin.expect(b"*1\r\n" + bulk(y))
        # Patterns are not counted by NUMSUB; unknown channels give 0; order is kept.
        admin.send(encode("PUBSUB", "NUMSUB", y, x, "zz", x))
        admin.expect(b"*8\r\n" + bulk(y) + b":1\r\n" + bulk(x) + b":2\r\n"
                     + b"$2\r\nzz\r\n:0\r\n" + bulk(x) + b":2\r\n")
        admin.send(b"*2\r\n$6\r\nPUBSUB\r\n$6\r\nNUMSUB\r\n")
        admin.expect(b"*0\r\n")
        # A channel disappears with its last subscriber.
        a.send(encode("UNSUBSCRIBE", y))
        a.expect(ack("unsubscribe", y, 1))
        admin.send(encode("PUBSUB", "CHANNELS", self.ns + "*"))
        admin.expect(b"*1\r\n" + bulk(x))
        admin.send(encode("PUBSUB", "NUMSUB", y))
        admin.expect(b"*2\r\n" + bulk(y) + b":0\r\n")

    def test_channels_in_resp3(self):
        a, admin = self.connect(), self.connect()
        admin.hello3()
        x = self.chan("x3")
        a.send(encode("SUBSCRIBE", x))
        a.expect(ack("subscribe", x, 1))
        admin.send(encode("PUBSUB", "CHANNELS", self.ns + "*") + encode("PUBSUB", "NUMSUB", x))
        # NUMSUB stays a flat array in RESP3 in 7.0.
        admin.expect(b"*1\r\n" + bulk(x) + b"*2\r\n" + bulk(x) + b":1\r\n")

    def test_numpat_counts_distinct_patterns(self):
        a, b, admin = self.connect(), self.connect(), self.connect()
        # Patterns of earlier tests' (closed) connections must be gone first.
        h.wait_until(lambda: admin.cmd("PUBSUB", "NUMPAT") == 0, message="NUMPAT == 0")
        base = 0
        p1, p2 = self.ns + "p1*", self.ns + "p2*"
        a.send(encode("PSUBSCRIBE", p1, p2))
        a.expect(ack("psubscribe", p1, 1) + ack("psubscribe", p2, 2))
        b.send(encode("PSUBSCRIBE", p1))
        b.expect(ack("psubscribe", p1, 1))
        admin.send(b"*2\r\n$6\r\nPUBSUB\r\n$6\r\nNUMPAT\r\n")
        admin.expect(integer(base + 2))
        a.send(encode("PUNSUBSCRIBE", p1))
        a.expect(ack("punsubscribe", p1, 1))
        admin.send(encode("PUBSUB", "NUMPAT"))
        admin.expect(integer(base + 2))  # b still holds p1
        b.send(encode("PUNSUBSCRIBE"))
        b.expect(ack("punsubscribe", p1, 0))
        admin.send(encode("PUBSUB", "NUMPAT"))
        admin.expect(integer(base + 1))

    def test_shardchannels_and_shardnumsub(self):
        a, b, admin = self.connect(), self.connect(), self.connect()
        s1, s2 = self.chan("s1"), self.chan("s2")
        a.send(encode("SSUBSCRIBE", s1, s2))
        a.expect(ack("ssubscribe", s1, 1) + ack("ssubscribe", s2, 2))
        b.send(encode("SSUBSCRIBE", s1) + encode("SUBSCRIBE", self.chan("plain")))
        b.expect(ack("ssubscribe", s1, 1) + ack("subscribe", self.chan("plain"), 1))
        got = admin.cmd("PUBSUB", "SHARDCHANNELS", self.ns + "*")
        self.assertEqual(sorted(got), sorted([s1.encode(), s2.encode()]))
        admin.send(encode("PUBSUB", "SHARDCHANNELS", self.ns + "s2"))
        admin.expect(b"*1\r\n" + bulk(s2))
        admin.send(encode("PUBSUB", "SHARDNUMSUB", s1, s2, "zz"))
        admin.expect(b"*6\r\n" + bulk(s1) + b":2\r\n" + bulk(s2) + b":1\r\n"
                     + b"$2\r\nzz\r\n:0\r\n")
        admin.send(encode("PUBSUB", "SHARDNUMSUB"))
        admin.expect(b"*0\r\n")
        # Shard channels are not regular channels and vice versa.
        admin.send(encode("PUBSUB", "NUMSUB", s1) + encode("PUBSUB", "CHANNELS", self.ns + "s*"))
        admin.expect(b"*2\r\n" + bulk(s1) + b":0\r\n*0\r\n")
        admin.send(encode("PUBSUB", "SHARDNUMSUB", self.chan("plain")))
        admin.expect(b"*2\r\n" + bulk(self.chan("plain")) + b":0\r\n")

    def test_help(self):
        c = self.connect()
        expected = (
            b"*14\r\n+PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
            b"+CHANNELS [<pattern>]\r\n"
            b"+    Return the currently active channels matching a <pattern> (default: '*').\r\n"
            b"+NUMPAT\r\n+    Return number of subscriptions to patterns.\r\n"
            b"+NUMSUB [<channel> ...]\r\n"
            b"+    Return the number of subscribers for the specified channels, excluding\r\n"
            b"+    pattern subscriptions(default: no channels).\r\n"
            b"+SHARDCHANNELS [<pattern>]\r\n"
            b"+    Return the currently active shard level channels matching a <pattern> "
            b"(default: '*').\r\n"
            b"+SHARDNUMSUB [<shardchannel> ...]\r\n"
            b"+    Return the number of subscribers for the specified shard level channel(s)\r\n"
            b"+HELP\r\n+    Prints this help.\r\n")
        c.send(b"*2\r\n$6\r\nPUBSUB\r\n$4\r\nHELP\r\n")
        c.expect(expected)
        c.send(b"pubsub help\r\n")
        c.expect(expected)

    def test_errors(self):
        c = self.connect()
        c.send(b"*1\r\n$6\r\nPUBSUB\r\n")
        c.expect(b"-ERR wrong number of arguments for 'pubsub' command\r\n")
        c.send(b"*3\r\n$6\r\nPUBSUB\r\n$6\r\nNUMPAT\r\n$1\r\nx\r\n")
        c.expect(b"-ERR wrong number of arguments for 'pubsub|numpat' command\r\n")
        # CHANNELS / SHARDCHANNELS check their own argument count, with another text that
        # quotes the subcommand as sent.
        c.send(encode("pubsub", "channels", "a", "b"))
        c.expect(b"-ERR unknown subcommand or wrong number of arguments for 'channels'. "
                 b"Try PUBSUB HELP.\r\n")
        c.send(encode("PUBSUB", "SHARDCHANNELS", "a", "b"))
        c.expect(b"-ERR unknown subcommand or wrong number of arguments for 'SHARDCHANNELS'. "
                 b"Try PUBSUB HELP.\r\n")
        c.send(encode("PUBSUB", "HELP", "x"))
        c.expect(b"-ERR wrong number of arguments for 'pubsub|help' command\r\n")
        c.send(b"*2\r\n$6\r\nPUBSUB\r\n$3\r\nFOO\r\n")
        c.expect(b"-ERR unknown subcommand 'FOO'. Try PUBSUB HELP.\r\n")
        c.send(b"pubsub foo\r\n")
        c.expect(b"-ERR unknown subcommand 'foo'. Try PUBSUB HELP.\r\n")

    def test_subcommands_are_case_insensitive(self):
        a, admin = self.connect(), self.connect()
        x = self.chan("case")
        a.send(encode("subscribe", x))
        a.expect(ack("subscribe", x, 1))
        admin.send(encode("pubsub", "numsub", x) + encode("PuBsUb", "NuMsUb", x))
        admin.expect((b"*2\r\n" + bulk(x) + b":1\r\n") * 2)


# PUBSUB CHANNELS with the glob quirks of redis70-glob-pubsub-channels.txt. Each entry:
# pattern -> the channels (of CHANNELS below) it matches, as observed on Redis 7.0.15.
CHANNELS = ["-", "\\", "^", "a-b", "a\\b", "a]b", "ab", "abc", "b", "h*llo", "h?llo", "h[llo",
            "hallo", "heeello", "hello", "hllo", "hxllo", "x^y", ""]
GLOB_TABLE = [
    ("h?llo", ["h*llo", "h?llo", "h[llo", "hallo", "hello", "hxllo"]),
    ("h*llo", ["h*llo", "h?llo", "h[llo", "hallo", "heeello", "hello", "hllo", "hxllo"]),
    ("h[ae]llo", ["hallo", "hello"]),
    ("h[^e]llo", ["h*llo", "h?llo", "h[llo", "hallo", "hxllo"]),
    ("h[a-b]llo", ["hallo"]),
    ("h[b-a]llo", ["hallo"]),  # reversed range
    ("h\\*llo", ["h*llo"]),
    ("h\\?llo", ["h?llo"]),
    ("a[]]b", []),  # [] is an empty set that never matches
    ("a[\\]]b", ["a]b"]),
    ("a[-]b", ["a-b"]),
    ("[\\\\]", ["\\"]),
    ("h[llo", []),  # unclosed [
    ("h[l", []),
    ("*\\", ["\\"]),  # trailing lone backslash is literal
    ("x[\\^]y", ["x^y"]),
    ("[^]", ["-", "\\", "^", "b"]),  # any single byte
    ("[!a]b", ["ab"]),  # '!' does not negate
    ("a\\b", ["ab"]),
    ("a\\\\b", ["a\\b"]),
    ("", [""]),
    ("*", ["-", "\\", "^", "a-b", "a\\b", "a]b", "ab", "abc", "b", "h*llo", "h?llo", "h[llo",
           "hallo", "heeello", "hello", "hllo", "hxllo", "x^y"]),  # '*' does not match ""
    ("ab*", ["ab", "abc"]),
    ("[a-]b", ["^", "b"]),  # range a..']' then the last byte re-read as a member
    ("a[b-]", ["ab"]),
]


class GlobTest(h.ServerTestCase):
    """Glob semantics, quirks included, through PUBSUB CHANNELS and PSUBSCRIBE. This class
    owns its server, so the channel set is exactly CHANNELS."""

    def setUp(self):
        super().setUp()
        self.sub = self.connect()
        self.sub.send(encode("SUBSCRIBE", *CHANNELS))
        for i, ch in enumerate(CHANNELS):
            self.sub.expect(ack("subscribe", ch, i + 1))
        self.admin = self.connect()
        # The previous test's subscriber connection must be gone.
        h.wait_numsub(self.admin, "hello", 1)
        h.wait_until(lambda: self.admin.cmd("PUBSUB", "NUMPAT") == 0, message="NUMPAT == 0")

    def test_pubsub_channels_glob_table(self):
        for pattern, expected in GLOB_TABLE:
            with self.subTest(pattern=pattern):
                got = self.admin.cmd("PUBSUB", "CHANNELS", pattern)
                self.assertEqual(sorted(got), sorted(x.encode() for x in expected))
        got = self.admin.cmd("PUBSUB", "CHANNELS")
        self.assertEqual(sorted(got), sorted(x.encode() for x in CHANNELS))

    def test_psubscribe_glob_table(self):
        psub = self.connect()
        patterns = [p for p, _ in GLOB_TABLE]
        psub.send(encode("PSUBSCRIBE", *patterns))
        for i, p in enumerate(patterns):
            psub.expect(ack("psubscribe", p, i + 1))
        for ch in CHANNELS:
            with self.subTest(channel=ch):
                matching = sorted(p for p, chans in GLOB_TABLE if ch in chans)
                self.admin.send(encode("PUBLISH", ch, "m"))
                self.admin.expect(integer(1 + len(matching)))  # + the channel subscriber
                got = sorted(psub.read_reply()[1].decode() for _ in matching)
                self.assertEqual(got, matching)
                self.sub.expect(message(ch, "m"))
        psub.send(encode("PING", "end"))
        psub.expect(b"*2\r\n$4\r\npong\r\n$3\r\nend\r\n")  # no extra pmessage

    def test_pathological_pattern_does_not_stall(self):
        # Exponential for a naive backtracking matcher; must answer promptly.
        pat = "*a" * 40 + "*b"
        psub, other = self.connect(), self.connect()
        psub.send(encode("PSUBSCRIBE", pat))
        psub.expect(ack("psubscribe", pat, 1))
        self.admin.send(encode("PUBLISH", "a" * 200, "x"))
        self.admin.expect(b":0\r\n", timeout=30)
        self.admin.send(encode("PUBSUB", "CHANNELS", pat))
        self.admin.expect(b"*0\r\n", timeout=30)
        other.send(encode("PING"))
        other.expect(b"+PONG\r\n", timeout=30)
        self.admin.send(encode("PUBLISH", "a" * 199 + "b", "y"))
        self.admin.expect(b":1\r\n", timeout=30)
        psub.expect(pmessage(pat, "a" * 199 + "b", "y"))


if __name__ == "__main__":
    unittest.main()

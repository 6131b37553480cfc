"""Publishing on a replica (resp/forwarding.h): `replica-publish local` (the default, Redis's
behaviour: delivered on that node only) and `replica-publish forward` (sent up to the top of the
tree, delivered everywhere once, in the master's order).

Every node is a real process on loopback; the root is herald or a real redis-server. Messages
carry sequence numbers so that loss, duplicates and order are checked exactly; every wait is a
bounded poll.

Run: cd tests/integration && /usr/bin/python3 -m unittest -v replication.test_forward
"""

import os
import signal
import unittest

import harness as h
from harness import encode
from replication.test_replication import (HAVE_REDIS, ReplicationTestCase, replicaof, seq,
                                          sub_readable)

NO_LINK = "ERR publish cannot be forwarded: no link with the master"
TOO_MANY = ("ERR publish cannot be forwarded: too many publishes waiting for the master "
            "(replica-publish-max-inflight)")


class LocalByDefaultTest(ReplicationTestCase):
    """Redis's behaviour, which stays the default for RESP: also checked against redis-server."""

    def test_publish_on_a_replica_stays_on_that_replica(self):
        m = self.node()
        r = self.node(*replicaof(m))
        self.wait_link_up(r)
        on_master = self.subscribe(m)
        on_replica = self.subscribe(r)
        self.assertEqual(self.publish_all(r, ["local"]), [1])
        self.assertEqual(self.read_messages(on_replica, 1), ["local"])
        self.assertEqual(self.publish_all(m, ["from master"]), [1])
        self.assertEqual(self.read_messages(on_master, 1), ["from master"])
        self.assertEqual(self.read_messages(on_replica, 1), ["from master"])


@h.herald_only("replica-publish is herald's own")
class ForwardTest(ReplicationTestCase):
    def forwarding(self, upstream, *args):
        node = self.node(*replicaof(upstream), "--replica-publish", "forward", *args)
        self.wait_link_up(node)
        return node

    def test_chain_every_node_gets_every_message_once_in_the_masters_order(self):
        m = self.node()
        middle = self.node(*replicaof(m))  # local itself: it still relays what comes from below
        self.wait_link_up(middle)
        leaf = self.forwarding(middle)
        subs = [self.subscribe(n) for n in (m, middle, leaf)]
        # Publishers on the leaf and on the master at once, each pipelining its sequence.
        on_leaf = leaf.connect()
        self.addCleanup(on_leaf.close)
        on_leaf.send(b"".join(encode("PUBLISH", self.ch, x) for x in seq("leaf", 200)))
        m.admin.send(b"".join(encode("PUBLISH", self.ch, x) for x in seq("root", 200)))
        self.assertEqual([on_leaf.read_reply() for _ in range(200)], [1] * 200)  # the master's count
        self.assertEqual([m.admin.read_reply() for _ in range(200)], [1] * 200)
        streams = [self.read_messages(s, 400) for s in subs]
        for got in streams:
            self.assertEqual([x for x in got if x.startswith("leaf")], seq("leaf", 200))
            self.assertEqual([x for x in got if x.startswith("root")], seq("root", 200))
        # One order, the master's, on every node.
        self.assertEqual(streams[1], streams[0])
        self.assertEqual(streams[2], streams[0])
        self.assert_nothing_more(subs, m)
        # SPUBLISH goes the same way.
        ssub = leaf.connect()
        self.addCleanup(ssub.close)
        ssub.send(encode("SSUBSCRIBE", "shard"))
        ssub.expect(h.ack("ssubscribe", "shard", 1))
        self.assertEqual(self.publish_all(leaf, ["s1"], channel="shard", verb="SPUBLISH"), [0])
        self.assertEqual(ssub.read_reply(), [b"smessage", b"shard", b"s1"])

    def test_master_gone_fails_clearly(self):
        m = self.node()
        r = self.forwarding(m, "--repl-timeout", "1")
        sub = self.subscribe(r)
        self.kill9(m)
        h.wait_until(lambda: self.info(r).get("master_link_status") == "down",
                     message="link down")
        self.assertEqual(self.publish_all(r, ["lost?"]), [h.RespError(NO_LINK)])
        self.assertFalse(sub_readable(sub, 0.2))  # nothing was delivered locally either

    def test_a_stopped_master_times_out(self):
        m = self.node()
        r = self.forwarding(m, "--replica-publish-timeout", "300")
        self.assertEqual(self.publish_all(r, ["warm"]), [0])  # the forward connection is open
        os.kill(m.pid, signal.SIGSTOP)
        self.addCleanup(lambda: m.alive() and os.kill(m.pid, signal.SIGCONT))
        self.assertEqual(self.publish_all(r, ["stuck"]), [h.RespError(
            "ERR publish cannot be forwarded: no answer from the master within "
            "replica-publish-timeout")])
        os.kill(m.pid, signal.SIGCONT)
        # A new connection is opened for the next publish; the stuck one did reach the master
        # (it was in its socket), the error said only that the answer did not come in time.
        sub = self.subscribe(r)
        h.wait_until(lambda: self.publish_all(r, ["after"]) == [0], message="forwarding again")
        got = self.read_until(sub, "after")
        self.assertIn(got[:-1], ([], ["stuck"]))  # the master may have run it, once

    def test_inflight_limit(self):
        m = self.node()
        r = self.forwarding(m, "--replica-publish-max-inflight", "2",
                            "--replica-publish-timeout", "60000")
        # A forwarded publish counts until its copy is back in the stream, not only until the
        # reply: once the subscriber has "warm", nothing is in flight.
        sub = self.subscribe(r)
        self.assertEqual(self.publish_all(r, ["warm"]), [0])
        self.assertEqual(self.read_messages(sub, 1), ["warm"])
        os.kill(m.pid, signal.SIGSTOP)
        self.addCleanup(lambda: m.alive() and os.kill(m.pid, signal.SIGCONT))
        c = r.connect()
        self.addCleanup(c.close)
        cid = c.cmd("CLIENT", "ID")
        # One write: the first two wait for the master, the third is refused at once, and its
        # error still comes after their replies.
        c.send(b"".join(encode("PUBLISH", self.ch, x) for x in ("w0", "w1", "third")))

        def all_read():
            entry = r.admin.cmd("CLIENT", "LIST", "ID", cid).decode()
            return " cmd=publish " in entry and " qbuf=0 " in entry
        h.wait_until(all_read, message="the three publishes run")
        os.kill(m.pid, signal.SIGCONT)
        self.assertEqual([c.read_reply() for _ in range(3)], [0, 0, h.RespError(TOO_MANY)])

    def test_pipelined_replies_keep_their_order(self):
        m = self.node()
        r = self.forwarding(m)
        sub = self.subscribe(r)
        c = r.connect()
        self.addCleanup(c.close)
        batch = []
        for i in range(1000):
            batch.append(encode("PUBLISH", self.ch, f"p{i}"))
            if i % 100 == 0:
                batch.append(encode("ECHO", f"e{i}"))
        c.send(b"".join(batch))
        replies = [c.read_reply() for _ in range(1010)]
        expected = []
        for i in range(1000):
            expected.append(0)
            if i % 100 == 0:
                expected.append(f"e{i}".encode())
        self.assertEqual(replies, expected)
        self.assertEqual(self.read_messages(sub, 1000), seq("p", 1000))
        # QUIT waits for the replies before it.
        q = r.connect()
        self.addCleanup(q.close)
        q.send(b"".join(encode("PUBLISH", self.ch, f"q{i}") for i in range(3)) + encode("QUIT"))
        self.assertEqual([q.read_reply() for _ in range(4)], [0, 0, 0, h.Status(b"OK")])
        self.assertEqual(q.read_until_eof(), b"")
        self.assertEqual(self.read_messages(sub, 3), seq("q", 3))
        # CLIENT REPLY OFF silences forwarded publishes too.
        c.send(encode("CLIENT", "REPLY", "OFF") + encode("PUBLISH", self.ch, "quiet") +
               encode("CLIENT", "REPLY", "ON"))
        self.assertEqual(c.read_reply(), h.Status(b"OK"))
        self.assertEqual(self.read_messages(sub, 1), ["quiet"])

    def test_inside_multi_is_refused(self):
        m = self.node()
        r = self.forwarding(m)
        c = r.admin
        self.assertEqual(c.cmd("MULTI"), h.Status(b"OK"))
        self.assertEqual(c.cmd("PUBLISH", self.ch, "x"), h.Status(b"QUEUED"))
        self.assertEqual(c.cmd("EXEC"),
                         [h.RespError("ERR publish cannot be forwarded inside MULTI")])

    def test_forward_with_auth_to_the_master(self):
        m = self.node("--requirepass", "s3cret")
        r = self.forwarding(m, "--masterauth", "s3cret")
        m.admin.cmd("AUTH", "s3cret")
        sub = m.connect()
        self.addCleanup(sub.close)
        sub.cmd("AUTH", "s3cret")
        sub.send(encode("SUBSCRIBE", self.ch))
        sub.expect(h.ack("subscribe", self.ch, 1))
        self.assertEqual(self.publish_all(r, ["authed"]), [1])
        self.assertEqual(self.read_messages(sub, 1), ["authed"])
        names = m.admin.cmd("CLIENT", "LIST").decode()
        self.assertIn("name=herald-forward", names)
        # On the replica it is listed under that name too, with the master's address.
        local = [line for line in r.admin.cmd("CLIENT", "LIST").decode().splitlines()
                 if "name=herald-forward" in line]
        self.assertEqual(len(local), 1, local)
        self.assertIn(f" addr=127.0.0.1:{m.port} ", local[0])

    def test_the_masters_acl_applies_to_masteruser(self):
        m = self.node("--user", "repl", "on", ">pw", "+psync", "+replconf", "+ping",
                      "--user", "fwd", "on", ">pw", "+psync", "+replconf", "+ping", "+publish",
                      "+client|setname", "&*")
        bare = self.forwarding(m, "--masteruser", "repl", "--masterauth", "pw")
        self.assertEqual(self.publish_all(bare, ["refused"]), [h.RespError(
            "NOPERM this user has no permissions to run the 'publish' command")])
        self.assertIn("Unable to name the forwarded publishes' connection", bare.log())
        full = self.forwarding(m, "--masteruser", "fwd", "--masterauth", "pw")
        sub = self.subscribe(full)
        self.assertEqual(self.publish_all(full, ["allowed"]), [0])
        self.assertEqual(self.read_messages(sub, 1), ["allowed"])

    def test_follows_a_new_master(self):
        """What Sentinel does after a failover (REPLICAOF the promoted node): the next
        forwarded publish goes to the new master, none to the old one."""
        old = self.node()
        new = self.node()
        r = self.forwarding(old)
        self.assertEqual(self.publish_all(r, ["warm"]), [0])  # the connection to `old` is open
        on_old = self.subscribe(old)
        on_new = self.subscribe(new)
        self.assertEqual(r.admin.cmd("REPLICAOF", "127.0.0.1", str(new.port)), h.Status(b"OK"))
        self.wait_link_up(r)
        self.assertEqual(self.publish_all(r, ["to the new one"]), [1])
        self.assertEqual(self.read_messages(on_new, 1), ["to the new one"])
        self.assertFalse(sub_readable(on_old, 0.2))
        h.wait_until(lambda: "name=herald-forward" not in old.admin.cmd("CLIENT", "LIST").decode(),
                     message="the old master's forward connection closed")

    def test_promoted_replica_publishes_itself(self):
        m = self.node()
        r = self.forwarding(m)
        sub = self.subscribe(r)
        self.assertEqual(r.admin.cmd("REPLICAOF", "NO", "ONE"), h.Status(b"OK"))
        self.assertEqual(self.publish_all(r, ["mine"]), [1])
        self.assertEqual(self.read_messages(sub, 1), ["mine"])


@h.herald_only("herald forwarding to a redis-server root")
@unittest.skipUnless(HAVE_REDIS, "redis-server is not installed")
class ForwardToRedisTest(ReplicationTestCase):
    def test_redis_master_at_the_root_of_a_chain(self):
        root = self.redis()
        middle = self.node(*replicaof(root))
        self.wait_link_up(middle)
        leaf = self.node(*replicaof(middle), "--replica-publish", "forward")
        self.wait_link_up(leaf)
        subs = [self.subscribe(n) for n in (root, middle, leaf)]
        self.assertEqual(self.publish_all(leaf, seq("x", 100)), [1] * 100)
        for s in subs:
            self.assertEqual(self.read_messages(s, 100), seq("x", 100))
        self.assert_nothing_more(subs, root)


if __name__ == "__main__":
    unittest.main()

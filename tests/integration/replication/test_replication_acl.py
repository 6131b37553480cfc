"""Replication through ACL users: masteruser/masterauth against a real redis-server master whose
default user is off, a real redis-server replica of a herald master that requires them, and a
wrong masterauth (logged, retried, no crash; fixed with CONFIG SET).

The replication user has only what a Redis 7.0 replica runs on its master: PSYNC (SYNC is its
fallback, not needed here) and REPLCONF (listening-port, capa, ACK; without it the master never
learns the replica's port or offset). Its first PING is sent before AUTH, so it needs no +ping;
+ping is there as Redis's documentation writes the rule.

With HERALD_TEST_TARGET=redis the node under test is a redis-server too, so every scenario is
also checked between two redis-servers:
  cd tests/integration && HERALD_TEST_TARGET=redis /usr/bin/python3 -m unittest -v \
      replication.test_replication_acl                                           (see harness.py)
"""

import unittest

import harness as h
from harness import encode
from replication.test_replication import HAVE_REDIS, ReplicationTestCase, seq

WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled."
REPL_USER = ["--user", "repl", "on", ">replpw", "+psync", "+replconf", "+ping"]
ADMIN_USER = ["--user", "admin", "on", ">adminpw", "~*", "&*", "+@all"]
DEFAULT_OFF = ["--user", "default", "off"]
ACL_MASTER = REPL_USER + ADMIN_USER + DEFAULT_OFF


def masterof(node, user="repl", password="replpw"):
    return ["--replicaof", "127.0.0.1", str(node.port), "--masteruser", user,
            "--masterauth", password]


@unittest.skipUnless(HAVE_REDIS, "needs " + h.REDIS_SERVER)
class ReplicationAclTest(ReplicationTestCase):
    def acl_master(self, make):
        """A master (made by `make`) whose default user is off; its admin connection logs in
        as admin."""
        m = make(*ACL_MASTER)
        self.assertEqual(m.admin.cmd("PING"), h.RespError("NOAUTH Authentication required."))
        self.assertEqual(m.admin.cmd("AUTH", "admin", "adminpw"), b"OK")
        return m

    def assert_replica_user(self, master, replica):
        """The master sees the replica with its port, as user repl, and with its offset."""
        info = self.info(master)
        self.assertEqual(info["connected_slaves"], "1")
        self.assertIn(f"port={replica.port},state=online", info["slave0"])
        clients = master.admin.cmd("CLIENT", "LIST", "TYPE", "replica").decode()
        self.assertIn(" user=repl ", clients)

    def test_replica_of_a_redis_master_with_default_user_off(self):
        rm = self.acl_master(self.redis)
        r = self.node(*masterof(rm))
        self.wait_link_up(r)
        self.wait_replicas(rm, 1)
        sub = self.subscribe(r)
        expected = seq("m", 100)
        self.assertEqual(self.publish_all(rm, expected), [0] * 100)
        self.assertEqual(self.read_messages(sub, 100), expected)
        self.wait_same_offsets(rm, r)
        self.assert_replica_user(rm, r)
        # Nothing was refused on the way: the rules are enough.
        self.assertEqual(rm.admin.cmd("ACL", "LOG"), [])

    def test_redis_replica_of_a_master_with_default_user_off(self):
        m = self.acl_master(self.node)
        rr = self.redis(*masterof(m))
        self.wait_link_up(rr)
        self.wait_replicas(m, 1)
        sub = self.subscribe(rr)
        shard = rr.connect()
        self.addCleanup(shard.close)
        shard.send(encode("SSUBSCRIBE", self.ch))
        shard.expect(h.ack("ssubscribe", self.ch, 1))
        expected = seq("h", 100)
        self.publish_all(m, expected)
        self.publish_all(m, ["sharded"], verb="SPUBLISH")
        self.assertEqual(self.read_messages(sub, 100), expected)
        shard.expect(h.smessage(self.ch, "sharded"))
        self.wait_same_offsets(m, rr)
        self.assert_replica_user(m, rr)
        self.assertEqual(m.admin.cmd("ACL", "LOG"), [])

    def test_chain_of_acl_nodes(self):
        # master -> replica -> sub-replica of the target under test, each link through user
        # repl; the middle node has the same users.
        m = self.acl_master(self.node)
        r1 = self.acl_master(lambda *args: self.node(*args, *masterof(m)))
        r2 = self.node(*masterof(r1))
        self.wait_link_up(r1)
        self.wait_link_up(r2)
        sub = self.subscribe(r2)
        expected = seq("c", 50)
        self.publish_all(m, expected)
        self.assertEqual(self.read_messages(sub, 50), expected)
        self.wait_same_offsets(m, r1, r2)

    def test_wrong_masterauth_is_logged_retried_then_fixed(self):
        m = self.acl_master(self.redis)
        r = self.node(*masterof(m, password="wrong"))
        h.wait_until(lambda: "Unable to AUTH to MASTER: -" + WRONGPASS in r.log(),
                     message="the AUTH refusal in the replica's log")
        self.assertEqual(self.info(r)["master_link_status"], "down")

        def auth_failures():
            entries = [dict(zip(e[::2], e[1::2])) for e in m.admin.cmd("ACL", "LOG")]
            return sum(e[b"count"] for e in entries
                       if e[b"reason"] == b"auth" and e[b"username"] == b"repl")
        # It keeps trying (about once a second), and stays down.
        h.wait_until(lambda: auth_failures() >= 3, message="three AUTH attempts on the master")
        self.assertEqual(self.info(r)["master_link_status"], "down")
        self.assertEqual(self.info(m)["connected_slaves"], "0")
        # The right password, set at run time, is used by the next attempt.
        self.assertEqual(r.admin.cmd("CONFIG", "SET", "masterauth", "replpw"), b"OK")
        self.wait_link_up(r)
        sub = self.subscribe(r)
        self.wait_delivery(m, sub)
        self.assertEqual(self.publish_all(m, ["after-fix"]), [0])
        self.assertEqual(self.read_messages(sub, 1), ["after-fix"])

    def test_redis_replica_with_wrong_masterauth(self):
        m = self.acl_master(self.node)
        rr = self.redis(*masterof(m, password="wrong"))
        h.wait_until(lambda: "Unable to AUTH to MASTER: -" + WRONGPASS in rr.log(),
                     message="the AUTH refusal in the redis replica's log")
        entries = [dict(zip(e[::2], e[1::2])) for e in m.admin.cmd("ACL", "LOG")]
        self.assertEqual([(e[b"reason"], e[b"object"], e[b"username"]) for e in entries],
                         [(b"auth", b"AUTH", b"repl")])
        self.assertEqual(self.info(m)["connected_slaves"], "0")
        self.assertEqual(self.info(rr)["master_link_status"], "down")

    def test_replica_user_without_replconf(self):
        # Without +replconf the link comes up (REPLCONF errors are not fatal to a replica) but
        # the master never hears the replica's port nor its ACKs: REPLCONF is required.
        m = self.node("--user", "repl", "on", ">replpw", "+psync", *ADMIN_USER, *DEFAULT_OFF)
        self.assertEqual(m.admin.cmd("AUTH", "admin", "adminpw"), b"OK")
        rr = self.redis(*masterof(m))
        self.wait_link_up(rr)
        self.wait_replicas(m, 1)
        self.assertIn("port=0,state=online", self.info(m)["slave0"])
        objects = {e[e.index(b"object") + 1] for e in m.admin.cmd("ACL", "LOG")}
        self.assertEqual(objects, {b"replconf"})


if __name__ == "__main__":
    unittest.main()

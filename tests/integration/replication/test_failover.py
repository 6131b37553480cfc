"""FAILOVER (Redis 6.2+): refusals byte for byte against a real redis-server, the handoff
master -> replica, FAILOVER TO with two replicas, TIMEOUT / ABORT / FORCE, and the pause it
takes being independent of CLIENT PAUSE.

The error test runs one scenario on the target and on /usr/bin/redis-server and compares every
raw reply. The others use the target under test (HERALD_TEST_TARGET=redis runs them on Redis).
A replica that must not catch up is SIGSTOPped (SIGCONT in cleanup). Every wait is bounded.

Run: cd tests/integration && /usr/bin/python3 -m unittest -v replication.test_failover
"""

import os
import signal
import unittest

import harness as h
from harness import encode
from replication.test_replication import (HAVE_REDIS, ReplicationTestCase, replicaof, seq,
                                          sub_readable)

ZERO_ID = "0" * 40


class FailoverTestCase(ReplicationTestCase):
    def role(self, node):
        return node.admin.cmd("ROLE")

    def failover_state(self, node):
        return self.info(node)["master_failover_state"]

    def stop_process(self, node):
        os.kill(node.pid, signal.SIGSTOP)
        self.addCleanup(lambda: os.kill(node.pid, signal.SIGCONT))

    def wait_online(self, master, n):
        """Until `n` replicas show state=online: Redis 7 puts a diskless replica online at its
        first ACK, and refuses FAILOVER TO one that is not."""
        def online():
            fields = self.info(master)
            return sum("state=online" in fields.get(f"slave{i}", "") for i in range(n)) == n
        h.wait_until(online, message=f"{n} replicas online on port {master.port}")

    def pair(self, make):
        m = make()
        r = make(*replicaof(m))
        self.wait_link_up(r)
        self.wait_replicas(m, 1)
        self.wait_online(m, 1)
        return m, r

    def wait_swapped(self, old, new):
        h.wait_until(lambda: self.role(old)[0] == b"slave" and self.role(new)[0] == b"master",
                     message="roles swapped")
        self.wait_link_up(old)
        h.wait_until(lambda: self.failover_state(old) == "no-failover"
                     and self.failover_state(new) == "no-failover",
                     message="master_failover_state back to no-failover")

    def held_publish(self, node, message):
        """Sends a PUBLISH on a new connection, waits until the server holds it (CLIENT LIST
        shows it on cmd=publish, the stream did not move), and returns the connection."""
        offset = self.info(node)["master_repl_offset"]
        c = node.connect()
        self.addCleanup(c.close)
        self.assertEqual(c.cmd("CLIENT", "SETNAME", "held"), b"OK")
        c.send(encode("PUBLISH", self.ch, message))

        def held():
            line = [ln for ln in node.admin.cmd("CLIENT", "LIST").decode().splitlines()
                    if " name=held " in ln]
            return line and " cmd=publish " in line[0]
        h.wait_until(held, message="the PUBLISH held by the pause")
        self.assertFalse(sub_readable(c, 0), "PUBLISH answered while paused")
        self.assertEqual(self.info(node)["master_repl_offset"], offset)
        return c


@unittest.skipUnless(HAVE_REDIS, "needs /usr/bin/redis-server")
class FailoverErrorsTest(FailoverTestCase):
    """Every refusal (and COMMAND INFO / DOCS), compared byte for byte with redis-server 7 in the
    same situation."""

    def scenario(self, make):
        out = []

        ports = {}

        def raw(node, *args):
            node.admin.send(encode(*args))
            # The ports differ between the runs: the label names the node instead.
            label = tuple(ports.get(a, a) for a in args)
            out.append((label, node.admin.read_raw_reply()))

        m = make()
        for args in (["FAILOVER"], ["FAILOVER", "ABORT"], ["failover", "abort"],
                     ["FAILOVER", "FORCE"], ["FAILOVER", "foo"], ["FAILOVER", "TO", "127.0.0.1"],
                     ["FAILOVER", "TIMEOUT"], ["FAILOVER", "TIMEOUT", "0"],
                     ["FAILOVER", "TIMEOUT", "-5"], ["FAILOVER", "TIMEOUT", "abc"],
                     ["FAILOVER", "TIMEOUT", "99999999999999999999"],
                     ["FAILOVER", "TO", "127.0.0.1", "notaport"],
                     ["FAILOVER", "TIMEOUT", "10", "TIMEOUT", "10"],
                     ["FAILOVER", "FORCE", "FORCE"],
                     ["FAILOVER", "TO", "h", "1", "TO", "h", "2"],
                     ["FAILOVER", "ABORT", "TIMEOUT", "10"], ["FAILOVER", "ABORT", "ABORT"],
                     ["FAILOVER", "TIMEOUT", "10", "ABORT"],
                     ["PSYNC", ZERO_ID, "1", "FAILOVER"],
                     ["COMMAND", "INFO", "FAILOVER"], ["COMMAND", "DOCS", "FAILOVER"]):
            raw(m, *args)
        r = make(*replicaof(m))
        self.wait_link_up(r)
        self.wait_replicas(m, 1)
        self.wait_online(m, 1)
        port = str(r.port)
        ports.update({port: "<replica port>", str(m.port): "<master port>"})
        for args in (["FAILOVER"], ["FAILOVER", "TIMEOUT", "0"], ["FAILOVER", "ABORT"],
                     ["FAILOVER", "TO", "127.0.0.1", str(m.port)],
                     ["PSYNC", ZERO_ID, "1", "FAILOVER"]):
            raw(r, *args)
        for args in (["FAILOVER", "FORCE"], ["FAILOVER", "TIMEOUT", "100", "FORCE"],
                     ["FAILOVER", "TO", "127.0.0.1", port, "FORCE"],
                     ["FAILOVER", "TO", "127.0.0.1", "1"],
                     ["FAILOVER", "TO", "localhost", port],
                     ["FAILOVER", "TO", "127.0.0.1", port, "TIMEOUT", "0"]):
            raw(m, *args)
        # A failover that stays in waiting-for-sync: the replica is stopped and behind.
        self.stop_process(r)
        self.publish_all(m, ["moves-the-offset"])
        for args in (["FAILOVER", "TO", "127.0.0.1", port], ["FAILOVER"],
                     ["FAILOVER", "TO", "127.0.0.1", "1"], ["FAILOVER", "TIMEOUT", "0"],
                     ["FAILOVER", "TIMEOUT", "10", "TIMEOUT", "10"],
                     ["REPLICAOF", "NO", "ONE"], ["REPLICAOF", "127.0.0.1", "1"]):
            raw(m, *args)
        out.append(("state", self.failover_state(m)))
        c = m.connect()
        self.addCleanup(c.close)
        c.send(encode("PSYNC", "?", "-1"))
        out.append(("psync while failing over", c.read_raw_reply()))
        raw(m, "FAILOVER", "ABORT")
        out.append(("state", self.failover_state(m)))
        raw(m, "FAILOVER", "ABORT")
        return out

    def test_errors_match_redis_server(self):
        target = self.scenario(self.node)
        redis = self.scenario(self.redis)
        self.assertEqual(len(target), len(redis))
        for got, want in zip(target, redis):
            self.assertEqual(got, want)


class FailoverSuccessTest(FailoverTestCase):
    def test_failover_to_the_replica_swaps_roles_and_loses_nothing(self):
        m, r = self.pair(self.node)
        sm, sr = self.subscribe(m), self.subscribe(r)
        before = seq("before", 100)
        self.publish_all(m, before)
        self.assertEqual(m.admin.cmd("FAILOVER"), b"OK")
        self.wait_swapped(m, r)
        role = self.role(m)
        self.assertEqual(role[:3], [b"slave", b"127.0.0.1", r.port])
        self.assertEqual(role[3], b"connected")
        rr = self.role(r)
        self.assertEqual(rr[0], b"master")
        self.assertEqual([x[1] for x in rr[2]], [str(m.port).encode()])
        # Published before the FAILOVER: on both nodes, once.
        for sub in (sm, sr):
            self.assertEqual(self.read_messages(sub, len(before)), before)
        # The new master's publishes reach the old master's subscriber.
        after = seq("after", 50)
        self.publish_all(r, after)
        for sub in (sm, sr):
            self.assertEqual(self.read_messages(sub, len(after)), after)
        self.assert_nothing_more([sm, sr], r)
        self.wait_same_offsets(m, r)

    def test_failover_to_one_of_two_replicas_leaves_the_other(self):
        m = self.node()
        a = self.node(*replicaof(m))
        b = self.node(*replicaof(m))
        for n in (a, b):
            self.wait_link_up(n)
        self.wait_replicas(m, 2)
        self.wait_online(m, 2)
        sa = self.subscribe(a)
        self.assertEqual(m.admin.cmd("FAILOVER", "TO", "127.0.0.1", str(b.port)), b"OK")
        self.wait_swapped(m, b)
        self.assertEqual(self.role(m)[2], b.port)
        # a is untouched: still a replica of m, now through m from b.
        self.assertEqual(self.role(a)[:3], [b"slave", b"127.0.0.1", m.port])
        self.wait_link_up(a)
        self.wait_delivery(b, sa)
        self.wait_same_offsets(m, a, b)


class FailoverTimeoutAbortTest(FailoverTestCase):
    def test_timeout_without_force_aborts_and_writes_resume(self):
        m, r = self.pair(self.node)
        sm = self.subscribe(m)
        self.stop_process(r)
        self.publish_all(m, ["behind"])
        self.assertEqual(self.read_messages(sm, 1), ["behind"])
        self.assertEqual(m.admin.cmd("FAILOVER", "TIMEOUT", "3000"), b"OK")
        self.assertEqual(self.failover_state(m), "waiting-for-sync")
        c = self.held_publish(m, "held")
        h.wait_until(lambda: self.failover_state(m) == "no-failover",
                     message="the failover timed out")
        self.assertEqual(c.read_reply(), 1)
        self.assertEqual(self.read_messages(sm, 1), ["held"])
        self.assertEqual(self.role(m)[0], b"master")

    def test_abort_while_waiting_for_sync(self):
        m, r = self.pair(self.node)
        self.stop_process(r)
        self.publish_all(m, ["behind"])
        self.assertEqual(m.admin.cmd("FAILOVER"), b"OK")
        c = self.held_publish(m, "held")
        self.assertEqual(m.admin.cmd("FAILOVER", "ABORT"), b"OK")
        self.assertEqual(c.read_reply(), 0)
        self.assertEqual(self.failover_state(m), "no-failover")
        self.assertEqual(self.role(m)[0], b"master")

    def test_force_with_timeout_fails_over_to_a_replica_behind(self):
        m, r = self.pair(self.node)
        self.stop_process(r)
        self.publish_all(m, ["behind"])
        self.assertEqual(m.admin.cmd("FAILOVER", "TO", "127.0.0.1", str(r.port), "FORCE",
                                     "TIMEOUT", "300"), b"OK")
        h.wait_until(lambda: self.failover_state(m) == "failover-in-progress",
                     message="FORCE after the timeout")
        os.kill(r.pid, signal.SIGCONT)
        self.wait_swapped(m, r)
        self.wait_same_offsets(m, r)


class FailoverPauseTest(FailoverTestCase):
    """FAILOVER's write pause and CLIENT PAUSE are separate (Redis's pause purposes)."""

    def test_client_unpause_does_not_end_the_failover_pause(self):
        m, r = self.pair(self.node)
        self.stop_process(r)
        self.publish_all(m, ["behind"])
        self.assertEqual(m.admin.cmd("FAILOVER"), b"OK")
        self.assertEqual(m.admin.cmd("CLIENT", "UNPAUSE"), b"OK")
        c = self.held_publish(m, "held")
        self.assertEqual(m.admin.cmd("FAILOVER", "ABORT"), b"OK")
        self.assertEqual(c.read_reply(), 0)

    def test_failover_end_does_not_cancel_client_pause(self):
        m, r = self.pair(self.node)
        self.stop_process(r)
        self.publish_all(m, ["behind"])
        self.assertEqual(m.admin.cmd("CLIENT", "PAUSE", "100000", "WRITE"), b"OK")
        self.assertEqual(m.admin.cmd("FAILOVER"), b"OK")
        self.assertEqual(m.admin.cmd("FAILOVER", "ABORT"), b"OK")
        c = self.held_publish(m, "held")
        self.assertEqual(m.admin.cmd("CLIENT", "UNPAUSE"), b"OK")
        self.assertEqual(c.read_reply(), 0)


@unittest.skipUnless(HAVE_REDIS, "needs /usr/bin/redis-server")
@h.herald_only("herald as one side of the pair")
class FailoverInteropTest(FailoverTestCase):
    def check(self, make_master, make_replica):
        m = make_master()
        r = make_replica(*replicaof(m))
        self.wait_link_up(r)
        self.wait_replicas(m, 1)
        sm, sr = self.subscribe(m), self.subscribe(r)
        self.publish_all(m, seq("before", 20))
        self.assertEqual(m.admin.cmd("FAILOVER"), b"OK")
        self.wait_swapped(m, r)
        for sub in (sm, sr):
            self.assertEqual(self.read_messages(sub, 20), seq("before", 20))
        self.publish_all(r, seq("after", 20))
        for sub in (sm, sr):
            self.assertEqual(self.read_messages(sub, 20), seq("after", 20))

    def test_redis_master_to_herald_replica(self):
        self.check(self.redis, self.herald)

    def test_herald_master_to_redis_replica(self):
        self.check(self.herald, self.redis)


if __name__ == "__main__":
    unittest.main()

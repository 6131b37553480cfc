"""Replication: chains and trees of servers, interop with redis-server both ways, faults.

Every test starts its own processes on loopback (the target under test, per
HERALD_TEST_TARGET, plus a real /usr/bin/redis-server for the interop tests) and stops them at
the end. Nothing here sleeps-then-asserts: every wait is a bounded poll for a condition, and
messages carry sequence numbers so that order, loss and duplicates are checked exactly.

Against real Redis (HERALD_TEST_TARGET=redis) the same scenarios run on redis-servers, except
the ones marked herald-only (herald's log lines, exact bytes of herald's empty RDB, herald as
the other end of an interop pair).

Run: cd tests/integration && /usr/bin/python3 -m unittest -v replication.test_replication  (see harness.py)
"""

import os
import re
import select
import signal
import subprocess
import time
import unittest

import harness as h
from harness import encode

HAVE_REDIS = os.access(h.REDIS_SERVER, os.X_OK)
HAVE_CLI = os.access(h.REDIS_CLI, os.X_OK)
HEX40 = re.compile(r"^[0-9a-f]{40}$")

# Directives every node gets. The diskless delay only matters to Redis masters, which would
# otherwise wait 5 s before each full sync; herald accepts and ignores it. Pings are spaced out
# so that the offsets only move when a test publishes (tests that want pings ask for them).
COMMON_ARGS = ["--repl-diskless-sync-delay", "0", "--repl-ping-replica-period", "3600"]
PING = encode("ping")


class RedisServer(h.Server):
    """/usr/bin/redis-server whatever HERALD_TEST_TARGET says (the interop peer)."""

    def build_argv(self, port):
        return [h.REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no"] + self.extra_args


class HeraldServer(h.Server):
    """herald-server whatever HERALD_TEST_TARGET says (the other end of an interop pair)."""

    def build_argv(self, port):
        path = os.environ.get("HERALD_SERVER") or os.path.join(
            h.REPO_ROOT, "build", "server", "herald-server")
        return [os.path.abspath(path), "--port", str(port), "--bind", "127.0.0.1"] + \
            self.extra_args


def herald_binary_available():
    path = os.environ.get("HERALD_SERVER") or os.path.join(h.REPO_ROOT, "build", "server",
                                                           "herald-server")
    return os.access(path, os.X_OK)


def replicaof(node):
    return ["--replicaof", "127.0.0.1", str(node.port)]


def seq(prefix, n, start=0):
    return [f"{prefix}{i}" for i in range(start, start + n)]


class ReplicationTestCase(unittest.TestCase):
    """Starts nodes on demand; checks at the end that none died unexpectedly."""

    def setUp(self):
        super().setUp()
        self.nodes = []
        self.killed = set()
        self.ch = "ch:%s:%d" % (self._testMethodName, os.getpid())

    def tearDown(self):
        for node in self.nodes:
            if id(node) not in self.killed and not node.alive():
                self.fail("a server exited during the test (status %r)\n%s"
                          % (node.proc.returncode, node.log()[-3000:]))
        super().tearDown()

    # -- nodes ----------------------------------------------------------------------------

    def start(self, server):
        server.start()
        self.addCleanup(server.stop)
        self.nodes.append(server)
        server.admin = server.connect()
        self.addCleanup(server.admin.close)
        return server

    def node(self, *args, port=None):
        """A server of the target under test (herald, or redis with HERALD_TEST_TARGET=redis)."""
        return self.start(h.Server(args=COMMON_ARGS + list(args), port=port))

    def redis(self, *args):
        return self.start(RedisServer(args=COMMON_ARGS + list(args)))

    def herald(self, *args):
        return self.start(HeraldServer(args=list(args)))

    def kill9(self, node):
        self.killed.add(id(node))
        os.kill(node.pid, signal.SIGKILL)
        node.proc.wait()

    # -- queries --------------------------------------------------------------------------

    def info(self, node, section="replication"):
        return h.info_fields(node.admin, section)

    def wait_link_up(self, replica):
        h.wait_until(lambda: self.info(replica).get("master_link_status") == "up",
                     message=f"master link up on port {replica.port}")

    def wait_replicas(self, master, n):
        h.wait_until(lambda: int(self.info(master)["connected_slaves"]) == n,
                     message=f"{n} replicas on port {master.port}")

    def wait_same_offsets(self, *nodes):
        """Until every node reports the same replid and offset (nothing left in flight)."""
        def same():
            seen = {(self.info(n)["master_replid"], self.info(n)["master_repl_offset"])
                    for n in nodes}
            return len(seen) == 1 and seen
        return h.wait_until(same, message="equal master_replid and master_repl_offset")

    # -- messages -------------------------------------------------------------------------

    def subscribe(self, node, channel=None):
        channel = channel or self.ch
        c = node.connect()
        self.addCleanup(c.close)
        c.send(encode("SUBSCRIBE", channel))
        c.expect(h.ack("subscribe", channel, 1))
        return c

    def publish_all(self, node, messages, channel=None, verb="PUBLISH"):
        """Publishes `messages` on `node` in one pipelined write; returns the receiver counts."""
        channel = channel or self.ch
        c = node.admin
        c.send(b"".join(encode(verb, channel, m) for m in messages))
        return [c.read_reply() for _ in messages]

    def read_messages(self, sub, n, channel=None):
        channel = channel or self.ch
        out = []
        for _ in range(n):
            v = sub.read_reply(timeout=h.WAIT_TIMEOUT)
            self.assertEqual(v[:2], [b"message", channel.encode()], v)
            out.append(v[2].decode())
        return out

    def read_until(self, sub, last, channel=None, limit=100000):
        """Every message up to and including `last`."""
        out = []
        while not out or out[-1] != last:
            out.extend(self.read_messages(sub, 1, channel))
            self.assertLess(len(out), limit)
        return out

    def assert_nothing_more(self, subs, node):
        """No duplicates or strays: the next message each subscriber gets is a fresh marker."""
        marker = "marker-%d" % time.monotonic_ns()
        self.publish_all(node, [marker])
        for sub in subs:
            self.assertEqual(self.read_messages(sub, 1), [marker])

    def wait_delivery(self, pub_node, sub):
        """Publishes probes on `pub_node` until one reaches `sub` (the path is working), then
        drains the probes so that the next message `sub` reads is a new one."""
        def probe_arrives():
            self.publish_all(pub_node, ["probe"])
            v = sub.read_reply(timeout=0.3) if sub_readable(sub, 0.3) else None
            return v is not None
        h.wait_until(probe_arrives, message="a probe delivered")
        end = "probe-end-%d" % time.monotonic_ns()
        self.publish_all(pub_node, [end])
        got = self.read_until(sub, end)
        self.assertEqual(set(got[:-1]) - {"probe"}, set(), got)


def sub_readable(conn, timeout):
    """True if a complete reply is buffered or bytes arrive within `timeout`."""
    if conn.buf:
        return True
    r, _, _ = select.select([conn.sock], [], [], timeout)
    return bool(r)


# ----------------------------------------------------------------------------------------------


class ChainTest(ReplicationTestCase):
    def test_chain_of_four_delivers_every_message_in_order_once(self):
        m = self.node()
        r1 = self.node(*replicaof(m))
        r2 = self.node(*replicaof(r1))
        r3 = self.node(*replicaof(r2))
        for r in (r1, r2, r3):
            self.wait_link_up(r)
        subs = [self.subscribe(n) for n in (m, r1, r2, r3)]
        expected = seq("m", 300)
        # Receivers are counted locally, as in Redis: only the master's own subscriber.
        self.assertEqual(self.publish_all(m, expected), [1] * len(expected))
        for sub in subs:
            self.assertEqual(self.read_messages(sub, len(expected)), expected)
        self.assert_nothing_more(subs, m)
        # Same history and offsets on every node of the chain.
        replid, offset = next(iter(self.wait_same_offsets(m, r1, r2, r3)))
        self.assertRegex(replid, HEX40)
        self.assertGreater(int(offset), 300 * len("*3\r\n$7\r\nPUBLISH\r\n"))

    def test_publish_on_a_replica_stays_local(self):
        m = self.node()
        r1 = self.node(*replicaof(m))
        r2 = self.node(*replicaof(r1))
        self.wait_link_up(r1)
        self.wait_link_up(r2)
        sm, s1, s2 = (self.subscribe(n) for n in (m, r1, r2))
        before = self.wait_same_offsets(m, r1, r2)
        self.assertEqual(self.publish_all(r1, ["local-on-r1"]), [1])
        self.assertEqual(self.read_messages(s1, 1), ["local-on-r1"])
        # The next message everyone else sees is the master's: r1's stayed on r1, and the
        # stream did not move.
        self.assertEqual(self.wait_same_offsets(m, r1, r2), before)
        self.publish_all(m, ["from-master"])
        for sub in (sm, s1, s2):
            self.assertEqual(self.read_messages(sub, 1), ["from-master"])

    def test_tree_and_shard_channels(self):
        m = self.node()
        a = self.node(*replicaof(m))
        b = self.node(*replicaof(m))
        self.wait_link_up(a)
        self.wait_link_up(b)
        self.wait_replicas(m, 2)
        subs = [self.subscribe(n) for n in (a, b)]
        shard = []
        for n in (a, b):
            c = n.connect()
            self.addCleanup(c.close)
            c.send(encode("SSUBSCRIBE", self.ch))
            c.expect(h.ack("ssubscribe", self.ch, 1))
            shard.append(c)
        expected = seq("t", 100)
        self.publish_all(m, expected)
        self.publish_all(m, ["s0", "s1"], verb="SPUBLISH")
        for sub in subs:
            self.assertEqual(self.read_messages(sub, 100), expected)
        for c in shard:
            c.expect(h.smessage(self.ch, "s0") + h.smessage(self.ch, "s1"))
        self.wait_same_offsets(m, a, b)


class InfoRoleTest(ReplicationTestCase):
    MASTER_FIELDS = ["role", "connected_slaves", "slave0", "master_failover_state",
                     "master_replid", "master_replid2", "master_repl_offset", "second_repl_offset",
                     "repl_backlog_active", "repl_backlog_size", "repl_backlog_first_byte_offset",
                     "repl_backlog_histlen"]
    REPLICA_FIELDS = ["role", "master_host", "master_port", "master_link_status",
                      "master_last_io_seconds_ago", "master_sync_in_progress",
                      "slave_read_repl_offset", "slave_repl_offset", "slave_priority",
                      "slave_read_only", "replica_announced", "connected_slaves",
                      "master_failover_state", "master_replid", "master_replid2",
                      "master_repl_offset", "second_repl_offset", "repl_backlog_active",
                      "repl_backlog_size", "repl_backlog_first_byte_offset",
                      "repl_backlog_histlen"]

    def test_min_replicas_count_good_replicas_and_never_block_publish(self):
        m = self.node("--min-replicas-to-write", "2", "--min-replicas-max-lag", "10")
        r = self.node(*replicaof(m))
        self.wait_link_up(r)
        self.wait_replicas(m, 1)
        # The first ACK arrives within a second of the link coming up.
        h.wait_until(lambda: self.info(m).get("min_slaves_good_slaves") == "1",
                     message="one good replica")
        fields = list(self.info(m))
        self.assertEqual(fields.index("min_slaves_good_slaves"),
                         fields.index("connected_slaves") + 1)
        # Two are asked for, one is there: PUBLISH is not a write command, so it still runs.
        self.assertEqual(m.admin.cmd("PUBLISH", self.ch, "x"), 0)
        self.assertEqual(m.admin.cmd("CONFIG", "SET", "min-replicas-max-lag", "0"), b"OK")
        self.assertNotIn("min_slaves_good_slaves", self.info(m))

    def test_info_replication_and_role(self):
        m = self.node()
        r = self.node(*replicaof(m))
        self.wait_link_up(r)
        self.wait_replicas(m, 1)
        self.publish_all(m, seq("x", 10))
        replid, offset = next(iter(self.wait_same_offsets(m, r)))

        # Master, in Redis's field order.
        h.wait_until(lambda: f"offset={offset}," in self.info(m)["slave0"],
                     message="the replica acknowledged everything")
        mi = self.info(m)
        self.assertEqual(list(mi), self.MASTER_FIELDS)
        self.assertEqual(mi["role"], "master")
        self.assertEqual(mi["connected_slaves"], "1")
        self.assertRegex(mi["slave0"],
                         r"^ip=127\.0\.0\.1,port=%d,state=online,offset=\d+,lag=\d+$" % r.port)
        self.assertEqual(mi["master_failover_state"], "no-failover")
        self.assertRegex(mi["master_replid"], HEX40)
        self.assertEqual(mi["master_replid2"], "0" * 40)
        self.assertEqual(mi["second_repl_offset"], "-1")
        self.assertEqual(mi["repl_backlog_active"], "1")
        self.assertEqual(mi["repl_backlog_size"], "1048576")
        self.assertEqual(int(mi["repl_backlog_first_byte_offset"]) +
                         int(mi["repl_backlog_histlen"]) - 1, int(mi["master_repl_offset"]))

        # Replica.
        ri = self.info(r)
        self.assertEqual(list(ri), self.REPLICA_FIELDS)
        self.assertEqual(ri["role"], "slave")
        self.assertEqual(ri["master_host"], "127.0.0.1")
        self.assertEqual(ri["master_port"], str(m.port))
        self.assertEqual(ri["master_link_status"], "up")
        self.assertRegex(ri["master_last_io_seconds_ago"], r"^\d+$")
        self.assertEqual(ri["master_sync_in_progress"], "0")
        self.assertEqual(ri["slave_repl_offset"], offset)
        self.assertEqual(ri["slave_read_repl_offset"], offset)
        self.assertEqual(ri["slave_priority"], "100")
        self.assertEqual(ri["slave_read_only"], "1")
        self.assertEqual(ri["replica_announced"], "1")
        self.assertEqual(ri["connected_slaves"], "0")
        self.assertEqual(ri["master_replid"], replid)

        # ROLE on both.
        role = m.admin.cmd("ROLE")
        self.assertEqual(role[0], b"master")
        self.assertIsInstance(role[1], int)
        self.assertEqual(len(role[2]), 1)
        self.assertEqual(role[2][0][:2], [b"127.0.0.1", str(r.port).encode()])
        self.assertRegex(role[2][0][2], rb"^\d+$")
        self.assertEqual(r.admin.cmd("ROLE"),
                         [b"slave", b"127.0.0.1", m.port, b"connected", int(offset)])

        # HELLO's role, CLIENT LIST flags, and the replica's own connection in CLIENT LIST.
        for node, role in ((r, b"replica"), (m, b"master")):
            with node.connect() as c:
                self.assertEqual(c.hello3()[b"role"], role)
        self.assertIn(" flags=M ", bytes(r.admin.cmd("CLIENT", "LIST", "TYPE", "master")).decode())
        self.assertIn(" flags=S ", bytes(m.admin.cmd("CLIENT", "LIST", "TYPE", "replica")).decode())
        self.assertEqual(bytes(m.admin.cmd("CLIENT", "LIST", "TYPE", "master")), b"")
        # Replicas are not counted as clients; the link to the master is.
        h.wait_until(lambda: self.info(m, "clients")["connected_clients"] == "1",
                     message="only the admin connection counted")
        self.assertEqual(self.info(r, "clients")["connected_clients"], "2")

        # CONFIG GET replicaof follows the REPLICAOF state; CONFIG SET may not change it.
        self.assertEqual(r.admin.cmd("CONFIG", "GET", "replicaof"),
                         [b"replicaof", b"127.0.0.1 %d" % m.port])
        self.assertEqual(m.admin.cmd("CONFIG", "GET", "slaveof"), [b"slaveof", b""])
        self.assertEqual(r.admin.cmd("CONFIG", "SET", "replicaof", "no one"),
                         h.RespError("ERR CONFIG SET failed (possibly related to argument "
                                     "'replicaof') - can't set immutable config"))

    def test_replica_with_link_down(self):
        dead = h.pick_port()
        r = self.node("--replicaof", "127.0.0.1", str(dead))
        ri = self.info(r)
        self.assertEqual(ri["role"], "slave")
        self.assertEqual(ri["master_link_status"], "down")
        self.assertEqual(ri["master_last_io_seconds_ago"], "-1")
        self.assertEqual(ri["master_link_down_since_seconds"], "-1")
        self.assertIn(r.admin.cmd("ROLE")[3], (b"connect", b"connecting"))
        self.assertEqual(r.admin.cmd("ROLE")[4], -1)
        # A replica whose own link is down refuses to serve replicas.
        c = r.connect()
        self.addCleanup(c.close)
        c.send(encode("PSYNC", "?", "-1"))
        c.expect(b"-NOMASTERLINK Can't SYNC while not connected with my master\r\n")
        c.send(encode("SYNC"))
        c.expect(b"-NOMASTERLINK Can't SYNC while not connected with my master\r\n")
        # WAIT is refused on a replica.
        self.assertTrue(r.admin.cmd("WAIT", "0", "0").startswith("ERR WAIT cannot be used with "
                                                                 "replica instances."))

    def test_command_errors(self):
        m = self.node()
        c = m.admin
        self.assertEqual(c.cmd("REPLICAOF", "localhost", "abc"),
                         h.RespError("ERR Invalid master port"))
        self.assertEqual(c.cmd("SLAVEOF", "localhost", "70000"),
                         h.RespError("ERR Invalid master port"))
        self.assertEqual(c.cmd("REPLICAOF", "no", "one"), h.Status(b"OK"))
        self.assertEqual(c.cmd("REPLICAOF", "no"),
                         h.RespError("ERR wrong number of arguments for 'replicaof' command"))
        self.assertEqual(c.cmd("WAIT", "a", "0"),
                         h.RespError("ERR value is not an integer or out of range"))
        self.assertEqual(c.cmd("WAIT", "0", "a"),
                         h.RespError("ERR timeout is not an integer or out of range"))
        self.assertEqual(c.cmd("WAIT", "0", "-1"), h.RespError("ERR timeout is negative"))
        self.assertEqual(c.cmd("WAIT", "0", "0"), 0)
        self.assertEqual(c.cmd("WAIT", "1", "1"), 0)  # nobody to wait for: the timeout ends it
        self.assertEqual(c.cmd("REPLCONF", "foo", "bar"),
                         h.RespError("ERR Unrecognized REPLCONF option: foo"))
        self.assertEqual(c.cmd("REPLCONF", "foo"), h.RespError("ERR syntax error"))
        self.assertEqual(c.cmd("REPLCONF", "listening-port", "x"),
                         h.RespError("ERR value is not an integer or out of range"))
        self.assertEqual(c.cmd("REPLCONF", "listening-port", "1", "capa", "eof"), h.Status(b"OK"))
        # ACK from a client that is not a replica gets no reply at all.
        c.send(encode("REPLCONF", "ACK", "5") + encode("PING"))
        c.expect(b"+PONG\r\n")
        self.assertEqual(c.cmd("PSYNC", "?", "abc"),
                         h.RespError("ERR value is not an integer or out of range"))
        self.assertEqual(c.cmd("ROLE"), [b"master", 0, []])


class BacklogLifecycleTest(ReplicationTestCase):
    """Redis keeps a replication stream only while it may be needed: no backlog and offset 0
    until the first replica, a backlog with a new replication ID when it arrives, and the backlog
    freed repl-backlog-ttl seconds after the last replica left (herald with its gateway off, as
    the harness starts it)."""

    def backlog_fields(self, node):
        i = self.info(node)
        return (i["repl_backlog_active"], i["master_repl_offset"], i["repl_backlog_histlen"],
                i["repl_backlog_first_byte_offset"])

    def test_backlog_created_for_the_first_replica_and_freed_after_ttl(self):
        m = self.node()
        self.assertEqual(self.backlog_fields(m), ("0", "0", "0", "0"))
        first_replid = self.info(m)["master_replid"]
        # Publishing without replicas does not move the offset.
        self.publish_all(m, seq("alone", 5))
        self.publish_all(m, ["y" * 100000])
        self.assertEqual(self.backlog_fields(m), ("0", "0", "0", "0"))
        self.assertEqual(self.info(m)["master_replid"], first_replid)

        # The first replica creates the backlog, with a new replication ID.
        r = self.node(*replicaof(m))
        self.wait_link_up(r)
        self.wait_replicas(m, 1)
        mi = self.info(m)
        self.assertEqual(mi["repl_backlog_active"], "1")
        self.assertNotEqual(mi["master_replid"], first_replid)
        self.assertEqual(mi["repl_backlog_first_byte_offset"], "1")
        self.publish_all(m, seq("x", 10))
        replid, offset = next(iter(self.wait_same_offsets(m, r)))
        self.assertGreater(int(offset), 0)
        mi = self.info(m)
        self.assertEqual(mi["repl_backlog_histlen"], offset)

        # Alone again: the backlog goes after repl-backlog-ttl seconds, and so does its ID.
        self.assertEqual(m.admin.cmd("CONFIG", "SET", "repl-backlog-ttl", "1"), h.Status(b"OK"))
        self.assertEqual(r.admin.cmd("REPLICAOF", "NO", "ONE"), h.Status(b"OK"))
        self.wait_replicas(m, 0)
        h.wait_until(lambda: self.info(m)["repl_backlog_active"] == "0",
                     message="backlog freed after repl-backlog-ttl")
        mi = self.info(m)
        self.assertEqual((mi["master_repl_offset"], mi["repl_backlog_histlen"],
                          mi["repl_backlog_first_byte_offset"]), (offset, "0", "0"))
        self.assertNotEqual(mi["master_replid"], replid)
        # The offset stays put again until the next replica.
        self.publish_all(m, seq("z", 3))
        self.assertEqual(self.info(m)["master_repl_offset"], offset)
        self.assertEqual(r.admin.cmd("REPLICAOF", "127.0.0.1", str(m.port)), h.Status(b"OK"))
        self.wait_link_up(r)
        mi = self.info(m)
        self.assertEqual(mi["repl_backlog_active"], "1")
        self.assertEqual(mi["repl_backlog_first_byte_offset"], str(int(offset) + 1))


@h.herald_only("exact bytes of herald's empty RDB, and a scripted replica")
class ScriptedReplicaTest(ReplicationTestCase):
    """A raw socket speaks the replica side of the protocol to a herald master."""

    def handshake(self, m, psync=("?", "-1")):
        c = m.connect()
        self.addCleanup(c.close)
        for cmd, reply in ((("PING",), b"+PONG\r\n"),
                           (("REPLCONF", "listening-port", "4321"), b"+OK\r\n"),
                           (("REPLCONF", "capa", "eof", "capa", "psync2"), b"+OK\r\n")):
            c.send(encode(*cmd))
            c.expect(reply)
        c.send(encode("PSYNC", *psync))
        return c

    def next_commands(self, c, until):
        """Stream commands read from `c` up to and including `until` (raw bytes), pings skipped;
        returns (commands, bytes read)."""
        commands, size = [], 0
        while True:
            raw = c.read_raw_reply()
            size += len(raw)
            if raw != PING:
                commands.append(raw)
            if raw == until:
                return commands, size

    def test_fullresync_stream_ack_wait_and_continue(self):
        m = self.node("--repl-ping-replica-period", "1")
        pub = m.connect()
        self.addCleanup(pub.close)
        pub.send(encode("PUBLISH", "before", "x"))
        pub.expect(b":0\r\n")
        # As in Redis, a master keeps no stream before its first replica: the offset stays 0.
        offset = 0
        c = self.handshake(m)
        line = c.expect_match(rb"\+FULLRESYNC [0-9a-f]{40} %d\r\n" % offset)
        replid = line.split()[1].decode()
        c.expect(b"$18\r\nREDIS0010\xff\xa9\xfd\x37\xfe\x89\xa7\x7e\xeb")
        # The command as the client spelled it; pings every second.
        item = encode("PuBlIsH", "news", "hello-replica")
        pub.send(item)
        pub.expect(b":0\r\n")
        commands, size = self.next_commands(c, item)
        self.assertEqual(commands, [item])
        offset += size
        _, size = self.next_commands(c, PING)
        offset += size
        # REPLCONF ACK gets no reply; it shows in INFO.
        c.send(encode("REPLCONF", "ACK", str(offset)))
        h.wait_until(lambda: f"offset={offset}," in self.info(m)["slave0"], message="ack seen")
        self.assertIn(",port=4321,", self.info(m)["slave0"])
        self.assertEqual(self.info(m, "stats")["sync_full"], "1")
        # WAIT blocks until the replica acknowledges the client's last publish; GETACK asks
        # for that acknowledgement at once. Commands after WAIT wait too.
        item = encode("PUBLISH", "news", "w")
        pub.send(item)
        pub.expect(b":0\r\n")
        pub.send(encode("WAIT", "1", "0") + encode("PING"))
        getack = encode("REPLCONF", "GETACK", "*")
        commands, size = self.next_commands(c, getack)
        self.assertEqual(commands, [item, getack])
        offset += size
        self.assertEqual(pub.read_available(0.2), b"")
        c.send(encode("REPLCONF", "ACK", str(offset)))
        pub.expect(b":1\r\n+PONG\r\n")
        # WAIT with a timeout returns the count once the time is up.
        self.assertEqual(pub.cmd("WAIT", "2", "50"), 1)
        c.close()
        self.wait_replicas(m, 0)
        # Reconnecting with the replid and the next offset continues from the backlog: every
        # byte after what the replica had, nothing before.
        away = encode("PUBLISH", "news", "while-away")
        pub.send(away)
        pub.expect(b":0\r\n")
        c2 = self.handshake(m, (replid, str(offset + 1)))
        c2.expect(b"+CONTINUE " + replid.encode() + b"\r\n")
        commands, _ = self.next_commands(c2, away)
        self.assertEqual(commands, [getack, away])  # the second WAIT asked for ACKs too
        self.assertEqual(self.info(m, "stats")["sync_partial_ok"], "1")
        # An unknown replid gets a full resync (and counts as a failed partial attempt).
        c3 = self.handshake(m, ("f" * 40, "1"))
        c3.expect_match(rb"\+FULLRESYNC [0-9a-f]{40} \d+\r\n")
        stats = self.info(m, "stats")
        self.assertEqual((stats["sync_full"], stats["sync_partial_err"]), ("2", "1"))


# ----------------------------------------------------------------------------------------------


@unittest.skipUnless(HAVE_REDIS, "needs " + h.REDIS_SERVER)
@h.herald_only("interop pairs herald with a real redis-server")
class InteropTest(ReplicationTestCase):
    def test_redis_replica_of_herald(self):
        m = self.herald()
        rr = self.redis(*replicaof(m))
        self.wait_link_up(rr)
        self.wait_replicas(m, 1)
        sub = self.subscribe(rr)
        shard = rr.connect()
        self.addCleanup(shard.close)
        shard.send(encode("SSUBSCRIBE", self.ch))
        shard.expect(h.ack("ssubscribe", self.ch, 1))
        expected = seq("h", 100)
        self.publish_all(m, expected, verb="publish")
        self.publish_all(m, ["sharded"], verb="SPUBLISH")
        self.assertEqual(self.read_messages(sub, 100), expected)
        shard.expect(h.smessage(self.ch, "sharded"))
        self.wait_same_offsets(m, rr)
        # redis-cli on the Redis replica sees herald's messages.
        if HAVE_CLI:
            with h.started_process([h.REDIS_CLI, "-p", str(rr.port), "subscribe", "cli-news"],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as cli:
                reader = LineReader(cli.stdout.fileno())
                reader.wait_for(b"subscribe\ncli-news\n1\n")
                self.publish_all(m, ["from-herald"], channel="cli-news")
                reader.wait_for(b"message\ncli-news\nfrom-herald\n")
        # A partial resync after the Redis replica loses its link.
        self.assertEqual(rr.admin.cmd("CLIENT", "KILL", "TYPE", "master"), 1)
        self.publish_all(m, seq("after-kill", 20))
        self.assertEqual(self.read_messages(sub, 20), seq("after-kill", 20))
        h.wait_until(lambda: self.info(m, "stats")["sync_partial_ok"] == "1",
                     message="partial resync")
        self.assertEqual(self.info(m, "stats")["sync_full"], "1")

    def test_herald_replica_of_redis_with_data_commands(self):
        rm = self.redis()
        # Keys make the RDB real (not empty); herald skips it.
        rm.admin.send(b"".join(encode("SET", f"key{i}", "v" * 100) for i in range(200)))
        for _ in range(200):
            rm.admin.read_reply()
        hr = self.herald(*replicaof(rm))
        self.wait_link_up(hr)
        sub = self.subscribe(hr)
        # A Redis sub-replica of the herald replica: the chain redis -> herald -> redis.
        rr = self.redis(*replicaof(hr))
        self.wait_link_up(rr)
        sub2 = self.subscribe(rr)
        script = [
            ("SET", "a", "1"),
            ("MULTI",), ("SET", "b", "2"), ("PUBLISH", self.ch, "in-multi"), ("INCR", "c"),
            ("EXEC",),
            ("EXPIRE", "a", "100"),
            ("PUBLISH", self.ch, "after-exec"),
            ("HSET", "h", "f", "v"),
            ("EVAL", "redis.call('set', 'k', 'v'); return redis.call('publish', KEYS[1], 'lua')",
             "1", self.ch),
            ("DEL", "b"),
            ("SELECT", "3"), ("SET", "in-db-3", "x"), ("PUBLISH", self.ch, "from-db-3"),
            ("SELECT", "0"),
        ]
        c = rm.admin
        c.send(b"".join(encode(*cmd) for cmd in script))
        for _ in script:
            reply = c.read_reply()
            self.assertNotIsInstance(reply, h.RespError, reply)
        expected = ["in-multi", "after-exec", "lua", "from-db-3"]
        self.assertEqual(self.read_messages(sub, len(expected)), expected)
        self.assertEqual(self.read_messages(sub2, len(expected)), expected)
        self.assert_nothing_more([sub, sub2], rm)
        # herald counts every byte, data commands included: the offsets agree.
        self.wait_same_offsets(rm, hr, rr)
        self.assertEqual(self.info(hr)["slave_repl_offset"], self.info(rm)["master_repl_offset"])
        # The RDB's 200 keys are not passed on (herald keeps no data): it says so in its log,
        # and the redis-server below it has only what was written after it synced.
        self.assertEqual(rr.admin.cmd("EXISTS", "key0"), 0)
        self.assertEqual(rr.admin.cmd("EXISTS", "a"), 1)
        self.assertIn("The master's RDB holds data (keys or functions)", hr.log())
        self.assertIn("got an empty data set: this node's master holds data", hr.log())

    def test_relays_further_down_warn_too(self):
        """redis (with keys) -> herald -> herald -> redis: the second herald never sees the
        keys, but the first one's empty RDB carries a marker, so it warns as well, and the
        redis-server at the bottom loads that RDB (checksum and all) as an empty data set."""
        rm = self.redis()
        self.assertEqual(rm.admin.cmd("SET", "key", "v"), h.Status(b"OK"))
        first = self.herald(*replicaof(rm))
        self.wait_link_up(first)
        second = self.herald(*replicaof(first))
        self.wait_link_up(second)
        bottom = self.redis(*replicaof(second))
        self.wait_link_up(bottom)
        sub = self.subscribe(bottom)
        self.publish_all(rm, ["through"])
        self.assertEqual(self.read_messages(sub, 1), ["through"])
        self.assertEqual(bottom.admin.cmd("DBSIZE"), 0)
        self.assertIn("The master's RDB holds data (keys or functions)", first.log())
        self.assertIn("A node above this one in the chain has data", second.log())
        self.assertIn("got an empty data set: this node's master holds data", second.log())
        self.assertNotIn("Unrecognized RDB", bottom.log())
        # Without data at the top nobody warns.
        clean = self.herald()
        below = self.herald(*replicaof(clean))
        self.wait_link_up(below)
        last = self.herald(*replicaof(below))
        self.wait_link_up(last)
        self.assertNotIn("chain has data", last.log())


class LineReader:
    """Collects a child's output from a pipe and waits for bytes in it."""

    def __init__(self, fd):
        self.fd = fd
        self.data = b""

    def wait_for(self, needle, timeout=h.WAIT_TIMEOUT):
        deadline = time.monotonic() + timeout
        while needle not in self.data:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{needle!r} not seen in {self.data[-2000:]!r}")
            r, _, _ = select.select([self.fd], [], [], min(left, 0.2))
            if r:
                chunk = os.read(self.fd, 65536)
                if not chunk:
                    raise AssertionError(f"EOF before {needle!r}: {self.data[-2000:]!r}")
                self.data += chunk


# ----------------------------------------------------------------------------------------------


class FaultTest(ReplicationTestCase):
    def test_link_cut_resumes_with_partial_resync(self):
        m = self.node()
        r = self.node(*replicaof(m))
        self.wait_link_up(r)
        sub = self.subscribe(r)
        self.publish_all(m, seq("a", 100))
        self.assertEqual(r.admin.cmd("CLIENT", "KILL", "TYPE", "master"), 1)
        # Published while the replica reconnects: served from the master's backlog.
        self.publish_all(m, seq("b", 100))
        h.wait_until(lambda: self.info(m, "stats")["sync_partial_ok"] == "1",
                     message="partial resync on the master")
        self.wait_link_up(r)
        self.publish_all(m, seq("c", 100))
        self.assertEqual(self.read_messages(sub, 300),
                         seq("a", 100) + seq("b", 100) + seq("c", 100))
        self.assert_nothing_more([sub], m)
        stats = self.info(m, "stats")
        self.assertEqual((stats["sync_full"], stats["sync_partial_ok"]), ("1", "1"))
        self.wait_same_offsets(m, r)
        if not h.IS_REDIS:
            self.assertIn("Master accepted a Partial Resynchronization", r.log())

    def test_kill9_and_restart_of_a_middle_node(self):
        m = self.node()
        r1 = self.node(*replicaof(m))
        r2 = self.node(*replicaof(r1))
        self.wait_link_up(r1)
        self.wait_link_up(r2)
        sub = self.subscribe(r2)
        self.publish_all(m, seq("before", 50))
        self.assertEqual(self.read_messages(sub, 50), seq("before", 50))
        port = r1.port
        self.kill9(r1)
        # The downstream node notices, and says since when its link is down.
        h.wait_until(lambda: self.info(r2).get("master_link_down_since_seconds", "-1") != "-1",
                     message="r2's link reported down")
        self.assertEqual(self.info(r2)["master_link_status"], "down")
        self.assertRegex(self.info(r2)["master_link_down_since_seconds"], r"^\d+$")
        self.publish_all(m, seq("while-down", 20))
        r1b = self.node(*replicaof(m), port=port)
        self.wait_link_up(r1b)
        # r2 finds its master again (full or partial resync: messages published while r1 was
        # down may be lost, never duplicated or reordered), and later messages arrive.
        self.wait_delivery(m, sub)
        self.publish_all(m, seq("after", 100))
        self.assertEqual(self.read_messages(sub, 100), seq("after", 100))
        self.assert_nothing_more([sub], m)
        self.wait_same_offsets(m, r1b, r2)

    def stop_replica_until_dropped(self, m, r, sub, during):
        """SIGSTOP `r` until `m` drops it (repl-timeout), publish `during`, SIGCONT."""
        os.kill(r.pid, signal.SIGSTOP)
        try:
            self.wait_replicas(m, 0)
            self.publish_all(m, during)
        finally:
            os.kill(r.pid, signal.SIGCONT)

    def test_sigstop_past_repl_timeout_recovers_with_partial_resync(self):
        m = self.node("--repl-timeout", "2")
        r = self.node(*replicaof(m))
        self.wait_link_up(r)
        self.wait_replicas(m, 1)
        sub = self.subscribe(r)
        self.publish_all(m, seq("a", 50))
        self.assertEqual(self.read_messages(sub, 50), seq("a", 50))
        self.stop_replica_until_dropped(m, r, sub, seq("b", 50))
        self.wait_replicas(m, 1)
        self.wait_link_up(r)
        self.publish_all(m, seq("c", 50))
        self.assertEqual(self.read_messages(sub, 100), seq("b", 50) + seq("c", 50))
        self.assert_nothing_more([sub], m)
        stats = self.info(m, "stats")
        self.assertEqual((stats["sync_full"], stats["sync_partial_ok"]), ("1", "1"))

    def test_backlog_too_small_for_the_gap_means_full_resync(self):
        m = self.node("--repl-timeout", "2", "--repl-backlog-size", "16kb")
        r = self.node(*replicaof(m))
        self.wait_link_up(r)
        self.wait_replicas(m, 1)
        sub = self.subscribe(r)
        self.publish_all(m, seq("a", 20))
        self.assertEqual(self.read_messages(sub, 20), seq("a", 20))
        big = "x" * 1000
        gap = [f"b{i}:{big}" for i in range(64)]  # 64 kB: four times the backlog
        self.stop_replica_until_dropped(m, r, sub, gap)
        h.wait_until(lambda: self.info(m, "stats")["sync_full"] == "2", message="full resync")
        self.wait_link_up(r)
        self.publish_all(m, seq("c", 50))
        got = self.read_until(sub, "c49")
        # Whatever of the gap arrived came in order; everything after the resync arrived.
        gap_got = [x for x in got if x.startswith("b")]
        self.assertEqual(gap_got, gap[:len(gap_got)])
        self.assertLess(len(gap_got), len(gap))
        self.assertEqual(got[len(gap_got):], seq("c", 50))
        self.assert_nothing_more([sub], m)
        self.assertEqual(self.info(m, "stats")["sync_partial_ok"], "0")
        if not h.IS_REDIS:
            h.wait_until(lambda: "bytes of the replication stream were lost" in r.log(),
                         message="the loss log line")

    def test_promoted_sibling_continues_with_psync(self):
        m = self.node()
        r1 = self.node(*replicaof(m))
        r2 = self.node(*replicaof(m))
        self.wait_link_up(r1)
        self.wait_link_up(r2)
        sub = self.subscribe(r2)
        self.publish_all(m, seq("a", 30))
        self.assertEqual(self.read_messages(sub, 30), seq("a", 30))
        old_replid, offset = next(iter(self.wait_same_offsets(m, r1, r2)))
        self.assertEqual(r1.admin.cmd("REPLICAOF", "NO", "ONE"), h.Status(b"OK"))
        i1 = self.info(r1)
        self.assertEqual(i1["role"], "master")
        self.assertEqual(i1["master_replid2"], old_replid)
        self.assertEqual(i1["second_repl_offset"], str(int(offset) + 1))
        self.assertNotEqual(i1["master_replid"], old_replid)
        self.assertEqual(r2.admin.cmd("REPLICAOF", "127.0.0.1", str(r1.port)), h.Status(b"OK"))
        self.assertEqual(r2.admin.cmd("REPLICAOF", "127.0.0.1", str(r1.port)),
                         h.Status(b"OK Already connected to specified master"))
        self.wait_link_up(r2)
        self.wait_replicas(r1, 1)
        stats = self.info(r1, "stats")
        self.assertEqual((stats["sync_full"], stats["sync_partial_ok"]), ("0", "1"))
        # r2 follows r1's new history now: r1's messages reach it, the old master's do not.
        self.assertEqual(self.info(r2)["master_replid"], i1["master_replid"])
        self.publish_all(m, ["from-old-master"])
        self.publish_all(r1, seq("new", 10))
        self.assertEqual(self.read_messages(sub, 10), seq("new", 10))
        self.assert_nothing_more([sub], r1)


if __name__ == "__main__":
    unittest.main()

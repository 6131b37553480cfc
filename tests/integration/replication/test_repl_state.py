"""The replication state file (repl-state-file): a restarted node continues with PSYNC.

Redis keeps its replication ID and offset in its RDB, so a restarted redis-server replica asks its
master to continue, and a restarted master lets its replicas continue. Herald keeps the same two
values in a small file, written on shutdown and once a second while they change. These tests are
herald's only (redis-server needs an RDB for the same), with real nodes on loopback.
"""

import os
import shutil
import tempfile
import unittest

import harness as h
from replication.test_replication import ReplicationTestCase, replicaof, seq


def read_state(path):
    try:
        with open(path) as f:
            fields = dict(line.split(" ", 1) for line in f.read().splitlines()[1:])
        return fields["replid"], int(fields["offset"])
    except (OSError, KeyError, ValueError):
        return None


@unittest.skipIf(h.IS_REDIS, "herald's repl-state-file (redis-server keeps this in its RDB)")
class ReplStateFileTest(ReplicationTestCase):
    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="herald-state-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)

    def state_args(self, name):
        return ["--repl-state-file", os.path.join(self.dir, name)]

    def wait_state(self, name, node):
        """Until the node's state file holds its current replid and offset."""
        path = os.path.join(self.dir, name)
        info = self.info(node)
        want = (info["master_replid"], int(info["master_repl_offset"]))
        h.wait_until(lambda: read_state(path) == want, message=f"{name} holds {want}")
        return want

    def test_killed_relay_restarts_with_psync_and_its_subtree_loses_nothing(self):
        m = self.node()
        r1 = self.node(*replicaof(m), *self.state_args("r1"))
        r2 = self.node(*replicaof(r1))
        self.wait_link_up(r1)
        self.wait_link_up(r2)
        sub = self.subscribe(r2)
        self.publish_all(m, seq("before", 50))
        self.assertEqual(self.read_messages(sub, 50), seq("before", 50))
        self.wait_state("r1", r1)
        port = r1.port
        self.kill9(r1)
        # Published while the relay is down: the master's backlog keeps them.
        self.publish_all(m, seq("while-down", 20))
        r1b = self.node(*replicaof(m), *self.state_args("r1"), port=port)
        self.wait_link_up(r1b)
        self.wait_link_up(r2)
        self.publish_all(m, seq("after", 50))
        # Nothing lost, nothing twice, in order, on the leaf whose relay was killed.
        self.assertEqual(self.read_messages(sub, 70), seq("while-down", 20) + seq("after", 50))
        self.assert_nothing_more([sub], m)
        self.wait_same_offsets(m, r1b, r2)
        master = self.info(m, "stats")
        relay = self.info(r1b, "stats")
        # The master synced r1 fully once (its first start) and then continued it; the restarted
        # relay continued r2 without a full sync.
        self.assertEqual((master["sync_full"], master["sync_partial_ok"]), ("1", "1"))
        self.assertEqual((relay["sync_full"], relay["sync_partial_ok"]), ("0", "1"))
        self.assertIn("Loaded the replication ID", r1b.log())
        self.assertIn("Master accepted a Partial Resynchronization", r1b.log())

    def test_relay_restarted_from_an_older_state_lets_a_replica_ahead_of_it_continue(self):
        """A kill -9 loses up to a second of the file's updates: the relay comes back behind its
        own replica. It catches up from its master, and the replica continues (it is told to
        retry with -LOADING meanwhile) instead of resyncing."""
        m = self.node()
        r1 = self.node(*replicaof(m), *self.state_args("r1"))
        r2 = self.node(*replicaof(r1))
        self.wait_link_up(r1)
        self.wait_link_up(r2)
        sub = self.subscribe(r2)
        self.publish_all(m, seq("a", 20))
        self.assertEqual(self.read_messages(sub, 20), seq("a", 20))
        self.wait_state("r1", r1)
        # The file as a crash would leave it: older than what r2 has.
        shutil.copy(os.path.join(self.dir, "r1"), os.path.join(self.dir, "r1-old"))
        self.publish_all(m, seq("b", 20))
        self.assertEqual(self.read_messages(sub, 20), seq("b", 20))
        port = r1.port
        self.kill9(r1)
        self.publish_all(m, seq("c", 20))
        r1b = self.node(*replicaof(m), *self.state_args("r1-old"), port=port)
        self.wait_link_up(r1b)
        self.wait_link_up(r2)
        self.publish_all(m, seq("d", 20))
        self.assertEqual(self.read_messages(sub, 40), seq("c", 20) + seq("d", 20))
        self.assert_nothing_more([sub], m)
        self.wait_same_offsets(m, r1b, r2)
        self.assertEqual(self.info(r1b, "stats")["sync_full"], "0")
        self.assertEqual(self.info(m, "stats")["sync_full"], "1")

    def test_restarted_master_lets_its_replicas_continue(self):
        m = self.node(*self.state_args("m"))
        r = self.node(*replicaof(m))
        self.wait_link_up(r)
        sub = self.subscribe(r)
        self.publish_all(m, seq("a", 30))
        self.assertEqual(self.read_messages(sub, 30), seq("a", 30))
        old_replid, offset = self.wait_state("m", m)
        port = m.port
        self.killed.add(id(m))  # stopped on purpose
        m.stop()  # SIGTERM: a clean shutdown writes the file too
        self.assertEqual(read_state(os.path.join(self.dir, "m")), (old_replid, offset))
        m2 = self.node(*self.state_args("m"), port=port)
        self.wait_link_up(r)
        info = self.info(m2)
        # As Redis after loading an RDB: a new ID, with the saved one as replid2.
        self.assertNotEqual(info["master_replid"], old_replid)
        self.assertEqual(info["master_replid2"], old_replid)
        self.assertEqual(info["second_repl_offset"], str(offset + 1))
        self.publish_all(m2, seq("b", 30))
        self.assertEqual(self.read_messages(sub, 30), seq("b", 30))
        self.wait_same_offsets(m2, r)
        stats = self.info(m2, "stats")
        self.assertEqual((stats["sync_full"], stats["sync_partial_ok"]), ("0", "1"))
        self.assertEqual(self.info(r)["master_replid"], self.info(m2)["master_replid"])

    def test_a_bad_state_file_is_ignored_with_a_warning(self):
        path = os.path.join(self.dir, "bad")
        with open(path, "w") as f:
            f.write("REDIS0010 not ours\n")
        m = self.node("--repl-state-file", path)
        self.assertEqual(m.admin.cmd("PING"), h.Status(b"PONG"))
        self.assertIn(f"Ignoring the replication state in {path}: not a herald replication "
                      "state file", m.log())

    def test_a_file_written_by_another_node_is_ignored(self):
        """Nodes started in one directory share the default file name: a node never continues
        the history another one saved."""
        path = os.path.join(self.dir, "shared")
        m = self.node("--repl-state-file", path)
        r = self.node(*replicaof(m), "--repl-state-file", path)
        self.wait_link_up(r)
        self.publish_all(m, seq("a", 5))
        self.wait_same_offsets(m, r)
        h.wait_until(lambda: read_state(path) is not None, message="a state file")
        for node in (r, m):
            self.killed.add(id(node))
            node.stop()
        with open(path) as f:
            writer = int(f.read().split("port ")[1])
        other = self.node("--repl-state-file", path)
        self.assertNotEqual(other.port, writer)
        self.assertIn(f"Ignoring the replication state in {path}: written by the node on port "
                      f"{writer}", other.log())
        self.assertEqual(self.info(other)["master_repl_offset"], "0")

    def test_empty_name_keeps_no_state(self):
        m = self.node("--repl-state-file", "")
        r = self.node(*replicaof(m), "--repl-state-file", "")
        self.wait_link_up(r)
        self.publish_all(m, seq("a", 5))
        self.wait_same_offsets(m, r)
        for node in (m, r):
            self.assertEqual(node.admin.cmd("CONFIG", "GET", "repl-state-file"),
                             [b"repl-state-file", b""])
            self.assertFalse(os.path.exists(os.path.join(node.tmpdir, "herald-repl.state")))


if __name__ == "__main__":
    unittest.main()

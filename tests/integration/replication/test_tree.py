"""A real tree, 1 -> 3 -> 9 nodes, each in its own network namespace (tree_net.py).

A subscriber on every leaf must receive every message published on the root exactly once and in
order, through each kind of trouble a tree meets: a dropped link, a stopped middle node, a
killed and restarted middle node, packet loss and a partition on a middle node's link. Each
step publishes while the trouble lasts, ends it, and then reads every leaf up to the step's
last message; nothing waits for a time to pass. Without namespaces the nodes share 127.0.0.1
and the packet loss and partition steps are skipped (the skip says so).
"""

import os
import shutil
import signal
import tempfile
import unittest

import harness as h
from replication.test_replication import COMMON_ARGS, ReplicationTestCase, seq
from replication.test_repl_state import read_state
from replication.tree_net import Net, NodeServer, tree_parents

N = 200  # messages per step
# Pings once a second and a 3 s timeout, so that a partition is noticed and ends in a
# reconnection (what a real tree would do), not only in TCP retransmissions.
TREE_ARGS = ["--repl-ping-replica-period", "1", "--repl-timeout", "3"]


class TreeTest(ReplicationTestCase):
    def setUp(self):
        super().setUp()
        self.parents = tree_parents((3, 3))
        self.net = Net(len(self.parents))
        self.addCleanup(self.net.close)
        self.dir = tempfile.mkdtemp(prefix="herald-tree-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.tree = []
        for i in range(len(self.parents)):
            self.tree.append(self.start_node(i))
        for node in self.tree[1:]:
            self.wait_link_up(node)
        self.root = self.tree[0]
        self.middle = [n for i, n in enumerate(self.tree) if self.parents[i] == 0]
        self.leaves = self.tree[1 + len(self.middle):]
        self.subs = [self.subscribe(leaf) for leaf in self.leaves]
        self.step("warm-up")

    def start_node(self, i, port=None):
        args = list(COMMON_ARGS) + TREE_ARGS
        if not h.IS_REDIS:
            # Middle nodes keep their replication state, so that a killed one continues.
            args += ["--repl-state-file", os.path.join(self.dir, f"node{i}.state")]
        parent = self.parents[i]
        if parent is not None:
            master = self.tree[parent]
            args += ["--replicaof", master.host, str(master.port)]
        return self.start(NodeServer(self.net, i, args=args, port=port))

    def children(self, node):
        return [self.tree[i] for i, p in enumerate(self.parents) if p == self.tree.index(node)]

    def step(self, name, during=None):
        """Publishes N messages on the root (after `during()` started the trouble, if given),
        and checks that every leaf got exactly those, in order, once the trouble is over."""
        messages = seq(f"{name}-", N)
        self.publish_all(self.root, messages[: N // 2])
        end = during() if during else None
        self.publish_all(self.root, messages[N // 2:])
        if end:
            end()
        for i, sub in enumerate(self.subs):
            self.assertEqual(self.read_messages(sub, N), messages,
                             f"leaf {i} in step {name}")

    def finish(self):
        self.assert_nothing_more(self.subs, self.root)
        self.wait_same_offsets(*self.tree)

    def test_link_drop_stop_and_kill_of_middle_nodes_lose_nothing(self):
        b, c = self.middle[1], self.middle[2]

        def drop_links():
            # The root drops every replica link; they reconnect and continue from the backlog.
            self.root.admin.cmd("CLIENT", "KILL", "TYPE", "replica")
            return lambda: [self.wait_link_up(n) for n in self.middle]
        self.step("link-drop", drop_links)

        def stop_middle():
            os.kill(b.pid, signal.SIGSTOP)
            return lambda: os.kill(b.pid, signal.SIGCONT)
        self.step("stopped-middle", stop_middle)

        if not h.IS_REDIS:  # redis-server keeps this state in an RDB, which the test has none
            state = os.path.join(self.dir, f"node{self.tree.index(c)}.state")
            h.wait_until(lambda: read_state(state), message="the middle node's state file")

            def kill_middle():
                port = c.port
                self.kill9(c)

                def restart():
                    i = self.tree.index(c)
                    self.tree[i] = self.start_node(i, port=port)
                    for n in [self.tree[i]] + self.children(self.tree[i]):
                        self.wait_link_up(n)
                return restart
            self.step("killed-middle", kill_middle)
        self.finish()

    def test_packet_loss_and_a_partition_lose_nothing(self):
        if not self.net.isolated:
            self.skipTest("needs network namespaces (root, ip and nft): the nodes share loopback")
        a, b = self.middle[0], self.middle[1]  # a: lossy, b: partitioned
        ia, ib = self.tree.index(a), self.tree.index(b)

        def lossy():
            self.net.drop(ia, 20)
            # The loss is real before the rest is published: traffic over a's link (PINGs from
            # here) until the rules have dropped some of it. A few hundred messages may fit in
            # a handful of packets, which a 20% loss can all let through.
            h.wait_until(lambda: a.admin.cmd("PING") == b"PONG" and self.net.dropped(ia) > 0,
                         timeout=60, message="packets dropped on the lossy link")
            return lambda: self.net.drop(ia, 0)
        self.step("loss", lossy)

        def partition():
            self.net.drop(ib, 100)
            # The root notices (repl-timeout) and drops b: the rest is published while b and its
            # leaves are cut off, and must reach them from the backlog after the heal.
            h.wait_until(lambda: int(self.info(self.root)["connected_slaves"]) == 2,
                         timeout=60, message="the root drops the partitioned node")

            def heal():
                self.net.drop(ib, 0)
                for n in [b] + self.children(b):
                    h.wait_until(lambda: self.info(n).get("master_link_status") == "up",
                                 timeout=60, message=f"link up on port {n.port} after the heal")
            return heal
        full_syncs = [h.info_fields(n.admin, "stats")["sync_full"] for n in (self.root, b)]
        self.step("partition", partition)
        # Everyone continued from a backlog: no full sync served by the root or by b.
        self.assertEqual([h.info_fields(n.admin, "stats")["sync_full"] for n in (self.root, b)],
                         full_syncs)
        self.finish()


if __name__ == "__main__":
    unittest.main()

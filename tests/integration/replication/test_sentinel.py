"""Redis Sentinel (Debian's redis-server --sentinel) managing herald nodes.

Three sentinels monitor a herald master with two herald replicas. They must find the replicas
(INFO replication) and each other (the __sentinel__:hello channel, pub/sub on the monitored
nodes), agree that a killed master is down, promote a replica, repoint the other one and the old
master when it comes back, and rewrite the nodes' config files (SLAVEOF, CONFIG REWRITE, CLIENT
KILL wrapped in MULTI/EXEC). redis-py's Sentinel client follows the master. The same test runs
against redis-server nodes with HERALD_TEST_TARGET=redis.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

import redis
import redis.sentinel

import harness as h
from replication.test_replication import ReplicationTestCase, sub_readable

FAILOVER_TIMEOUT = 60.0  # a bound for waits, never a pass/fail criterion on its own


class Sentinel:
    def __init__(self, master_port, quorum=2):
        self.tmpdir = tempfile.mkdtemp(prefix="herald-sentinel-")
        self.port = h.pick_port()
        self.conf = os.path.join(self.tmpdir, "sentinel.conf")
        with open(self.conf, "w") as f:
            f.write(f"port {self.port}\nbind 127.0.0.1\n"
                    f"sentinel monitor mymaster 127.0.0.1 {master_port} {quorum}\n"
                    "sentinel down-after-milliseconds mymaster 2000\n"
                    "sentinel failover-timeout mymaster 6000\n"
                    "sentinel parallel-syncs mymaster 2\n")
        self.log_path = os.path.join(self.tmpdir, "sentinel.log")
        with open(self.log_path, "wb") as log:
            self.proc = h.spawn([h.REDIS_SERVER, self.conf, "--sentinel"], cwd=self.tmpdir,
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        def answers():
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return True
            except OSError:
                return False
        h.wait_until(answers, timeout=h.START_TIMEOUT, message=f"sentinel on port {self.port}")
        self.client = redis.Redis(host="127.0.0.1", port=self.port, decode_responses=True,
                                  socket_timeout=10)

    def master(self):
        return self.client.execute_command("SENTINEL", "MASTER", "mymaster")

    def master_port(self):
        addr = self.client.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")
        return int(addr[1]) if addr else None

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self):
        self.client.close()
        h.stop_process(self.proc)
        shutil.rmtree(self.tmpdir, ignore_errors=True)


class SentinelTest(ReplicationTestCase):
    def node_with_config(self, *args, port=None, config=""):
        # A config file, so that Sentinel's CONFIG REWRITE has somewhere to write roles.
        server = h.Server(args=list(args), config=config, port=port)
        return self.start(server)

    def role(self, node):
        c = node.connect()
        try:
            return c.cmd("ROLE")
        finally:
            c.close()

    def sentinels(self, master, n=3):
        out = []
        for _ in range(n):
            s = Sentinel(master.port)
            self.addCleanup(s.stop)
            out.append(s)
        return out

    def read_file(self, node):
        with open(node.config_path) as f:
            return f.read()

    def test_failover_promotes_a_replica_repoints_the_rest_and_clients_follow(self):
        m = self.node_with_config()
        r1 = self.node_with_config("--replicaof", "127.0.0.1", str(m.port))
        r2 = self.node_with_config("--replicaof", "127.0.0.1", str(m.port))
        self.wait_link_up(r1)
        self.wait_link_up(r2)
        sentinels = self.sentinels(m)

        def discovered():
            for s in sentinels:
                info = dict(zip(*[iter(s.master())] * 2))
                if (info.get("num-slaves"), info.get("num-other-sentinels")) != ("2", "2"):
                    return False
            return True
        h.wait_until(discovered, timeout=FAILOVER_TIMEOUT,
                     message="every sentinel sees 2 replicas and 2 other sentinels")

        client = redis.sentinel.Sentinel([("127.0.0.1", s.port) for s in sentinels],
                                         socket_timeout=5)
        subs = {node.port: self.subscribe(node) for node in (r1, r2)}
        master = client.master_for("mymaster", socket_timeout=5)
        self.assertEqual(master.publish(self.ch, "before"), 0)  # nobody on the master itself
        for sub in subs.values():
            self.assertEqual(self.read_messages(sub, 1), ["before"])

        old_port = m.port
        self.kill9(m)
        h.wait_until(lambda: all(s.master_port() not in (None, old_port) for s in sentinels) and
                     len({s.master_port() for s in sentinels}) == 1,
                     timeout=FAILOVER_TIMEOUT, message="sentinels agree on a new master")
        # The leader logs +failover-end once every replica is reconfigured: no more SLAVEOF and
        # CLIENT KILL for these nodes after that.
        h.wait_until(lambda: any("+failover-end" in s.log() for s in sentinels),
                     timeout=FAILOVER_TIMEOUT, message="+failover-end")
        # On a loaded machine the sentinels may fail over once more from here on (a slow node
        # looks down to them): "the master" is whatever they agree on at the time, and each
        # check below is made against that.
        nodes = {node.port: node for node in (r1, r2)}

        def agreed_master():
            ports = {s.master_port() for s in sentinels}
            return ports.pop() if len(ports) == 1 and None not in ports else None

        def pair():
            """(promoted, other) by the sentinels' current agreement, or None."""
            current = agreed_master()
            if current not in nodes:
                return None
            return nodes[current], (r2 if current == r1.port else r1)

        def settled():
            p = pair()
            if p is None:
                return None
            promoted, other = p
            if self.role(promoted)[0] != b"master":
                return None
            role = self.role(other)
            return p if role[:4] == [b"slave", b"127.0.0.1", promoted.port, b"connected"] else None
        h.wait_until(settled, timeout=FAILOVER_TIMEOUT,
                     message="one replica promoted and the other following it")
        # Sentinel's CLIENT KILL TYPE normal/pubsub dropped the subscribers of reconfigured nodes.
        for sub in subs.values():
            sub.read_until_eof(timeout=FAILOVER_TIMEOUT)

        # CONFIG REWRITE, inside Sentinel's MULTI/EXEC, saved the roles.
        def files_rewritten():
            p = settled()
            if p is None:
                return False
            promoted, other = p
            return (f"replicaof 127.0.0.1 {promoted.port}" in self.read_file(other) and
                    "replicaof" not in self.read_file(promoted))
        h.wait_until(files_rewritten, timeout=FAILOVER_TIMEOUT,
                     message="the promoted and the repointed node's files rewritten")

        # The client library follows: a publish reaches subscribers on both nodes.
        def published_to_both():
            p = settled()
            if p is None:
                return False
            probes = [self.subscribe(node) for node in p]
            tag = "after-%d" % time.monotonic_ns()
            try:
                master = client.master_for("mymaster", socket_timeout=5)
                # One receiver: the promoted node's subscriber (a replica's are not counted).
                if master.publish(self.ch, tag) != 1:
                    return False
                return all(sub_readable(sub, 5) and self.read_messages(sub, 1) == [tag]
                           for sub in probes)
            except (redis.ConnectionError, redis.TimeoutError, ConnectionError):
                return False  # reconfigured meanwhile: try again against the new agreement
            finally:
                for sub in probes:
                    sub.close()
        h.wait_until(published_to_both, timeout=FAILOVER_TIMEOUT,
                     message="a publish through the Sentinel client reaching both nodes")

        # The old master comes back and is turned into a replica of the agreed master.
        back = self.node_with_config(port=old_port)
        nodes[old_port] = back

        def rejoined():
            current = agreed_master()
            role = self.role(back)
            return current not in (None, old_port) and \
                role[:4] == [b"slave", b"127.0.0.1", current, b"connected"] and current
        try:
            current = h.wait_until(rejoined, timeout=FAILOVER_TIMEOUT,
                                   message="the old master rejoins as a replica")
        except AssertionError as e:
            # What the nodes and the sentinels saw, to tell a herald fault from Sentinel's.
            raise AssertionError(
                f"{e}\nROLE {self.role(back)}\n--- rejoining node ---\n{back.log()[-4000:]}"
                f"\n--- nodes ---\n" + "\n".join(f"{n.port}: {self.role(n)}" for n in (r1, r2)) + "\n" +
                "\n".join(f"--- sentinel {s.port} ---\n{s.log()[-2500:]}" for s in sentinels))
        self.assertEqual(self.role(nodes[current])[0], b"master")
        # Messages published through the Sentinel client reach a subscriber on the rejoined node.
        sub = self.subscribe(back)
        master = client.master_for("mymaster", socket_timeout=5)
        tag = "rejoined-%d" % time.monotonic_ns()
        h.wait_until(lambda: master.publish(self.ch, tag) >= 0 and sub_readable(sub, 0.3),
                     timeout=FAILOVER_TIMEOUT, message="a message on the rejoined node")
        self.assertEqual(self.read_until(sub, tag)[-1], tag)
        h.wait_until(lambda: f"replicaof 127.0.0.1 {current}" in self.read_file(back),
                     timeout=FAILOVER_TIMEOUT, message="the old master's file rewritten")

if __name__ == "__main__":
    unittest.main()

"""A replication tree whose nodes each live in their own network namespace.

Net creates, for node i, a namespace with one veth link to a bridge in the test's namespace: the
test (subscribers, publishers, the benchmark) reaches node i at ip(i), and a node reaches its
master over the bridge, so `tc netem` on a node's link delays, drops or cuts exactly that node's
traffic. Packet loss and partitions are nftables rules in a node's namespace that drop a share
of what the node sends and receives (random, like a lossy link; `tc netem` would do the same but
needs sch_netem, which the kernels here lack). Without namespaces (not root, no `ip`, a sandbox
without CAP_NET_ADMIN) every node is on 127.0.0.1 instead, and the steps that need a per-link
rule are skipped (`Net.isolated`).

Everything made here is removed by close(), also after a failed setup.
"""

import os
import re
import shutil
import subprocess

import harness as h


def _run(*argv):
    done = subprocess.run(list(argv), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          timeout=30)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {done.stderr.decode(errors='replace').strip()}")


_nets_made = 0


def namespaces_available():
    """True if this process may create namespaces and links (tries one)."""
    if os.geteuid() != 0 or shutil.which("ip") is None or shutil.which("nft") is None:
        return False
    name = f"hnprobe{os.getpid() % 100000}"
    try:
        _run("ip", "netns", "add", name)
    except (RuntimeError, OSError, subprocess.TimeoutExpired):
        return False
    subprocess.run(["ip", "netns", "del", name], stderr=subprocess.DEVNULL)
    return True


class Net:
    def __init__(self, size, isolated=None):
        self.size = size
        self.isolated = namespaces_available() if isolated is None else isolated
        # Names unique to this Net: a deleted namespace's links go away asynchronously.
        global _nets_made
        _nets_made += 1
        tag = (os.getpid() * 16 + _nets_made) % 10000
        self.bridge = f"hb{tag}"
        self.subnet = f"10.213.{tag % 250}"
        self.namespaces = []
        if not self.isolated:
            return
        try:
            _run("ip", "link", "add", self.bridge, "type", "bridge")
            _run("ip", "addr", "add", f"{self.subnet}.1/24", "dev", self.bridge)
            _run("ip", "link", "set", self.bridge, "up")
            for i in range(size):
                ns = f"hn{tag}-{i}"
                _run("ip", "netns", "add", ns)
                self.namespaces.append(ns)
                _run("ip", "link", "add", self.host_link(i), "type", "veth", "peer", "name",
                     "eth0", "netns", ns)
                _run("ip", "link", "set", self.host_link(i), "master", self.bridge, "up")
                _run("ip", "-n", ns, "addr", "add", f"{self.ip(i)}/24", "dev", "eth0")
                _run("ip", "-n", ns, "link", "set", "eth0", "up")
                _run("ip", "-n", ns, "link", "set", "lo", "up")
        except BaseException:
            self.close()
            raise

    def host_link(self, i):
        return f"{self.bridge}v{i}"

    def ip(self, i):
        return f"{self.subnet}.{10 + i}" if self.isolated else "127.0.0.1"

    def prefix(self, i):
        """The argv prefix that runs a command in node i's namespace."""
        return ["ip", "netns", "exec", self.namespaces[i]] if self.isolated else []

    def drop(self, i, percent):
        """Drops `percent` % of node i's packets, both ways, at random (100: a partition);
        drop(i, 0) heals the link."""
        assert self.isolated, "packet loss needs namespaces"
        nft = ["ip", "netns", "exec", self.namespaces[i], "nft"]
        subprocess.run(nft + ["delete", "table", "inet", "herald_test"],
                       stderr=subprocess.DEVNULL)
        if percent <= 0:
            return
        rule = ("counter drop" if percent >= 100 else
                f"numgen random mod 100 < {int(percent)} counter drop")
        script = "table inet herald_test {\n" + "".join(
            f"  chain {hook} {{ type filter hook {hook} priority 0; {rule}; }}\n"
            for hook in ("input", "output")) + "}\n"
        done = subprocess.run(nft + ["-f", "-"], input=script.encode(), stderr=subprocess.PIPE,
                              timeout=30)
        if done.returncode != 0:
            raise RuntimeError(f"nft: {done.stderr.decode(errors='replace').strip()}")

    def dropped(self, i):
        """Packets node i's drop rules have dropped (0 if there are none)."""
        done = subprocess.run(["ip", "netns", "exec", self.namespaces[i], "nft", "list", "table",
                               "inet", "herald_test"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, timeout=30)
        return sum(int(n) for n in re.findall(rb"packets (\d+)", done.stdout))

    def close(self):
        for ns in self.namespaces:
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
        self.namespaces = []
        if self.isolated:
            subprocess.run(["ip", "link", "del", self.bridge], stderr=subprocess.DEVNULL)


class NodeServer(h.Server):
    """herald (or redis, per HERALD_TEST_TARGET) bound to node i's address in its namespace."""

    def __init__(self, net, i, args=(), port=None):
        # Off the loopback interface, protected mode (on by default, no password) would refuse
        # every connection; the bridge is private to the test.
        extra = ["--protected-mode", "no"] if net.isolated else []
        super().__init__(args=list(args) + extra, bind=(net.ip(i),), port=port)
        self.net, self.index = net, i

    def build_argv(self, port):
        return self.net.prefix(self.index) + super().build_argv(port)


def tree_parents(fanouts):
    """Parent index of every node of a tree built level by level: (3, 3) -> 1 root, 3 middle
    nodes, 9 leaves; parents[0] is None."""
    parents, level = [None], [0]
    for fanout in fanouts:
        nxt = []
        for p in level:
            for _ in range(fanout):
                parents.append(p)
                nxt.append(len(parents) - 1)
        level = nxt
    return parents

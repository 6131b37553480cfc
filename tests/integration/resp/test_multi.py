"""MULTI / EXEC / DISCARD / WATCH / UNWATCH, byte for byte as Redis 7.0.15 answers them.

Queueing and its errors (EXECABORT), replies inside EXEC in RESP2 and RESP3 (pushes included),
ACL checks at queue time and again at EXEC, CLIENT LIST's x flag and multi=, RESET and QUIT,
CLIENT REPLY inside a transaction, MONITOR, the Sentinel reconfiguration sequence, and
replication: what a master propagates for a transaction, with real redis-servers on both ends.

Herald has no keys: WATCH replies +OK and never makes EXEC fail (the tests only use WATCH in
ways where Redis behaves the same). Herald also bounds a transaction's queue by
client-query-buffer-limit, which Redis 7.0 does not (herald-only test).

Run: HERALD_TEST_TARGET=redis /usr/bin/python3 -m unittest -v resp.test_multi   (see harness.py)
"""

import os
import re
import unittest

import harness as h
from harness import bulk, encode
from replication.test_replication import ReplicationTestCase, replicaof

HAVE_REDIS = os.access(h.REDIS_SERVER, os.X_OK)

EXECABORT = b"-EXECABORT Transaction discarded because of previous errors.\r\n"
QUEUED = b"+QUEUED\r\n"
OK = b"+OK\r\n"


def client_fields(line):
    """CLIENT LIST / CLIENT INFO line -> dict of its fields."""
    if isinstance(line, bytes):
        line = line.decode()
    return dict(field.split("=", 1) for field in line.strip().split(" "))


class MultiTest(h.ServerTestCase):
    def run_script(self, conn, script):
        """Sends each (command, expected reply bytes) in turn and checks the reply."""
        for command, expected in script:
            conn.send(encode(*command))
            conn.expect(expected, msg=" ".join(command))

    def test_errors_outside_and_nesting(self):
        c = self.connect()
        self.run_script(c, [
            (("EXEC",), b"-ERR EXEC without MULTI\r\n"),
            (("DISCARD",), b"-ERR DISCARD without MULTI\r\n"),
            (("MULTI",), OK),
            # Neither a nested MULTI nor WATCH dooms the transaction.
            (("MULTI",), b"-ERR MULTI calls can not be nested\r\n"),
            (("WATCH", "k"), b"-ERR WATCH inside MULTI is not allowed\r\n"),
            (("PING",), QUEUED),
            (("EXEC",), b"*1\r\n+PONG\r\n"),
            (("EXEC",), b"-ERR EXEC without MULTI\r\n"),
            (("MULTI",), OK),
            (("EXEC",), b"*0\r\n"),
            (("WATCH",), b"-ERR wrong number of arguments for 'watch' command\r\n"),
            (("WATCH", "a", "b"), OK),
            (("UNWATCH",), OK),
            (("UNWATCH", "x"), b"-ERR wrong number of arguments for 'unwatch' command\r\n"),
            (("MULTI", "x"), b"-ERR wrong number of arguments for 'multi' command\r\n"),
            (("DISCARD", "x"), b"-ERR wrong number of arguments for 'discard' command\r\n"),
        ])

    def test_exec_runs_the_queue_in_order(self):
        c = self.connect()
        ch = self.chan("c")
        c.send(b"".join(encode(*cmd) for cmd in [
            ("MULTI",), ("PING",), ("ECHO", "hi"), ("PUBLISH", ch, "m"), ("PING", "x"),
            ("EXEC",)]))
        c.expect(OK + QUEUED * 4 + b"*4\r\n+PONG\r\n$2\r\nhi\r\n:0\r\n$1\r\nx\r\n")
        # Inline commands queue too.
        c.send(b"MULTI\r\nECHO inline\r\nEXEC\r\n")
        c.expect(OK + QUEUED + b"*1\r\n$6\r\ninline\r\n")
        # DISCARD drops the queue.
        self.run_script(c, [(("MULTI",), OK), (("PUBLISH", ch, "x"), QUEUED),
                            (("DISCARD",), OK), (("EXEC",), b"-ERR EXEC without MULTI\r\n")])

    def test_exec_in_resp3(self):
        c = self.connect()
        c.hello3()
        self.run_script(c, [(("MULTI",), OK), (("PING",), QUEUED),
                            (("PUBSUB", "NUMSUB", self.chan("none")), QUEUED),
                            (("EXEC",), b"*2\r\n+PONG\r\n*2\r\n" + bulk(self.chan("none"))
                             + b":0\r\n")])

    def test_queue_time_errors_abort_the_transaction(self):
        c = self.connect()
        self.run_script(c, [
            (("MULTI",), OK),
            (("PING",), QUEUED),
            (("FOO", "bar"), b"-ERR unknown command 'FOO', with args beginning with: 'bar' \r\n"),
            (("PUBLISH", "a"), b"-ERR wrong number of arguments for 'publish' command\r\n"),
            (("CLIENT", "NOSUCH"),
             b"-ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP.\r\n"),
            (("PING",), QUEUED),
            (("EXEC",), EXECABORT),
            (("EXEC",), b"-ERR EXEC without MULTI\r\n"),
            # Commands that may not run inside a transaction.
            (("MULTI",), OK),
            (("SYNC",), b"-ERR Command not allowed inside a transaction\r\n"),
            (("EXEC",), EXECABORT),
            (("MULTI",), OK),
            (("SHUTDOWN",), b"-ERR Command not allowed inside a transaction\r\n"),
            (("EXEC",), EXECABORT),
            # A refused EXEC ends the transaction, quoting why.
            (("MULTI",), OK),
            (("PING",), QUEUED),
            (("EXEC", "x"), b"-EXECABORT Transaction discarded because of: wrong number of "
                            b"arguments for 'exec' command\r\n"),
            (("EXEC",), b"-ERR EXEC without MULTI\r\n"),
        ])

    def test_runtime_errors_are_elements(self):
        c = self.connect()
        self.run_script(c, [
            (("MULTI",), OK), (("AUTH", "nopass"), QUEUED), (("CONFIG", "GET"), b"-ERR wrong "
             b"number of arguments for 'config|get' command\r\n"), (("DISCARD",), OK),
            (("MULTI",), OK), (("AUTH", "nopass"), QUEUED), (("SELECT", "99"), QUEUED),
            (("PING",), QUEUED),
            (("EXEC",), b"*3\r\n-ERR AUTH <password> called without any password configured "
                        b"for the default user. Are you sure your configuration is correct?\r\n"
                        b"-ERR DB index is out of range\r\n+PONG\r\n"),
        ])

    def test_subscriptions_and_self_messages_inside_exec(self):
        """Redis 7.0 writes pushes inside EXEC's array (7.2 moved self-messages after)."""
        ch, pat, shard = self.chan("c"), self.chan("p*"), self.chan("s")
        for resp3 in (False, True):
            with self.subTest(resp3=resp3):
                c = self.connect()
                if resp3:
                    c.hello3()
                self.run_script(c, [
                    (("MULTI",), OK), (("SUBSCRIBE", ch), QUEUED), (("PSUBSCRIBE", pat), QUEUED),
                    (("SSUBSCRIBE", shard), QUEUED), (("PUBLISH", ch, "x"), QUEUED),
                    (("PING",), QUEUED),
                    (("EXEC",),
                     b"*5\r\n" + h.ack("subscribe", ch, 1, resp3) + h.ack("psubscribe", pat, 2,
                                                                           resp3)
                     + b"-ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client\r\n"
                     + h.message(ch, "x", resp3) + b":1\r\n"
                     + (b"+PONG\r\n" if resp3 else b"*2\r\n$4\r\npong\r\n$0\r\n\r\n")),
                    # RESP2 subscribed context: MULTI is not allowed, RESET is.
                    (("RESET",), b"+RESET\r\n"),
                ])
        c = self.connect()
        self.run_script(c, [(("SUBSCRIBE", ch), h.ack("subscribe", ch, 1)),
                            (("MULTI",), b"-ERR Can't execute 'multi': only (P|S)SUBSCRIBE / "
                             b"(P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this "
                             b"context\r\n"),
                            (("EXEC",), b"-EXECABORT Transaction discarded because of: Can't "
                             b"execute 'exec': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / "
                             b"QUIT / RESET are allowed in this context\r\n")])

    def test_blocking_commands_inside_exec(self):
        c = self.connect()
        self.run_script(c, [
            (("MULTI",), OK), (("MONITOR",), QUEUED), (("WAIT", "1", "0"), QUEUED),
            (("EXEC",), b"*2\r\n-ERR MONITOR isn't allowed for DENY BLOCKING client\r\n:0\r\n"),
        ])

    def test_hello_and_client_reply_inside_exec(self):
        c = self.connect()
        self.run_script(c, [(("MULTI",), OK), (("HELLO", "3"), QUEUED), (("PING",), QUEUED)])
        c.send(encode("EXEC"))
        # The array header is RESP2's, what follows HELLO is RESP3.
        c.expect(b"*2\r\n%7\r\n")
        reply = c.read_reply()
        self.assertEqual(reply, b"server")
        for _ in range(13):
            c.read_reply()
        c.expect(b"+PONG\r\n")
        c.cmd("HELLO", "2")
        # CLIENT REPLY OFF silences the rest of the array, header already sent.
        self.run_script(c, [(("MULTI",), OK), (("ECHO", "a"), QUEUED),
                            (("CLIENT", "REPLY", "OFF"), QUEUED), (("PING",), QUEUED),
                            (("CLIENT", "REPLY", "ON"), QUEUED), (("ECHO", "b"), QUEUED)])
        c.send(encode("EXEC"))
        c.expect(b"*5\r\n$1\r\na\r\n+OK\r\n$1\r\nb\r\n")
        self.run_script(c, [(("MULTI",), OK), (("CLIENT", "REPLY", "OFF"), QUEUED),
                            (("PING",), QUEUED)])
        c.send(encode("EXEC") + encode("ECHO", "silent") + encode("CLIENT", "REPLY", "ON"))
        c.expect(b"*2\r\n+OK\r\n")
        # SKIP inside the transaction skips the command after EXEC, not the rest of EXEC.
        self.run_script(c, [(("MULTI",), OK), (("CLIENT", "REPLY", "SKIP"), QUEUED),
                            (("PING",), QUEUED)])
        c.send(encode("EXEC") + encode("ECHO", "skipped") + encode("ECHO", "shown"))
        c.expect(b"*2\r\n+PONG\r\n$5\r\nshown\r\n")
        # SKIP before MULTI skips MULTI's +OK only.
        c.send(encode("CLIENT", "REPLY", "SKIP") + encode("MULTI") + encode("PING")
               + encode("EXEC"))
        c.expect(QUEUED + b"*1\r\n+PONG\r\n")

    def test_reset_and_quit_are_not_queued(self):
        c = self.connect()
        self.run_script(c, [(("MULTI",), OK), (("PING",), QUEUED), (("RESET",), b"+RESET\r\n"),
                            (("EXEC",), b"-ERR EXEC without MULTI\r\n"), (("MULTI",), OK)])
        c.send(encode("QUIT"))
        c.expect_eof(OK)

    def test_client_list_shows_the_transaction(self):
        c, other = self.connect(), self.connect()
        cid = c.cmd("CLIENT", "ID")
        fields = client_fields(c.cmd("CLIENT", "INFO"))
        self.assertEqual((fields["flags"], fields["multi"], fields["multi-mem"]), ("N", "-1", "0"))
        self.run_script(c, [(("MULTI",), OK), (("PING",), QUEUED),
                            (("PUBLISH", "x", "y"), QUEUED)])
        line = other.cmd("CLIENT", "LIST", "ID", str(cid))
        fields = client_fields(line)
        # multi-mem: the arguments' bytes plus 8 per argument (4+8 and 9+24).
        self.assertEqual((fields["flags"], fields["multi"], fields["multi-mem"], fields["cmd"]),
                         ("x", "2", "45", "publish"))
        # Inside EXEC the client is still in MULTI, running EXEC.
        c.send(encode("CLIENT", "INFO"))
        c.expect(QUEUED)
        c.send(encode("EXEC"))
        reply = c.read_reply()
        self.assertEqual(reply[:2], [b"PONG", 0])
        fields = client_fields(reply[2])
        self.assertEqual((fields["flags"], fields["multi"], fields["cmd"]), ("x", "3", "exec"))
        fields = client_fields(c.cmd("CLIENT", "INFO"))
        self.assertEqual((fields["flags"], fields["multi"], fields["multi-mem"]), ("N", "-1", "0"))
        # A doomed transaction keeps nothing more: multi= stops counting at the first error.
        self.run_script(c, [(("MULTI",), OK), (("PING",), QUEUED),
                            (("NOSUCH",), b"-ERR unknown command 'NOSUCH', with args beginning "
                                          b"with: \r\n"), (("PING",), QUEUED)])
        fields = client_fields(other.cmd("CLIENT", "LIST", "ID", str(cid)))
        self.assertEqual((fields["flags"], fields["multi"]), ("x", "1"))
        c.send(encode("EXEC"))
        c.expect(EXECABORT)

    def test_monitor_sees_multi_then_the_commands_then_exec(self):
        mon, c = self.connect(), self.connect()
        mon.send(encode("MONITOR"))
        mon.expect(OK)
        c.send(b"".join(encode(*cmd) for cmd in [("MULTI",), ("ECHO", "e"), ("CLIENT", "LIST"),
                                                 ("PING",), ("EXEC",), ("MULTI",), ("NOSUCH",),
                                                 ("EXEC",)]))
        c.expect(OK + QUEUED * 3, msg="queued")
        c.read_reply()
        c.expect(OK + b"-ERR unknown command 'NOSUCH', with args beginning with: \r\n"
                 + EXECABORT)
        seen = [mon.read_reply().decode().split("] ", 1)[1] for _ in range(6)]
        # CLIENT LIST is an admin command: never shown.
        self.assertEqual(seen, ['"MULTI"', '"ECHO" "e"', '"PING"', '"EXEC"', '"MULTI"', '"EXEC"'])

    def test_stats(self):
        c = self.connect()
        c.cmd("CONFIG", "RESETSTAT")
        before = int(h.info_fields(c, "stats")["total_commands_processed"])
        self.run_script(c, [(("MULTI",), OK), (("PING",), QUEUED), (("ECHO", "x"), QUEUED)])
        other = self.connect()
        # Queued commands count when EXEC runs them.
        self.assertEqual(int(h.info_fields(other, "stats")["total_commands_processed"]),
                         before + 2)
        c.send(encode("EXEC"))
        c.expect(b"*2\r\n+PONG\r\n$1\r\nx\r\n")
        # The INFO calls, MULTI, PING, ECHO and EXEC.
        after = int(h.info_fields(c, "stats")["total_commands_processed"])
        self.assertEqual(after - before, 6)
        # An error inside the array fails that command, not EXEC; EXECABORT fails EXEC.
        self.run_script(c, [(("MULTI",), OK), (("SELECT", "99"), QUEUED),
                            (("EXEC",), b"*1\r\n-ERR DB index is out of range\r\n"),
                            (("MULTI",), OK), (("PUBLISH", "a"), b"-ERR wrong number of "
                             b"arguments for 'publish' command\r\n"), (("EXEC",), EXECABORT)])
        stats = h.info_fields(c, "commandstats")
        self.assertRegex(stats["cmdstat_exec"], r"^calls=3,.*,rejected_calls=0,failed_calls=1$")
        self.assertRegex(stats["cmdstat_select"], r"^calls=1,.*,rejected_calls=0,failed_calls=1$")
        self.assertRegex(stats["cmdstat_publish"], r"^calls=0,.*,rejected_calls=1,")
        self.assertRegex(stats["cmdstat_ping"], r"^calls=1,")
        errors = h.info_fields(c, "errorstats")
        self.assertEqual(errors["errorstat_EXECABORT"], "count=1")


class MultiAclTest(h.ServerTestCase):
    def test_queue_time_and_exec_time_checks(self):
        admin, c = self.connect(), self.connect()
        self.assertEqual(admin.cmd("ACL", "SETUSER", "u", "on", ">p", "+@all", "-client|list",
                                   "-ping", "resetchannels", "&ok*"), b"OK")
        admin.cmd("ACL", "LOG", "RESET")
        MultiTest.run_script(self, c, [
            (("AUTH", "u", "p"), OK), (("MULTI",), OK),
            (("PING",), b"-NOPERM this user has no permissions to run the 'ping' command\r\n"),
            (("CLIENT", "LIST"),
             b"-NOPERM this user has no permissions to run the 'client|list' command\r\n"),
            (("CLIENT", "ID"), QUEUED),
            (("PUBLISH", "bad", "x"), b"-NOPERM this user has no permissions to access one of "
                                      b"the channels used as arguments\r\n"),
            (("PUBLISH", "ok1", "x"), QUEUED),
            (("SUBSCRIBE", "ok2", "bad"), b"-NOPERM this user has no permissions to access one "
                                          b"of the channels used as arguments\r\n"),
            (("EXEC",), EXECABORT),
        ])
        log = admin.cmd("ACL", "LOG")
        entries = [dict(zip(e[::2], e[1::2])) for e in log]
        self.assertEqual([(e[b"reason"], e[b"context"], e[b"object"], e[b"count"])
                          for e in entries],
                         [(b"channel", b"multi", b"bad", 2), (b"command", b"multi", b"client|list", 1),
                          (b"command", b"multi", b"ping", 1)])
        # Rules that change between queueing and EXEC: the command fails in the array.
        MultiTest.run_script(self, c, [(("MULTI",), OK), (("PUBLISH", "ok1", "x"), QUEUED),
                                       (("CLIENT", "ID"), QUEUED), (("ECHO", "e"), QUEUED),
                                       (("AUTH", "u", "p"), QUEUED)])
        # AUTH passes whatever the rules, at EXEC too.
        self.assertEqual(admin.cmd("ACL", "SETUSER", "u", "-client|id", "-auth", "resetchannels",
                                   "&zz"), b"OK")
        prefix = (b"-NOPERM ACLs rules changed between the moment the transaction was "
                  b"accumulated and the EXEC call. This command is no longer allowed for the "
                  b"following reason: ")
        c.send(encode("EXEC"))
        c.expect(b"*4\r\n" + prefix + b"no permission to access one of the channels used as "
                 b"arguments\r\n" + prefix + b"no permission to execute the command or "
                 b"subcommand\r\n$1\r\ne\r\n+OK\r\n")
        # A user that may not run EXEC: the transaction ends with the reason.
        admin.cmd("ACL", "SETUSER", "u", "-exec")
        MultiTest.run_script(self, c, [
            (("MULTI",), OK), (("ECHO", "e"), QUEUED),
            (("EXEC",), b"-EXECABORT Transaction discarded because of: NOPERM this user has no "
                        b"permissions to run the 'exec' command\r\n"),
            (("ECHO", "out"), b"$3\r\nout\r\n")])


    def test_watch_checks_key_patterns(self):
        """WATCH's keys must match one of the user's key patterns, whatever its R/W part."""
        admin, c = self.connect(), self.connect()
        self.assertEqual(admin.cmd("ACL", "SETUSER", "w", "on", ">p", "+@all", "resetkeys",
                                   "%W~wo*", "%R~ro*", "~rw*"), b"OK")
        admin.cmd("ACL", "LOG", "RESET")
        denied = b"-NOPERM this user has no permissions to access one of the keys used as " \
                 b"arguments\r\n"
        MultiTest.run_script(self, c, [
            (("AUTH", "w", "p"), OK), (("WATCH", "ro1", "rw2"), OK), (("WATCH", "wo1"), OK),
            (("WATCH", "ro1", "zz"), denied),
            (("MULTI",), OK), (("WATCH", "zz"), denied), (("PING",), QUEUED),
            (("EXEC",), EXECABORT)])
        entries = [dict(zip(e[::2], e[1::2])) for e in admin.cmd("ACL", "LOG")]
        self.assertEqual([(e[b"reason"], e[b"context"], e[b"object"]) for e in entries],
                         [(b"key", b"multi", b"zz"), (b"key", b"toplevel", b"zz")])
        self.assertEqual(admin.cmd("ACL", "DRYRUN", "w", "watch", "wo1", "a"),
                         b"This user has no permissions to access the 'a' key")
        self.assertEqual(admin.cmd("ACL", "DRYRUN", "w", "watch", "wo1"), b"OK")


class MultiAuthTest(h.ServerTestCase):
    server_args = ["--requirepass", "pw"]

    def test_noauth_and_auth_inside_multi(self):
        c = self.connect()
        MultiTest.run_script(self, c, [
            (("MULTI",), b"-NOAUTH Authentication required.\r\n"),
            (("EXEC",), b"-EXECABORT Transaction discarded because of: NOAUTH Authentication "
                        b"required.\r\n"),
            (("AUTH", "pw"), OK),
            # AUTH is queued like any command, and does not end the transaction.
            (("MULTI",), OK), (("AUTH", "bad"), QUEUED), (("AUTH", "pw"), QUEUED),
            (("EXEC",), b"*2\r\n-WRONGPASS invalid username-password pair or user is "
                        b"disabled.\r\n+OK\r\n"),
        ])


class SentinelSequenceTest(h.ServerTestCase):
    # CONFIG REWRITE needs a config file.
    server_config = "# written by the test\n"

    def test_reconfiguration_transaction(self):
        """What Sentinel sends to promote and to repoint a node (sentinelSendSlaveOf)."""
        c, victim, sub = self.connect(), self.connect(), self.connect()
        victim.cmd("PING")
        sub.send(encode("SUBSCRIBE", self.chan("s")))
        sub.expect(h.ack("subscribe", self.chan("s"), 1))
        script = [("MULTI",), ("SLAVEOF", "NO", "ONE"), ("CONFIG", "REWRITE"),
                  ("CLIENT", "KILL", "TYPE", "normal"), ("CLIENT", "KILL", "TYPE", "pubsub"),
                  ("EXEC",)]
        c.send(b"".join(encode(*cmd) for cmd in script))
        c.expect(OK + QUEUED * 4 + b"*4\r\n+OK\r\n+OK\r\n:1\r\n:1\r\n")
        victim.expect_eof()
        sub.expect_eof()
        # Repointing to a master (here one that is not there: the link stays down).
        port = h.pick_port()
        c.send(b"".join(encode(*cmd) for cmd in [
            ("MULTI",), ("REPLICAOF", "127.0.0.1", str(port)), ("CONFIG", "REWRITE"),
            ("CLIENT", "KILL", "TYPE", "normal"), ("EXEC",)]))
        c.expect(OK + QUEUED * 3 + b"*3\r\n+OK\r\n+OK\r\n:0\r\n")
        self.assertEqual(h.info_fields(c, "replication")["role"], "slave")
        with open(self.server.config_path) as f:
            self.assertIn(f"replicaof 127.0.0.1 {port}", f.read())
        self.assertEqual(c.cmd("REPLICAOF", "NO", "ONE"), b"OK")


@h.herald_only("Redis 7.0 does not bound a transaction's queue (it counts it in client memory)")
class MultiLimitTest(h.ServerTestCase):
    server_args = ["--client-query-buffer-limit", "1mb"]

    def test_queue_beyond_the_query_buffer_limit_closes_the_client(self):
        c, other = self.connect(), self.connect()
        c.send(encode("MULTI"))
        c.expect(OK)
        arg = "x" * 100000
        c.send(b"".join(encode("ECHO", arg) for _ in range(9)))
        c.expect(QUEUED * 9)
        fields = client_fields(other.cmd("CLIENT", "LIST", "TYPE", "normal").split(b"\n")[0])
        self.assertEqual(fields["multi"], "9")
        c.send(b"".join(encode("ECHO", arg) for _ in range(5)))
        c.read_until_eof()
        h.wait_until(lambda: "reached max query buffer length (MULTI queue)" in self.server.log(),
                     message="the log line")
        self.assertEqual(other.cmd("PING"), b"PONG")


# ----------------------------------------------------------------------------------------------
# Replication


def skip_rdb(conn):
    """Reads +FULLRESYNC and the disk-framed RDB after it (keepalive newlines skipped)."""
    line = b""
    while not line.endswith(b"\r\n"):
        line += conn.read_exact(1)
        if line == b"\n":
            line = b""
    assert re.fullmatch(rb"\+FULLRESYNC [0-9a-f]{40} \d+\r\n", line), line
    line = b""
    while not line.endswith(b"\r\n"):
        line += conn.read_exact(1)
        if line == b"\n":
            line = b""
    assert line.startswith(b"$"), line
    conn.read_exact(int(line[1:-2]))


def stream_commands(conn, count):
    """The next `count` commands of a replication stream, pings and SELECT left out."""
    out = []
    while len(out) < count:
        raw = conn.read_raw_reply()
        if raw == encode("ping") or raw.startswith(b"*2\r\n$6\r\nSELECT\r\n"):
            continue
        out.append(raw)
    return out


class MultiPropagationTest(ReplicationTestCase):
    def test_what_a_master_sends_for_a_transaction(self):
        m = self.node()
        r = m.connect()
        self.addCleanup(r.close)
        r.send(encode("PSYNC", "?", "-1"))
        skip_rdb(r)
        c = m.admin
        pub = (encode("PUBLISH", "a", "1"), encode("PUBLISH", "b", "2"))
        # One PUBLISH is sent alone, more are wrapped in MULTI ... EXEC, anything else left out.
        c.send(b"".join(encode(*cmd) for cmd in [("MULTI",), ("PUBLISH", "a", "1"), ("PING",),
                                                 ("EXEC",)]))
        c.expect(OK + QUEUED * 2 + b"*2\r\n:0\r\n+PONG\r\n")
        self.assertEqual(stream_commands(r, 1), [pub[0]])
        c.send(b"".join(encode(*cmd) for cmd in [("MULTI",), ("PUBLISH", "a", "1"), ("PING",),
                                                 ("SPUBLISH", "b", "2"), ("PUBLISH", "b", "2"),
                                                 ("EXEC",)]))
        c.expect(OK + QUEUED * 4 + b"*4\r\n:0\r\n+PONG\r\n:0\r\n:0\r\n")
        self.assertEqual(stream_commands(r, 5),
                         [encode("MULTI"), pub[0], encode("SPUBLISH", "b", "2"), pub[1],
                          encode("EXEC")])
        # A transaction that aborts propagates nothing; the next PUBLISH comes next.
        c.send(b"".join(encode(*cmd) for cmd in [("MULTI",), ("PUBLISH", "a", "1"),
                                                 ("PUBLISH", "a"), ("EXEC",),
                                                 ("PUBLISH", "b", "2")]))
        c.expect(OK + QUEUED + b"-ERR wrong number of arguments for 'publish' command\r\n"
                 + EXECABORT + b":0\r\n")
        self.assertEqual(stream_commands(r, 1), [pub[1]])


    def test_chain_delivers_transactions(self):
        m = self.node()
        r1 = self.node(*replicaof(m))
        r2 = self.node(*replicaof(r1))
        self.wait_link_up(r2)
        subs = [self.subscribe(n) for n in (m, r1, r2)]
        c = m.admin
        c.send(encode("MULTI") + encode("PUBLISH", self.ch, "t1") + encode("PING")
               + encode("PUBLISH", self.ch, "t2") + encode("EXEC"))
        c.expect(OK + QUEUED * 3 + b"*3\r\n:1\r\n+PONG\r\n:1\r\n")
        for sub in subs:
            self.assertEqual(self.read_messages(sub, 2), ["t1", "t2"])
        self.assert_nothing_more(subs, m)
        self.wait_same_offsets(m, r1, r2)


class MultiInteropTest(ReplicationTestCase):
    def transaction(self, node, channel, messages):
        c = node.admin
        c.send(encode("MULTI") + b"".join(encode("PUBLISH", channel, m) for m in messages)
               + encode("EXEC"))
        c.expect(OK + QUEUED * len(messages))
        self.assertEqual(len(c.read_reply()), len(messages))

    def test_redis_replica_of_herald(self):
        m = self.herald()
        rr = self.redis(*replicaof(m))
        self.wait_link_up(rr)
        self.wait_replicas(m, 1)
        sub = self.subscribe(rr)
        self.transaction(m, self.ch, ["t1", "t2", "t3"])
        self.transaction(m, self.ch, ["alone"])
        self.assertEqual(self.read_messages(sub, 4), ["t1", "t2", "t3", "alone"])
        self.wait_same_offsets(m, rr)

    def test_herald_replica_of_redis(self):
        rm = self.redis()
        hr = self.herald(*replicaof(rm))
        self.wait_link_up(hr)
        sub = self.subscribe(hr)
        # And a Redis replica of the herald replica: herald forwards MULTI ... EXEC as received.
        rr = self.redis(*replicaof(hr))
        self.wait_link_up(rr)
        sub2 = self.subscribe(rr)
        self.transaction(rm, self.ch, ["r1", "r2"])
        self.transaction(rm, self.ch, ["r3"])
        self.assertEqual(self.read_messages(sub, 3), ["r1", "r2", "r3"])
        self.assertEqual(self.read_messages(sub2, 3), ["r1", "r2", "r3"])
        self.assert_nothing_more([sub, sub2], rm)
        self.wait_same_offsets(rm, hr, rr)


if __name__ == "__main__":
    unittest.main()

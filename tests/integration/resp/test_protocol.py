"""RESP request parsing, pipelining, split requests, protocol errors and generic command
errors, byte for byte as Redis 7.0.15 sends them.

Run: HERALD_TEST_TARGET=redis /usr/bin/python3 -m unittest -v resp.test_protocol   (see harness.py)
"""

import random
import re
import threading
import time
import unittest

import harness as h
from harness import ack, bulk, encode, message


def send_in_background(conn, data):
    """Write `data` from a thread so a server that answers while we are still writing
    cannot deadlock the test. Returns the thread (join it)."""
    errors = []

    def run():
        try:
            conn.send(data)
        except OSError as e:  # reported by the caller if it matters
            errors.append(e)

    t = threading.Thread(target=run, daemon=True)
    t.errors = errors
    t.start()
    return t


class InlineTest(h.ServerTestCase):

    def test_inline_ping_variants(self):
        c = self.connect()
        c.send(b"PING\r\n")
        c.expect(b"+PONG\r\n")
        c.send(b"PING\n")  # bare LF
        c.expect(b"+PONG\r\n")
        c.send(b"   PING   \r\n")
        c.expect(b"+PONG\r\n")
        c.send(b"pInG\r\n")
        c.expect(b"+PONG\r\n")
        c.send(b"PING hello\r\n")
        c.expect(b"$5\r\nhello\r\n")

    def test_inline_whitespace_separates_arguments(self):
        c = self.connect()
        c.send(b"ECHO\tabc\r\n")
        c.expect(b"$3\r\nabc\r\n")
        c.send(b"PING\rPING\r\n")  # a lone CR is whitespace inside an inline line
        c.expect(b"$4\r\nPING\r\n")

    def test_inline_quoting(self):
        c = self.connect()
        c.send(b'ECHO "a\\x41\\tb"\r\n')
        c.expect(b"$4\r\naA\tb\r\n")
        c.send(b'ECHO "\\n\\r\\t\\b\\a\\\\\\"x"\r\n')
        c.expect(b'$8\r\n\n\r\t\b\x07\\"x\r\n')
        c.send(b"ECHO 'c d'\r\n")
        c.expect(b"$3\r\nc d\r\n")
        c.send(b"ECHO 'c\\'d'\r\n")
        c.expect(b"$3\r\nc'd\r\n")
        c.send(b"ECHO 'a\\nb'\r\n")  # single quotes only know \'
        c.expect(b"$4\r\na\\nb\r\n")
        c.send(b'ECHO ""\r\n')
        c.expect(b"$0\r\n\r\n")
        c.send(b'ping "\\x4"\r\n')  # incomplete \x escape: the x is kept literally
        c.expect(b"$2\r\nx4\r\n")
        c.send(b'ping "\\z"\r\n')
        c.expect(b"$1\r\nz\r\n")
        c.send(b"ECHO \"a b\\x41\"  'c d'\r\n")  # two arguments for ECHO
        c.expect(b"-ERR wrong number of arguments for 'echo' command\r\n")

    def test_empty_lines_and_empty_multibulk_are_ignored(self):
        c = self.connect()
        c.send(b"\r\n\n\n   \r\n*0\r\n*-1\r\n*-10\r\n\r\nPING\r\n")
        c.expect(b"+PONG\r\n")
        c.send(b"\n\n\nPING\n")
        c.expect(b"+PONG\r\n")

    def test_empty_command_name(self):
        c = self.connect()
        c.send(b"*1\r\n$0\r\n\r\n")
        c.expect(b"-ERR unknown command '', with args beginning with: \r\n")
        c.send(b'"" a\r\n')
        c.expect(b"-ERR unknown command '', with args beginning with: 'a' \r\n")


class MultibulkTest(h.ServerTestCase):

    def test_binary_arguments(self):
        c = self.connect()
        c.send(b"*2\r\n$4\r\nECHO\r\n$4\r\na\r\nb\r\n")
        c.expect(b"$4\r\na\r\nb\r\n")
        payload = bytes(range(256)) * 4
        c.send(encode("ECHO", payload))
        c.expect(bulk(payload))
        c.send(b"*2\r\n$4\r\necho\r\n$0\r\n\r\n")
        c.expect(b"$0\r\n\r\n")

    def test_large_argument(self):
        c = self.connect()
        payload = bytes(random.Random(1).getrandbits(8) for _ in range(256)) * 4096  # 1 MiB
        t = send_in_background(c, encode("ECHO", payload))
        c.expect(bulk(payload))
        t.join(30)
        self.assertEqual(t.errors, [])

    def test_bulk_terminator_is_skipped_unchecked(self):
        # Redis 7.0 skips the two bytes after a bulk without checking they are CRLF.
        c = self.connect()
        c.send(b"*2\r\n$4\r\nECHO\r\n$3\r\nabcXYPING\r\n")
        c.expect(b"$3\r\nabc\r\n+PONG\r\n")

    def test_pipelined_mixed_inline_and_multibulk(self):
        c = self.connect()
        c.send(b"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\nPING\r\n")
        c.expect(b"+PONG\r\n+PONG\r\n+PONG\r\n")
        c.send(b"*1\r\n$4\r\nPING\r\nPING\n*1\r\n$4\r\nPING\r\nECHO x\r\n"
               b"*2\r\n$4\r\nECHO\r\n$1\r\ny\r\n")
        c.expect(b"+PONG\r\n+PONG\r\n+PONG\r\n$1\r\nx\r\n$1\r\ny\r\n")

    def test_deep_pipeline_in_order(self):
        c = self.connect()
        n = 20000
        data = b"".join(encode("ECHO", str(i)) for i in range(n))
        t = send_in_background(c, data)
        c.expect(b"".join(bulk(str(i)) for i in range(n)), timeout=60)
        t.join(30)
        self.assertEqual(t.errors, [])

    def test_pipelined_subscribe_publish_and_unsubscribe(self):
        c, pub = self.connect(), self.connect()
        ch = self.chan("pipe")
        c.send(encode("PING") + encode("SUBSCRIBE", ch) + encode("PING")
               + encode("UNSUBSCRIBE", ch) + encode("ECHO", "done"))
        c.expect(b"+PONG\r\n" + ack("subscribe", ch, 1) + b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"
                 + ack("unsubscribe", ch, 0) + bulk("done"))
        pub.send(encode("PUBLISH", ch, "x"))
        pub.expect(b":0\r\n")


# Requests and replies used by the split tests: a conversation that exercises inline and
# multibulk parsing, a big bulk, and subscribed state.
def conversation(ch):
    big = b"B" * 70000
    steps = [
        (b"PING\r\n", b"+PONG\r\n"),
        (b"*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n", b"$5\r\nhello\r\n"),
        (b"ECHO 'a b' \r\n", b"$3\r\na b\r\n"),
        (b"\r\n*0\r\n", b""),
        (encode("ECHO", big), bulk(big)),
        (b"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", b"$0\r\n\r\n"),
        (encode("SUBSCRIBE", ch), ack("subscribe", ch, 1)),
        (b"PING x\n", b"*2\r\n$4\r\npong\r\n$1\r\nx\r\n"),
        (encode("UNSUBSCRIBE"), ack("unsubscribe", ch, 0)),
        (b"ECHO end\r\n", b"$3\r\nend\r\n"),
    ]
    return b"".join(r for r, _ in steps), b"".join(e for _, e in steps)


class SplitRequestTest(h.ServerTestCase):

    def test_one_byte_at_a_time(self):
        c = self.connect()
        requests = (b"PING\r\n*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\nECHO 'a b'\r\n"
                    + encode("SUBSCRIBE", self.chan("b")) + b"PING\n" + encode("UNSUBSCRIBE")
                    + b"*3\r\n$7\r\nPUBLISH\r\n$1\r\nz\r\n$2\r\nhi\r\n")
        c.send_bytewise(requests, pause=0.0005)
        c.expect(b"+PONG\r\n$5\r\nhello\r\n$3\r\na b\r\n" + ack("subscribe", self.chan("b"), 1)
                 + b"*2\r\n$4\r\npong\r\n$0\r\n\r\n" + ack("unsubscribe", self.chan("b"), 0)
                 + b":0\r\n")

    def test_split_inside_crlf(self):
        c = self.connect()
        for piece in (b"*1\r", b"\n$4\r", b"\nPI", b"NG\r", b"\n", b"PING\r", b"\n"):
            c.send(piece)
            time.sleep(0.01)  # let the server see each piece separately (not a pass/fail wait)
        c.expect(b"+PONG\r\n+PONG\r\n")

    def test_random_split_points(self):
        rng = random.Random(20261122)
        for i in range(25):
            with self.subTest(iteration=i):
                c = self.connect()
                requests, expected = conversation(self.chan("split%d" % i))
                t = send_in_background_split(c, requests, rng)
                c.expect(expected, timeout=30)
                t.join(30)
                c.close()

    def test_publish_split_at_every_position(self):
        sub, pub = self.connect(), self.connect()
        ch = self.chan("every")
        sub.send(encode("SUBSCRIBE", ch))
        sub.expect(ack("subscribe", ch, 1))
        req = encode("PUBLISH", ch, "payload")
        for cut in range(1, len(req)):
            pub.send(req[:cut])
            time.sleep(0.002)  # so the two halves usually arrive in separate reads
            pub.send(req[cut:])
            pub.expect(b":1\r\n")
            sub.expect(message(ch, "payload"))


def send_in_background_split(conn, data, rng):
    t = threading.Thread(target=conn.send_split, args=(data, rng, 12, 0.001), daemon=True)
    t.start()
    return t


# Every protocol error observed from Redis 7.0.15: request -> the reply, then the connection
# is closed.
PROTOCOL_ERRORS = [
    ("*abc", b"*abc\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    ("*3000000000", b"*3000000000\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    ("*2147483648", b"*2147483648\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    ("* 1", b"* 1\r\n$4\r\nPING\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    ("*01", b"*01\r\n$4\r\nPING\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    ("*1 LF only", b"*1\n$4\r\nPING\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    ("$-10", b"*1\r\n$-10\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    ("$-1 in request", b"*2\r\n$4\r\nPING\r\n$-1\r\n",
     b"-ERR Protocol error: invalid bulk length\r\n"),
    ("$blabla", b"*1\r\n$blabla\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    ("$+4", b"*1\r\n$+4\r\nPING\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    ("$ 4", b"*1\r\n$ 4\r\nPING\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    ("$04", b"*1\r\n$04\r\nPING\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    ("no $", b"*1\r\nfoo\r\n", b"-ERR Protocol error: expected '$', got 'f'\r\n"),
    ("no $ (second arg)", b"*2\r\n$4\r\nECHO\r\n:1\r\n",
     b"-ERR Protocol error: expected '$', got ':'\r\n"),
    ("unbalanced double quote", b'ECHO "abc\r\n',
     b"-ERR Protocol error: unbalanced quotes in request\r\n"),
    ("closing quote followed by a byte", b'ECHO "a"b\r\n',
     b"-ERR Protocol error: unbalanced quotes in request\r\n"),
    ("unbalanced single quote", b"ping 'a'b\r\n",
     b"-ERR Protocol error: unbalanced quotes in request\r\n"),
    ("bulk > proto-max-bulk-len", b"*1\r\n$600000000\r\n",
     b"-ERR Protocol error: invalid bulk length\r\n"),
    ("inline > 64k without newline", b"A" * 70000,
     b"-ERR Protocol error: too big inline request\r\n"),
    ("mbulk count > 64k without CR", b"*" + b"1" * 70000,
     b"-ERR Protocol error: too big mbulk count string\r\n"),
    ("bulk count > 64k without CR", b"*1\r\n$" + b"1" * 70000,
     b"-ERR Protocol error: too big bulk count string\r\n"),
]


class ProtocolErrorTest(h.ServerTestCase):

    def test_protocol_errors_reply_then_close(self):
        for name, request, reply in PROTOCOL_ERRORS:
            with self.subTest(name):
                c = self.connect()
                c.send(request)
                c.expect_eof(reply)
                c.close()

    def test_pipelined_commands_after_the_error_are_not_run(self):
        c, admin = self.connect(), self.connect()
        ch = self.chan("after-error")
        sub = self.connect()
        sub.send(encode("SUBSCRIBE", ch))
        sub.expect(ack("subscribe", ch, 1))
        c.send(b"PING\r\n*abc\r\nPING\r\n" + encode("PUBLISH", ch, "must-not-arrive"))
        c.expect_eof(b"+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n")
        admin.send(encode("PUBLISH", ch, "marker"))
        admin.expect(b":1\r\n")
        sub.expect(message(ch, "marker"))

    def test_error_in_the_middle_of_a_pipeline(self):
        c = self.connect()
        c.send(b"*1\r\n$4\r\nPING\r\n*1\r\n$-1\r\n*1\r\n$4\r\nPING\r\n")
        c.expect_eof(b"+PONG\r\n-ERR Protocol error: invalid bulk length\r\n")

    def test_http_requests_are_dropped_silently(self):
        for request in (b"POST / HTTP/1.1\r\n", b"Host: example.com\r\n"):
            with self.subTest(request=request):
                c = self.connect()
                c.send(request)
                c.expect_eof(b"")
                c.close()

    def test_server_survives_protocol_errors(self):
        c = self.connect()
        c.send(b"PING\r\n")
        c.expect(b"+PONG\r\n")


class CommandErrorTest(h.ServerTestCase):

    def test_unknown_command(self):
        c = self.connect()
        c.send(b"*3\r\n$6\r\nnosuch\r\n$1\r\na\r\n$3\r\nb c\r\n")
        c.expect(b"-ERR unknown command 'nosuch', with args beginning with: 'a' 'b c' \r\n")
        c.send(b"*1\r\n$6\r\nnosuch\r\n")
        c.expect(b"-ERR unknown command 'nosuch', with args beginning with: \r\n")
        c.send(b"NoSuch X y\r\n")  # name as sent
        c.expect(b"-ERR unknown command 'NoSuch', with args beginning with: 'X' 'y' \r\n")
        c.send(b"GET x\r\n")  # not a pub/sub command; herald does not store keys
        if h.IS_REDIS:
            c.expect(b"$-1\r\n")
        else:
            c.expect(b"-ERR unknown command 'GET', with args beginning with: 'x' \r\n")

    def test_unknown_command_text_is_capped_and_cleaned(self):
        c = self.connect()
        # CR and LF in arguments become spaces.
        c.send(encode("nosuch", "a\r\nb", "c"))
        c.expect(b"-ERR unknown command 'nosuch', with args beginning with: 'a  b' 'c' \r\n")
        # An argument is cut so the args text stays around 128 bytes.
        c.send(encode("nosuch", "x" * 200, "y"))
        c.expect(b"-ERR unknown command 'nosuch', with args beginning with: '" + b"x" * 128
                 + b"' \r\n")
        # Whole arguments are added while the text is shorter than 128 bytes.
        c.send(encode("nosuch", *(["ab"] * 60)))
        c.expect(b"-ERR unknown command 'nosuch', with args beginning with: "
                 + b"'ab' " * 26 + b"\r\n")
        # The name itself is cut at 128 bytes.
        c.send(encode("n" * 200))
        c.expect(b"-ERR unknown command '" + b"n" * 128 + b"', with args beginning with: \r\n")

    def test_unknown_subcommand(self):
        c = self.connect()
        c.send(b"*2\r\n$6\r\nCONFIG\r\n$3\r\nFOO\r\n")
        c.expect(b"-ERR unknown subcommand 'FOO'. Try CONFIG HELP.\r\n")
        c.send(b"config foo\r\n")
        c.expect(b"-ERR unknown subcommand 'foo'. Try CONFIG HELP.\r\n")
        c.send(b"client foo\r\n")
        c.expect(b"-ERR unknown subcommand 'foo'. Try CLIENT HELP.\r\n")
        c.send(b"PUBSUB Foo\r\n")
        c.expect(b"-ERR unknown subcommand 'Foo'. Try PUBSUB HELP.\r\n")

    def test_arity_errors(self):
        c = self.connect()
        cases = [
            (b"echo\r\n", b"echo"),
            (b"ECHO a b\r\n", b"echo"),
            (b"*3\r\n$4\r\nPING\r\n$1\r\na\r\n$1\r\nb\r\n", b"ping"),
            (b"PUBLISH a\r\n", b"publish"),
            (b"SPUBLISH a\r\n", b"spublish"),
            (b"SELECT\r\n", b"select"),
            (b"AUTH\r\n", b"auth"),
            (b"CLIENT\r\n", b"client"),
            (b"CONFIG\r\n", b"config"),
            (b"client id x\r\n", b"client|id"),
            (b"client getname x\r\n", b"client|getname"),
            (b"client setname\r\n", b"client|setname"),
            (b"client setname a b\r\n", b"client|setname"),
            (b"client info x\r\n", b"client|info"),
            (b"client kill\r\n", b"client|kill"),
            (b"client reply\r\n", b"client|reply"),
            (b"config get\r\n", b"config|get"),
            (b"config set x\r\n", b"config|set"),
            (b"config resetstat x\r\n", b"config|resetstat"),
            (b"PUBSUB NUMPAT x\r\n", b"pubsub|numpat"),
            (b"DBSIZE x\r\n", b"dbsize"),
            (b"TIME x\r\n", b"time"),
            (b"RESET x\r\n", b"reset"),
        ]
        for request, name in cases:
            c.send(request)
            c.expect(b"-ERR wrong number of arguments for '%s' command\r\n" % name,
                     msg=repr(request))


class BasicCommandsTest(h.ServerTestCase):

    def test_hello(self):
        c = self.connect()
        c.send(b"*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n")
        self.assertEqual(h.mask_hello_id(c.read_raw_reply()), h.HELLO_RESP3_MASKED)
        c.send(b"*2\r\n$5\r\nHELLO\r\n$1\r\n2\r\n")
        self.assertEqual(h.mask_hello_id(c.read_raw_reply()), h.HELLO_RESP2_MASKED)
        c.send(b"*1\r\n$5\r\nHELLO\r\n")
        self.assertEqual(h.mask_hello_id(c.read_raw_reply()), h.HELLO_RESP2_MASKED)

    def test_hello_id_is_the_client_id(self):
        c = self.connect()
        client_id = c.cmd("CLIENT", "ID")
        self.assertIsInstance(client_id, int)
        c.send(encode("HELLO", "3"))
        raw = c.read_raw_reply()
        self.assertIn(b"$2\r\nid\r\n:%d\r\n" % client_id, raw)
        other = self.connect().cmd("CLIENT", "ID")
        self.assertNotEqual(other, client_id)

    def test_hello_errors(self):
        c = self.connect()
        c.send(b"*2\r\n$5\r\nHELLO\r\n$1\r\n4\r\n")
        c.expect(b"-NOPROTO unsupported protocol version\r\n")
        for v in (b"1", b"0", b"-1"):
            c.send(encode("HELLO", v))
            c.expect(b"-NOPROTO unsupported protocol version\r\n")
        c.send(b"*2\r\n$5\r\nHELLO\r\n$1\r\nx\r\n")
        c.expect(b"-ERR Protocol version is not an integer or out of range\r\n")
        c.send(encode("HELLO", "99999999999999999999"))
        c.expect(b"-ERR Protocol version is not an integer or out of range\r\n")
        c.send(b"HELLO 3 FOO\r\n")
        c.expect(b"-ERR Syntax error in HELLO option 'FOO'\r\n")
        c.send(b"HELLO 2 AUTH x\r\n")
        c.expect(b"-ERR Syntax error in HELLO option 'AUTH'\r\n")
        # A failed HELLO leaves the protocol unchanged.
        c.send(b"PING\r\n")
        c.expect(b"+PONG\r\n")

    def test_hello_setname(self):
        c = self.connect()
        c.send(b"HELLO 2 SETNAME foo\r\n")
        self.assertEqual(h.mask_hello_id(c.read_raw_reply()), h.HELLO_RESP2_MASKED)
        c.send(b"CLIENT GETNAME\r\n")
        c.expect(b"$3\r\nfoo\r\n")
        c.send(b'HELLO 3 SETNAME "a b"\r\n')
        c.expect(b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n")
        c.send(b"CLIENT GETNAME\r\n")
        c.expect(b"$3\r\nfoo\r\n")  # and still RESP2
        c.send(b"HELLO 3 SETNAME bar\r\n")
        self.assertEqual(h.mask_hello_id(c.read_raw_reply()), h.HELLO_RESP3_MASKED)
        c.send(b"CLIENT GETNAME\r\n")
        c.expect(b"$3\r\nbar\r\n")

    def test_hello_auth_without_password_configured(self):
        # The default user has no password: any password is accepted by HELLO AUTH and
        # AUTH <user> <pass>, while AUTH <pass> complains.
        c = self.connect()
        c.send(b"HELLO 3 AUTH default whatever\r\n")
        self.assertEqual(h.mask_hello_id(c.read_raw_reply()), h.HELLO_RESP3_MASKED)
        c.send(b"AUTH x\r\n")
        c.expect(b"-ERR AUTH <password> called without any password configured for the "
                 b"default user. Are you sure your configuration is correct?\r\n")
        c.send(b"AUTH default x\r\n")
        c.expect(b"+OK\r\n")
        c.send(b"AUTH a b c\r\n")
        c.expect(b"-ERR syntax error\r\n")

    def test_select(self):
        c = self.connect()
        for db in range(16):
            c.send(encode("SELECT", str(db)))
            c.expect(b"+OK\r\n")
        c.send(b"*2\r\n$6\r\nSELECT\r\n$2\r\n16\r\n")
        c.expect(b"-ERR DB index is out of range\r\n")
        c.send(b"SELECT -1\r\n")
        c.expect(b"-ERR DB index is out of range\r\n")
        c.send(b"SELECT abc\r\n")
        c.expect(b"-ERR value is not an integer or out of range\r\n")

    def test_echo(self):
        c = self.connect()
        c.send(b"*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n")
        c.expect(b"$5\r\nhello\r\n")
        c.hello3()
        c.send(b"ECHO hello\r\n")
        c.expect(b"$5\r\nhello\r\n")

    def test_ping(self):
        c = self.connect()
        c.send(b"*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nPING\r\n$3\r\nfoo\r\n")
        c.expect(b"+PONG\r\n$3\r\nfoo\r\n")
        c.hello3()
        c.send(b"PING\r\nPING foo\r\n")
        c.expect(b"+PONG\r\n$3\r\nfoo\r\n")

    def test_time(self):
        c = self.connect()
        c.send(b"TIME\r\n")
        raw = c.expect_match(rb"\*2\r\n\$\d+\r\n\d+\r\n\$\d+\r\n\d+\r\n")
        secs, usecs = [int(x) for x in re.findall(rb"\r\n(\d+)\r\n", raw)]
        self.assertLess(usecs, 1000000)
        self.assertLess(abs(secs + usecs / 1e6 - time.time()), 120)  # same host clock
        c.send(b"TIME\r\n")
        secs2 = int(c.read_reply()[0])
        self.assertGreaterEqual(secs2, secs)

    def test_dbsize(self):
        c = self.connect()
        c.send(b"DBSIZE\r\n")
        c.expect(b":0\r\n")

    def test_command_count(self):
        c = self.connect()
        c.send(b"COMMAND COUNT\r\n")
        n = int(c.expect_match(rb":\d+\r\n")[1:-2])
        self.assertGreaterEqual(n, 20)

    def test_quit(self):
        c = self.connect()
        c.send(b"*1\r\n$4\r\nQUIT\r\n")
        c.expect_eof(b"+OK\r\n")
        c = self.connect()
        c.send(b"QUIT with arguments\r\n")  # QUIT accepts (and ignores) arguments
        c.expect_eof(b"+OK\r\n")


if __name__ == "__main__":
    unittest.main()

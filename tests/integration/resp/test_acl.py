"""ACL users (broker/acl.h, resp/acl_commands.cc): `user` lines, aclfile, AUTH/HELLO as a named
user, ACL SETUSER/GETUSER/DELUSER/LIST/USERS/WHOAMI/CAT/LOG/DRYRUN/GENPASS/SAVE/LOAD, and the
command and channel checks with Redis 7.0.15's exact replies.

The same tests pass against redis-server 7.0.15:
  HERALD_TEST_TARGET=redis /usr/bin/python3 -m unittest -v resp.test_acl   (see harness.py)
"""

import os
import unittest

import redis

import harness as h
from harness import Server, encode

ALICE_HASH = "30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4"  # sha256("pw")
NOPERM_CHANNELS = "NOPERM this user has no permissions to access one of the channels used as arguments"


def noperm_command(name):
    return f"NOPERM this user has no permissions to run the '{name}' command"


class UsersFromConfigTest(h.ServerTestCase):
    server_config = (
        "user alice on >pw &chat.* +@pubsub -publish ~*\n"
        "user bob on nopass +@all &news.*\n"
        "user carol off >pw +@all &*\n")

    def login(self, user, password):
        c = self.connect()
        self.assertEqual(c.cmd("AUTH", user, password), b"OK")
        return c

    def test_acl_list_shows_the_users_as_redis_does(self):
        self.assertEqual(self.connect().cmd("ACL", "LIST"), [
            f"user alice on #{ALICE_HASH} ~* resetchannels &chat.* -@all +@pubsub -publish".encode(),
            b"user bob on nopass resetchannels &news.* +@all",
            f"user carol off #{ALICE_HASH} &* +@all".encode(),
            b"user default on nopass ~* &* +@all",
        ])
        self.assertEqual(self.connect().cmd("ACL", "USERS"), [b"alice", b"bob", b"carol", b"default"])

    def test_commands_and_channels_are_checked(self):
        alice = self.login("alice", "pw")
        self.assertEqual(alice.cmd("ACL", "WHOAMI"), h.RespError(noperm_command("acl|whoami")))
        self.assertEqual(alice.cmd("PUBLISH", "chat.x", "hi"), h.RespError(noperm_command("publish")))
        self.assertEqual(alice.cmd("PING"), h.RespError(noperm_command("ping")))
        self.assertEqual(alice.cmd("SPUBLISH", "other", "hi"), h.RespError(NOPERM_CHANNELS))
        self.assertEqual(alice.cmd("SPUBLISH", "chat.x", "hi"), 0)
        # One channel refused: none of the command's channels is subscribed.
        self.assertEqual(alice.cmd("SUBSCRIBE", "chat.a", "other"), h.RespError(NOPERM_CHANNELS))
        self.assertEqual(self.connect().cmd("PUBSUB", "NUMSUB", "chat.a"), [b"chat.a", 0])
        alice.send(encode("SUBSCRIBE", "chat.a"))
        alice.expect(h.ack("subscribe", "chat.a", 1))

    def test_patterns_must_be_granted_literally(self):
        bob = self.login("bob", "anything")  # nopass
        self.assertEqual(bob.cmd("PSUBSCRIBE", "news.s*"), h.RespError(NOPERM_CHANNELS))
        self.assertEqual(bob.cmd("PSUBSCRIBE", "*"), h.RespError(NOPERM_CHANNELS))
        bob.send(encode("PSUBSCRIBE", "news.*"))
        bob.expect(h.ack("psubscribe", "news.*", 1))

    def test_wrong_passwords_and_disabled_users(self):
        c = self.connect()
        for user, password in (("alice", "nope"), ("carol", "pw"), ("nobody", "pw")):
            self.assertEqual(c.cmd("AUTH", user, password),
                             h.RespError("WRONGPASS invalid username-password pair or user is "
                                         "disabled."))
        self.assertEqual(c.cmd("ACL", "WHOAMI"), b"default")

    def test_hello_auth(self):
        c = self.connect()
        reply = c.cmd("HELLO", "3", "AUTH", "bob", "x")
        self.assertEqual(reply[b"proto"], 3)
        self.assertEqual(c.cmd("ACL", "WHOAMI"), b"bob")
        self.assertEqual(c.cmd("HELLO", "2", "AUTH", "alice", "bad"),
                         h.RespError("WRONGPASS invalid username-password pair or user is "
                                     "disabled."))

    def test_acl_log(self):
        admin = self.connect()
        admin.cmd("ACL", "LOG", "RESET")
        alice = self.login("alice", "pw")
        alice.cmd("PUBLISH", "chat.x", "hi")
        alice.cmd("SPUBLISH", "secret", "hi")
        alice.cmd("SPUBLISH", "secret", "hi")
        self.connect().cmd("AUTH", "alice", "wrong")
        entries = [dict(zip(e[::2], e[1::2])) for e in admin.cmd("ACL", "LOG")]
        summary = [(e[b"count"], e[b"reason"], e[b"object"], e[b"username"]) for e in entries]
        self.assertEqual(summary, [(1, b"auth", b"AUTH", b"alice"),
                                   (2, b"channel", b"secret", b"alice"),
                                   (1, b"command", b"publish", b"alice")])
        self.assertIn(b"user=alice", entries[1][b"client-info"])
        self.assertEqual(len(admin.cmd("ACL", "LOG", "1")), 1)
        self.assertEqual(admin.cmd("ACL", "LOG", "RESET"), b"OK")
        self.assertEqual(admin.cmd("ACL", "LOG"), [])

    def test_client_list_names_the_user(self):
        bob = self.login("bob", "x")
        self.assertIn(b" user=bob ", bob.cmd("CLIENT", "INFO"))

    def test_redis_py_logs_in_as_a_named_user(self):
        r = redis.Redis(host="127.0.0.1", port=self.server.port, username="bob", password="x")
        self.addCleanup(r.close)
        self.assertEqual(r.execute_command("ACL", "WHOAMI"), b"bob")
        p = r.pubsub()
        self.addCleanup(p.close)
        p.subscribe("news.a")
        self.assertEqual(p.get_message(timeout=5)["type"], "subscribe")
        with self.assertRaises(redis.exceptions.NoPermissionError):
            r.execute_command("SUBSCRIBE", "other")


class SetUserTest(h.ServerTestCase):
    def test_replies_and_errors(self):
        c = self.connect()
        cases = [
            (("ACL", "SETUSER", "t", "bogus"),
             "ERR Error in ACL SETUSER modifier 'bogus': Syntax error"),
            (("ACL", "SETUSER", "t", "+nosuch"),
             "ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL"),
            (("ACL", "SETUSER", "t", "+@nosuch"),
             "ERR Error in ACL SETUSER modifier '+@nosuch': Unknown command or category name in "
             "ACL"),
            (("ACL", "SETUSER", "t", "+client|nosuch"),
             "ERR Error in ACL SETUSER modifier '+client|nosuch': Unknown command or category name "
             "in ACL"),
            (("ACL", "SETUSER", "t", "#abc"),
             "ERR Error in ACL SETUSER modifier '#abc': The password hash must be exactly 64 "
             "characters and contain only lowercase hexadecimal characters"),
            (("ACL", "SETUSER", "t", "<nope"),
             "ERR Error in ACL SETUSER modifier '<nope': The password you are trying to remove "
             "from the user does not exist"),
            (("ACL", "SETUSER", "t", "allchannels", "&b"),
             "ERR Error in ACL SETUSER modifier '&b': Adding a pattern after the * pattern (or the "
             "'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' "
             "to start with an empty list of channels"),
            (("ACL", "SETUSER", "t", "allkeys", "~x"),
             "ERR Error in ACL SETUSER modifier '~x': Adding a pattern after the * pattern (or the "
             "'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start "
             "with an empty list of patterns"),
            (("ACL", "DELUSER", "default"), "ERR The 'default' user cannot be removed"),
            (("ACL", "CAT", "nosuch"), "ERR Unknown category 'nosuch'"),
            (("ACL", "GENPASS", "0"),
             "ERR ACL GENPASS argument must be the number of bits for the output password, a "
             "positive number up to 4096"),
            (("ACL", "DRYRUN", "nobody", "ping"), "ERR User 'nobody' not found"),
            (("ACL", "DRYRUN", "default", "nosuch"), "ERR Command 'nosuch' not found"),
            (("ACL", "WHOAMI", "x"), "ERR wrong number of arguments for 'acl|whoami' command"),
            (("ACL", "FOO"), "ERR unknown subcommand 'FOO'. Try ACL HELP."),
        ]
        for args, error in cases:
            with self.subTest(args=args):
                self.assertEqual(c.cmd(*args), h.RespError(error))
        # A refused rule leaves the user unchanged (here: not even created).
        self.assertIsNone(c.cmd("ACL", "GETUSER", "t"))

    def test_getuser_and_rule_order(self):
        c = self.connect()
        self.assertEqual(c.cmd("ACL", "SETUSER", "u", "on", ">pw", "~k*", "%R~x", "&a", "&b",
                               "+publish", "+publish", "-@all", "+@pubsub", "+client|list"), b"OK")
        user = c.cmd("ACL", "GETUSER", "u")
        self.assertEqual(dict(zip(user[::2], user[1::2])), {
            b"flags": [b"on"], b"passwords": [ALICE_HASH.encode()],
            b"commands": b"-@all +@pubsub +client|list", b"keys": b"~k* %R~x",
            b"channels": b"&a &b", b"selectors": []})
        self.assertEqual(c.cmd("ACL", "SETUSER", "u", "reset"), b"OK")
        self.assertIn(b"user u off sanitize-payload resetchannels -@all", c.cmd("ACL", "LIST"))
        self.assertEqual(c.cmd("ACL", "DELUSER", "u", "nobody"), 1)
        self.assertEqual(len(c.cmd("ACL", "GENPASS")), 64)
        self.assertEqual(len(c.cmd("ACL", "GENPASS", "5")), 2)

    def test_dryrun(self):
        c = self.connect()
        c.cmd("ACL", "SETUSER", "d", "on", "nopass", "+@all", "&news")
        self.assertEqual(c.cmd("ACL", "DRYRUN", "d", "publish", "news", "x"), b"OK")
        self.assertEqual(c.cmd("ACL", "DRYRUN", "d", "publish", "other", "x"),
                         b"This user has no permissions to access the 'other' channel")
        c.cmd("ACL", "SETUSER", "d", "-publish")
        self.assertEqual(c.cmd("ACL", "DRYRUN", "d", "publish", "news", "x"),
                         b"This user has no permissions to run the 'publish' command")

    def test_cat(self):
        c = self.connect()
        self.assertEqual(c.cmd("ACL", "CAT")[:4], [b"keyspace", b"read", b"write", b"set"])
        self.assertIn(b"publish", c.cmd("ACL", "CAT", "pubsub"))


class ChangesDisconnectTest(h.ServerTestCase):
    def test_lost_channels_and_deleted_users_disconnect(self):
        admin = self.connect()
        admin.cmd("ACL", "SETUSER", "e", "on", ">pw", "+@all", "&chat.*")
        subscribed = self.connect()
        subscribed.cmd("AUTH", "e", "pw")
        subscribed.send(encode("SUBSCRIBE", "chat.a"))
        subscribed.expect(h.ack("subscribe", "chat.a", 1))
        idle = self.connect()
        idle.cmd("AUTH", "e", "pw")
        # The subscription is no longer allowed: that client goes, the idle one stays.
        self.assertEqual(admin.cmd("ACL", "SETUSER", "e", "resetchannels", "&other"), b"OK")
        subscribed.expect_eof()
        self.assertEqual(idle.cmd("PUBLISH", "other", "x"), 0)
        self.assertEqual(admin.cmd("ACL", "DELUSER", "e"), 1)
        idle.expect_eof()


class RequirepassIsTheDefaultUserTest(h.ServerTestCase):
    server_args = ["--requirepass", "s3cret"]

    def test_default_user_password(self):
        c = self.connect()
        self.assertEqual(c.cmd("AUTH", "default", "s3cret"), b"OK")
        line = [u for u in c.cmd("ACL", "LIST") if u.startswith(b"user default")][0]
        self.assertTrue(line.startswith(b"user default on #"), line)
        self.assertEqual(c.cmd("CONFIG", "SET", "requirepass", ""), b"OK")
        self.assertIn(b"user default on nopass ~* &* +@all", c.cmd("ACL", "LIST"))
        self.assertEqual(self.connect().cmd("PING"), b"PONG")


class AclFileTest(unittest.TestCase):
    def start(self, acl_text):
        server = Server(config="aclfile {tmpdir}/users.acl\n",
                        files={"users.acl": acl_text}).start()
        self.addCleanup(server.stop)
        return server

    def test_save_and_load(self):
        server = self.start("user alice on >pw +@all &*\n")
        c = server.connect()
        self.addCleanup(c.close)
        self.assertEqual(c.cmd("AUTH", "alice", "pw"), b"OK")
        self.assertEqual(c.cmd("ACL", "SETUSER", "bob", "on", "nopass", "+@pubsub"), b"OK")
        self.assertEqual(c.cmd("ACL", "SAVE"), b"OK")
        with open(os.path.join(server.tmpdir, "users.acl")) as f:
            saved = f.read()
        self.assertIn("user bob on nopass resetchannels -@all +@pubsub\n", saved)
        self.assertIn("user default on nopass ~* &* +@all\n", saved)
        with open(os.path.join(server.tmpdir, "users.acl"), "w") as f:
            f.write(saved.replace("user bob on nopass", "user bob off nopass"))
        self.assertEqual(c.cmd("ACL", "LOAD"), b"OK")
        # Every user but default is new: their clients are disconnected (as Redis 7.0 does).
        c.expect_eof()
        d = server.connect()
        self.addCleanup(d.close)
        self.assertIn(b"user bob off nopass resetchannels -@all +@pubsub", d.cmd("ACL", "LIST"))

    def test_users_in_both_places_is_fatal(self):
        status, output = h.run_server_expect_exit(
            config="aclfile {tmpdir}/users.acl\nuser alice on nopass\n",
            files={"users.acl": ""})
        self.assertNotEqual(status, 0)
        self.assertIn("Configuring Redis with users defined in redis.conf and at the same "
                      "setting an ACL file path is invalid", output)


if __name__ == "__main__":
    unittest.main()

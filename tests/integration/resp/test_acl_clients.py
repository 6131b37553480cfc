"""redis-py logging in as an ACL user (username=/password=), beside tests/js/resp/acl-users.test.mjs
for ioredis and node-redis: a granted channel delivers, a denied channel and a denied command
get Redis's exact -NOPERM text, a wrong password gets -WRONGPASS (Debian's redis-py 4.3 speaks
RESP2 only).

Passes against redis-server 7.0.15 too:
  HERALD_TEST_TARGET=redis /usr/bin/python3 -m unittest -v resp.test_acl_clients   (see harness.py)
"""

import unittest

import redis

import harness as h

NOPERM_CHANNELS = "this user has no permissions to access one of the channels used as arguments"
NOPERM_CONFIG = "this user has no permissions to run the 'config|get' command"
WRONGPASS = "invalid username-password pair or user is disabled."


class RedisPyAclUserTest(h.ServerTestCase):
    server_config = "user py on >py-pw &granted.* +@connection +@pubsub +info +client +acl|whoami\n"

    def client(self, password="py-pw"):
        r = redis.Redis(host="127.0.0.1", port=self.server.port, username="py", password=password,
                        socket_timeout=10)
        self.addCleanup(r.close)
        return r

    def test_granted_and_denied(self):
        r = self.client()
        self.assertEqual(r.execute_command("ACL", "WHOAMI"), b"py")
        ch = "granted." + self.ns
        p = r.pubsub()
        self.addCleanup(p.close)
        p.subscribe(ch)
        self.assertEqual(p.get_message(timeout=10)["type"], "subscribe")
        self.assertEqual(r.publish(ch, "hello user"), 1)
        msg = p.get_message(timeout=10)
        self.assertEqual((msg["type"], msg["channel"], msg["data"]),
                         ("message", ch.encode(), b"hello user"))
        with self.assertRaises(redis.exceptions.NoPermissionError) as cm:
            r.publish("denied", "x")
        self.assertEqual(str(cm.exception), NOPERM_CHANNELS)
        with self.assertRaises(redis.exceptions.NoPermissionError) as cm:
            r.config_get("maxclients")
        self.assertEqual(str(cm.exception), NOPERM_CONFIG)
        denied = self.client().pubsub()
        self.addCleanup(denied.close)
        with self.assertRaises(redis.exceptions.NoPermissionError) as cm:
            denied.subscribe("denied")
            denied.get_message(timeout=10)
        self.assertEqual(str(cm.exception), NOPERM_CHANNELS)

    def test_wrong_password(self):
        r = self.client(password="wrong")
        # redis-py 4.3 has no class for WRONGPASS: a ResponseError with the whole line.
        with self.assertRaises(redis.exceptions.ResponseError) as cm:
            r.ping()
        self.assertEqual(str(cm.exception), "WRONGPASS " + WRONGPASS)


if __name__ == "__main__":
    unittest.main()

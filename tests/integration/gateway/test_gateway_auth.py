"""Who may see and say what through the gateway (gateway/access.cc, gateway/auth.cc): browser
tokens (JWT, made here with python3-jwt, the library a Python backend would use), gateway-auth
modes, requirepass guarding the gateway, the origin check, expiry and the subscription limit,
against the real herald-server binary.

Tokens are verified by Herald with OpenSSL; python3-jwt only signs them. Waiting is bounded
(wait_until): expiry tests wait for the close, never sleep and then assert.
"""

import base64
import hashlib
import hmac
import json
import os
import subprocess
import tempfile
import time
import unittest

import jwt

import harness
from harness import herald_only, wait_until
from gateway.test_gateway import GatewayTestBase, Http, start_gateway

SECRET = "a-secret-of-at-least-32-bytes-for-HS256!"
CLOSE = 0x8


def token(secret=SECRET, alg="HS256", ttl=300, headers=None, **grants):
    """A browser token: sub, exp (ttl seconds from now, None for none) and the herald grants."""
    claims = {"sub": grants.pop("sub", "alice")}
    if ttl is not None:
        claims["exp"] = int(time.time()) + ttl
    if grants:
        claims["herald"] = grants
    return jwt.encode(claims, secret, algorithm=alg, headers=headers)


def unsigned(claims):
    """A token with alg "none" (no signature), as an attacker would send it."""
    def part(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def metrics(server):
    status, _, body = Http(server.gport).request("GET", "/metrics")
    assert status == 200
    values = {}
    for line in body.decode().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = int(float(value))
    return values


class AuthTestBase(GatewayTestBase):
    def sse(self, path, **kw):
        """Opens an event stream; returns (status, conn) with the head read."""
        conn = self.http(**kw)
        conn.send(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        head = conn.read_until(b"\r\n\r\n").decode("latin-1")
        return int(head.split(" ")[1]), conn, head

    def sse_status(self, path):
        return self.sse(path)[0]

    def next_data(self, conn):
        """The data of the next event that has data, with its event name."""
        while True:
            block = conn.read_until(b"\n\n").decode()
            event, data = "message", None
            for line in block.splitlines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data = line[5:].lstrip()
            if data is not None:
                return event, data

    def publish(self, channel, body=b"x", headers=()):
        status, _, reply = self.http().request("POST", f"/publish/{channel}", body,
                                               headers=list(headers))
        return status, json.loads(reply) if reply else None

    def close_code(self, ws):
        while True:
            opcode, payload = ws.recv_data()
            if opcode == CLOSE:
                return int.from_bytes(payload[:2], "big")


class RequirepassGuardsTheGatewayTest(AuthTestBase):
    """With requirepass set, gateway-auth auto means required: no anonymous access at all."""
    server_args = ("--requirepass", "s3cret", "--gateway-publish-token", "pub-t0ken")

    def test_anonymous_sse_is_401(self):
        for path in ("/sse?pattern=*", "/sse/news", "/poll/news"):
            with self.subTest(path=path):
                status, conn, head = self.sse(path)
                self.assertEqual(status, 401)
                self.assertIn("WWW-Authenticate: Bearer", head)

    def test_anonymous_loopback_publish_is_401(self):
        status, body = self.publish("news")
        self.assertEqual((status, body), (401, {"error": "a token is required"}))

    def test_anonymous_websocket(self):
        self.assertEqual(self.ws("/ws/news").status, 401)
        ws = self.ws("/ws")  # the JSON protocol connects, to send AUTH
        ws.send_frame(0x1, b'["SUBSCRIBE","news"]')
        self.assertEqual(ws.recv_json(),
                         {"type": "error", "message": "a token is required", "code": 401})
        ws.send_frame(0x1, b'["PUBLISH","news","x"]')
        self.assertEqual(ws.recv_json()["code"], 401)

    def test_the_publish_token_still_publishes(self):
        status, body = self.publish("news", headers=["Authorization: Bearer pub-t0ken"])
        self.assertEqual((status, body["receivers"]), (200, 0))
        status, _ = self.publish("news", headers=["Authorization: Bearer pub-t0keN"])
        self.assertEqual(status, 401)

    def test_metrics_count_the_refusals(self):
        before = metrics(self.server)["herald_gateway_auth_missing_total"]
        self.publish("news")
        self.assertEqual(metrics(self.server)["herald_gateway_auth_missing_total"], before + 1)


class TokenTest(AuthTestBase):
    server_args = ("--gateway-auth", "required", "--gateway-jwt-secret", SECRET,
                   "--gateway-jwt-leeway", "0")

    def test_sse_with_a_granted_channel_receives(self):
        t = token(subscribe=["chat.alice", "news.*"])
        status, conn, _ = self.sse(f"/sse/chat.alice?token={t}")
        self.assertEqual(status, 200)
        self.wait_numsub("chat.alice", 1)
        status, _ = self.publish("chat.alice", b"hello",
                                 headers=[f"Authorization: Bearer {token(publish=['chat.*'])}"])
        self.assertEqual(status, 200)
        self.assertEqual(self.next_data(conn), ("message", "hello"))

    def test_subscriptions_outside_the_grants_are_403(self):
        t = token(subscribe=["chat.alice", "news.*"])
        self.assertEqual(self.sse_status(f"/sse/chat.bob?token={t}"), 403)
        self.assertEqual(self.sse_status(f"/sse?channel=news.a&channel=chat.bob&token={t}"), 403)
        # Patterns must be granted as written (Redis ACL semantics).
        self.assertEqual(self.sse_status(f"/sse?pattern=news.*&token={t}"), 200)
        self.assertEqual(self.sse_status(f"/sse?pattern=*&token={t}"), 403)
        self.assertEqual(self.sse_status(f"/poll/chat.bob?token={t}"), 403)
        self.assertEqual(self.ws(f"/ws/chat.bob?token={t}").status, 403)

    def test_bearer_header_and_publish_grants(self):
        t = token(subscribe=["news.*"], publish=["chat.alice"])
        status, body = self.publish("chat.alice", headers=[f"Authorization: Bearer {t}"])
        self.assertEqual((status, body["receivers"]), (200, 0))
        status, body = self.publish("chat.bob", headers=[f"Authorization: Bearer {t}"])
        self.assertEqual((status, body), (403, {"error": "publishing to this channel is not allowed"}))
        status, _ = self.publish("chat.alice", headers=[f"authorization: bearer {t}"])
        self.assertEqual(status, 200)

    def test_bad_tokens_are_401_with_the_reason(self):
        now = int(time.time())
        cases = {
            "bad_signature": token(secret="another-secret-of-at-least-32-bytes!!",
                                   subscribe=["*"]),
            "alg_none": unsigned({"sub": "x", "exp": now + 60, "herald": {"subscribe": ["*"]}}),
            "expired": token(ttl=-5, subscribe=["*"]),
            "missing_exp": token(ttl=None, subscribe=["*"]),
            "malformed": "not-a-token",
            "too_large": token(subscribe=["c%05d" % i for i in range(1000)]),
            "bad_grants": jwt.encode({"exp": now + 60, "herald": {"subscribe": "news"}}, SECRET),
            "not_yet_valid": jwt.encode({"exp": now + 600, "nbf": now + 300}, SECRET),
        }
        before = metrics(self.server)
        for reason, t in cases.items():
            with self.subTest(reason=reason):
                conn = self.http()
                status, headers, body = conn.request("GET", "/sse/news",
                                                     headers=[f"Authorization: Bearer {t}"])
                self.assertEqual(status, 401)
                self.assertEqual(json.loads(body)["reason"], reason)
                self.assertIn('error="invalid_token"', headers["www-authenticate"])
        after = metrics(self.server)
        for reason in cases:
            name = f'herald_gateway_tokens_refused_total{{reason="{reason}"}}'
            self.assertEqual(after.get(name, 0) - before.get(name, 0), 1, name)
        # The server is still fine.
        self.assertEqual(self.http().request("GET", "/healthz")[0], 200)

    def test_websocket_json_auth_and_grants(self):
        ws = self.ws("/ws")
        ws.send_frame(0x1, json.dumps(["AUTH", "garbage"]).encode())
        reply = ws.recv_json()
        self.assertEqual((reply["type"], reply["code"], reply["reason"]), ("error", 401, "malformed"))
        t = token(sub="carol", subscribe=["room.1"], publish=["room.1"])
        ws.send_frame(0x1, json.dumps(["AUTH", t]).encode())
        reply = ws.recv_json()
        self.assertEqual((reply["type"], reply["subject"]), ("auth", "carol"))
        ws.send_frame(0x1, b'["SUBSCRIBE","room.2"]')
        self.assertEqual(ws.recv_json(), {"type": "error", "code": 403,
                                          "message": "subscribing to channel 'room.2' is not allowed"})
        ws.send_frame(0x1, b'["SUBSCRIBE","room.1"]')
        self.assertEqual(ws.recv_json()["type"], "subscribe")
        ws.send_frame(0x1, b'["PUBLISH","room.2","x"]')
        self.assertEqual(ws.recv_json()["code"], 403)
        ws.send_frame(0x1, b'["PUBLISH","room.1","hi"]')
        self.assertEqual(ws.recv_json()["type"], "message")
        self.assertEqual(ws.recv_json()["type"], "publish")
        # A new token that no longer covers room.1 ends the connection (as Redis 7 does).
        ws.send_frame(0x1, json.dumps(["AUTH", token(subscribe=["room.9"])]).encode())
        self.assertEqual(self.close_code(ws), 1008)

    def test_websocket_channel_publish_outside_grants_is_1008(self):
        t = token(subscribe=["room.1"])
        ws = self.ws(f"/ws/room.1?token={t}")
        self.assertEqual(ws.status, 101)
        ws.send_frame(0x1, b"x")
        self.assertEqual(self.close_code(ws), 1008)

    def test_forbidden_is_counted(self):
        before = metrics(self.server)
        t = token(subscribe=["a"])
        self.sse_status(f"/sse/b?token={t}")
        self.publish("b", headers=[f"Authorization: Bearer {t}"])
        after = metrics(self.server)
        for action in ("subscribe", "publish"):
            name = f'herald_gateway_forbidden_total{{action="{action}"}}'
            self.assertEqual(after[name] - before[name], 1, name)


class AclUserTokenTest(AuthTestBase):
    """A token naming an ACL user: one set of rules for RESP and browsers."""
    server_args = ("--gateway-auth", "required", "--gateway-jwt-secret", SECRET)

    def test_the_users_rules_apply(self):
        resp = self.resp()
        self.assertEqual(resp.cmd("ACL", "SETUSER", "web", "on", "nopass", "&room.*", "+@pubsub"),
                         b"OK")
        t = token(user="web")
        self.assertEqual(self.sse_status(f"/sse/room.1?token={t}"), 200)
        self.assertEqual(self.sse_status(f"/sse/other?token={t}"), 403)
        self.assertEqual(self.sse_status(f"/sse?pattern=room.*&token={t}"), 200)
        bearer = [f"Authorization: Bearer {t}"]
        self.assertEqual(self.publish("room.1", headers=bearer)[0], 200)
        # The token's own list narrows the user's rules.
        narrow = token(user="web", subscribe=["room.2"])
        self.assertEqual(self.sse_status(f"/sse/room.1?token={narrow}"), 403)
        self.assertEqual(self.sse_status(f"/sse/room.2?token={narrow}"), 200)
        # ACL changes take effect at once.
        self.assertEqual(resp.cmd("ACL", "SETUSER", "web", "-publish"), b"OK")
        self.assertEqual(self.publish("room.1", headers=bearer)[0], 403)
        self.assertEqual(resp.cmd("ACL", "SETUSER", "web", "off"), b"OK")
        status, _, body = self.http().request("GET", "/sse/room.1", headers=bearer)
        self.assertEqual((status, json.loads(body)["reason"]), (401, "unknown_user"))
        status, _, body = self.http().request(
            "GET", "/sse/room.1", headers=[f"Authorization: Bearer {token(user='ghost')}"])
        self.assertEqual((status, json.loads(body)["reason"]), (401, "unknown_user"))
        self.assertGreaterEqual(
            metrics(self.server)['herald_gateway_tokens_refused_total{reason="unknown_user"}'], 2)


class ExpiryTest(AuthTestBase):
    server_args = ("--gateway-auth", "required", "--gateway-jwt-secret", SECRET,
                   "--gateway-jwt-leeway", "0", "--gateway-sse-heartbeat", "0")

    def test_connections_end_when_their_token_expires(self):
        short = token(ttl=2, subscribe=["exp.*"])
        status, sse, _ = self.sse(f"/sse/exp.a?token={short}")
        self.assertEqual(status, 200)
        ws = self.ws(f"/ws/exp.b?token={short}")
        self.assertEqual(ws.status, 101)
        # This one refreshes its token before it expires and stays.
        fresh = self.ws("/ws")
        fresh.send_frame(0x1, json.dumps(["AUTH", short]).encode())
        self.assertEqual(fresh.recv_json()["type"], "auth")
        fresh.send_frame(0x1, b'["SUBSCRIBE","exp.c"]')
        self.assertEqual(fresh.recv_json()["type"], "subscribe")
        fresh.send_frame(0x1, json.dumps(["AUTH", token(ttl=300, subscribe=["exp.*"])]).encode())
        self.assertEqual(fresh.recv_json()["type"], "auth")

        sse.sock.settimeout(15)
        self.assertEqual(self.next_data(sse),
                         ("error", json.dumps({"code": 401, "error": "token expired"},
                                              separators=(",", ":"))))
        self.assertEqual(sse.read_until_eof(), b"")
        ws.sock.settimeout(15)
        self.assertEqual(self.close_code(ws), 4001)
        wait_until(lambda: metrics(self.server)["herald_gateway_tokens_expired_total"] >= 2,
                   message="expiries counted")
        # The refreshed connection still receives.
        self.publish("exp.c", b"still here",
                     headers=[f"Authorization: Bearer {token(publish=['exp.*'])}"])
        self.assertEqual(fresh.recv_json()["data"], "still here")


class OptionalModeTest(AuthTestBase):
    server_args = ("--gateway-auth", "optional", "--gateway-jwt-secret", SECRET,
                   "--gateway-anonymous-channels", "public.*")

    def test_anonymous_clients_get_the_anonymous_channels(self):
        self.assertEqual(self.sse_status("/sse/public.news"), 200)
        self.assertEqual(self.sse_status("/sse/private.alice"), 403)
        t = token(subscribe=["private.alice"])
        self.assertEqual(self.sse_status(f"/sse/private.alice?token={t}"), 200)
        # A bad token is refused, not taken as anonymous.
        self.assertEqual(self.sse_status("/sse/public.news?token=bad"), 401)

    def test_loopback_still_publishes_without_a_token(self):
        self.assertEqual(self.publish("public.news")[0], 200)


class OffModeTest(AuthTestBase):
    server_args = ("--gateway-auth", "off")

    def test_everything_is_open_and_tokens_are_ignored(self):
        self.assertEqual(self.sse_status("/sse?pattern=*"), 200)
        self.assertEqual(self.sse_status("/sse/x?token=whatever"), 200)


class PublicKeyTest(AuthTestBase):
    """RS256 and ES256 with keys made by openssl here; HS256 forged with the public key's PEM."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="herald-jwt-")
        cls.keys = {}
        for name, args in (("rsa", ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]),
                           ("ec", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"])):
            private = os.path.join(cls.dir, f"{name}.pem")
            public = os.path.join(cls.dir, f"{name}.pub")
            subprocess.run(["openssl", "genpkey", *args, "-out", private], check=True,
                           capture_output=True)
            subprocess.run(["openssl", "pkey", "-in", private, "-pubout", "-out", public],
                           check=True, capture_output=True)
            cls.keys[name] = (open(private).read(), public)
        cls.servers = {}
        for name in cls.keys:
            cls.servers[name] = start_gateway("--gateway-auth", "required",
                                              "--gateway-jwt-public-key-file", cls.keys[name][1])
        cls.server = cls.servers["rsa"]

    @classmethod
    def tearDownClass(cls):
        for server in cls.servers.values():
            server.stop()

    def status_on(self, name, t):
        return Http(self.servers[name].gport).request(
            "GET", "/sse/n", headers=[f"Authorization: Bearer {t}"])

    def test_rs256_and_es256(self):
        for name, alg in (("rsa", "RS256"), ("ec", "ES256")):
            with self.subTest(alg=alg):
                conn = Http(self.servers[name].gport)
                conn.send(f"GET /sse/n?token={token(self.keys[name][0], alg, subscribe=['n'])} "
                          "HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
                self.assertTrue(conn.read_until(b"\r\n\r\n").startswith(b"HTTP/1.1 200"))
                conn.close()

    def test_algorithm_confusion_is_refused(self):
        pem = open(self.keys["rsa"][1]).read()
        # python3-jwt itself refuses a PEM as HMAC secret; sign by hand, as an attacker would.
        def b64(data):
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
        header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        claims = b64(json.dumps({"exp": int(time.time()) + 60,
                                 "herald": {"subscribe": ["*"]}}).encode())
        signature = hmac.new(pem.encode(), f"{header}.{claims}".encode(), hashlib.sha256).digest()
        status, _, body = self.status_on("rsa", f"{header}.{claims}.{b64(signature)}")
        self.assertEqual((status, json.loads(body)["reason"]), (401, "alg_mismatch"))
        # An EC token against the RSA key: the wrong family too.
        t = token(self.keys["ec"][0], "ES256", subscribe=["*"])
        self.assertEqual(json.loads(self.status_on("rsa", t)[2])["reason"], "alg_mismatch")


class OriginAndLimitsTest(AuthTestBase):
    server_args = ("--gateway-max-subscriptions", "3")

    def test_cross_site_publish_is_refused(self):
        status, body = self.publish("news", headers=["Origin: http://evil.example"])
        self.assertEqual((status, body), (403, {"error": "origin not allowed"}))
        self.assertEqual(self.publish("news", headers=["Origin: http://localhost"])[0], 200)
        self.assertEqual(self.ws("/ws", headers=["Origin: http://evil.example"]).status, 403)

    def test_subscriptions_per_connection_are_limited(self):
        status, conn, _ = self.sse("/sse?channel=a&channel=b&channel=c&channel=d")
        self.assertEqual(status, 400)
        ws = self.ws("/ws")
        ws.send_frame(0x1, b'["SUBSCRIBE","a","b"]')
        self.assertEqual([ws.recv_json()["count"] for _ in range(2)], [1, 2])
        ws.send_frame(0x1, b'["PSUBSCRIBE","p*","q*"]')
        self.assertEqual(ws.recv_json(), {
            "type": "error", "code": 400,
            "message": "too many subscriptions (gateway-max-subscriptions is 3)"})
        ws.send_frame(0x1, b'["PSUBSCRIBE","p*"]')
        self.assertEqual(ws.recv_json()["count"], 3)


class KeyRotationTest(AuthTestBase):
    server_args = ("--gateway-auth", "required", "--gateway-jwt-secret", SECRET)

    def test_config_set_changes_the_key(self):
        new = "the-next-secret-also-at-least-32-bytes!!"
        resp = self.resp()
        self.assertEqual(resp.cmd("CONFIG", "SET", "gateway-jwt-secret", new), b"OK")
        wait_until(lambda: self.sse_status(f"/sse/n?token={token(new, subscribe=['n'])}") == 200,
                   message="the new key in force")
        self.assertEqual(self.sse_status(f"/sse/n?token={token(subscribe=['n'])}"), 401)


@herald_only("the gateway is herald's own")
class BadKeyConfigTest(unittest.TestCase):
    def test_unreadable_key_file_fails_start(self):
        status, output = harness.run_server_expect_exit(
            args=["--gateway-port", str(harness.pick_port()),
                  "--gateway-jwt-public-key-file", "/nonexistent/key.pem"])
        self.assertNotEqual(status, 0)
        self.assertIn("gateway-jwt-public-key-file: cannot read '/nonexistent/key.pem'", output)

    def test_pem_as_hmac_secret_fails_start(self):
        status, output = harness.run_server_expect_exit(
            args=["--gateway-port", str(harness.pick_port()),
                  "--gateway-jwt-secret", "-----BEGIN PUBLIC KEY-----"])
        self.assertNotEqual(status, 0)
        self.assertIn("gateway-jwt-secret:", output)


if __name__ == "__main__":
    unittest.main()

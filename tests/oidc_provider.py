"""A small OpenID Connect provider standing in for the province's unified identity platform in tests.

A real Tornado server on a free port with discovery, an authorize page (a login form of the platform's own:
an account name and password the test gives it), a token endpoint that checks the client secret, the
redirect URI and the PKCE verifier, and a JWKS with the RS256 key the test made. `mode` makes it misbehave
the ways a forged or stale token would: signed by another key under the same key id, already expired,
for another client, or with another nonce.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import tornado.httpserver
import tornado.web
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from storage.local import free_port

CLIENT_ID, CLIENT_SECRET = "oa-gongwen", "platform-secret-1"
GOOD, FORGED, EXPIRED, OTHER_AUDIENCE, OTHER_NONCE = "good", "forged", "expired", "other_audience", "other_nonce"


@dataclass
class Provider:
    base_url: str = ""
    # platform account name -> (password, claims of that person)
    accounts: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    mode: str = GOOD
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "gd-1"}, private=True))
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_requests: int = 0

    @property
    def issuer(self) -> str:
        return self.base_url

    def id_token(self, grant: dict[str, Any]) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 300, "nonce": grant["nonce"],
                  **grant["claims"]}
        key = self.key
        if self.mode == FORGED:  # a key the platform never published, under the published key's id
            key = RSAKey.generate_key(2048, parameters={"kid": "gd-1"}, private=True)
        elif self.mode == EXPIRED:
            claims.update(iat=now - 3600, exp=now - 1800)
        elif self.mode == OTHER_AUDIENCE:
            claims["aud"] = "some-other-app"
        elif self.mode == OTHER_NONCE:
            claims["nonce"] = "not-the-nonce"
        return jwt.encode({"alg": "RS256", "kid": "gd-1"}, claims, key)


class ProviderHandler(tornado.web.RequestHandler):
    @property
    def provider(self) -> Provider:
        return self.application.settings["provider"]


class Discovery(ProviderHandler):
    def get(self) -> None:
        base = self.provider.base_url
        self.write({"issuer": base, "authorization_endpoint": f"{base}/authorize", "token_endpoint": f"{base}/token",
                    "jwks_uri": f"{base}/jwks", "response_types_supported": ["code"],
                    "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["RS256"],
                    "code_challenge_methods_supported": ["S256"]})


class Jwks(ProviderHandler):
    def get(self) -> None:
        self.write(KeySet([self.provider.key]).as_dict(private=False))


FORM = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>广东省统一身份认证平台</title></head>
<body><h1>广东省统一身份认证平台</h1><p>{error}</p><form method="post">
<input type="hidden" name="query" value="{query}">
<label for="account">账号</label><input id="account" name="account">
<label for="secret">登录密码</label><input id="secret" name="secret" type="password">
<button type="submit">登录并授权</button></form></body></html>"""


class Authorize(ProviderHandler):
    def get(self) -> None:
        args = {name: self.get_query_argument(name, "") for name in
                ("response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge",
                 "code_challenge_method")}
        if (args["response_type"] != "code" or args["client_id"] != CLIENT_ID or "openid" not in args["scope"].split()
                or args["code_challenge_method"] != "S256" or not args["code_challenge"] or not args["nonce"]):
            raise tornado.web.HTTPError(400, f"bad authorization request {args}")
        self.finish(FORM.format(error="", query=html.escape(json.dumps(args))))

    def post(self) -> None:
        args = json.loads(self.get_body_argument("query"))
        account = self.provider.accounts.get(self.get_body_argument("account"))
        if account is None or account[0] != self.get_body_argument("secret"):
            self.finish(FORM.format(error="账号或密码错误", query=html.escape(json.dumps(args))))
            return
        code = secrets.token_urlsafe(16)
        self.provider.codes[code] = {"claims": account[1], "nonce": args["nonce"], "redirect_uri": args["redirect_uri"],
                                     "challenge": args["code_challenge"]}
        self.redirect(f"{args['redirect_uri']}?{urlencode({'code': code, 'state': args['state']})}")


class Token(ProviderHandler):
    def post(self) -> None:
        self.provider.token_requests += 1
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if self.request.headers.get("Authorization") != f"Basic {expected}":
            self.set_status(401)
            self.finish({"error": "invalid_client"})
            return
        grant = self.provider.codes.pop(self.get_body_argument("code", ""), None)
        verifier = self.get_body_argument("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if (grant is None or self.get_body_argument("grant_type", "") != "authorization_code"
                or grant["redirect_uri"] != self.get_body_argument("redirect_uri", "")
                or grant["challenge"] != challenge):
            self.set_status(400)
            self.finish({"error": "invalid_grant"})
            return
        self.finish({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 300,
                     "id_token": self.provider.id_token(grant)})


def start_provider() -> tuple[Provider, tornado.httpserver.HTTPServer]:
    provider = Provider()
    port = free_port()
    provider.base_url = f"http://127.0.0.1:{port}/gd-idp"
    app = tornado.web.Application([
        (r"/gd-idp/\.well-known/openid-configuration", Discovery), (r"/gd-idp/jwks", Jwks),
        (r"/gd-idp/authorize", Authorize), (r"/gd-idp/token", Token)], provider=provider)
    server = tornado.httpserver.HTTPServer(app)
    server.listen(port, "127.0.0.1")
    return provider, server

"""OpenID Connect relying party for the province's unified identity platform (统一身份认证).

The authorization-code flow with PKCE (S256), `state` and `nonce`:
- the platform's discovery document (ISSUER/.well-known/openid-configuration) names its endpoints; its
  `issuer` must be exactly the configured one;
- the code is exchanged at the token endpoint with the client secret (HTTP Basic) and the PKCE verifier;
- the ID token must be signed (RS256/PS256/ES256, never `none` or HMAC) by a key of the platform's JWKS
  (fetched again once when a token names a key not seen yet, for key rotation), issued by the issuer
  for this client (`aud`, and `azp` when there are several audiences), unexpired (60 s leeway), and
  carry the nonce this login was started with.
Anything else is an `OidcRefused` with a message for the person; the detail goes to the log only.
Settings: OA_OIDC_* in web/config.py. No person is ever created from a token (see web/oidc_pages.py).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
import time
from typing import Any
from urllib.parse import quote, urlencode

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

from web.config import Settings

log = logging.getLogger("oa.oidc")

ALGORITHMS = ["RS256", "PS256", "ES256"]
LEEWAY_S = 60
METADATA_TTL_S = 3600
# A token naming an unknown key fetches the JWKS again, but not more often than this.
JWKS_REFRESH_S = 60
HTTP_TIMEOUT_S = 15


class OidcRefused(Exception):
    """The platform's answer cannot log anyone in; `message` is for the person, `detail` for the log."""

    def __init__(self, message: str, detail: str) -> None:
        super().__init__(detail)
        self.message = message
        self.detail = detail


UNAVAILABLE = "统一身份认证平台暂时无法访问，请稍后再试或使用密码登录。"
INVALID = "统一身份认证平台返回的登录凭证无效（签名、签发方、有效期或随机数校验未通过），登录被拒绝。"


def pkce_pair() -> tuple[str, str]:
    """A PKCE verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


class OidcClient:
    def __init__(self, settings: Settings, http: AsyncHTTPClient | None = None) -> None:
        assert settings.oidc_issuer and settings.oidc_client_id
        self.issuer = settings.oidc_issuer.rstrip("/")
        self.client_id = settings.oidc_client_id
        self.client_secret = settings.oidc_client_secret or ""
        self.scopes = settings.oidc_scopes
        self.http = http or AsyncHTTPClient()
        self._metadata: dict[str, Any] | None = None
        self._metadata_at = 0.0
        self._keys: KeySet | None = None
        self._keys_at = 0.0

    async def _fetch_json(self, request: HTTPRequest, what: str) -> dict[str, Any]:
        try:
            response = await self.http.fetch(request)
            data = json.loads(response.body)
        except HTTPClientError as error:
            body = error.response.body[:300].decode(errors="replace") if error.response and error.response.body else ""
            raise OidcRefused(UNAVAILABLE if error.code >= 500 or error.code == 599 else INVALID,
                              f"{what}: HTTP {error.code} {body}") from None
        except (OSError, ValueError) as error:
            raise OidcRefused(UNAVAILABLE, f"{what}: {error}") from None
        if not isinstance(data, dict):
            raise OidcRefused(UNAVAILABLE, f"{what}: not a JSON object")
        return data

    async def metadata(self) -> dict[str, Any]:
        """The platform's discovery document (kept an hour)."""
        if self._metadata is None or time.monotonic() - self._metadata_at > METADATA_TTL_S:
            url = f"{self.issuer}/.well-known/openid-configuration"
            data = await self._fetch_json(HTTPRequest(url, request_timeout=HTTP_TIMEOUT_S), "discovery")
            if str(data.get("issuer", "")).rstrip("/") != self.issuer:
                raise OidcRefused(UNAVAILABLE, f"discovery names issuer {data.get('issuer')!r}, not {self.issuer!r}")
            missing = [key for key in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not data.get(key)]
            if missing:
                raise OidcRefused(UNAVAILABLE, f"discovery lacks {', '.join(missing)}")
            self._metadata, self._metadata_at = data, time.monotonic()
        return self._metadata

    async def keys(self, refresh: bool = False) -> KeySet:
        if self._keys is None or (refresh and time.monotonic() - self._keys_at > JWKS_REFRESH_S):
            url = (await self.metadata())["jwks_uri"]
            data = await self._fetch_json(HTTPRequest(url, request_timeout=HTTP_TIMEOUT_S), "jwks")
            try:
                self._keys = KeySet.import_key_set(data)  # type: ignore[arg-type]
            except (JoseError, ValueError, KeyError, TypeError) as error:
                raise OidcRefused(UNAVAILABLE, f"jwks: {error}") from None
            self._keys_at = time.monotonic()
        return self._keys

    async def authorization_url(self, redirect_uri: str, state: str, nonce: str, challenge: str) -> str:
        endpoint = (await self.metadata())["authorization_endpoint"]
        query = urlencode({"response_type": "code", "client_id": self.client_id, "redirect_uri": redirect_uri,
                           "scope": self.scopes, "state": state, "nonce": nonce, "code_challenge": challenge,
                           "code_challenge_method": "S256"})
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"

    async def exchange(self, code: str, verifier: str, redirect_uri: str) -> str:
        """The ID token the token endpoint gives for `code` (still to be verified)."""
        endpoint = (await self.metadata())["token_endpoint"]
        basic = base64.b64encode(f"{quote(self.client_id, safe='')}:{quote(self.client_secret, safe='')}".encode())
        body = urlencode({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                          "code_verifier": verifier, "client_id": self.client_id})
        request = HTTPRequest(endpoint, method="POST", body=body, request_timeout=HTTP_TIMEOUT_S,
                              headers={"Content-Type": "application/x-www-form-urlencoded",
                                       "Accept": "application/json", "Authorization": f"Basic {basic.decode()}"})
        data = await self._fetch_json(request, "token endpoint")
        id_token = data.get("id_token")
        if not isinstance(id_token, str):
            raise OidcRefused(INVALID, "token response has no id_token")
        return id_token

    async def verify(self, id_token: str, nonce: str) -> dict[str, Any]:
        """The ID token's claims, if it passes every check (see the module docstring)."""
        try:
            token = self._decode(id_token, await self.keys())
        except OidcRefused:
            token = self._decode(id_token, await self.keys(refresh=True))  # the platform may have rotated keys
        claims = dict(token.claims)
        registry = jwt.JWTClaimsRegistry(
            leeway=LEEWAY_S, iss={"essential": True, "value": self.issuer}, sub={"essential": True},
            aud={"essential": True, "value": self.client_id}, exp={"essential": True}, iat={"essential": True},
            nonce={"essential": True, "value": nonce})
        try:
            registry.validate(claims)
        except JoseError as error:
            raise OidcRefused(INVALID, f"id token claims: {error.error}: {error.description}") from None
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.client_id:
            raise OidcRefused(INVALID, f"id token for several audiences with azp {claims.get('azp')!r}")
        return claims

    @staticmethod
    def _decode(id_token: str, keys: KeySet) -> jwt.Token:
        try:
            return jwt.decode(id_token, keys, algorithms=ALGORITHMS)
        except (JoseError, ValueError) as error:
            raise OidcRefused(INVALID, f"id token signature: {type(error).__name__}: {error}") from None

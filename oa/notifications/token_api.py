"""What 企业微信 and 钉钉 application messages share: an access token fetched with the app's credentials,
kept until shortly before its `expires_in`, and a call that fetches a fresh one and tries once more
when the answer says the token was invalid or expired. Each provider names its own endpoints,
parameters and error codes; errors become DeliveryFailed saying whether a retry may help.
"""

from __future__ import annotations

import time
from typing import Any

from oa.errors import DeliveryFailed
from oa.notifications.http import request_json

TOKEN_MARGIN_S = 300


class TokenApi:
    service = ""
    token_path = ""
    token_expired: frozenset[int] = frozenset()
    retryable: frozenset[int] = frozenset()

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._token: str | None = None
        self._token_until = 0.0

    def token_params(self) -> dict[str, str]:
        raise NotImplementedError

    def failed(self, body: dict[str, Any], what: str) -> DeliveryFailed:
        code = int(body.get("errcode", -1))
        return DeliveryFailed(f"{self.service}: {what} errcode {code} {body.get('errmsg', '')}".strip(),
                              retryable=code in self.retryable, provider_code=str(code))

    async def access_token(self, fresh: bool = False) -> str:
        if self._token and not fresh and time.monotonic() < self._token_until:
            return self._token
        _, body = await request_json("GET", f"{self.base_url}{self.token_path}", service=self.service,
                                     params=self.token_params())
        if body.get("errcode", 0) != 0 or not body.get("access_token"):
            raise self.failed(body, "gettoken")
        self._token = str(body["access_token"])
        self._token_until = time.monotonic() + max(60, int(body.get("expires_in", 7200)) - TOKEN_MARGIN_S)
        return self._token

    async def post_with_token(self, path: str, message: dict[str, Any], what: str) -> dict[str, Any]:
        """POST `message` with the token; a stale token is renewed once. The answer, when its errcode is 0."""
        for attempt in (0, 1):
            token = await self.access_token(fresh=attempt == 1)
            _, body = await request_json("POST", f"{self.base_url}{path}", service=self.service,
                                         params={"access_token": token}, json_body=message)
            code = int(body.get("errcode", -1))
            if code in self.token_expired and attempt == 0:
                continue
            if code != 0:
                raise self.failed(body, what)
            return body
        raise AssertionError("unreachable: the second attempt returns or raises")

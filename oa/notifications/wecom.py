"""企业微信/政务微信 application messages: `gettoken` then `message/send` as the API documents them.

The access token (valid `expires_in` seconds, 7200 by default) is kept and reused until shortly
before it expires; an answer saying it is invalid or expired (40014, 42001) fetches a new one and
sends again once. The message is a 文本卡片 (textcard) with the link; a `touser` the API reports
as invalid is a permanent failure, system busy (-1) and frequency limits (45009, 45033) are
retryable.
"""

from __future__ import annotations

import time
from typing import Any

from oa.errors import DeliveryFailed
from oa.notifications.http import request_json

TOKEN_EXPIRED = {40014, 42001, 40001}
RETRYABLE = {-1, 45009, 45033, 45011}
TOKEN_MARGIN_S = 300


class WeComSender:
    service = "企业微信"

    def __init__(self, base_url: str, corp_id: str, secret: str, agent_id: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.corp_id, self._secret, self.agent_id = corp_id, secret, agent_id
        self._token: str | None = None
        self._token_until = 0.0

    @classmethod
    def from_settings(cls, settings: Any) -> WeComSender | None:
        if not getattr(settings, "wecom_corp_id", None):
            return None
        return cls(settings.wecom_base_url, settings.wecom_corp_id, settings.wecom_secret, settings.wecom_agent_id)

    def _failed(self, body: dict[str, Any], what: str) -> DeliveryFailed:
        code = int(body.get("errcode", -1))
        return DeliveryFailed(f"{self.service}: {what} errcode {code} {body.get('errmsg', '')}".strip(),
                              retryable=code in RETRYABLE, provider_code=str(code))

    async def _access_token(self, fresh: bool = False) -> str:
        if self._token and not fresh and time.monotonic() < self._token_until:
            return self._token
        _, body = await request_json("GET", f"{self.base_url}/cgi-bin/gettoken", service=self.service,
                                     params={"corpid": self.corp_id, "corpsecret": self._secret})
        if body.get("errcode", 0) != 0 or not body.get("access_token"):
            raise self._failed(body, "gettoken")
        self._token = str(body["access_token"])
        self._token_until = time.monotonic() + max(60, int(body.get("expires_in", 7200)) - TOKEN_MARGIN_S)
        return self._token

    async def send(self, user: str, title: str, text: str, url: str | None) -> None:
        message: dict[str, Any] = {"touser": user, "agentid": int(self.agent_id) if self.agent_id.isdigit()
                                   else self.agent_id, "enable_duplicate_check": 0}
        if url:
            message |= {"msgtype": "textcard", "textcard": {"title": title, "description": text, "url": url,
                                                            "btntxt": "查看"}}
        else:
            message |= {"msgtype": "text", "text": {"content": f"{title}\n{text}"}}
        for attempt in (0, 1):
            token = await self._access_token(fresh=attempt == 1)
            _, body = await request_json("POST", f"{self.base_url}/cgi-bin/message/send", service=self.service,
                                         params={"access_token": token}, json_body=message)
            code = int(body.get("errcode", -1))
            if code in TOKEN_EXPIRED and attempt == 0:
                continue
            if code != 0:
                raise self._failed(body, "message/send")
            if body.get("invaliduser"):
                raise DeliveryFailed(f"{self.service}: 账号 {body['invaliduser']} 无效或不在应用可见范围",
                                     retryable=False, provider_code="invaliduser")
            return

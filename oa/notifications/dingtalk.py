"""钉钉/浙政钉 工作通知: `gettoken` with AppKey/AppSecret, then `topapi/message/corpconversation/asyncsend_v2`.

The work notice goes to the person's 钉钉 userid as an `action_card` with a link (or `text` without
one). Tokens are reused until shortly before `expires_in`; an invalid-token answer (40014, 88, 42001)
fetches a new one and sends again once. Busy (-1) and flow-control answers (90018, 90006, 143105) are
retryable; the rest are not.
"""

from __future__ import annotations

import time
from typing import Any

from oa.errors import DeliveryFailed
from oa.notifications.http import request_json

TOKEN_EXPIRED = {40014, 42001, 88}
RETRYABLE = {-1, 90018, 90006, 143105}
TOKEN_MARGIN_S = 300


class DingTalkSender:
    service = "钉钉"

    def __init__(self, base_url: str, app_key: str, app_secret: str, agent_id: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.app_key, self._secret, self.agent_id = app_key, app_secret, agent_id
        self._token: str | None = None
        self._token_until = 0.0

    @classmethod
    def from_settings(cls, settings: Any) -> DingTalkSender | None:
        if not getattr(settings, "dingtalk_app_key", None):
            return None
        return cls(settings.dingtalk_base_url, settings.dingtalk_app_key, settings.dingtalk_app_secret,
                   settings.dingtalk_agent_id)

    def _failed(self, body: dict[str, Any], what: str) -> DeliveryFailed:
        code = int(body.get("errcode", -1))
        return DeliveryFailed(f"{self.service}: {what} errcode {code} {body.get('errmsg', '')}".strip(),
                              retryable=code in RETRYABLE, provider_code=str(code))

    async def _access_token(self, fresh: bool = False) -> str:
        if self._token and not fresh and time.monotonic() < self._token_until:
            return self._token
        _, body = await request_json("GET", f"{self.base_url}/gettoken", service=self.service,
                                     params={"appkey": self.app_key, "appsecret": self._secret})
        if body.get("errcode", 0) != 0 or not body.get("access_token"):
            raise self._failed(body, "gettoken")
        self._token = str(body["access_token"])
        self._token_until = time.monotonic() + max(60, int(body.get("expires_in", 7200)) - TOKEN_MARGIN_S)
        return self._token

    async def send(self, user: str, title: str, text: str, url: str | None) -> None:
        if url:
            msg = {"msgtype": "action_card", "action_card": {"title": title, "markdown": f"### {title}\n\n{text}",
                                                               "single_title": "查看", "single_url": url}}
        else:
            msg = {"msgtype": "text", "text": {"content": f"{title}\n{text}"}}
        body_out = {"agent_id": int(self.agent_id) if self.agent_id.isdigit() else self.agent_id,
                    "userid_list": user, "msg": msg}
        for attempt in (0, 1):
            token = await self._access_token(fresh=attempt == 1)
            _, body = await request_json("POST", f"{self.base_url}/topapi/message/corpconversation/asyncsend_v2",
                                         service=self.service, params={"access_token": token}, json_body=body_out)
            code = int(body.get("errcode", -1))
            if code in TOKEN_EXPIRED and attempt == 0:
                continue
            if code != 0:
                raise self._failed(body, "asyncsend_v2")
            return

"""企业微信/政务微信 application messages: `gettoken` then `message/send` as the API documents them.

The access token (valid `expires_in` seconds, 7200 by default) is kept and reused until shortly
before it expires; an answer saying it is invalid or expired (40014, 42001) fetches a new one and
sends again once. The message is a 文本卡片 (textcard) with the link; a `touser` the API reports
as invalid is a permanent failure, system busy (-1) and frequency limits (45009, 45033) are
retryable.
"""

from __future__ import annotations

from typing import Any

from oa.errors import DeliveryFailed
from oa.notifications.token_api import TokenApi


class WeComSender(TokenApi):
    service = "企业微信"
    token_path = "/cgi-bin/gettoken"
    token_expired = frozenset({40014, 42001, 40001})
    retryable = frozenset({-1, 45009, 45033, 45011})

    def __init__(self, base_url: str, corp_id: str, secret: str, agent_id: str) -> None:
        super().__init__(base_url)
        self.corp_id, self._secret, self.agent_id = corp_id, secret, agent_id

    @classmethod
    def from_settings(cls, settings: Any) -> WeComSender | None:
        if not getattr(settings, "wecom_corp_id", None):
            return None
        return cls(settings.wecom_base_url, settings.wecom_corp_id, settings.wecom_secret, settings.wecom_agent_id)

    def token_params(self) -> dict[str, str]:
        return {"corpid": self.corp_id, "corpsecret": self._secret}

    async def send(self, user: str, title: str, text: str, url: str | None) -> None:
        message: dict[str, Any] = {"touser": user, "agentid": int(self.agent_id) if self.agent_id.isdigit()
                                   else self.agent_id, "enable_duplicate_check": 0}
        if url:
            message |= {"msgtype": "textcard", "textcard": {"title": title, "description": text, "url": url,
                                                            "btntxt": "查看"}}
        else:
            message |= {"msgtype": "text", "text": {"content": f"{title}\n{text}"}}
        body = await self.post_with_token("/cgi-bin/message/send", message, "message/send")
        if body.get("invaliduser"):
            raise DeliveryFailed(f"{self.service}: 账号 {body['invaliduser']} 无效或不在应用可见范围",
                                 retryable=False, provider_code="invaliduser")

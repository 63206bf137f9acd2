"""钉钉/浙政钉 工作通知: `gettoken` with AppKey/AppSecret, then `topapi/message/corpconversation/asyncsend_v2`.

The work notice goes to the person's 钉钉 userid as an `action_card` with a link (or `text` without
one). Tokens are reused until shortly before `expires_in`; an invalid-token answer (40014, 88, 42001)
fetches a new one and sends again once. Busy (-1) and flow-control answers (90018, 90006, 143105) are
retryable; the rest are not.
"""

from __future__ import annotations

from typing import Any

from oa.notifications.token_api import TokenApi


class DingTalkSender(TokenApi):
    service = "钉钉"
    token_path = "/gettoken"
    token_expired = frozenset({40014, 42001, 88})
    retryable = frozenset({-1, 90018, 90006, 143105})

    def __init__(self, base_url: str, app_key: str, app_secret: str, agent_id: str) -> None:
        super().__init__(base_url)
        self.app_key, self._secret, self.agent_id = app_key, app_secret, agent_id

    @classmethod
    def from_settings(cls, settings: Any) -> DingTalkSender | None:
        if not getattr(settings, "dingtalk_app_key", None):
            return None
        return cls(settings.dingtalk_base_url, settings.dingtalk_app_key, settings.dingtalk_app_secret,
                   settings.dingtalk_agent_id)

    def token_params(self) -> dict[str, str]:
        return {"appkey": self.app_key, "appsecret": self._secret}

    async def send(self, user: str, title: str, text: str, url: str | None) -> None:
        if url:
            msg = {"msgtype": "action_card", "action_card": {"title": title, "markdown": f"### {title}\n\n{text}",
                                                               "single_title": "查看", "single_url": url}}
        else:
            msg = {"msgtype": "text", "text": {"content": f"{title}\n{text}"}}
        body_out = {"agent_id": int(self.agent_id) if self.agent_id.isdigit() else self.agent_id,
                    "userid_list": user, "msg": msg}
        await self.post_with_token("/topapi/message/corpconversation/asyncsend_v2", body_out, "asyncsend_v2")

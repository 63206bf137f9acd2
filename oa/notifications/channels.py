"""The configured channels and how a notification is put on each: one place that knows every adapter.

An adapter is absent when its settings are (no SMTP host, no 企业微信 corp id…); a person is reachable
on a channel when it is configured and they gave what it needs (an address, a messenger account, SMS
turned on and a mobile number on file, a subscribed browser).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from oa.errors import DeliveryFailed
from oa.notifications.dingtalk import DingTalkSender
from oa.notifications.email import SmtpSender
from oa.notifications.messages import Message
from oa.notifications.rules import CHANNELS
from oa.notifications.sms import SmsSender, sms_sender
from oa.notifications.webpush import WebPush
from oa.notifications.wecom import WeComSender

LABELS = {"webpush": "浏览器推送", "email": "电子邮件", "wecom": "企业微信", "dingtalk": "钉钉", "sms": "短信"}
SMS_TITLE_LIMIT = 20  # a template parameter is at most 35 characters at most providers; titles are cut shorter


class Channels:
    def __init__(self, webpush: WebPush, email: SmtpSender | None = None, wecom: WeComSender | None = None,
                 dingtalk: DingTalkSender | None = None, sms: SmsSender | None = None,
                 sms_template: str | None = None, public_url: str | None = None) -> None:
        self.webpush, self.email, self.wecom, self.dingtalk = webpush, email, wecom, dingtalk
        self.sms, self.sms_template = sms, sms_template
        self.public_url = public_url.rstrip("/") if public_url else None

    @classmethod
    def from_settings(cls, settings: Any, webpush: WebPush) -> Channels:
        return cls(webpush, SmtpSender.from_settings(settings), WeComSender.from_settings(settings),
                   DingTalkSender.from_settings(settings), sms_sender(settings), settings.sms_template_notice,
                   settings.public_url)

    def configured(self) -> list[str]:
        """The channels this service can send on (Web Push always: it needs no outside account)."""
        present = {"webpush": True, "email": self.email is not None, "wecom": self.wecom is not None,
                   "dingtalk": self.dingtalk is not None, "sms": self.sms is not None and bool(self.sms_template)}
        return [channel for channel in CHANNELS if present[channel]]

    async def reachable(self, user_id: str, prefs: dict[str, Any], mobile: str | None) -> list[tuple[str, str]]:
        """(channel, address) for each channel the person can be reached on, in CHANNELS order."""
        return (await self.reachable_many({user_id: prefs}, lambda _: mobile))[user_id]

    async def reachable_many(self, prefs: dict[str, dict[str, Any]],
                             mobile_of: Callable[[str], str | None]) -> dict[str, list[tuple[str, str]]]:
        """`reachable` for several people (their settings by id), with one read of push subscriptions."""
        configured = set(self.configured())
        wanting_push = [user_id for user_id, settings in prefs.items() if settings.get("webpush")]
        pushable = await self.webpush.with_any(wanting_push) if wanting_push else set()
        reach: dict[str, list[tuple[str, str]]] = {}
        for user_id, settings in prefs.items():
            out = []
            if user_id in pushable:
                out.append(("webpush", "browser"))
            if "email" in configured and settings.get("email"):
                out.append(("email", settings["email"]))
            if "wecom" in configured and settings.get("wecom_user"):
                out.append(("wecom", settings["wecom_user"]))
            if "dingtalk" in configured and settings.get("dingtalk_user"):
                out.append(("dingtalk", settings["dingtalk_user"]))
            mobile = mobile_of(user_id) if "sms" in configured and settings.get("sms") else None
            if mobile:
                out.append(("sms", mobile))
            reach[user_id] = out
        return reach

    def link(self, message: Message) -> str | None:
        return f"{self.public_url}{message.link}" if self.public_url else None

    async def deliver(self, channel: str, address: str, user_id: str, notification_id: str,
                      message: Message) -> None:
        """Put the message on one channel; raises DeliveryFailed (retryable or not) when it was not taken."""
        heading = f"【{message.label}】{message.title}"
        link = self.link(message)
        if channel == "webpush":
            await self.webpush.send(user_id, {"id": notification_id, "title": heading, "body": message.body,
                                              "url": message.link, "urgent": message.urgent})
        elif channel == "email" and self.email is not None:
            text = f"{message.title}\n\n{message.body}\n" + (f"\n打开办理：{link}\n" if link else "")
            await self.email.send(address, f"[公文流转] {heading}", text + "\n（公文流转系统自动发送，请勿回复）\n")
        elif channel == "wecom" and self.wecom is not None:
            await self.wecom.send(address, heading, message.body, link)
        elif channel == "dingtalk" and self.dingtalk is not None:
            await self.dingtalk.send(address, heading, message.body, link)
        elif channel == "sms" and self.sms is not None and self.sms_template:
            title = message.title
            if len(title) > SMS_TITLE_LIMIT:
                title = title[:SMS_TITLE_LIMIT - 1] + "…"
            await self.sms.send(address, self.sms_template, {"kind": message.label, "title": title})
        else:
            raise DeliveryFailed(f"{LABELS.get(channel, channel)} 未配置", retryable=False)

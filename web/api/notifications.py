"""消息 centre and notification settings: /api/notifications…, and Web Push subscriptions: /api/webpush/….

Every endpoint acts on the signed-in person's own notifications, settings and devices only.
"""

from __future__ import annotations

from typing import Any

from oa.errors import InvalidInput
from web.authz import authenticated, public
from web.base import APIHandler
from web.serialize import page_json, plain
from web.validation import optional, required

READ_SHAPE = {"ids": optional(list, items=str), "all": optional(bool)}
SETTINGS_SHAPE = {"email": optional(str), "wecom_user": optional(str), "dingtalk_user": optional(str),
                  "sms": optional(bool), "webpush": optional(bool), "kinds": optional(list, items=str),
                  "quiet_start": optional(str), "quiet_end": optional(str), "quiet_action": optional(str)}
SUBSCRIBE_SHAPE = {"subscription": required(dict), "device": optional(str)}
UNSUBSCRIBE_SHAPE = {"endpoint": required(str)}
MAX_IDS = 500


def notification_json(record: dict[str, Any]) -> dict[str, Any]:
    return {"id": record["_id"], "kind": record["kind"], "label": record["label"], "title": record["title"],
            "body": record["body"], "link": record["link"], "urgent": record["urgent"],
            "at": plain(record["at"]), "read": record.get("read_at") is not None,
            "read_at": plain(record.get("read_at"))}


def send_json_view(record: dict[str, Any]) -> dict[str, Any]:
    return {"id": record["_id"], "notification_id": record["notification_id"], "channel": record["channel"],
            "status": record["status"], "why": record.get("why"), "urgent": record.get("urgent", False),
            "attempts": plain(record.get("attempts") or []), "next_at": plain(record.get("next_at")),
            "created_at": plain(record.get("created_at"))}


class NotificationsHandler(APIHandler):
    @authenticated
    async def get(self) -> None:
        offset, limit = self.paging()
        items, total, unread = await self.services.notifications.inbox.page(
            str(self.require_user()["_id"]), offset, limit, unread_only=self.bool_argument("unread"))
        self.send_json({**page_json([notification_json(item) for item in items], total, offset, limit),
                        "unread": unread})


class UnreadHandler(APIHandler):
    @authenticated
    async def get(self) -> None:
        user_id = str(self.require_user()["_id"])
        self.send_json({"unread": await self.services.notifications.inbox.unread_count(user_id)})


class ReadHandler(APIHandler):
    @authenticated
    async def post(self) -> None:
        body = self.body(READ_SHAPE)
        if bool(body.get("all")) == ("ids" in body):
            raise InvalidInput("send either 'ids' (the notifications read) or 'all': true")
        ids = None if body.get("all") else body["ids"]
        if ids is not None and len(ids) > MAX_IDS:
            raise InvalidInput(f"at most {MAX_IDS} ids at once", field="ids")
        inbox, user_id = self.services.notifications.inbox, str(self.require_user()["_id"])
        changed = await inbox.mark_read(user_id, ids)
        self.send_json({"changed": changed, "unread": await inbox.unread_count(user_id)})


class SettingsHandler(APIHandler):
    @authenticated
    async def get(self) -> None:
        self.send_json(await self.services.notifications.settings_of(self.require_user()))

    @authenticated
    async def patch(self) -> None:
        body = self.body(SETTINGS_SHAPE)
        user = self.require_user()
        await self.services.notifications.prefs.update(str(user["_id"]), body)
        self.send_json(await self.services.notifications.settings_of(user))


class SendsHandler(APIHandler):
    """The record of what was sent to the person, on which channel, and how each attempt went."""

    @authenticated
    async def get(self) -> None:
        sends = await self.services.notifications.sends.of_user(str(self.require_user()["_id"]))
        self.send_json({"items": [send_json_view(send) for send in sends], "total": len(sends)})


class WebPushKeyHandler(APIHandler):
    @public
    async def get(self) -> None:
        self.send_json({"public_key": await self.services.notifications.webpush.public_key()})


class WebPushSubscriptionsHandler(APIHandler):
    @authenticated
    async def post(self) -> None:
        body = self.body(SUBSCRIBE_SHAPE)
        saved = await self.services.notifications.webpush.subscribe(
            str(self.require_user()["_id"]), body["subscription"], body.get("device", ""))
        self.send_json(saved, status=201)


class WebPushUnsubscribeHandler(APIHandler):
    @authenticated
    async def post(self) -> None:
        body = self.body(UNSUBSCRIBE_SHAPE)
        removed = await self.services.notifications.webpush.unsubscribe(str(self.require_user()["_id"]),
                                                                         body["endpoint"])
        self.send_json({"removed": removed})

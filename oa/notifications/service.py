"""The notification service one process runs: its parts wired together, and what the web layer asks of it."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime, timedelta
from typing import Any

from oa.directory import Directory
from oa.notifications.channels import LABELS, Channels
from oa.notifications.inbox import Inbox
from oa.notifications.messages import KINDS
from oa.notifications.notifier import Notifier
from oa.notifications.prefs import NotifyPrefs
from oa.notifications.sends import SendLog
from oa.notifications.webpush import WebPush
from storage.events import EventHub, events_between
from storage.mongo import Mongo


class NotificationService:
    def __init__(self, mongo: Mongo, settings: Any, directory: Directory, events: EventHub) -> None:
        self.inbox = Inbox(mongo)
        self.prefs = NotifyPrefs(mongo)
        self.sends = SendLog(mongo)
        hosts = [host.strip().lower() for host in settings.webpush_hosts.split(",") if host.strip()]
        self.webpush = WebPush(mongo, settings.vapid_subject, settings.vapid_private_key, hosts)
        self.channels = Channels.from_settings(settings, self.webpush)

        def mobile_of(user_id: str) -> str | None:
            person = directory.person(user_id)
            return person.mobile if person is not None else None

        def recent_events(kinds: list[str], start: datetime, end: datetime) -> Awaitable[list[dict[str, Any]]]:
            return events_between(mongo, kinds, start, end)

        self.notifier = Notifier(self.inbox, self.prefs, self.sends, self.channels, events.is_subscribed, mobile_of,
                                 recent_events, foreground=mongo.foreground, retries=settings.notify_retries,
                                 retry_base=timedelta(seconds=settings.notify_retry_seconds),
                                 grace=timedelta(seconds=settings.notify_grace_seconds))
        events.listen_all(self.notifier.on_event)
        # Who saved settings or subscribed a browser, in memory and current across processes.
        events.follow([NotifyPrefs.COLLECTION], self.prefs.saved.apply_change, self.prefs.saved.reload)
        events.follow([WebPush.SUBSCRIPTIONS], self.webpush.subscribed.apply_change, self.webpush.subscribed.reload)

    async def start(self) -> None:
        await self.prefs.saved.reload()
        await self.webpush.subscribed.reload()
        await self.notifier.start()

    async def stop(self) -> None:
        await self.notifier.stop()

    async def settings_of(self, user: dict[str, Any]) -> dict[str, Any]:
        """The person's settings with what the screen needs around them: which channels exist here, the kinds,
        the mobile number SMS would go to, and how many devices are subscribed to Web Push."""
        prefs = await self.prefs.of(str(user["_id"]))
        return {"prefs": prefs, "channels": [{"key": key, "label": LABELS[key]} for key in self.channels.configured()],
                "kinds": [{"key": key, "label": label} for key, label in KINDS.items()],
                "mobile": user.get("mobile"), "push_devices": len(await self.webpush.of(str(user["_id"])))}

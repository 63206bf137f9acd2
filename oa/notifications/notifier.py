"""The notifier: turns each person's events into notifications and sends them, never holding up a flow.

It listens to every event this process's change stream hands over (`EventHub.listen_all`), after the
flow action that published it has committed and answered: a flow action never waits for it. For an
event that is a notification (messages.KINDS) it keeps the 消息 centre record (inbox.py) and, in the
one replica whose record that was, decides per channel (rules.py) and writes the sends (sends.py). While
this process delivers a dispatch (storage/foreground.py) the records wait for its last chunk, at most 15 s:
its pushes have reached the open apps already, and its chunks get the database to themselves.
Sends due now go out at once — 特急 ones straight away, others after a short grace in which any
replica where the person's app is open marks the record, so an open app gets no copy outside it —
and a loop in every replica picks up what is due later: retries with backoff, quiet hours that
ended, sends whose replica stopped mid-way. Each attempt is recorded. The same loop sweeps recent events
now and then for any that has no record yet (every replica was stopping when it was committed, or the
stream dropped it) and handles it late rather than never.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from oa.clock import utcnow
from oa.errors import DeliveryFailed
from oa.notifications.channels import Channels
from oa.notifications.inbox import Inbox
from oa.notifications.messages import KINDS, Message, message_for
from oa.notifications.prefs import NotifyPrefs
from oa.notifications.rules import decide
from oa.notifications.sends import SendLog
from storage.foreground import ForegroundWrites
from storage.mongo import PyMongoError

log = logging.getLogger("oa.notifications")
WORKERS = 4
BATCH = 500  # events recorded in one bulk write
FOREGROUND_WAIT_S = 15.0  # the longest the 消息 wait for a dispatch this process is delivering
POLL_S = 1.0
SWEEP_EVERY = timedelta(seconds=30)
SWEEP_WINDOW = timedelta(minutes=15)
SWEEP_SETTLE = timedelta(seconds=20)  # younger events are still on their way through the stream
SWEEP_LIMIT = 5000  # events read by one sweep
MAX_BACKOFF = timedelta(hours=1)


class Notifier:
    def __init__(self, inbox: Inbox, prefs: NotifyPrefs, sends: SendLog, channels: Channels,
                 app_open: Callable[[str], bool], mobile_of: Callable[[str], str | None],
                 recent_events: Callable[[list[str], datetime, datetime], Awaitable[list[dict[str, Any]]]],
                 foreground: ForegroundWrites | None = None, retries: int = 5,
                 retry_base: timedelta = timedelta(seconds=30), grace: timedelta = timedelta(seconds=3)) -> None:
        self.inbox, self.prefs, self.sends, self.channels = inbox, prefs, sends, channels
        self.foreground = foreground or ForegroundWrites()
        self.app_open, self.mobile_of, self.recent_events = app_open, mobile_of, recent_events
        self.retries, self.retry_base, self.grace = retries, retry_base, grace
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.tasks: list[asyncio.Task[None]] = []
        self.sending: set[asyncio.Task[None]] = set()
        self._swept_until: datetime | None = None  # events before this were looked at by a sweep

    def on_event(self, event: dict[str, Any]) -> None:
        """Called by the event hub for every committed event; queues the ones that are notifications."""
        if event.get("type") in KINDS:
            self.queue.put_nowait(event)

    async def start(self) -> None:
        self.tasks = [asyncio.create_task(self._work()) for _ in range(WORKERS)]
        self.tasks.append(asyncio.create_task(self._poll()))

    async def stop(self) -> None:
        for task in [*self.tasks, *self.sending]:
            task.cancel()
        for task in [*self.tasks, *self.sending]:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _work(self) -> None:
        while True:
            events = [await self.queue.get()]
            # While a dispatch delivers, its recipients' pushes have gone out already; their 消息 are written
            # once its last chunk is in (at most FOREGROUND_WAIT_S later), not between its chunks.
            await self.foreground.idle(FOREGROUND_WAIT_S)
            while len(events) < BATCH and not self.queue.empty():
                events.append(self.queue.get_nowait())
            try:
                await self.handle_many(events)
            except Exception:  # one batch's trouble must not stop the others; the records say what was done
                log.exception("notification of %d events (the first %s) failed", len(events), events[0].get("_id"))

    async def handle(self, event: dict[str, Any]) -> None:
        await self.handle_many([event])

    async def handle_many(self, events: list[dict[str, Any]]) -> None:
        """Record, decide and write the sends of several events with a few round trips in all: a dispatch to
        every unit brings ~1,300 at once, and their 消息 must not compete with the dispatch for the database."""
        items = [(event, message) for event in events if (message := message_for(event)) is not None]
        if not items:
            return
        created = await self.inbox.record_many([(event, message, self.app_open(event["user_id"]))
                                                for event, message in items])
        mine = [(event, message) for event, message in items if event["_id"] in created]
        if not mine:
            return  # other replicas recorded them first and send them (this one only noted open apps)
        now = utcnow()
        prefs = await self.prefs.of_many(sorted({event["user_id"] for event, _ in mine}))
        reach = await self.channels.reachable_many(prefs, self.mobile_of)
        rows = []
        for event, message in mine:
            user_id = event["user_id"]
            addresses = dict(reach[user_id])
            decisions = decide(message.urgent, message.kind, [channel for channel, _ in reach[user_id]],
                               prefs[user_id], now, app_open=False)  # an open app is checked when sending
            for decision in decisions:
                row = {"notification_id": event["_id"], "user_id": user_id, "channel": decision.channel,
                       "address": addresses[decision.channel], "urgent": message.urgent}
                if decision.action == "skip":
                    rows.append({**row, "status": "skipped", "why": decision.why, "next_at": None})
                elif decision.action == "hold":
                    rows.append({**row, "status": "pending", "why": "quiet_hours", "next_at": decision.at})
                else:
                    rows.append({**row, "status": "pending", "next_at": now if message.urgent else now + self.grace})
        await self.sends.create(rows)
        for row in rows:
            if row["status"] == "pending" and row["next_at"] <= now + self.grace:
                self._attempt_later(f"{row['notification_id']}:{row['channel']}", row["next_at"])

    def _attempt_later(self, send_id: str, at: datetime) -> None:
        async def run() -> None:
            delay = (at - utcnow()).total_seconds()
            if delay > 0:
                await asyncio.sleep(delay)
            await self.attempt(send_id)

        task = asyncio.create_task(run())
        self.sending.add(task)
        task.add_done_callback(self.sending.discard)

    async def attempt(self, send_id: str) -> None:
        """Claim one due send and put it on its channel, recording the outcome."""
        now = utcnow()
        send = await self.sends.claim(send_id, now)
        if send is None:
            return
        record = await self.inbox.get(send["notification_id"])
        if record is None:
            await self.sends.finish(send_id, "skipped", why="gone")
            return
        if not send.get("urgent") and record.get("app_open"):
            await self.sends.finish(send_id, "skipped", why="app_open")
            return
        message = Message(record["kind"], record["label"], record["title"], record["body"], record["link"],
                          record["urgent"])
        number = len(send.get("attempts") or []) + 1
        try:
            await self.channels.deliver(send["channel"], send["address"], send["user_id"], send["notification_id"],
                                        message)
        except DeliveryFailed as failure:
            await self._failed(send, number, failure.message, failure.retryable)
            return
        except Exception as failure:  # an adapter's bug: recorded, and tried again like an outage
            log.exception("sending %s failed unexpectedly", send_id)
            await self._failed(send, number, f"{type(failure).__name__}: {failure}", True)
            return
        await self.sends.finish(send_id, "sent", {"at": utcnow(), "ok": True, "number": number})

    async def _failed(self, send: dict[str, Any], number: int, error: str, retryable: bool) -> None:
        attempt = {"at": utcnow(), "ok": False, "number": number, "error": error[:500]}
        if retryable and number < self.retries:
            wait = min(self.retry_base * 2 ** (number - 1), MAX_BACKOFF)
            log.info("send %s failed (%s); retrying in %s", send["_id"], error, wait)
            await self.sends.finish(send["_id"], "pending", attempt, next_at=utcnow() + wait)
            if wait <= timedelta(seconds=POLL_S * 5):
                self._attempt_later(send["_id"], utcnow() + wait)
        else:
            log.warning("send %s given up after %d attempts: %s", send["_id"], number, error)
            await self.sends.finish(send["_id"], "failed", attempt)

    async def sweep(self, now: datetime) -> int:
        """Handle recent notification events that have no record yet; returns how many there were.

        Each sweep looks only at the events written since the last one looked (within the window): a
        dispatch to every unit leaves ~1,300 events, and reading every recent one again each time
        cost the database more than the dispatch's own writes."""
        start = now - SWEEP_WINDOW if self._swept_until is None else max(self._swept_until, now - SWEEP_WINDOW)
        events = await self.recent_events(list(KINDS), start, now - SWEEP_SETTLE)
        if len(events) < SWEEP_LIMIT:
            self._swept_until = now - SWEEP_SETTLE
        elif events:  # more than one read holds: the next sweep goes on from the last one seen
            self._swept_until = events[-1]["at"]
        if not events:
            return 0
        known = await self.inbox.recorded_between(events[0]["at"], events[-1]["at"])
        unhandled = [event for event in events if event["_id"] not in known]
        missed = len(unhandled)
        for start in range(0, len(unhandled), 500):
            await self.handle_many(unhandled[start:start + 500])
        if missed:
            log.warning("%d notification events had not been handled; handled them now", missed)
        return missed

    async def _poll(self) -> None:
        """Every replica sends what is due later: retries, held notifications, sends whose replica stopped;
        and sweeps for events nobody handled."""
        swept_at: datetime | None = None
        while True:
            await asyncio.sleep(POLL_S)
            try:
                now = utcnow()
                if swept_at is None or now - swept_at >= SWEEP_EVERY:
                    swept_at = now
                    await self.sweep(now)
                for send_id in await self.sends.due(utcnow()):
                    await self.attempt(send_id)
            except PyMongoError:
                log.warning("could not look for due notifications; trying again", exc_info=True)
            except Exception:
                log.exception("due notifications failed")

"""Typed events for users: a transactional outbox, and one change stream per process that delivers them.

`publish` writes an event inside the caller's transaction, so an event exists exactly when the
change it describes committed. Each user's events carry a gapless, increasing `seq` from a
per-user counter bumped in the same transaction. `EventHub` runs the process's one change stream
— the only way changes cross server processes — and hands each inserted event to this process's
subscribers for that user; a subscriber that sees a gap reads the missing events back with
`events_after`, so a dropped stream loses nothing. Events committed by this process are handed to
its own subscribers right after their transaction commits (`Mongo.after_commit`), without waiting
for the stream, which then skips them; the other processes get them from the stream. The same
stream carries the changes of the collections that in-memory read models follow (`follow`): the
org directory stays current without a second stream. The stream asks the server for no lookups: an
update's record is read here, and only for a follower that wants records (a server doing
`updateLookup` reads the record of every update on the database, event counters included, before it
filters the stream).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from pymongo.errors import ConnectionFailure, OperationFailure, PyMongoError

from storage.mongo import SCHEMA_VERSION, Mongo, ReturnDocument, Session, UpdateOne, find_in

log = logging.getLogger("oa.events")

Subscriber = Callable[[dict[str, Any]], None]
ChangeListener = Callable[[dict[str, Any]], None]
Reset = Callable[[], Awaitable[None]]
RETRY_DELAY_S = 1.0
MAX_RETRY_DELAY_S = 30.0
RESYNC_BATCH = 50
# Change stream errors after which resuming cannot work: the history is gone (286), the stream hit a
# fatal error (280), or the server labels the error as not resumable.
NOT_RESUMABLE_CODES = frozenset({280, 286})


def _resumable(failure: Exception) -> bool:
    """A dropped connection or an unreachable server: reopen from the saved token. Anything the server
    answered (PyMongo has already retried what it could resume) means starting afresh."""
    if isinstance(failure, OperationFailure) and failure.code in NOT_RESUMABLE_CODES:
        return False
    if failure.has_error_label("NonResumableChangeStreamError"):  # type: ignore[attr-defined]
        return False
    return isinstance(failure, ConnectionFailure)


def _now() -> datetime:
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


async def publish(mongo: Mongo, session: Session, user_id: str, kind: str, data: dict[str, Any]) -> int:
    """Append one event for `user_id` inside the caller's transaction; returns its seq."""
    counter = await mongo["event_seqs"].find_one_and_update(
        {"_id": user_id}, {"$inc": {"seq": 1}}, upsert=True, return_document=ReturnDocument.AFTER, session=session)
    seq = int(counter["seq"])
    record = {"_id": f"{user_id}:{seq}", "schema_version": SCHEMA_VERSION, "user_id": user_id,
              "seq": seq, "type": kind, "at": _now(), "data": data}
    await mongo["events"].insert_one(record, session=session)
    _hand_over_on_commit(mongo, session, [record])
    return seq


def _hand_over_on_commit(mongo: Mongo, session: Session, records: list[dict[str, Any]]) -> None:
    """This process's own sockets get the events as soon as their transaction commits; the change
    stream brings the same events to the other processes (and here, where they are skipped)."""
    if mongo.local_events is not None:
        deliver = mongo.local_events
        mongo.after_commit(session, lambda: deliver(records))


async def publish_many(mongo: Mongo, session: Session, events: list[tuple[str, str, dict[str, Any]]]) -> None:
    """Append many events inside the caller's transaction, in two round trips whatever their number.

    Each user's counter moves by the number of events they get here; their events take the seqs
    just above its old value, in the order given. (A dispatch to 1,300 units is 1,300 events.)
    The old values come from what this process last saw committed (the change stream keeps
    `mongo.known_event_seqs`), and each counter is moved only if it still holds that value, so
    nothing is read first. A counter that moved meanwhile (another process published to the same
    person) is read inside the transaction and moved from its real value: one more round trip,
    never a wrong or repeated seq.
    """
    if not events:
        return
    wanted: dict[str, int] = {}
    for user_id, _, _ in events:
        wanted[user_id] = wanted.get(user_id, 0) + 1
    counters, known = mongo["event_seqs"], mongo.known_event_seqs
    token = secrets.token_hex(8)  # marks the counters this call moved
    base: dict[str, int] = {}
    unknown = [user_id for user_id in wanted if user_id not in known]
    if unknown:
        found = {row["_id"]: int(row["seq"]) for row in await find_in(counters, "_id", unknown, None, {"seq": 1},
                                                                       session=session)}
        base.update({user_id: found.get(user_id, 0) for user_id in unknown})
    moves = []
    for user_id, count in wanted.items():
        if user_id in known:
            old = base[user_id] = known[user_id]
            moves.append(UpdateOne({"_id": user_id, "seq": old}, {"$set": {"seq": old + count, "by": token}}))
        else:  # read just now, in this transaction
            moves.append(UpdateOne({"_id": user_id}, {"$inc": {"seq": count}, "$set": {"by": token}}, upsert=True))
    result = await counters.bulk_write(moves, ordered=False, session=session)
    if result.matched_count + result.upserted_count < len(moves):
        await _move_stale_counters(mongo, session, wanted, base, token)
    now = _now()
    records = []
    next_seq = {user_id: old + 1 for user_id, old in base.items()}
    for user_id, kind, data in events:
        seq = next_seq[user_id]
        next_seq[user_id] += 1
        records.append({"_id": f"{user_id}:{seq}", "schema_version": SCHEMA_VERSION, "user_id": user_id,
                        "seq": seq, "type": kind, "at": now, "data": data})
    await mongo["events"].insert_many(records, ordered=True, session=session)
    _hand_over_on_commit(mongo, session, records)


async def _move_stale_counters(mongo: Mongo, session: Session, wanted: dict[str, int], base: dict[str, int],
                               token: str) -> None:
    """Some counters had moved past what this process knew: move those from their stored value."""
    counters = mongo["event_seqs"]
    rows = {row["_id"]: row for row in await find_in(counters, "_id", list(wanted), None, {"seq": 1, "by": 1},
                                                      session=session)}
    moves = []
    for user_id, count in wanted.items():
        row = rows.get(user_id)
        if row is not None and row.get("by") == token:
            continue  # moved by the first write, from the value we knew
        current = int(row["seq"]) if row else 0
        base[user_id] = current
        moves.append(UpdateOne({"_id": user_id}, {"$inc": {"seq": count}, "$set": {"by": token}}, upsert=True))
    await counters.bulk_write(moves, ordered=False, session=session)


async def events_after(mongo: Mongo, user_id: str, after_seq: int, limit: int = 1000) -> list[dict[str, Any]]:
    cursor = mongo["events"].find({"user_id": user_id, "seq": {"$gt": after_seq}}).sort("seq", 1).limit(limit)
    return await cursor.to_list(None)


async def events_between(mongo: Mongo, kinds: list[str], start: datetime, end: datetime,
                         limit: int = 5000) -> list[dict[str, Any]]:
    """Everyone's events of `kinds` written in [start, end), oldest first: for work that must not miss one
    when the stream dropped it (a process stopped between a commit and handling its event)."""
    cursor = mongo["events"].find({"at": {"$gte": start, "$lt": end}, "type": {"$in": kinds}}).sort("at", 1)
    return await cursor.limit(limit).to_list(None)


async def latest_seq(mongo: Mongo, user_id: str) -> int:
    counter = await mongo["event_seqs"].find_one({"_id": user_id})
    return int(counter["seq"]) if counter else 0


class EventHub:
    """This process's one change stream on `events`, fanned out to subscribers by user."""

    def __init__(self, mongo: Mongo) -> None:
        self.mongo = mongo
        mongo.local_events = self._deliver_committed
        self._delivered: dict[str, int] = {}  # per person, the last seq handed to subscribers
        self._resume: dict[str, Any] = {}  # where the stream reopens: resume_after / start_after a token
        self._subscribers: dict[str, set[Subscriber]] = {}
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._followers: dict[str, list[ChangeListener]] = {}
        self._with_records: set[str] = set()  # followed collections whose updates carry the record
        self._resets: list[Reset] = []
        self._everything: list[Subscriber] = []

    def follow(self, collections: list[str], on_change: ChangeListener, on_reset: Reset, records: bool = True) -> None:
        """Call `on_change` with every change to `collections`, in commit order.

        Inserts and replacements carry the record (`fullDocument`); with `records`, updates carry the record
        as it is when the update is handed over (one read each, before the changes after it), without, only
        its key and `updateDescription` (a follower that batches its own reads). `on_reset` runs when the
        stream had to restart without its resume point (changes may have been missed), so the follower
        reloads. Call before `start`.
        """
        for name in collections:
            self._followers.setdefault(name, []).append(on_change)
            if records:
                self._with_records.add(name)
        self._resets.append(on_reset)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._follow())
        # Wait until the stream is open, so an event published right after start is not missed.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def subscribe(self, user_id: str, callback: Subscriber) -> Callable[[], None]:
        self._subscribers.setdefault(user_id, set()).add(callback)

        def unsubscribe() -> None:
            callbacks = self._subscribers.get(user_id)
            if callbacks is not None:
                callbacks.discard(callback)
                if not callbacks:
                    del self._subscribers[user_id]

        return unsubscribe

    def listen_all(self, callback: Subscriber) -> None:
        """Call `callback` with every event this process is handed, whoever it is for (once per event, after its
        transaction committed). For work that follows events rather than a person's socket (notifications)."""
        self._everything.append(callback)

    def is_subscribed(self, user_id: str) -> bool:
        """Whether the person has a socket open on this process right now."""
        return bool(self._subscribers.get(user_id))

    async def after(self, user_id: str, after_seq: int, limit: int = 1000) -> list[dict[str, Any]]:
        return await events_after(self.mongo, user_id, after_seq, limit)

    async def latest(self, user_id: str) -> int:
        return await latest_seq(self.mongo, user_id)

    def subscriber_count(self) -> int:
        return sum(len(callbacks) for callbacks in self._subscribers.values())

    async def _follow(self) -> None:
        """The stream, reopened after any failure; its resume point kept after every batch.

        The resume token is taken after each batch, empty ones included (the server advances it while
        nothing happens), so a quiet spell longer than the oplog window does not leave a token the
        server no longer has. When the stream cannot resume (history lost, fatal, or not resumable),
        it starts afresh from now and everyone who may have missed something reads it back: the
        followers reload and each subscribed person's socket is handed their latest event, whose gap
        makes it read the rest from the events collection. After an invalidate (the database was
        dropped or renamed) it starts after that event, as the server requires. Failures back off.
        """
        delay = RETRY_DELAY_S
        watched: dict[str, Any] = {"ns.coll": "events", "operationType": "insert"}
        if self._followers:
            watched = {"$or": [watched, {"ns.coll": {"$in": sorted(self._followers)}}]}
        pipeline = [{"$match": watched}]
        while True:
            try:
                async with await self.mongo.db.watch(pipeline, **self._resume) as stream:
                    self._ready.set()
                    while stream.alive:
                        change = await stream.try_next()
                        if change is not None:
                            delay = RETRY_DELAY_S
                            if change["operationType"] == "invalidate":
                                self._resume = {"start_after": change["_id"]}
                                break
                            await self._hand_over(change)
                        # Moved on only once the change was handed over: a read that failed above reopens
                        # the stream before this change, not after it.
                        if stream.resume_token is not None:
                            self._resume = {"resume_after": stream.resume_token}
            except asyncio.CancelledError:
                raise
            except PyMongoError as failure:
                if not _resumable(failure):
                    log.warning("change stream cannot resume (%s); starting afresh and resyncing", failure)
                    self._resume = {}
                    await asyncio.sleep(delay)
                    await self._reset_followers()
                    await self._resync_subscribers()
                else:
                    # Subscribers detect a gap by seq and read back what they missed.
                    log.warning("event stream interrupted (%s); reopening in %.0f s", failure, delay)
                    await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_RETRY_DELAY_S)

    async def _resync_subscribers(self) -> None:
        """After events may have been missed: hand each subscribed person their latest event, if newer."""
        users = list(self._subscribers)
        for start in range(0, len(users), RESYNC_BATCH):
            latest = await asyncio.gather(*(self.mongo["events"].find_one(
                {"user_id": user_id}, sort=[("seq", -1)]) for user_id in users[start:start + RESYNC_BATCH]))
            for event in latest:
                if event is not None:
                    self._deliver(event)

    async def _hand_over(self, change: dict[str, Any]) -> None:
        collection = change["ns"]["coll"]
        if collection == "events":
            event = change["fullDocument"]
            if "wallTime" in change:  # when its transaction committed (kept in memory only)
                event["committed_at"] = change["wallTime"]
            self._deliver(event)
            return
        if change["operationType"] == "update" and collection in self._with_records:
            # None when it was deleted meanwhile: its delete follows on the stream.
            change["fullDocument"] = await self.mongo[collection].find_one(change["documentKey"])
        self._changed(change)

    def _changed(self, change: dict[str, Any]) -> None:
        for listener in self._followers.get(change["ns"]["coll"], ()):
            try:
                listener(change)
            except Exception:  # a follower's bug must not stop the pushes
                log.exception("change follower failed on %s", change.get("documentKey"))

    async def _reset_followers(self) -> None:
        for reset in self._resets:
            try:
                await reset()
            except PyMongoError:
                log.warning("a follower could not reload; it will on the next reset", exc_info=True)

    def _deliver_committed(self, records: list[dict[str, Any]]) -> None:
        """Events this process has just committed: handed over now, not when the stream brings them."""
        committed = datetime.now(UTC)
        for record in records:
            self._deliver({**record, "committed_at": committed})

    def _deliver(self, event: dict[str, Any]) -> None:
        user_id, seq = event["user_id"], event["seq"]
        known = self.mongo.known_event_seqs
        if seq > known.get(user_id, 0):
            known[user_id] = seq
        if seq <= self._delivered.get(user_id, 0):
            # Handed over already (this process committed it), or older than one that was: a socket
            # that missed it reads it back from the database when it sees the gap.
            return
        self._delivered[user_id] = seq
        for callback in [*self._subscribers.get(event["user_id"], ()), *self._everything]:
            try:
                callback(event)
            except Exception:  # one broken connection must not stop delivery to the others
                log.exception("event subscriber failed")

"""The change stream recovers when the server will not resume it, and nobody misses an event.

A stream reopened with a resume point the server cannot use (on MongoDB: history lost from the
oplog, code 286; the embedded server answers FailedToParse for a token it does not know) must
start afresh, not retry the same token forever, and every subscribed person must get what was
published meanwhile (here by another replica while this one's stream was down).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from storage.events import publish
from storage.mongo import Session
from web.services import Services

PERSON = "p-stream-recovery"


async def heard_type(heard: list[dict[str, Any]], kind: str, timeout: float = 20.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for event in heard:
            if event["type"] == kind:
                return event
        await asyncio.sleep(0.05)
    raise AssertionError(f"{kind} never arrived; heard {[event['type'] for event in heard]}")


async def publish_from(replica: Services, kind: str) -> None:
    async def work(session: Session) -> None:
        await publish(replica.mongo, session, PERSON, kind, {})

    await replica.mongo.run_transaction(work)


async def test_a_stream_that_cannot_resume_starts_afresh_and_resyncs_subscribers(services: Services,
                                                                                 replica: Services) -> None:
    heard: list[dict[str, Any]] = []
    services.events.subscribe(PERSON, heard.append)
    await publish_from(replica, "test.before")
    await heard_type(heard, "test.before")

    await services.events.stop()
    await publish_from(replica, "test.missed")  # while this replica's stream is down
    services.events._resume = {"resume_after": {"_data": "00"}}  # a resume point the server cannot use
    await services.events.start()

    missed = await heard_type(heard, "test.missed")
    assert missed["seq"] == 2
    await publish_from(replica, "test.after")  # and the fresh stream carries what comes next
    assert (await heard_type(heard, "test.after"))["seq"] == 3
    assert [event["seq"] for event in heard] == [1, 2, 3]

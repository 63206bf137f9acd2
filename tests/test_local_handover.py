"""Events committed by a process reach that process's own subscribers as the transaction commits.

Not when the change stream brings them back (that is what the other processes wait for), never
for a transaction that aborted, once for one that was retried, and never twice: the stream's copy
of an event already handed over is skipped.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pymongo.errors import OperationFailure

from storage.events import publish, publish_many
from storage.mongo import Session
from web.services import Services

PERSON = "p-handover"


def listen(services: Services, user_id: str = PERSON) -> list[dict[str, Any]]:
    heard: list[dict[str, Any]] = []
    services.events.subscribe(user_id, heard.append)
    return heard


async def test_own_events_are_handed_over_at_commit_without_the_stream(services: Services) -> None:
    await services.events.stop()  # nothing comes from the stream any more
    heard = listen(services)

    async def work(session: Session) -> None:
        await publish_many(services.mongo, session, [(PERSON, "test.one", {"n": 1}), (PERSON, "test.two", {"n": 2})])
        assert heard == []  # not before the commit

    await services.mongo.run_transaction(work)
    assert [(event["seq"], event["type"]) for event in heard] == [(1, "test.one"), (2, "test.two")]

    async def three(session: Session) -> None:
        await publish(services.mongo, session, PERSON, "test.three", {"n": 3})
        assert len(heard) == 2

    await services.mongo.run_transaction(three)
    assert [event["seq"] for event in heard] == [1, 2, 3]


async def test_an_aborted_transaction_hands_nothing_over_and_a_retried_one_hands_over_once(
        services: Services) -> None:
    await services.events.stop()
    heard = listen(services)

    async def fails(session: Session) -> None:
        await publish(services.mongo, session, PERSON, "test.lost", {})
        raise ValueError("the action was refused after its event was written")

    with pytest.raises(ValueError):
        await services.mongo.run_transaction(fails)
    assert heard == []

    attempts = []

    async def conflicts_once(session: Session) -> None:
        await publish(services.mongo, session, PERSON, "test.kept", {"attempt": len(attempts)})
        attempts.append(1)
        if len(attempts) == 1:
            conflict = OperationFailure("WriteConflict (made by the test)", code=112)
            conflict._add_error_label("TransientTransactionError")
            raise conflict

    await services.mongo.run_transaction(conflicts_once)
    assert len(attempts) == 2
    assert [(event["type"], event["data"]["attempt"], event["seq"]) for event in heard] == [("test.kept", 1, 1)]


async def test_the_streams_copy_of_an_event_already_handed_over_is_skipped(services: Services,
                                                                          replica: Services) -> None:
    heard, heard_elsewhere = listen(services), listen(replica)

    async def work(session: Session) -> None:
        await publish(services.mongo, session, PERSON, "test.once", {})

    await services.mongo.run_transaction(work)
    assert len(heard) == 1
    for _ in range(300):  # the other process gets it from its stream; this one's stream has it by then too
        if heard_elsewhere:
            break
        await asyncio.sleep(0.01)
    assert len(heard_elsewhere) == 1
    await asyncio.sleep(0.5)
    assert [event["seq"] for event in heard] == [1]

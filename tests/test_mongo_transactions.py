"""`Mongo.run_transaction`: a write conflict reruns the work and both writes land; the rerun is logged.

PyMongo's with_transaction retries a conflicted transaction silently, for up to two minutes; an
action that waited that long with nothing in the log would be a stall nobody can explain.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from storage.mongo import Session
from web.services import Services


async def test_a_conflicted_transaction_runs_again_and_says_so(services: Services,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    counters = services.mongo["transaction_probe"]
    await counters.insert_one({"_id": "c", "n": 0})
    first_wrote, second_tried = asyncio.Event(), asyncio.Event()
    runs = {"first": 0, "second": 0}

    async def first(session: Session) -> None:
        runs["first"] += 1
        await counters.update_one({"_id": "c"}, {"$inc": {"n": 1}}, session=session)
        first_wrote.set()
        await asyncio.wait_for(second_tried.wait(), 5)  # hold the record until the other has met it

    async def second(session: Session) -> None:
        runs["second"] += 1
        await first_wrote.wait()
        try:
            await counters.update_one({"_id": "c"}, {"$inc": {"n": 10}}, session=session)
        finally:
            second_tried.set()

    with caplog.at_level(logging.WARNING, logger="oa.storage"):
        await asyncio.gather(services.mongo.run_transaction(first), services.mongo.run_transaction(second))
    assert (await counters.find_one({"_id": "c"}))["n"] == 11
    assert runs == {"first": 1, "second": 2}
    [warning] = [record.getMessage() for record in caplog.records if "a transaction ran" in record.getMessage()]
    assert warning.startswith("a transaction ran 2 times in ")
    assert "WriteConflict" in warning or "conflict" in warning.lower()

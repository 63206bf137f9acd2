"""`storage.mongo.scan`: every record once, in batches, decoded as asked; failures raised, early exits clean.

The directory's load reads 66,000 people through it at start-up, so a record it dropped or doubled
would be a person missing from (or twice in) every decision until the next restart.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

import pytest

from storage.mongo import PyMongoError, scan
from web.services import Services

WHEN = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)


async def test_every_record_comes_once_in_batches_of_the_size_asked(services: Services) -> None:
    collection = services.mongo["scan_probe"]
    await collection.insert_many([{"_id": f"r-{number:04d}", "n": number, "at": WHEN} for number in range(1234)])
    batches = [batch async for batch in scan(collection, batch_size=500)]
    assert [len(batch) for batch in batches] == [500, 500, 234]
    records = [record for batch in batches for record in batch]
    assert sorted(record["n"] for record in records) == list(range(1234))
    assert records[0]["at"] == WHEN and records[0]["at"].tzinfo is not None  # as the collection decodes


async def test_naive_times_are_the_stored_utc_without_a_zone(services: Services) -> None:
    collection = services.mongo["scan_probe_naive"]
    await collection.insert_one({"_id": "one", "at": WHEN})
    [[record]] = [batch async for batch in scan(collection, naive_times=True)]
    assert record["at"] == WHEN.replace(tzinfo=None)


async def test_an_empty_collection_yields_nothing(services: Services) -> None:
    assert [batch async for batch in scan(services.mongo["scan_probe_empty"])] == []


async def test_a_failed_read_is_raised_not_taken_for_the_end(services: Services) -> None:
    # A view whose pipeline fails on a record: the server refuses the read.
    await services.mongo["scan_probe_source"].insert_many([{"_id": 1, "zero": 1}, {"_id": 2, "zero": 0}])
    await services.mongo.db.command("create", "scan_probe_failing", viewOn="scan_probe_source",
                                    pipeline=[{"$addFields": {"x": {"$divide": [1, "$zero"]}}}])
    with pytest.raises(PyMongoError):
        async for _batch in scan(services.mongo["scan_probe_failing"]):
            pass


def fetches() -> list[asyncio.Task]:
    return [task for task in asyncio.all_tasks() if "scan.<locals>.fetch" in task.get_coro().__qualname__]


async def test_leaving_early_stops_the_fetch(services: Services) -> None:
    collection = services.mongo["scan_probe_early"]
    await collection.insert_many([{"_id": number} for number in range(100)])
    async with contextlib.aclosing(scan(collection, batch_size=10)) as batches:
        async for _batch in batches:
            assert len(fetches()) == 1  # fetching the next batch meanwhile
            break
    assert fetches() == []

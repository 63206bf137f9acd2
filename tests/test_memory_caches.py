"""Saved recipient groups and units' flow claims are answered from memory and never go stale for long.

Two service instances share one database, as two `oa serve` replicas do: each holds its own copy.
A change made through A is what A's very next read returns (write-through), and B's within a
second (B learns of it from its change stream). Repeated reads do not touch the database.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from flows.catalog import FlowCatalog
from oa.errors import InvalidInput, NotFound
from oa.recipients import RecipientService
from storage.held_collection import HeldCollection
from web.services import Services

CATCH_UP_S = 1.0
TOWNS = {"id": "grp-towns", "name": "各镇人民政府", "unit_id": "county", "selectors": [{"level": "town"}]}
REVIEW_IN_2_HOURS = {"review": {"role": "分管领导", "deadline": {"hours": 2}}}
REVIEW_IN_3_HOURS = {"review": {"role": "分管领导", "deadline": {"hours": 3}}}


async def within(seconds: float, condition: Callable[[], Awaitable[bool]]) -> float:
    """Seconds until `await condition()` held; fails if it did not within `seconds`."""
    started = time.monotonic()
    while not await condition():
        assert time.monotonic() - started < seconds, f"not true within {seconds} s"
        await asyncio.sleep(0.01)
    return time.monotonic() - started


async def heard(held: HeldCollection, generation: int) -> None:
    """Wait until `held` has learnt of a change made after it was at `generation`."""
    async def moved() -> bool:
        return held.generation > generation

    await within(CATCH_UP_S, moved)


class CountedReads:
    """A collection that counts the reads made through it; `gate`, when set, holds a find's answer back."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.reads = inner, 0
        self.gate: asyncio.Event | None = None
        self.answered = asyncio.Event()

    def find_one(self, *args: Any, **kwargs: Any) -> Any:
        self.reads += 1
        return self.inner.find_one(*args, **kwargs)

    def find(self, *args: Any, **kwargs: Any) -> Any:
        self.reads += 1
        counted, cursor = self, self.inner.find(*args, **kwargs)

        class Held:
            async def to_list(self, length: int | None) -> list[dict[str, Any]]:
                rows = await cursor.to_list(length)  # read now, handed over when the gate opens
                counted.answered.set()
                if counted.gate is not None:
                    await counted.gate.wait()
                return rows

        return Held()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def make_units(services: Services) -> None:
    await services.orgs.create({"id": "county", "name": "甲县人民政府", "type": "政府", "level": "county",
                                "code": "甲府"})
    await services.orgs.create({"id": "town", "name": "甲一镇人民政府", "type": "乡镇", "level": "town",
                                "parent_id": "county"})


async def group_names(recipients: RecipientService, unit_ids: list[str]) -> list[str]:
    return [group["name"] for group in await recipients.list_groups(unit_ids)]


async def test_a_saved_group_is_seen_by_its_own_process_at_once_and_by_another_within_a_second(
        services: Services, replica: Services) -> None:
    await make_units(services)
    mine, theirs = services.recipients, replica.recipients
    # Both hold the (empty) groups before the change.
    assert await group_names(mine, ["county"]) == [] and await group_names(theirs, ["county"]) == []

    await mine.do_save_group(TOWNS, by="admin")
    assert (await mine.get_group("grp-towns"))["name"] == "各镇人民政府"
    assert await group_names(mine, ["county"]) == ["各镇人民政府"]
    assert await mine.resolve([{"group": "grp-towns"}], for_unit="county") == ["town"]
    waited = await within(CATCH_UP_S, lambda: _named(theirs, "grp-towns", "各镇人民政府"))
    assert waited < CATCH_UP_S
    assert await group_names(theirs, ["county"]) == ["各镇人民政府"]

    # A rename: B holds the old name until its stream tells it otherwise.
    await mine.do_save_group({**TOWNS, "name": "各乡镇人民政府"}, by="admin")
    assert (await mine.get_group("grp-towns"))["name"] == "各乡镇人民政府"
    assert await mine.label({"group": "grp-towns"}, "county") == "各乡镇人民政府"
    await within(CATCH_UP_S, lambda: _named(theirs, "grp-towns", "各乡镇人民政府"))

    await mine.do_delete_group("grp-towns")
    with pytest.raises(NotFound):
        await mine.get_group("grp-towns")
    with pytest.raises(InvalidInput) as refused:
        await mine.resolve([{"group": "grp-towns"}], for_unit="county")
    assert refused.value.code == "unknown_group"
    assert await group_names(mine, ["county"]) == []
    await within(CATCH_UP_S, lambda: _gone(theirs, "grp-towns"))
    assert await group_names(theirs, ["county"]) == []
    with pytest.raises(NotFound):
        await mine.do_delete_group("grp-towns")


async def _named(recipients: RecipientService, group_id: str, name: str) -> bool:
    try:
        return (await recipients.get_group(group_id))["name"] == name
    except NotFound:
        return False


async def _gone(recipients: RecipientService, group_id: str) -> bool:
    try:
        await recipients.get_group(group_id)
    except NotFound:
        return True
    return False


async def test_groups_are_read_from_the_database_once_and_again_only_after_a_change(
        services: Services, replica: Services) -> None:
    await make_units(services)
    seen = replica.recipients.held_groups.generation
    await services.recipients.do_save_group(TOWNS, by="admin")
    await heard(replica.recipients.held_groups, seen)  # its stream's news of the save must not come mid-count
    counted = CountedReads(replica.recipients.groups)
    replica.recipients.groups = replica.recipients.held_groups.collection = counted
    replica.recipients.forget()
    for _ in range(20):
        await replica.recipients.get_group("grp-towns")
        await replica.recipients.list_groups(["county"])
        await replica.recipients.resolve([{"group": "grp-towns"}], for_unit="county")
    assert counted.reads == 1
    await services.recipients.do_save_group({**TOWNS, "name": "各乡镇"}, by="admin")
    await within(CATCH_UP_S, lambda: _named(replica.recipients, "grp-towns", "各乡镇"))
    assert counted.reads == 2


async def test_groups_are_listed_in_the_order_the_database_sorts_them(services: Services) -> None:
    await make_units(services)
    await services.orgs.create({"id": "bureau", "name": "甲县教育局", "type": "部门", "level": "county",
                                "parent_id": "county"})
    saved = [("g1", "镇", "county"), ("g2", "Alpha", "county"), ("g3", "全部镇", None), ("g4", "abc", None),
             ("g5", "各局", "bureau"), ("g6", "一", "town"), ("g7", "Zeta", "bureau")]
    for group_id, name, unit_id in saved:
        await services.recipients.do_save_group({"id": group_id, "name": name, "unit_id": unit_id,
                                                 "selectors": [{"level": "town"}]}, by="admin")
    for units in (["county", "bureau", "town"], ["town"], [], ["bureau", "county"]):
        query = {"unit_id": {"$in": [None, *units]}}
        stored = await services.mongo["recipient_groups"].find(query).sort([("unit_id", 1), ("name", 1)]) \
            .to_list(None)
        listed = await services.recipients.list_groups(units)
        assert [group["_id"] for group in listed] == [group["_id"] for group in stored], units
        assert listed == stored


async def test_a_read_that_raced_a_change_is_not_kept(services: Services) -> None:
    await make_units(services)
    # Followed by no stream, so only its own writes and the forget below tell it of changes.
    recipients = RecipientService(services.mongo, services.directory)
    counted = recipients.groups = recipients.held_groups.collection = CountedReads(recipients.groups)
    counted.gate = asyncio.Event()
    # A read of all groups is under way (answered before the save) when this process saves one.
    reading = asyncio.create_task(recipients.list_groups(["county"]))
    await counted.answered.wait()
    await recipients.do_save_group(TOWNS, by="admin")
    counted.gate.set()
    assert await reading == []  # began before the save
    assert await group_names(recipients, ["county"]) == ["各镇人民政府"]
    # The same for a change reported by the stream.
    counted.answered.clear()
    counted.gate.clear()
    recipients.forget()
    reading = asyncio.create_task(recipients.list_groups(["county"]))
    await counted.answered.wait()
    await services.mongo["recipient_groups"].update_one({"_id": "grp-towns"}, {"$set": {"name": "改名"}})
    recipients.forget({"ns": {"coll": "recipient_groups"}, "operationType": "update"})  # as the stream does
    counted.gate.set()
    assert [group["name"] for group in await reading] == ["各镇人民政府"]  # began before the rename
    assert await group_names(recipients, ["county"]) == ["改名"]


async def test_a_claim_is_seen_by_its_own_process_at_once_and_by_another_within_a_second(
        services: Services, replica: Services) -> None:
    await make_units(services)
    town = await services.orgs.get("town")
    mine, theirs = services.catalog, replica.catalog

    async def claimed_in(catalog: Any, overrides: dict[str, Any]) -> bool:
        _, found, claimed_from = await catalog.effective("fawen", town)
        return claimed_from == "county" and found == overrides

    # Both hold the (absent) claims before the change.
    assert (await mine.effective("fawen", town))[1:] == ({}, None)
    assert (await theirs.effective("fawen", town))[1:] == ({}, None)
    assert await theirs.claim_of("county", "fawen") is None

    stored = await mine.claim("county", "fawen", REVIEW_IN_2_HOURS, "admin")
    assert stored["overrides"] == REVIEW_IN_2_HOURS
    assert (await mine.claim_of("county", "fawen"))["overrides"] == REVIEW_IN_2_HOURS
    assert await claimed_in(mine, REVIEW_IN_2_HOURS)
    waited = await within(CATCH_UP_S, lambda: claimed_in(theirs, REVIEW_IN_2_HOURS))
    assert waited < CATCH_UP_S
    assert (await theirs.claim_of("county", "fawen"))["overrides"] == REVIEW_IN_2_HOURS

    # A changed claim: B keeps the old overrides until its stream tells it otherwise.
    await mine.claim("county", "fawen", REVIEW_IN_3_HOURS, "admin")
    assert await claimed_in(mine, REVIEW_IN_3_HOURS)
    await within(CATCH_UP_S, lambda: claimed_in(theirs, REVIEW_IN_3_HOURS))

    # What a caller does with an answer does not change what is held.
    (await mine.claim_of("county", "fawen"))["overrides"].clear()
    (await mine.effective("fawen", town))[1]["review"]["deadline"]["hours"] = 99
    assert await claimed_in(mine, REVIEW_IN_3_HOURS)


async def test_claims_are_read_from_the_database_once_and_again_only_after_a_change(
        services: Services, replica: Services) -> None:
    await make_units(services)
    town = await services.orgs.get("town")
    seen = replica.catalog.held_claims.generation
    await services.catalog.claim("county", "fawen", REVIEW_IN_2_HOURS, "admin")
    await heard(replica.catalog.held_claims, seen)  # its stream's news of the claim must not come mid-count
    counted = replica.catalog.claims = replica.catalog.held_claims.collection = CountedReads(replica.catalog.claims)
    replica.catalog.forget()
    for _ in range(20):
        await replica.catalog.effective("fawen", town)
        await replica.catalog.claim_of("county", "fawen")
    assert counted.reads == 1
    await services.catalog.claim("county", "fawen", REVIEW_IN_3_HOURS, "admin")

    async def changed() -> bool:
        return (await replica.catalog.effective("fawen", town))[1] == REVIEW_IN_3_HOURS

    await within(CATCH_UP_S, changed)
    assert counted.reads == 2


async def test_a_claim_is_held_as_written_without_waiting_for_the_stream(services: Services) -> None:
    await make_units(services)
    town = await services.orgs.get("town")
    # Followed by no stream: only its own write can tell it of the claim.
    catalog = FlowCatalog(services.mongo, services.directory)
    counted = catalog.claims = catalog.held_claims.collection = CountedReads(catalog.claims)
    assert (await catalog.effective("fawen", town))[1:] == ({}, None)
    await catalog.claim("county", "fawen", REVIEW_IN_2_HOURS, "admin")
    assert (await catalog.effective("fawen", town))[1:] == (REVIEW_IN_2_HOURS, "county")
    await catalog.claim("town", "fawen", REVIEW_IN_3_HOURS, "admin")
    assert (await catalog.effective("fawen", town))[1:] == (REVIEW_IN_3_HOURS, "town")
    assert counted.reads == 3  # the first load, and each claim read back once as stored

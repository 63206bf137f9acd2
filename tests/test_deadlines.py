"""时限 with an injected clock: deadlines in working time, overdue reminders, escalation, one leader."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from flows.deadlines import DeadlineScheduler
from oa.errors import InvalidInput
from storage.leases import Lease
from tests.client import ApiClient
from tests.flow_org import build_office
from web.services import Services

MONDAY_10AM = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


def beijing(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour - 8, minute, tzinfo=UTC)


async def events_of(services: Services, user_id: str, kind: str) -> list[dict]:
    return await services.mongo["events"].find({"user_id": user_id, "type": kind}).to_list(None)


async def test_overdue_tasks_are_reminded_then_escalated_once(services: Services, api: ApiClient) -> None:
    office = await build_office(services, api)
    now = [MONDAY_10AM]
    services.flows.clock = lambda: now[0]
    # Wednesday is a holiday, so the escalation interval skips it.
    await services.calendars.save({"holidays": ["2026-11-25"]}, "test")
    document = await office.draft()
    await office.start(document["id"])
    task = await services.mongo["tasks"].find_one({"node": "review"})
    assert task["due_at"] == beijing(24, 17, 30)  # one working day: close of Tuesday

    scheduler = DeadlineScheduler(services.mongo, services.flows, services.calendars, clock=lambda: now[0])
    assert (await scheduler.tick(beijing(24, 17, 0)))["reminded"] == 0
    first = await scheduler.tick(beijing(24, 17, 31))
    assert first == {"leader": True, "reminded": 1, "escalated": 0, "resumed": 0}
    reminders = await events_of(services, office.ids["office"], "task.overdue")
    assert len(reminders) == 1 and reminders[0]["data"]["task_id"] == task["_id"]
    task = await services.mongo["tasks"].find_one({"_id": task["_id"]})
    assert task["overdue_stage"] == 1 and task["escalate_at"] == beijing(26, 17, 30)  # Wednesday skipped

    assert (await scheduler.tick(beijing(25, 17, 31)))["escalated"] == 0
    escalated = await scheduler.tick(beijing(26, 17, 31))
    assert escalated["escalated"] == 1 and escalated["reminded"] == 0
    # The office head's supervisor post in the county government is its 分管领导.
    told = await events_of(services, office.ids["deputy"], "task.escalated")
    assert len(told) == 1 and told[0]["data"]["assignees"] == [office.ids["office"]]
    assert await events_of(services, office.ids["head"], "task.escalated") == []

    again = await scheduler.tick(beijing(27, 12, 0))
    assert again["reminded"] == again["escalated"] == 0
    audit = [row["action"] for row in await services.mongo["flow_audit"].find({"task_id": task["_id"]}).to_list(None)]
    assert audit == ["remind", "escalate"]
    now[0] = beijing(27, 12, 0)
    listed = await api.get("/api/tasks", token=office.tokens["office"])
    assert listed.body["counts"]["overdue"] == 1


async def test_the_head_of_a_unit_escalates_to_the_parent_unit_head(services: Services, api: ApiClient) -> None:
    office = await build_office(services, api)
    scheduler = DeadlineScheduler(services.mongo, services.flows, services.calendars)
    supervisors, post = await scheduler.supervisors_of({"unit_id": "dept-edu", "assignees": [office.ids["edu"]]})
    assert supervisors == [office.ids["head"]] and post == "甲县人民政府主要领导"
    supervisors, post = await scheduler.supervisors_of({"unit_id": "dept-edu",
                                                        "assignees": [office.ids["edu-office"]]})
    assert supervisors == [office.ids["edu"]] and post == "甲县教育局主要领导"


async def test_only_one_process_runs_a_round(services: Services) -> None:
    now = MONDAY_10AM
    schedulers = [DeadlineScheduler(services.mongo, services.flows, services.calendars, holder=f"p{n}")
                  for n in range(5)]
    results = await asyncio.gather(*(scheduler.tick(now) for scheduler in schedulers))
    assert sum(result["leader"] for result in results) == 1
    leader = next(n for n, result in enumerate(results) if result["leader"])
    later = await asyncio.gather(*(scheduler.tick(now + timedelta(seconds=30)) for scheduler in schedulers))
    assert [result["leader"] for result in later] == [n == leader for n in range(5)]
    # When the leader stops renewing, another takes over after the lease lapses.
    others = [scheduler for n, scheduler in enumerate(schedulers) if n != leader]
    lapsed = await asyncio.gather(*(scheduler.tick(now + timedelta(minutes=5)) for scheduler in others))
    assert sum(result["leader"] for result in lapsed) == 1


async def test_lease_contenders_at_one_instant(services: Services) -> None:
    leases = [Lease(services.mongo, "job", f"holder-{n}", timedelta(seconds=60)) for n in range(20)]
    got = await asyncio.gather(*(lease.acquire_or_renew(MONDAY_10AM) for lease in leases))
    assert sum(got) == 1
    holder = leases[got.index(True)]
    assert (await holder.holder_of())["holder"] == holder.holder
    await holder.release()
    assert await leases[0].acquire_or_renew(MONDAY_10AM + timedelta(seconds=1))


async def test_a_calendar_change_is_checked_against_what_is_already_stored(services: Services) -> None:
    await services.calendars.save({"extra_workdays": ["2026-09-20"]}, "test")
    with pytest.raises(InvalidInput, match="2026-09-20"):
        await services.calendars.save({"holidays": ["2026-09-20"]}, "test")
    assert (await services.calendars.record())["holidays"] == []

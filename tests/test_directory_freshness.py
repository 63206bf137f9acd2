"""The in-memory org directory never decides on stale data.

Two service instances share one database, as two `oa serve` replicas do: each holds its own
directory. A change made through A is honoured by A's very next decision (write-through), and by
B's within a second (B learns it from its change stream).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta

from tests.factories import PASSWORD
from tests.waiting import answers_within
from web.services import Services

CATCH_UP_S = 1.0


async def within(seconds: float, condition: Callable[[], bool]) -> float:
    """Seconds until `condition()` held; fails if it did not within `seconds`."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < seconds, f"not true within {seconds} s"
        await asyncio.sleep(0.01)
    return time.monotonic() - started


async def make_org(services: Services) -> dict[str, dict]:
    await services.orgs.create({"id": "county", "name": "甲县人民政府", "type": "政府", "level": "county",
                                "code": "甲府"})
    await services.orgs.create({"id": "town", "name": "甲一镇人民政府", "type": "乡镇", "level": "town",
                                "parent_id": "county"})
    clerk = await services.users.create({"username": "clerk", "display_name": "李华伟", "password": PASSWORD,
                                         "posts": [{"unit": "town", "title": "科员", "roles": ["科员"]}]})
    return {"clerk": clerk}


async def test_a_post_change_is_honoured_by_its_own_process_at_once_and_by_another_within_a_second(
        services: Services, replica: Services) -> None:
    people = await make_org(services)
    clerk = people["clerk"]
    await within(CATCH_UP_S, lambda: replica.directory.person(clerk["_id"]) is not None)
    assert replica.directory.clerks_of(["town"]) == {"town": []}

    post = clerk["posts"][0]
    changed = await services.users.update(clerk["_id"], {"posts": [
        {"id": post["id"], "unit": "town", "title": "收发员", "roles": ["科员", "收发员"]}]}, clerk["version"])
    # A, which made the change, decides with it on the very next call: no await in between.
    assert services.directory.clerks_of(["town"]) == {"town": [clerk["_id"]]}
    assert services.authorizer.decide(services.directory.user(clerk["_id"]), "exchange", "handle", "town",
                                      inherit=False)
    # B learns it from its change stream.
    waited = await within(CATCH_UP_S, lambda: replica.directory.clerks_of(["town"]) == {"town": [clerk["_id"]]})
    assert replica.authorizer.decide(replica.directory.user(clerk["_id"]), "exchange", "handle", "town",
                                     inherit=False)
    assert waited < CATCH_UP_S

    # Deactivating the person takes the role away on both sides the same way.
    await services.users.update(clerk["_id"], {"active": False}, changed["version"])
    assert services.directory.clerks_of(["town"]) == {"town": []}
    assert services.directory.user(clerk["_id"])["active"] is False
    await within(CATCH_UP_S, lambda: replica.directory.clerks_of(["town"]) == {"town": []})
    assert not replica.authorizer.decide(replica.directory.user(clerk["_id"]), "exchange", "handle", "town",
                                         inherit=False)


async def test_units_and_their_ancestors_follow_moves_in_both_processes(services: Services,
                                                                         replica: Services) -> None:
    await make_org(services)
    await services.orgs.create({"id": "county-b", "name": "乙县人民政府", "type": "政府", "level": "county",
                                "code": "乙府"})
    town = await services.orgs.get("town")
    await services.orgs.move("town", "county-b", town["version"])
    assert services.directory.path_ids("town") == ["county-b", "town"]
    await within(CATCH_UP_S, lambda: replica.directory.path_ids("town") == ["county-b", "town"])
    # Reach follows the tree: county-b's admin now administers the town, the old county's does not.
    admin = await services.users.create({"username": "badmin", "display_name": "乙县管理员", "password": PASSWORD,
                                         "posts": [{"unit": "county-b", "title": "管理员", "roles": ["管理员"]}]})
    await within(CATCH_UP_S, lambda: replica.directory.person(admin["_id"]) is not None)
    assert replica.authorizer.decide(replica.directory.user(admin["_id"]), "unit", "write", "town")


async def test_a_stale_write_from_the_stream_does_not_undo_a_newer_one(services: Services) -> None:
    people = await make_org(services)
    clerk = people["clerk"]
    renamed = await services.users.update(clerk["_id"], {"display_name": "李华"}, clerk["version"])
    # The insert event of the first version may arrive after the update was applied: it is ignored.
    services.directory.apply_change({"ns": {"coll": "users"}, "operationType": "insert",
                                     "documentKey": {"_id": clerk["_id"]}, "fullDocument": clerk})
    assert services.directory.person(clerk["_id"]).display_name == "李华"
    assert services.directory.person(clerk["_id"]).version == renamed["version"]


async def test_people_are_found_by_pinyin_initials_name_and_username(services: Services) -> None:
    people = await make_org(services)
    for text in ("lhw", "LHW", "华伟", "cler"):
        found, total = await services.users.list(text=text)
        assert [user["_id"] for user in found] == [people["clerk"]["_id"]] and total == 1, text
    assert (await services.users.list(text="zzz"))[1] == 0


async def test_a_delegation_is_honoured_by_its_own_process_at_once_and_by_another_within_a_second(
        services: Services, replica: Services) -> None:
    people = await make_org(services)
    deputy = await services.users.create({"username": "deputy", "display_name": "王副科长", "password": PASSWORD,
                                          "posts": [{"unit": "town", "title": "副科长", "roles": ["科员"]}]})
    now = services.flows.clock()
    clerk = people["clerk"]
    # Both processes have their windows loaded (and so could be stale) before the delegation exists.
    assert await replica.delegations.delegators_of(deputy["_id"], now) == []
    created = await services.delegations.create(clerk, deputy["_id"], now - timedelta(minutes=1),
                                                now + timedelta(days=2), "出差")
    assert await services.delegations.delegators_of(deputy["_id"], now) == [clerk["_id"]]
    assert await services.delegations.delegates_of([clerk["_id"]], now) == {clerk["_id"]: [deputy["_id"]]}
    await answers_within(CATCH_UP_S, lambda: replica.delegations.delegators_of(deputy["_id"], now),
                       [clerk["_id"]])

    await services.delegations.revoke(created["_id"], clerk)
    assert await services.delegations.delegators_of(deputy["_id"], now) == []
    await answers_within(CATCH_UP_S, lambda: replica.delegations.delegates_of([clerk["_id"]], now), {})

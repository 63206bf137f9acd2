"""Who sees what of the exchange, unit pair by unit pair on the demo hierarchy.

The city government sends a 通知 to one county government, which forwards it to its towns, and a
second document straight to one town. Then, for each pair (viewer's unit, record), the expected
answer: a unit sees what was sent or forwarded to it and what it sent; an ancestor sees a unit's
statistics but not its documents unless it received them; siblings see nothing of each other.
"""

from __future__ import annotations

import pytest

from oa.demo import build_demo_hierarchy
from tests.client import ApiClient
from tests.test_exchange_demo import numbered_notice

CITY, CITY_DEPT = "sg-szf", "sg-jiaoyu"
COUNTY, TOWN, SIBLING_TOWN = "zj-xzf", "zj-t-donghe", "zj-t-chezhan"
OTHER_COUNTY, OTHER_TOWN = "wj-xzf", "wj-t-xinhua"
UNITS = [CITY, CITY_DEPT, COUNTY, TOWN, SIBLING_TOWN, OTHER_COUNTY, OTHER_TOWN]


def holders() -> dict[tuple[str, str], str]:
    """(unit, role) -> the username of someone holding it, from the demo data."""
    found: dict[tuple[str, str], str] = {}
    for person in build_demo_hierarchy()["people"]:
        for post in person["posts"]:
            for role in post["roles"]:
                found.setdefault((post["unit"], role), person["username"])
    return found


@pytest.fixture(scope="module")
async def world(demo_api: ApiClient) -> dict:
    api = demo_api
    people = holders()
    assert all((unit, "主要领导") in people and (unit, "收发员") in people for unit in UNITS), "demo units changed"
    tokens = {}
    for unit in UNITS:
        for role in ("主要领导", "收发员"):
            tokens[unit, role] = await api.login(people[unit, role])
    city = tokens[CITY, "收发员"]
    to_county = await numbered_notice(api, city, "关于开展安全生产大检查的通知")
    sent = await api.post(f"/api/documents/{to_county}/dispatch", {"main": [{"unit": COUNTY}]}, token=city)
    county_receipt = f"{sent.body['id']}.{COUNTY}"
    county = tokens[COUNTY, "收发员"]
    assert (await api.post(f"/api/receipts/{county_receipt}/sign", {}, token=county)).status == 200
    forwarded = await api.post(f"/api/receipts/{county_receipt}/forward",
                               {"main": [{"unit": TOWN}, {"unit": SIBLING_TOWN}], "note": "请认真落实。"}, token=county)
    assert forwarded.status == 201, forwarded
    to_town = await numbered_notice(api, city, "关于东河街道旧城改造项目的批复")
    direct = await api.post(f"/api/documents/{to_town}/dispatch", {"main": [{"unit": TOWN}]}, token=city)
    assert direct.status == 201
    return {"api": api, "tokens": tokens, "to_county": to_county, "to_town": to_town,
            "dispatch": sent.body["id"], "forward": forwarded.body["id"], "county_receipt": county_receipt,
            "town_receipt": f"{forwarded.body['id']}.{TOWN}", "direct": direct.body["id"]}


async def status_of(world: dict, viewer: str, path: str, role: str = "主要领导") -> int:
    return (await world["api"].get(path, token=world["tokens"][viewer, role])).status


# Documents: the sender, the county that received it and the towns it forwarded to read it.
DOCUMENT_TO_COUNTY = {CITY: 200, COUNTY: 200, TOWN: 200, SIBLING_TOWN: 200,
                      CITY_DEPT: 404, OTHER_COUNTY: 404, OTHER_TOWN: 404}
# Sent straight to one town: its county, an ancestor, does not read it; nor does its sibling.
DOCUMENT_TO_TOWN = {CITY: 200, TOWN: 200, COUNTY: 404, SIBLING_TOWN: 404,
                    CITY_DEPT: 404, OTHER_COUNTY: 404, OTHER_TOWN: 404}


@pytest.mark.parametrize("viewer", UNITS)
async def test_documents_are_read_by_sender_and_recipients_only(world: dict, viewer: str) -> None:
    assert await status_of(world, viewer, f"/api/documents/{world['to_county']}") == DOCUMENT_TO_COUNTY[viewer]
    assert await status_of(world, viewer, f"/api/documents/{world['to_town']}") == DOCUMENT_TO_TOWN[viewer]


# Receipts: the receiving unit and the unit that sent it to them.
COUNTY_RECEIPT = {CITY: 200, COUNTY: 200, TOWN: 404, SIBLING_TOWN: 404, CITY_DEPT: 404, OTHER_COUNTY: 404,
                  OTHER_TOWN: 404}
TOWN_RECEIPT = {COUNTY: 200, TOWN: 200, CITY: 404, SIBLING_TOWN: 404, CITY_DEPT: 404, OTHER_COUNTY: 404,
                OTHER_TOWN: 404}
# Boards: the sending unit's only (the city follows the forward through its lineage tree).
CITY_BOARD = {CITY: 200, **{unit: 404 for unit in UNITS if unit != CITY}}
COUNTY_BOARD = {COUNTY: 200, **{unit: 404 for unit in UNITS if unit != COUNTY}}


@pytest.mark.parametrize("viewer", UNITS)
async def test_receipts_and_boards_belong_to_the_two_ends(world: dict, viewer: str) -> None:
    assert await status_of(world, viewer, f"/api/receipts/{world['county_receipt']}") == COUNTY_RECEIPT[viewer]
    assert await status_of(world, viewer, f"/api/receipts/{world['town_receipt']}") == TOWN_RECEIPT[viewer]
    assert await status_of(world, viewer, f"/api/dispatches/{world['dispatch']}/receipts") == CITY_BOARD[viewer]
    assert await status_of(world, viewer, f"/api/dispatches/{world['forward']}/tree") == COUNTY_BOARD[viewer]


@pytest.mark.parametrize("viewer", UNITS)
async def test_inboxes_hold_only_what_reached_the_unit(world: dict, viewer: str) -> None:
    api, token = world["api"], world["tokens"][viewer, "收发员"]
    inbox = await api.get("/api/exchange/inbox?limit=200", token=token)
    assert inbox.status == 200
    documents = {item["document_id"] for item in inbox.body["items"]}
    expected = {doc for doc, table in (("to_county", DOCUMENT_TO_COUNTY), ("to_town", DOCUMENT_TO_TOWN))
                if table[viewer] == 200 and viewer != CITY}
    assert documents & {world["to_county"], world["to_town"]} == {world[name] for name in expected}
    for other in UNITS:
        if other != viewer:
            refused = await api.get(f"/api/exchange/inbox?unit_id={other}", token=token)
            assert refused.status == 404, (viewer, other)


# Statistics reach down the hierarchy: (viewer, unit asked about) -> status.
STATISTICS = {
    (CITY, TOWN): 200, (CITY, COUNTY): 200, (COUNTY, TOWN): 200, (TOWN, TOWN): 200,
    (SIBLING_TOWN, TOWN): 404, (TOWN, COUNTY): 404, (OTHER_COUNTY, TOWN): 404, (OTHER_COUNTY, COUNTY): 404,
    (CITY_DEPT, TOWN): 404, (OTHER_TOWN, TOWN): 404,
}


@pytest.mark.parametrize(("viewer", "unit"), list(STATISTICS))
async def test_ancestors_see_statistics(world: dict, viewer: str, unit: str) -> None:
    response = await world["api"].get(f"/api/exchange/stats?unit_id={unit}", token=world["tokens"][viewer, "主要领导"])
    assert response.status == STATISTICS[viewer, unit]
    if response.status == 200:
        assert response.body["items"][0]["received"] >= 1


async def test_the_original_sender_sees_the_whole_lineage(world: dict) -> None:
    tree = await world["api"].get(f"/api/dispatches/{world['dispatch']}/tree", token=world["tokens"][CITY, "收发员"])
    [county] = tree.body["recipients"]
    [forward] = county["forwarded"]
    assert forward["dispatch"]["note"] == "请认真落实。"
    assert {row["unit_id"] for row in forward["recipients"]} == {TOWN, SIBLING_TOWN}

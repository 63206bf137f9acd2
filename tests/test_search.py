"""全文检索 on the demo hierarchy: each person finds exactly the documents they may open.

The city sends a notice to one county, which forwards it to two towns; a second document goes
straight to one town; a draft stays in the city office. Search must agree with the access rule
of `flows/access.py` for every viewer — a hit is a document the person may open, and a document
they may open is found — with ranking, highlighting, filters and people by pinyin initials.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from flows.exchange.delivery import ChunkDelivery
from flows.exchange.dispatch import DispatchService
from tests.client import ApiClient
from tests.test_exchange_demo import numbered_notice
from tests.test_exchange_visibility import (
    CITY,
    CITY_DEPT,
    COUNTY,
    OTHER_COUNTY,
    OTHER_TOWN,
    SIBLING_TOWN,
    TOWN,
    UNITS,
    holders,
)
from web.services import Services

SAFETY = "关于开展安全生产大检查的通知"
RENEWAL = "关于东河街道旧城改造项目的批复"
DRAFT = "关于防汛抗旱物资储备的请示"


async def search(api: ApiClient, token: str, **params: str) -> dict[str, Any]:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    response = await api.get(f"/api/search?{query}", token=token)
    assert response.status == 200, response
    return response.body


async def found_titles(api: ApiClient, token: str, q: str) -> set[str]:
    return {item["title"] for item in (await search(api, token, q=q, limit="100"))["documents"]["items"]}


async def eventually(check, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    """The index follows the database's change stream: wait for it, up to `timeout`."""
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "the search index did not catch up"
        await asyncio.sleep(0.1)


@pytest.fixture(scope="module")
async def world(demo_api: ApiClient) -> dict[str, Any]:
    api = demo_api
    people = holders()
    tokens = {(unit, role): await api.login(people[unit, role]) for unit in UNITS for role in ("主要领导", "收发员")}
    city = tokens[CITY, "收发员"]
    safety = await numbered_notice(api, city, SAFETY)
    sent = await api.post(f"/api/documents/{safety}/dispatch", {"main": [{"unit": COUNTY}]}, token=city)
    assert sent.status == 201, sent
    county_receipt = f"{sent.body['id']}.{COUNTY}"
    county = tokens[COUNTY, "收发员"]
    assert (await api.post(f"/api/receipts/{county_receipt}/sign", {}, token=county)).status == 200
    forwarded = await api.post(f"/api/receipts/{county_receipt}/forward",
                               {"main": [{"unit": TOWN}, {"unit": SIBLING_TOWN}]}, token=county)
    assert forwarded.status == 201, forwarded
    renewal = await numbered_notice(api, city, RENEWAL)
    assert (await api.post(f"/api/documents/{renewal}/dispatch", {"main": [{"unit": TOWN}]}, token=city)).status == 201
    draft = await api.post("/api/documents", {"doc_type": "请示", "title": DRAFT, "main_to": [{"unit": "sg-szf"}],
                                              "body": [{"level": 0, "text": "为做好今年防汛抗旱工作，特请示如下。"}]},
                           token=city)
    assert draft.status == 201, draft
    # The last change above is the forward to the sibling town: once it finds the notice, all are in.
    sibling = tokens[SIBLING_TOWN, "收发员"]
    await eventually(lambda: _has(api, sibling, "安全生产", SAFETY))
    await eventually(lambda: _has(api, city, "防汛抗旱", DRAFT))
    return {"api": api, "tokens": tokens, "safety": safety, "renewal": renewal, "draft": draft.body["id"]}


async def _has(api: ApiClient, token: str, q: str, title: str) -> bool:
    return title in await found_titles(api, token, q)


@pytest.mark.parametrize(("unit", "sees_safety", "sees_renewal", "sees_draft"), [
    (CITY, True, True, True),
    (CITY_DEPT, False, False, False),
    (COUNTY, True, False, False),
    (TOWN, True, True, False),
    (SIBLING_TOWN, True, False, False),
    (OTHER_COUNTY, False, False, False),
    (OTHER_TOWN, False, False, False),
])
async def test_each_unit_finds_what_it_may_open(world: dict[str, Any], unit: str, sees_safety: bool,
                                                 sees_renewal: bool, sees_draft: bool) -> None:
    api, token = world["api"], world["tokens"][unit, "收发员"]
    assert (SAFETY in await found_titles(api, token, "安全生产")) is sees_safety
    assert (RENEWAL in await found_titles(api, token, "旧城改造")) is sees_renewal
    assert (DRAFT in await found_titles(api, token, "防汛")) is sees_draft
    for doc_id, expected in ((world["safety"], sees_safety), (world["renewal"], sees_renewal),
                             (world["draft"], sees_draft)):
        assert ((await api.get(f"/api/documents/{doc_id}", token=token)).status == 200) is expected


async def test_every_hit_opens_and_every_openable_document_is_found(world: dict[str, Any]) -> None:
    """Search and the access rule agree for every viewer, over all the demo's documents."""
    api = world["api"]
    for (unit, role), token in world["tokens"].items():
        hits = (await search(api, token, limit="100"))["documents"]
        assert hits["total"] <= 100, "demo grew: page through"
        found = {item["id"] for item in hits["items"]}
        for doc_id in found:
            assert (await api.get(f"/api/documents/{doc_id}", token=token)).status == 200, (unit, role, doc_id)
        for doc_id in (world["safety"], world["renewal"], world["draft"]):
            opens = (await api.get(f"/api/documents/{doc_id}", token=token)).status == 200
            assert (doc_id in found) is opens, (unit, role, doc_id)


async def test_results_are_ranked_highlighted_and_say_the_side(world: dict[str, Any]) -> None:
    api = world["api"]
    town = (await search(api, world["tokens"][TOWN, "收发员"], q="旧城改造"))["documents"]
    item = town["items"][0]
    assert item["title"] == RENEWAL and item["side"] == "receiving"
    assert ["旧城改造", True] in item["title_parts"]
    assert "".join(part for part, _ in item["title_parts"]) == RENEWAL
    city = (await search(api, world["tokens"][CITY, "收发员"], q="旧城改造"))["documents"]["items"]
    # Other modules share the demo database and may have sent a document of the same title.
    renewal = next(item for item in city if item["id"] == world["renewal"])
    assert renewal["side"] == "drafting" and renewal["doc_number"]
    # By its 发文字号 too: the one document bearing that whole number comes first.
    number = renewal["doc_number"]
    by_number = (await search(api, world["tokens"][CITY, "收发员"], q=number))["documents"]["items"]
    shown = [(item["title"], item["doc_number"], item["score"]) for item in by_number[:3]]
    assert by_number[0]["id"] == world["renewal"], (number, shown)


async def test_filters_by_type_status_and_date(world: dict[str, Any]) -> None:
    api, city = world["api"], world["tokens"][CITY, "收发员"]
    drafts = await search(api, city, q="防汛", status="draft", type="请示")
    assert [item["id"] for item in drafts["documents"]["items"]] == [world["draft"]]
    assert not (await search(api, city, q="防汛", status="issued"))["documents"]["items"]
    on_day = await search(api, city, q="安全生产", **{"from": "2026-11-23", "to": "2026-11-23"})
    assert world["safety"] in {item["id"] for item in on_day["documents"]["items"]}
    before = await search(api, city, q="安全生产", **{"from": "2020-01-01", "to": "2020-12-31"})
    assert before["documents"]["total"] == 0


async def test_people_by_pinyin_initials_name_and_post(world: dict[str, Any]) -> None:
    api, token = world["api"], world["tokens"][CITY, "收发员"]
    someone = (await api.get("/api/me", token=token)).body
    name = someone["display_name"]
    from oa.pinyin_initials import initials
    by_initials = await search(api, token, q=initials(name))
    assert someone["id"] in {person["id"] for person in by_initials["people"]}
    by_name = await search(api, token, q=name)
    person = next(person for person in by_name["people"] if person["id"] == someone["id"])
    assert person["posts"] and person["posts"][0]["unit_name"] and "mobile" not in person


@pytest.mark.parametrize(("query", "field"), [
    ("status=nonsense", "status"), ("from=2026-13-01", "from"), ("from=2026-02-01&to=2026-01-01", "to"),
    ("q=" + "字" * 300, "q"), ("limit=0", None), ("type=" + "x" * 80, "type"),
])
async def test_bad_search_input_is_a_clear_400(world: dict[str, Any], query: str, field: str | None) -> None:
    response = await world["api"].get(f"/api/search?{query}", token=world["tokens"][CITY, "收发员"])
    assert response.status == 400, response
    if field:
        assert response.body.get("field") == field, response.body


async def test_search_needs_a_login(world: dict[str, Any]) -> None:
    assert (await world["api"].get("/api/search?q=通知")).status == 401


async def test_a_unit_added_by_a_further_dispatch_finds_it_and_one_that_sent_it_back_does_not(
        world: dict[str, Any], demo_services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """The index applies a further receiving unit to what it derived moments before (no reads), and
    derives the document again when a receipt is sent back: search keeps agreeing with the access rule."""
    api, tokens = world["api"], world["tokens"]
    city, title = tokens[CITY, "收发员"], "关于加强冬季道路交通安全管理的通知"
    doc_id = await numbered_notice(api, city, title)
    first = await api.post(f"/api/documents/{doc_id}/dispatch", {"main": [{"unit": OTHER_COUNTY}]}, token=city)
    assert first.status == 201, first
    await eventually(lambda: _has(api, tokens[OTHER_COUNTY, "收发员"], "道路交通", title))
    # Delivered one unit per transaction, a second apart: the later receipts reach a document just derived.
    indexer, applied = demo_services.search.indexer, demo_services.search.indexer.applied_without_reads
    original = ChunkDelivery.deliver

    async def slowly(self: ChunkDelivery, dispatch: dict[str, Any], chunk: list[Any], now: Any) -> None:
        await asyncio.sleep(1.0)
        await original(self, dispatch, chunk, now)

    monkeypatch.setattr(DispatchService, "chunk_size", 1)
    monkeypatch.setattr(ChunkDelivery, "deliver", slowly)
    again = await api.post(f"/api/documents/{doc_id}/dispatch", {"main": [{"unit": OTHER_TOWN}, {"unit": TOWN}]},
                           token=city)
    assert again.status == 201, again
    town = tokens[OTHER_TOWN, "收发员"]
    await eventually(lambda: _has(api, town, "道路交通", title))
    await eventually(lambda: _has(api, tokens[TOWN, "收发员"], "道路交通", title))
    assert indexer.applied_without_reads > applied
    assert await _has(api, tokens[OTHER_COUNTY, "收发员"], "道路交通", title)

    returned = await api.post(f"/api/receipts/{again.body['id']}.{OTHER_TOWN}/return",
                              {"reason": "非我镇职责范围，请核实主送单位"}, token=town)
    assert returned.status == 200, returned

    async def gone() -> bool:
        return not await _has(api, town, "道路交通", title)

    await eventually(gone)
    assert (await api.get(f"/api/documents/{doc_id}", token=town)).status == 404
    assert await _has(api, tokens[OTHER_COUNTY, "收发员"], "道路交通", title)
    assert not await _has(api, tokens[SIBLING_TOWN, "收发员"], "道路交通", title)

"""The exchange issue's acceptance path on the demo hierarchy, through the API and /ws:

the city government dispatches a 通知 to every county government and every town; the board shows
each recipient; every town's 收发员 is pushed the document; after 10 towns sign for it the board
shows exactly 10 signed; urging reaches only the unsigned; a county forwards it to its towns and
the lineage tree shows it.

Runs on the shared demo database; it only adds documents and exchange records of its own.
"""

from __future__ import annotations

import asyncio
import uuid

from oa.demo import build_demo_hierarchy
from tests.client import ApiClient
from tests.ws_client import Push

CITY_CLERK = "sg-szf.sfy1"
COUNTY, COUNTY_CLERK = "zj-xzf", "zj-xzf.sfy1"


def demo_units() -> tuple[list[str], list[str], dict[str, str]]:
    """County governments, towns, and each town's 收发员."""
    hierarchy = build_demo_hierarchy()
    governments = [u["id"] for u in hierarchy["units"] if u["level"] == "county" and u["type"] == "政府"]
    towns = [u["id"] for u in hierarchy["units"] if u["level"] == "town"]
    clerks = {post["unit"]: person["username"] for person in hierarchy["people"] for post in person["posts"]
              if post["unit"] in towns and "收发员" in post["roles"]}
    return governments, towns, clerks


async def numbered_notice(api: ApiClient, token: str, title: str) -> str:
    created = await api.post("/api/documents", {
        "doc_type": "通知", "title": title, "main_to": [{"group": "grp-county-govs"}, {"group": "grp-towns"}],
        "body": [{"level": 0, "text": "现将有关事项通知如下。"}], "written_date": "2026-11-23"}, token=token)
    assert created.status == 201, created
    numbered = await api.post(f"/api/documents/{created.body['id']}/number", {"version": created.body["version"]},
                              token=token)
    assert numbered.status == 200, numbered
    return str(created.body["id"])


async def test_city_dispatch_to_every_county_and_town(demo_api: ApiClient) -> None:
    api = demo_api
    governments, towns, town_clerks = demo_units()
    assert len(governments) == 10 and len(towns) == 105 and set(town_clerks) == set(towns)
    city = await api.login(CITY_CLERK)
    tokens = dict(zip(towns, await asyncio.gather(*(api.login(town_clerks[t]) for t in towns)), strict=True))
    town_push = dict(zip(towns, await asyncio.gather(*(Push.connect(api.base_url, tokens[t]) for t in towns)),
                         strict=True))
    sender_push = await Push.connect(api.base_url, city)
    document_id = await numbered_notice(api, city, "关于做好2026年冬季森林防火工作的通知")

    key = str(uuid.uuid4())
    sent = await api.post(f"/api/documents/{document_id}/dispatch", {
        "main": [{"group": "grp-county-govs"}, {"group": "grp-towns"}], "idempotency_key": key}, token=city)
    assert sent.status == 201, sent
    dispatch = sent.body
    assert dispatch["total"] == 115 and dispatch["counts"]["pending"] == 115 and dispatch["status"] == "delivered"

    # The board shows each recipient.
    board = await api.get(f"/api/dispatches/{dispatch['id']}/receipts?limit=200", token=city)
    assert board.status == 200 and board.body["total"] == 115
    assert {row["unit_id"] for row in board.body["items"]} == {*governments, *towns}
    assert all(row["status"] == "pending" for row in board.body["items"])

    # Every town's 收发员 is pushed the document.
    received = await asyncio.gather(*(town_push[t].next_of("exchange.received", timeout=10) for t in towns))
    receipts = {t: event["data"]["receipt_id"] for t, event in zip(towns, received, strict=True)}
    assert all(event["data"]["document_id"] == document_id for event in received)
    assert all(receipts[t] == f"{dispatch['id']}.{t}" for t in towns)

    # A retry with the same key creates nothing twice.
    again = await api.post(f"/api/documents/{document_id}/dispatch", {
        "main": [{"group": "grp-county-govs"}, {"group": "grp-towns"}], "idempotency_key": key}, token=city)
    assert again.status == 201 and again.body["id"] == dispatch["id"] and again.body["total"] == 115
    assert await town_push[towns[0]].nothing_within(0.5)

    # Ten towns sign for it: the board says exactly 10, and the sender sees each one live.
    signers = towns[:10]
    for town in signers:
        signed = await api.post(f"/api/receipts/{receipts[town]}/sign", {}, token=tokens[town])
        assert signed.status == 200 and signed.body["status"] == "signed", signed
    live = [await sender_push.next_of("exchange.receipt", timeout=10) for _ in signers]
    assert [event["data"]["unit_id"] for event in live] == signers
    assert all(event["data"]["status"] == "signed" for event in live)
    board = await api.get(f"/api/dispatches/{dispatch['id']}/receipts?status=signed&limit=200", token=city)
    assert board.body["total"] == 10 and {row["unit_id"] for row in board.body["items"]} == set(signers)
    assert board.body["counts"]["signed"] == 10 and board.body["counts"]["pending"] == 105

    # Urging reaches only the unsigned; a second urge inside the interval is refused with the time.
    urged = await api.post(f"/api/dispatches/{dispatch['id']}/urge", {"message": "请尽快签收"}, token=city)
    assert urged.status == 200, urged
    assert set(urged.body["urged"]) == ({*governments, *towns} - set(signers))
    unsigned = towns[10:]
    events = await asyncio.gather(*(town_push[t].next_of("exchange.urged", timeout=10) for t in unsigned))
    assert all(event["data"]["message"] == "请尽快签收" for event in events)
    for town in signers:
        assert await town_push[town].nothing_within(0.05)
    refused = await api.post(f"/api/dispatches/{dispatch['id']}/urge", {}, token=city)
    assert refused.status == 409 and refused.body["code"] == "urge_too_soon"
    assert "you can urge again after" in refused.body["message"]

    # The county signs for it and forwards it to its towns with its own cover note.
    county = await api.login(COUNTY_CLERK)
    county_receipt = f"{dispatch['id']}.{COUNTY}"
    assert (await api.post(f"/api/receipts/{county_receipt}/sign", {}, token=county)).status == 200
    forwarded = await api.post(f"/api/receipts/{county_receipt}/forward", {
        "main": [{"subtree": COUNTY, "level": "town"}], "note": "请各镇（街道）结合实际认真贯彻落实。"},
        token=county)
    assert forwarded.status == 201, forwarded
    county_towns = [t for t in towns if t.startswith("zj-")]
    assert forwarded.body["total"] == len(county_towns) and forwarded.body["kind"] == "forward"
    via_county = await asyncio.gather(*(town_push[t].next_of("exchange.received", timeout=10)
                                        for t in county_towns))
    assert all(event["data"]["note"] == "请各镇（街道）结合实际认真贯彻落实。" for event in via_county)

    tree = await api.get(f"/api/dispatches/{dispatch['id']}/tree", token=city)
    assert tree.status == 200
    rows = {row["unit_id"]: row for row in tree.body["recipients"]}
    assert len(rows) == 115
    below = rows[COUNTY]["forwarded"]
    assert len(below) == 1 and below[0]["dispatch"]["sender_unit_id"] == COUNTY
    assert {row["unit_id"] for row in below[0]["recipients"]} == set(county_towns)
    assert all(not rows[t]["forwarded"] for t in towns)
    for push in [*town_push.values(), sender_push]:
        push.close()

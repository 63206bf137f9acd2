"""Sign-fors while a dispatch is still being delivered, on the demo hierarchy: nothing shared is written
by both, so every sign-for succeeds, no delivery chunk is made to start again by them, and the
counts (derived from the receipts) end exactly right on the board and in the sender's live events.

Runs on the shared demo database; it only adds a document and exchange records of its own.
"""

from __future__ import annotations

import asyncio
from typing import Any

from storage.mongo import Session
from tests.client import ApiClient
from tests.test_exchange_demo import CITY_CLERK, demo_units, numbered_notice
from web.services import Services

CHUNK = 10  # small chunks, so the delivery takes a dozen transactions with sign-fors between them
SIGNERS = 30  # the first towns delivered sign for it at once (each sign-for takes ~0.3 s on the embedded server)


async def test_concurrent_sign_fors_during_a_dispatch_all_succeed_and_the_counts_end_right(
        demo_api: ApiClient, demo_services: Services, monkeypatch: Any) -> None:
    services = demo_services
    _, towns, town_clerks = demo_units()
    city_token = await demo_api.login(CITY_CLERK)
    document_id = await numbered_notice(demo_api, city_token, "关于开展冬季安全生产大检查的通知")
    city = await services.users.find_by_username(CITY_CLERK)
    clerks = {town: await services.users.find_by_username(town_clerks[town]) for town in towns}

    # Count the attempts of each delivery chunk's transaction (a write conflict makes it start again).
    chunk_attempts: list[int] = []
    original_run = services.mongo.run_transaction

    async def counting_run(work: Any) -> Any:
        if getattr(work, "__qualname__", "").startswith("ChunkDelivery.deliver."):  # its `work`
            chunk_attempts.append(0)
            index = len(chunk_attempts) - 1

            async def counted(session: Session) -> Any:
                chunk_attempts[index] += 1
                return await work(session)
            return await original_run(counted)
        return await original_run(work)

    monkeypatch.setattr(services.mongo, "run_transaction", counting_run)
    monkeypatch.setattr(services.dispatches, "chunk_size", CHUNK)

    sending = asyncio.create_task(services.dispatches.do_dispatch(
        document_id, city, main=[{"group": "grp-county-govs"}, {"group": "grp-towns"}]))
    signing: dict[str, asyncio.Task[dict[str, Any]]] = {}
    during = 0
    while True:  # sign for each town's receipt as soon as it is delivered, while later chunks are delivered
        done = sending.done()
        async for row in services.mongo["receipts"].find({"document_id": document_id}, {"_id": 1, "unit_id": 1}):
            if row["unit_id"] in clerks and row["unit_id"] not in signing and len(signing) < SIGNERS:
                signing[row["unit_id"]] = asyncio.create_task(
                    services.receipts.do_sign(row["_id"], clerks[row["unit_id"]]))
                during += not done
        if done:
            break
        await asyncio.sleep(0.01)
    dispatch = await sending
    signed = await asyncio.gather(*signing.values(), return_exceptions=True)

    failures = [result for result in signed if isinstance(result, BaseException)]
    assert not failures, failures[:3]
    assert len(signed) == SIGNERS and all(result["status"] == "signed" for result in signed)
    assert during >= SIGNERS // 2, f"only {during} sign-fors started while the dispatch was delivering"
    # Every chunk committed at its first attempt: no sign-for wrote anything a chunk writes.
    assert len(chunk_attempts) == -(-dispatch["total"] // CHUNK) and set(chunk_attempts) == {1}, chunk_attempts

    # The counts end right: on the board's GET, on the dispatch, and in the sender's live board.
    board = await demo_api.get(f"/api/dispatches/{dispatch['_id']}/receipts?limit=200", token=city_token)
    assert board.status == 200 and board.body["total"] == 115
    assert board.body["counts"] == {"pending": 115 - SIGNERS, "signed": SIGNERS, "returned": 0, "handling": 0,
                                    "closed": 0, "recalled": 0}
    assert {row["unit_id"] for row in board.body["items"] if row["status"] == "signed"} == set(signing)
    shown = await demo_api.get(f"/api/dispatches/{dispatch['_id']}", token=city_token)
    assert shown.body["counts"]["signed"] == SIGNERS and shown.body["counts"]["pending"] == 115 - SIGNERS
    live = await services.mongo["events"].find({"user_id": city["_id"], "type": "exchange.receipt",
                                                "data.dispatch_id": dispatch["_id"]}).to_list(None)
    tally: dict[str, str] = {}
    for event in sorted(live, key=lambda event: event["seq"]):  # what the desk's board does with the pushes
        tally[event["data"]["unit_id"]] = event["data"]["status"]
    assert len(live) == SIGNERS and set(tally) == set(signing) and set(tally.values()) == {"signed"}

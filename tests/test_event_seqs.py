"""Each person's events are numbered 1, 2, 3… with no gap and no repeat, whoever publishes them.

`publish_many` trusts what its process last saw committed for each person and moves a counter
only if it still holds that value; these tests make that knowledge stale on purpose (two service
instances on one database publishing to the same people at once) and check the numbering.
"""

from __future__ import annotations

import asyncio

from storage.events import publish_many
from storage.mongo import Session
from web.services import Services

PEOPLE = [f"p-{index}" for index in range(5)]


async def publish_round(services: Services, label: str, round_number: int) -> None:
    async def work(session: Session) -> None:
        await publish_many(services.mongo, session, [(person, "test.ping", {"by": label, "round": round_number})
                                                     for person in PEOPLE for _ in range(2)])

    await services.mongo.run_transaction(work)


async def seqs_of(services: Services, person: str) -> list[int]:
    rows = await services.mongo["events"].find({"user_id": person}, {"seq": 1}).sort("seq", 1).to_list(None)
    return [row["seq"] for row in rows]


async def test_two_processes_publishing_to_the_same_people_at_once_number_them_gaplessly(
        services: Services, replica: Services) -> None:
    rounds = 12
    await asyncio.gather(*(publish_round(side, label, number) for number in range(rounds)
                           for side, label in ((services, "a"), (replica, "b"))))
    for person in PEOPLE:
        assert await seqs_of(services, person) == list(range(1, 2 * 2 * rounds + 1)), person
    counter = await services.mongo["event_seqs"].find_one({"_id": PEOPLE[0]})
    assert counter["seq"] == 2 * 2 * rounds


async def test_a_process_whose_knowledge_is_stale_still_numbers_after_the_real_last(
        services: Services, replica: Services) -> None:
    await publish_round(services, "a", 0)
    # Let A learn its own events from the stream, then move the counters behind its back.
    for _ in range(200):
        if services.mongo.known_event_seqs.get(PEOPLE[0]) == 2:
            break
        await asyncio.sleep(0.01)
    assert services.mongo.known_event_seqs.get(PEOPLE[0]) == 2
    services.events._task.cancel()  # A hears nothing more: its knowledge stays at 2
    await publish_round(replica, "b", 1)
    await publish_round(services, "a", 2)
    for person in PEOPLE:
        assert await seqs_of(services, person) == [1, 2, 3, 4, 5, 6], person

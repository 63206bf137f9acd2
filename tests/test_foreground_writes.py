"""While a dispatch delivers (a run of foreground writes), the 消息 records of the events it publishes wait for it:
the push reaches the open app at once, the record follows once the run ends, and never later than the bound."""

from __future__ import annotations

import asyncio
import time

from storage.foreground import ForegroundWrites
from tests.client import ApiClient
from tests.flow_org import build_office
from tests.ws_client import Push
from web.services import Services


async def test_idle_answers_at_once_waits_for_a_run_and_gives_up_at_its_bound() -> None:
    foreground = ForegroundWrites()
    assert await foreground.idle(5.0)
    async with foreground.hold():
        started = time.monotonic()
        assert not await foreground.idle(0.3)
        assert time.monotonic() - started >= 0.3
        waiting = asyncio.create_task(foreground.idle(5.0))
        await asyncio.sleep(0.1)
        assert not waiting.done()
    assert await asyncio.wait_for(waiting, 1.0)
    # Two runs at once: idle only when both have ended.
    first, second = foreground.hold(), foreground.hold()
    await first.__aenter__()
    await second.__aenter__()
    await first.__aexit__(None, None, None)
    assert foreground.running == 1 and not await foreground.idle(0.05)
    await second.__aexit__(None, None, None)
    assert foreground.running == 0 and await foreground.idle(0.05)


async def test_a_message_waits_for_the_running_dispatch_but_its_push_does_not(services: Services,
                                                                          api: ApiClient) -> None:
    office = await build_office(services, api)
    head = office.ids["office"]
    push = await Push.connect(api.base_url, office.tokens["office"])
    records = services.mongo["notifications"]
    document = await office.draft()
    async with services.mongo.foreground.hold():  # as DispatchService.deliver does around its chunks
        await office.start(document["id"])
        created = await push.next_of("task.created")  # the push goes out at once
        assert created["data"]["document_id"] == document["id"]
        await asyncio.sleep(2.0)  # long past the usual few milliseconds a record takes
        assert await records.count_documents({"user_id": head}) == 0
    started = time.monotonic()
    while not await records.count_documents({"user_id": head, "event_seq": created["id"]}):
        assert time.monotonic() - started < 3.0, "the 消息 record did not follow the end of the run"
        await asyncio.sleep(0.05)
    push.close()

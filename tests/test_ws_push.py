"""Pushes over /ws: authentication, per-user delivery, resume by last id, buffer bound, flow events."""

from __future__ import annotations

import asyncio

import pytest
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from storage.events import publish, publish_many
from tests.client import ApiClient
from tests.flow_org import Office, build_office
from tests.ws_client import Push, StalledClient, refused_status
from web.push import PushHandler
from web.services import Services


@pytest.fixture
async def office(services: Services, api: ApiClient) -> Office:
    return await build_office(services, api)


async def send(services: Services, user_id: str, kind: str = "test.event", **data: object) -> None:
    await services.mongo.run_transaction(lambda session: publish(services.mongo, session, user_id, kind, dict(data)))


async def test_unauthenticated_connections_are_refused(office: Office) -> None:
    assert await refused_status(office.api.base_url, {}) == 401
    assert await refused_status(office.api.base_url, {"Authorization": "Bearer not-a-token"}) == 401
    token, host = office.tokens["office"], office.api.base_url.removeprefix("http://")
    cookie_from_elsewhere = {"Cookie": f"oa_session={token}", "Origin": "http://evil.example"}
    assert await refused_status(office.api.base_url, cookie_from_elsewhere) == 403
    assert await refused_status(office.api.base_url, {"Cookie": f"oa_session={token}",
                                                      "Origin": f"http://{host}"}) == 101


async def test_a_task_reaches_its_assignee_and_nobody_else(office: Office) -> None:
    office_push = await Push.connect(office.api.base_url, office.tokens["office"])
    head_push = await Push.connect(office.api.base_url, office.tokens["head"])
    document = await office.draft(urgency="特急")
    await office.start(document["id"])
    event = await office_push.next_of("task.created")
    assert event["data"]["node_name"] == "核稿" and event["data"]["urgency"] == "特急"
    assert event["data"]["title"] == document["content"]["title"]
    assert await head_push.nothing_within(0.5)
    task = await office.only_task("office")
    await office.act("office", task["id"])
    assert (await head_push.next_of("task.created"))["data"]["node_name"] == "签发"
    office_push.close()
    head_push.close()


async def test_an_aborted_transaction_publishes_nothing(office: Office) -> None:
    user_id = office.ids["edu"]
    push = await Push.connect(office.api.base_url, office.tokens["edu"])

    async def fails(session: object) -> None:
        await publish(office.services.mongo, session, user_id, "never", {})  # type: ignore[arg-type]
        raise RuntimeError("the write it describes failed")

    with pytest.raises(RuntimeError):
        await office.services.mongo.run_transaction(fails)
    await send(office.services, user_id, "after")
    event = await push.next()
    assert event["type"] == "after" and event["id"] == 1
    push.close()


async def test_reconnect_resumes_from_the_last_id(office: Office) -> None:
    user_id, token = office.ids["edu"], office.tokens["edu"]
    push = await Push.connect(office.api.base_url, token)
    await send(office.services, user_id, n=1)
    assert (await push.next())["data"] == {"n": 1}
    seen = push.last_id
    push.close()
    for n in range(2, 6):
        await send(office.services, user_id, n=n)
    again = await Push.connect(office.api.base_url, token, last_id=seen)
    got = [await again.next() for _ in range(4)]
    assert [event["data"]["n"] for event in got] == [2, 3, 4, 5]
    assert [event["id"] for event in got] == [2, 3, 4, 5]
    await send(office.services, user_id, n=6)
    assert (await again.next())["id"] == 6
    assert await again.nothing_within(0.3)  # nothing repeated
    again.close()
    replay = await Push.connect(office.api.base_url, token, last_id=0)
    assert [(await replay.next())["id"] for _ in range(6)] == [1, 2, 3, 4, 5, 6]
    replay.close()


async def test_concurrent_events_get_consecutive_ids(office: Office) -> None:
    user_id = office.ids["fin"]
    await asyncio.gather(*(send(office.services, user_id, n=n) for n in range(50)))
    push = await Push.connect(office.api.base_url, office.tokens["fin"], last_id=0)
    ids = [(await push.next())["id"] for _ in range(50)]
    assert ids == list(range(1, 51))
    push.close()


async def test_a_client_that_falls_behind_is_cut_off_and_resumes(office: Office,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PushHandler, "max_buffered", 5)
    user_id, token = office.ids["town-head"], office.tokens["town-head"]
    stalled = await StalledClient.connect(office.api.base_url, token)
    # Frames large enough (40 × 192 KB, more than the 4 MB a socket's send buffer grows to here) to fill what the
    # kernel buffers for a client that reads nothing: then they wait in the server, its queue fills, and the
    # server cuts the client off rather than hold more for it.
    filler = "x" * 192 * 1024
    await office.services.mongo.run_transaction(lambda session: publish_many(
        office.services.mongo, session, [(user_id, "burst", {"n": n, "filler": filler}) for n in range(40)]))
    await asyncio.sleep(1)  # the client reads nothing meanwhile
    received, code = await stalled.drain()
    stalled.close()
    assert code == 4008 and len(received) < 40, (code, len(received))
    resumed = await Push.connect(office.api.base_url, token, last_id=received[-1] if received else 0)
    rest = [(await resumed.next())["id"] for _ in range(40 - len(received))]
    assert received + rest == list(range(1, 41))
    resumed.close()


async def test_sockets_are_not_compressed_even_when_the_browser_asks(office: Office) -> None:
    """Browsers offer permessage-deflate; accepting it costs ~150 KiB of zlib state per socket."""
    url = office.api.base_url.replace("http://", "ws://") + "/ws"
    bearer = {"Authorization": f"Bearer {office.tokens['town-head']}"}
    connection = await websocket_connect(HTTPRequest(url, headers=bearer), compression_options={})
    assert "Sec-WebSocket-Extensions" not in connection.headers
    assert connection.protocol is not None and connection.protocol._compressor is None
    connection.close()

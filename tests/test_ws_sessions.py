"""A /ws socket lives only as long as the login session it was opened with.

Logout, deactivation, a password reset and expiry close the session's sockets within seconds with
code 4401 and the reason, on whichever process they are open; nothing more reaches them, while
another session (of the same person where it survives, or of someone else) keeps receiving.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from oa.clock import utcnow
from oa.sessions import token_hash
from storage.events import publish
from tests.client import ApiClient
from tests.conftest import start_app
from tests.factories import PASSWORD, SmallOrg, small_org
from tests.ws_client import Push, refused_status
from web.config import Settings
from web.push import SESSION_ENDED_CODE
from web.services import Endpoints, Services
from web.session_watch import SessionWatch

CLOSE_WITHIN_S = 5


@pytest.fixture
async def org(services: Services) -> SmallOrg:
    return await small_org(services)


async def send(services: Services, user_id: str, kind: str = "task.created", **data: object) -> None:
    await services.mongo.run_transaction(lambda session: publish(services.mongo, session, user_id, kind, dict(data)))


async def closing(push: Push, within: float = CLOSE_WITHIN_S) -> tuple[int | None, str | None, list[dict[str, Any]]]:
    """Wait for the server to close the socket: its code and reason, and any events that came first."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    received = []
    while True:
        raw = await asyncio.wait_for(push.connection.read_message(), max(deadline - loop.time(), 0.01))
        if raw is None:
            return push.connection.close_code, push.connection.close_reason, received
        received.append(json.loads(raw))


async def test_logout_closes_that_sessions_socket_only(services: Services, api: ApiClient, org: SmallOrg) -> None:
    clerk = org.users["clerk"]["_id"]
    phone, desk = await api.login("clerk", PASSWORD), await api.login("clerk", PASSWORD)
    phone_push, desk_push = await Push.connect(api.base_url, phone), await Push.connect(api.base_url, desk)
    assert (await api.post("/api/logout", token=phone)).status == 200
    await send(services, clerk, title="关于做好冬季森林防火工作的通知")

    code, reason, received = await closing(phone_push)
    assert (code, reason) == (SESSION_ENDED_CODE, "session_ended: logout")
    assert received == []  # not the event published after the logout
    assert await refused_status(api.base_url, {"Authorization": f"Bearer {phone}"}) == 401

    event = await desk_push.next()  # the other session hears of neither the logout nor misses the event
    assert event["type"] == "task.created" and event["data"]["title"] == "关于做好冬季森林防火工作的通知"
    await send(services, clerk, n=2)
    assert (await desk_push.next())["data"] == {"n": 2}
    desk_push.close()


async def test_deactivation_closes_every_socket_of_the_person(services: Services, api: ApiClient,
                                                             org: SmallOrg) -> None:
    clerk = org.users["clerk"]
    admin = await api.login("aadmin", PASSWORD)
    pushes = [await Push.connect(api.base_url, await api.login("clerk", PASSWORD)) for _ in range(2)]
    admin_push = await Push.connect(api.base_url, admin)
    changed = await api.patch(f"/api/users/{clerk['_id']}", {"version": clerk["version"], "active": False},
                              token=admin)
    assert changed.status == 200, changed
    await send(services, clerk["_id"], title="停用之后的待办")
    await send(services, org.users["aadmin"]["_id"], title="管理员的待办")

    for push in pushes:
        code, reason, received = await closing(push)
        assert (code, reason, received) == (SESSION_ENDED_CODE, "session_ended: deactivated", [])
    assert (await admin_push.next())["data"]["title"] == "管理员的待办"
    admin_push.close()


async def test_a_password_reset_closes_the_old_sessions_and_a_new_login_stays(services: Services, api: ApiClient,
                                                                              org: SmallOrg) -> None:
    clerk = org.users["clerk"]
    admin = await api.login("aadmin", PASSWORD)
    old = await Push.connect(api.base_url, await api.login("clerk", PASSWORD))
    admin_push = await Push.connect(api.base_url, admin)
    changed = await api.patch(f"/api/users/{clerk['_id']}", {"version": clerk["version"],
                                                             "password": "Another-pass-2"}, token=admin)
    assert changed.status == 200, changed

    code, reason, received = await closing(old)
    assert (code, reason, received) == (SESSION_ENDED_CODE, "session_ended: password_changed", [])
    # A new login replays the whole history, the old session's end included, and is not closed by it.
    new = await Push.connect(api.base_url, await api.login("clerk", "Another-pass-2"), last_id=0)
    await send(services, clerk["_id"], title="改密之后的待办")
    await send(services, org.users["aadmin"]["_id"], title="管理员的待办")
    assert (await new.next())["data"]["title"] == "改密之后的待办"
    assert (await admin_push.next())["data"]["title"] == "管理员的待办"
    new.close()
    admin_push.close()


async def test_an_expired_session_is_closed_and_a_session_in_use_is_not(services: Services, api: ApiClient,
                                                                         org: SmallOrg) -> None:
    clerk = org.users["clerk"]["_id"]
    idle, used = await api.login("clerk", PASSWORD), await api.login("clerk", PASSWORD)
    idle_push, used_push = await Push.connect(api.base_url, idle), await Push.connect(api.base_url, used)
    # Sessions end after OA_SESSION_HOURS without use: this one was last used that long ago.
    await services.mongo["sessions"].update_one({"token_hash": token_hash(idle)},
                                                {"$set": {"expires_at": utcnow() - timedelta(seconds=1)}})
    code, reason, received = await closing(idle_push)
    assert (code, reason, received) == (SESSION_ENDED_CODE, "session_ended: expired", [])
    await send(services, clerk, title="过期之后的待办")
    assert (await used_push.next())["data"]["title"] == "过期之后的待办"
    used_push.close()


async def test_a_session_gone_without_an_event_is_still_closed(services: Services, api: ApiClient,
                                                                org: SmallOrg) -> None:
    token = await api.login("clerk", PASSWORD)
    push = await Push.connect(api.base_url, token)
    # As when the database's expiry index removes a session: no event says so; the periodic check notices.
    await services.mongo["sessions"].delete_one({"token_hash": token_hash(token)})
    code, reason, received = await closing(push)
    assert (code, reason, received) == (SESSION_ENDED_CODE, "session_ended: ended", [])


@pytest.fixture
async def other_process(settings: Settings, endpoints: Endpoints, services: Services) -> AsyncIterator[ApiClient]:
    """A second server on the same database, with its own services and change stream, as a second replica."""
    second = await Services.open(settings, endpoints)
    server, base_url = await start_app(second)
    try:
        yield ApiClient(base_url)
    finally:
        server.stop()
        await second.close()


async def test_a_logout_on_one_process_closes_the_socket_on_another(services: Services, api: ApiClient,
                                                                     org: SmallOrg, other_process: ApiClient,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SessionWatch, "interval_s", 60.0)  # only the event can close it in time
    token, other = await api.login("clerk", PASSWORD), await api.login("clerk", PASSWORD)
    push, other_push = await Push.connect(other_process.base_url, token), await Push.connect(api.base_url, other)
    assert (await api.post("/api/logout", token=token)).status == 200
    code, reason, received = await closing(push, within=2)
    assert (code, reason, received) == (SESSION_ENDED_CODE, "session_ended: logout", [])
    assert await other_push.nothing_within(0.3)
    other_push.close()


async def test_the_watch_asks_about_a_slice_of_the_sessions_per_round_and_still_finds_a_silent_end(
        services: Services, org: SmallOrg) -> None:
    """With many sockets open a round asks about a bounded slice of their sessions (plus those past
    their known expiry), in turn; a session removed without any event is still found within a sweep."""
    watch = SessionWatch(services.sessions)
    watch.slice_size = 2
    ended: dict[Any, str] = {}
    sessions = []
    for name in ("clerk", "aadmin", "badmin", "cityadmin", "twoposts"):
        login = await services.sessions.login(name, PASSWORD, "test")
        sessions.append(await services.mongo["sessions"].find_one({"token_hash": token_hash(login.token)}))
    for session in sessions:
        watch.add(session, lambda reason, key=session["_id"]: ended.setdefault(key, reason))
    watch._task.cancel()  # rounds are driven by hand here
    asked: list[int] = []
    original = services.sessions.expiries

    async def counting(ids: list[Any]) -> dict[Any, Any]:
        asked.append(len(ids))
        return await original(ids)

    services.sessions.expiries = counting  # type: ignore[method-assign]
    silent = sessions[3]["_id"]
    await services.mongo["sessions"].delete_one({"_id": silent})  # as the expiry index would, with no event
    for _ in range(3):  # 5 sessions, 2 a round: a sweep takes 3 rounds
        await watch.check()
    assert ended == {silent: "ended"}
    assert max(asked) <= 2

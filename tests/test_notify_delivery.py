"""Reminders reach a closed phone: a 特急 task for a leader whose app is closed goes out by Web Push and e-mail,
received by a local push service and a local SMTP server, within seconds and once, even with two replicas."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from oa.clock import utcnow
from tests.client import ApiClient
from tests.conftest import make_settings, start_app
from tests.flow_org import Office, build_office
from tests.providers import PushService, SmtpInbox, push_service, smtp_inbox
from tests.webpush_keys import BrowserKeys, check_vapid
from tests.ws_client import Push
from web.config import Settings
from web.services import Endpoints, Services

WITHIN_S = 5.0


@pytest.fixture
def mail() -> Iterator[tuple[SmtpInbox, int]]:
    with smtp_inbox() as running:
        yield running


@pytest.fixture
async def pushes() -> AsyncIterator[PushService]:
    # Async, so the push service's Tornado server is bound to the running loop, not whichever loop the thread
    # had current (a command-line test's asyncio.run in the same worker leaves none).
    with push_service() as running:
        yield running


@pytest.fixture
def settings(tmp_path: Path, mail: tuple[SmtpInbox, int]) -> Settings:
    return make_settings(tmp_path, "t_" + uuid.uuid4().hex[:12], smtp_host="127.0.0.1", smtp_port=mail[1],
                         smtp_from="oa-notice@gov.example.cn", public_url="https://oa.gov.example.cn",
                         notify_retry_seconds=0.3, notify_grace_seconds=0.5)


@pytest.fixture
async def office(services: Services, api: ApiClient) -> Office:
    return await build_office(services, api)


async def subscribe(office: Office, who: str, pushes: PushService) -> BrowserKeys:
    keys = BrowserKeys.make()
    endpoint = f"{pushes.base}/push/{who}-{uuid.uuid4().hex[:8]}"
    response = await office.api.post("/api/webpush/subscriptions", {"subscription": keys.subscription(endpoint),
                                                                    "device": "测试手机"}, token=office.tokens[who])
    assert response.status == 201, response
    return keys


async def set_prefs(office: Office, who: str, **prefs: Any) -> dict[str, Any]:
    response = await office.api.patch("/api/notifications/settings", prefs, token=office.tokens[who])
    assert response.status == 200, response
    return response.body


async def wait_for(check: Any, limit: float = WITHIN_S) -> float:
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < limit, "not within the limit"
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def sends_of(office: Office, who: str) -> list[dict[str, Any]]:
    response = await office.api.get("/api/notifications/sends", token=office.tokens[who])
    assert response.status == 200, response
    return list(response.body["items"])


async def urgent_task_for_head(office: Office) -> dict[str, Any]:
    """A 特急 发文 moved on by the office to the 县长's 签发 step: his task is created now."""
    document = await office.draft(urgency="特急", title="关于立即做好防汛抢险工作的紧急通知")
    await office.start(document["id"])
    await office.act("office", (await office.only_task("office"))["id"])
    return document


async def test_an_urgent_task_reaches_a_closed_phone_by_web_push_and_email_once(
        office: Office, mail: tuple[SmtpInbox, int], pushes: PushService) -> None:
    smtp, _ = mail
    keys = await subscribe(office, "head", pushes)
    await set_prefs(office, "head", email="sun.xianzhang@gov.example.cn")
    # No socket open for 孙县长: his app is closed. (Quiet hours and kinds do not matter for 特急.)
    await set_prefs(office, "head", quiet_start="00:00", quiet_end="23:59", kinds=[])
    started = time.monotonic()
    await urgent_task_for_head(office)
    await wait_for(lambda: smtp.messages and pushes.received)
    elapsed = time.monotonic() - started
    print(f"特急: Web Push and e-mail received {elapsed:.2f} s after the office head's approval was sent")
    assert elapsed < WITHIN_S
    await asyncio.sleep(1.0)  # nothing more comes: once
    assert len(smtp.messages) == 1 and len(pushes.received) == 1

    mail_message = smtp.messages[0]
    assert mail_message["to"] == ["sun.xianzhang@gov.example.cn"]
    assert mail_message["from"] == "oa-notice@gov.example.cn"
    assert "特急·新待办" in mail_message["subject"] and "防汛抢险" in mail_message["subject"]
    assert "https://oa.gov.example.cn/#/task/task-" in mail_message["text"]

    received = pushes.received[0]
    public_key = (await office.api.get("/api/webpush/key")).body["public_key"]
    check_vapid(received["headers"], public_key, pushes.base)
    assert int(received["headers"]["Ttl"]) > 0
    payload = keys.decrypt(received["body"], received["headers"])
    task = await office.only_task("head")
    assert payload["url"] == f"/#/task/{task['id']}" and payload["urgent"] is True
    assert payload["title"] == "【特急·新待办】关于立即做好防汛抢险工作的紧急通知"

    sends = {send["channel"]: send for send in await sends_of(office, "head")}
    assert {channel: send["status"] for channel, send in sends.items()} == {"webpush": "sent", "email": "sent"}
    assert all(len(send["attempts"]) == 1 and send["attempts"][0]["ok"] for send in sends.values())
    inbox = (await office.api.get("/api/notifications", token=office.tokens["head"])).body
    assert inbox["unread"] == 1 and inbox["items"][0]["urgent"] and inbox["items"][0]["link"] == payload["url"]


@pytest.fixture
async def second_replica(services: Services, endpoints: Endpoints) -> AsyncIterator[tuple[Services, str]]:
    other = await Services.open(services.settings, endpoints)
    server, base = await start_app(other)
    try:
        yield other, base
    finally:
        server.stop()
        await other.close()


async def test_two_replicas_send_each_notification_once(
        office: Office, second_replica: tuple[Services, str], mail: tuple[SmtpInbox, int],
        pushes: PushService) -> None:
    smtp, _ = mail
    await subscribe(office, "head", pushes)
    await set_prefs(office, "head", email="sun@gov.example.cn")
    for _ in range(3):
        await urgent_task_for_head(office)
    await wait_for(lambda: len(smtp.messages) >= 3 and len(pushes.received) >= 3)
    await asyncio.sleep(1.5)
    assert len(smtp.messages) == 3 and len(pushes.received) == 3
    assert len({message["subject"] for message in smtp.messages}) == 1  # the same notice, three tasks


async def test_failed_sends_are_retried_with_every_attempt_recorded(
        office: Office, mail: tuple[SmtpInbox, int], pushes: PushService) -> None:
    smtp, _ = mail
    smtp.refuse_next = 2  # 451 twice, then accepted
    pushes.fail_next = 1  # 503 once
    keys = await subscribe(office, "head", pushes)
    await set_prefs(office, "head", email="sun@gov.example.cn")
    await urgent_task_for_head(office)
    await wait_for(lambda: smtp.messages and pushes.received, limit=15)
    assert keys.decrypt(pushes.received[0]["body"], pushes.received[0]["headers"])["urgent"] is True
    # The outcome is recorded once the provider has answered and the connection is closed: a moment after
    # the message arrives.
    started = asyncio.get_running_loop().time()
    while {send["status"] for send in await sends_of(office, "head")} != {"sent"}:
        assert asyncio.get_running_loop().time() - started < 15, await sends_of(office, "head")
        await asyncio.sleep(0.05)
    sends = {send["channel"]: send for send in await sends_of(office, "head")}
    assert [attempt["ok"] for attempt in sends["email"]["attempts"]] == [False, False, True]
    assert "451" in sends["email"]["attempts"][0]["error"]
    assert [attempt["ok"] for attempt in sends["webpush"]["attempts"]] == [False, True]
    assert sends["email"]["status"] == sends["webpush"]["status"] == "sent"


async def test_an_open_app_and_the_persons_choices_keep_ordinary_notices_inside(
        office: Office, mail: tuple[SmtpInbox, int], pushes: PushService) -> None:
    """Not urgent: the 核稿 task reaches the office's open app only; with the app closed, it goes out by e-mail;
    a kind the person turned off stays in the 消息 centre."""
    smtp, _ = mail
    await set_prefs(office, "office", email="zhao@gov.example.cn", quiet_start="", quiet_end="")
    push = await Push.connect(office.api.base_url, office.tokens["office"])
    await office.start((await office.draft(title="关于召开例会的通知"))["id"])
    await push.next_of("task.created")
    await asyncio.sleep(1.5)  # past the grace
    push.close()
    assert smtp.messages == []
    assert [send["why"] for send in await sends_of(office, "office")] == ["app_open"]

    await asyncio.sleep(0.3)  # the socket's close has reached the server
    await office.start((await office.draft(title="关于报送年度总结的通知"))["id"])
    await wait_for(lambda: len(smtp.messages) == 1)
    assert "【新待办】关于报送年度总结的通知" in smtp.messages[0]["subject"]

    await set_prefs(office, "office", kinds=["task.urged"])
    await office.start((await office.draft(title="关于清理文件柜的通知"))["id"])
    await asyncio.sleep(1.5)
    assert len(smtp.messages) == 1
    statuses = sorted(send["why"] or send["status"] for send in await sends_of(office, "office"))
    assert statuses == ["app_open", "kind_off", "sent"]
    inbox = (await office.api.get("/api/notifications", token=office.tokens["office"])).body
    assert inbox["total"] == 3 and inbox["unread"] == 3


async def test_an_event_no_replica_handled_is_found_by_the_sweep_and_sent_late(
        services: Services, office: Office, mail: tuple[SmtpInbox, int]) -> None:
    """As if the only replica stopped between the flow's commit and handling its event."""
    smtp, _ = mail
    await set_prefs(office, "head", email="sun@gov.example.cn")
    await services.notifications.notifier.stop()  # nothing handles events live now
    await urgent_task_for_head(office)
    await asyncio.sleep(0.5)
    assert smtp.messages == []
    assert (await office.api.get("/api/notifications", token=office.tokens["head"])).body["total"] == 0
    notifier = services.notifications.notifier
    later = utcnow() + timedelta(seconds=30)  # the event has settled by then
    assert await notifier.sweep(later) == 2  # the office's 核稿 task and the head's 签发 task
    assert await notifier.sweep(later) == 0  # handled once
    await wait_for(lambda: len(smtp.messages) == 1)
    inbox = (await office.api.get("/api/notifications", token=office.tokens["head"])).body
    assert inbox["total"] == 1 and inbox["items"][0]["urgent"]


async def test_quiet_hours_hold_an_ordinary_notice_until_they_end(
        services: Services, office: Office, mail: tuple[SmtpInbox, int]) -> None:
    smtp, _ = mail
    await set_prefs(office, "office", email="zhao@gov.example.cn", quiet_start="00:00", quiet_end="23:59")
    await office.start((await office.draft(title="关于报送月度统计报表的通知"))["id"])
    await asyncio.sleep(1.5)  # past the grace: still held
    [held] = await sends_of(office, "office")
    assert (held["status"], held["why"], held["attempts"]) == ("pending", "quiet_hours", [])
    assert smtp.messages == []
    # The quiet hours end (the send falls due): the poll of any replica sends it.
    await services.mongo["notification_sends"].update_one({"_id": held["id"]}, {"$set": {"next_at": utcnow()}})
    await wait_for(lambda: len(smtp.messages) == 1)
    assert "关于报送月度统计报表的通知" in smtp.messages[0]["subject"]
    [sent] = await sends_of(office, "office")
    assert sent["status"] == "sent" and len(sent["attempts"]) == 1

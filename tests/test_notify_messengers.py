"""企业微信 and 钉钉 work notices and SMS, against local servers speaking the providers' APIs: tokens fetched once
and renewed when expired, provider errors that are retried or not, and all channels from one 特急 task."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from oa.errors import DeliveryFailed
from oa.notifications.dingtalk import DingTalkSender
from oa.notifications.wecom import WeComSender
from tests.client import ApiClient
from tests.conftest import make_settings
from tests.flow_org import Office, build_office
from tests.providers import AliyunSmsService, MessengerService, aliyun_sms, dingtalk, wecom
from web.config import Settings
from web.services import Services


def wecom_sender(service: MessengerService, secret: str | None = None) -> WeComSender:
    return WeComSender(service.base, service.key, secret or service.secret, str(service.agent_id))


def dingtalk_sender(service: MessengerService, secret: str | None = None) -> DingTalkSender:
    return DingTalkSender(service.base, service.key, secret or service.secret, str(service.agent_id))


@pytest.mark.parametrize("kind", ["wecom", "dingtalk"])
async def test_a_messenger_takes_a_card_with_its_token_reused_and_renewed(kind: str) -> None:
    with (wecom if kind == "wecom" else dingtalk)({"sunxz"}) as service:
        sender = wecom_sender(service) if kind == "wecom" else dingtalk_sender(service)
        await sender.send("sunxz", "【特急·新待办】关于防汛的紧急通知", "赵主任送来「签发」", "https://oa.example/#/task/t1")
        await sender.send("sunxz", "【催办】关于防汛的紧急通知", "请尽快办理", None)
        assert service.token_requests == 1  # kept until it expires
        service.expire_tokens()
        await sender.send("sunxz", "【新待办】关于例会的通知", "送来「核稿」", "https://oa.example/#/task/t2")
        assert service.token_requests == 2  # an expired token is fetched again and the message sent once
    assert [item["to"] for item in service.received] == [["sunxz"]] * 3
    first = service.received[0]
    if kind == "wecom":
        assert (first["type"], first["title"], first["url"]) == ("textcard", "【特急·新待办】关于防汛的紧急通知",
                                                                  "https://oa.example/#/task/t1")
    else:
        assert (first["type"], first["title"], first["single_url"]) == (
            "action_card", "【特急·新待办】关于防汛的紧急通知", "https://oa.example/#/task/t1")
    assert service.received[1]["type"] == "text"


@pytest.mark.parametrize("kind", ["wecom", "dingtalk"])
async def test_messenger_errors_say_whether_to_retry(kind: str) -> None:
    with (wecom if kind == "wecom" else dingtalk)({"sunxz"}) as service:
        sender = wecom_sender(service) if kind == "wecom" else dingtalk_sender(service)
        service.fail_next.append((-1, "system busy"))
        with pytest.raises(DeliveryFailed, match="errcode -1") as busy:
            await sender.send("sunxz", "t", "b", None)
        assert busy.value.retryable
        bad_secret = wecom_sender(service, "wrong") if kind == "wecom" else dingtalk_sender(service, "wrong")
        with pytest.raises(DeliveryFailed, match="gettoken") as refused:
            await bad_secret.send("sunxz", "t", "b", None)
        assert not refused.value.retryable
        if kind == "wecom":
            with pytest.raises(DeliveryFailed, match="81013") as unknown:
                await sender.send("nobody", "t", "b", None)
            assert not unknown.value.retryable


@pytest.fixture
async def providers() -> AsyncIterator[dict[str, Any]]:
    # Async, so the providers' Tornado servers are bound to the running loop (see test_notify_delivery.pushes).
    with wecom({"sunxz"}) as wecom_service, dingtalk({"sun-xz"}) as dingtalk_service, \
            aliyun_sms() as (sms_service, sms_endpoint):
        yield {"wecom": wecom_service, "dingtalk": dingtalk_service, "sms": sms_service, "sms_endpoint": sms_endpoint}


@pytest.fixture
def settings(tmp_path: Path, providers: dict[str, Any]) -> Settings:
    wecom_service, dingtalk_service = providers["wecom"], providers["dingtalk"]
    return make_settings(
        tmp_path, "t_" + uuid.uuid4().hex[:12], public_url="https://oa.gov.example.cn",
        wecom_corp_id=wecom_service.key, wecom_secret=wecom_service.secret, wecom_agent_id="1000002",
        wecom_base_url=wecom_service.base,
        dingtalk_app_key=dingtalk_service.key, dingtalk_app_secret=dingtalk_service.secret,
        dingtalk_agent_id="2788001", dingtalk_base_url=dingtalk_service.base,
        sms_provider="aliyun", sms_access_key_id=AliyunSmsService.access_key_id,
        sms_access_key_secret=AliyunSmsService.access_key_secret, sms_sign_name=AliyunSmsService.sign_name,
        sms_template_notice="SMS_900001", sms_endpoint=providers["sms_endpoint"],
        notify_retry_seconds=0.3, notify_grace_seconds=0.5)


async def test_an_urgent_task_goes_to_every_messenger_and_sms_once_with_retries(
        services: Services, api: ApiClient, providers: dict[str, Any]) -> None:
    office: Office = await build_office(services, api)
    head = await services.users.get(office.ids["head"])
    await services.users.update(office.ids["head"], {"mobile": "13900001234"}, head["version"])
    response = await api.patch("/api/notifications/settings", {"wecom_user": "sunxz", "dingtalk_user": "sun-xz",
                                                               "sms": True}, token=office.tokens["head"])
    assert response.status == 200, response
    assert [item["key"] for item in response.body["channels"]] == ["webpush", "wecom", "dingtalk", "sms"]
    providers["wecom"].fail_next.append((-1, "system busy"))  # retried
    providers["sms"].fail_next.append(("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控"))  # retried

    document = await office.draft(urgency="特急", title="关于立即做好防汛抢险工作的紧急通知")
    await office.start(document["id"])
    await office.act("office", (await office.only_task("office"))["id"])
    for _ in range(150):
        if all(providers[kind].received for kind in ("wecom", "dingtalk", "sms")):
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)
    wecom_got, dingtalk_got, sms_got = (providers[kind].received for kind in ("wecom", "dingtalk", "sms"))
    assert len(wecom_got) == len(dingtalk_got) == len(sms_got) == 1
    task = await office.only_task("head")
    assert wecom_got[0]["url"] == f"https://oa.gov.example.cn/#/task/{task['id']}"
    assert dingtalk_got[0]["to"] == ["sun-xz"] and "特急" in dingtalk_got[0]["title"]
    assert sms_got[0] == {"mobile": "13900001234", "template": "SMS_900001", "sign_name": AliyunSmsService.sign_name,
                          "params": {"kind": "特急·新待办", "title": "关于立即做好防汛抢险工作的紧急通知"}}
    sends = {send["channel"]: send for send in (await api.get("/api/notifications/sends",
                                                              token=office.tokens["head"])).body["items"]}
    assert [attempt["ok"] for attempt in sends["wecom"]["attempts"]] == [False, True]
    assert [attempt["ok"] for attempt in sends["sms"]["attempts"]] == [False, True]
    assert [attempt["ok"] for attempt in sends["dingtalk"]["attempts"]] == [True]
    assert "webpush" not in sends  # no device subscribed

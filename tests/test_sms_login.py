"""短信验证码登录 over real HTTP, through the SMS provider's local test server: codes hashed at rest, single use,
expiring, throttled per mobile and per address, and answers that never tell whether a number is registered."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from oa.clock import utcnow
from tests.client import ApiClient
from tests.conftest import start_app
from tests.factories import small_org
from tests.providers import AliyunSmsService, aliyun_sms
from web.services import Services

MOBILE = "13800138000"


@pytest.fixture
async def sms_site(services: Services) -> AsyncIterator[tuple[ApiClient, AliyunSmsService]]:
    org = await small_org(services)
    clerk = org.users["clerk"]
    await services.users.update(clerk["_id"], {"mobile": MOBILE}, clerk["version"])
    with aliyun_sms() as (sms, endpoint):
        settings = services.settings.with_changes(
            sms_provider="aliyun", sms_access_key_id=AliyunSmsService.access_key_id,
            sms_access_key_secret=AliyunSmsService.access_key_secret, sms_sign_name=AliyunSmsService.sign_name,
            sms_endpoint=endpoint, sms_template_login="SMS_900002")
        server, base_url = await start_app(dataclasses.replace(services, settings=settings))
        try:
            yield ApiClient(base_url), sms
        finally:
            server.stop()


async def test_a_code_logs_in_once_and_is_kept_only_hashed(services: Services,
                                                           sms_site: tuple[ApiClient, AliyunSmsService]) -> None:
    api, sms = sms_site
    assert (await api.get("/api/login/options")).body["sms"] is True
    unknown = await api.post("/api/login/sms-code", {"mobile": "13900009999"})
    known = await api.post("/api/login/sms-code", {"mobile": "+86 138-0013-8000"})
    assert unknown.status == known.status == 200 and unknown.body == known.body
    [sent] = sms.received
    code = sent["params"]["code"]
    stored = await services.mongo["sms_codes"].find_one({"_id": MOBILE})
    assert code not in str(stored)

    wrong_number = await api.post("/api/login/sms", {"mobile": "13900009999", "code": code})
    wrong_code = await api.post("/api/login/sms", {"mobile": MOBILE, "code": "000000" if code != "000000" else "1"})
    assert wrong_number.status == wrong_code.status == 401 and wrong_number.body == wrong_code.body
    ok = await api.post("/api/login/sms", {"mobile": MOBILE, "code": code})
    assert ok.status == 200 and ok.body["user"]["username"] == "clerk"
    assert (await api.get("/api/me", token=ok.body["token"])).status == 200
    assert (await api.post("/api/login/sms", {"mobile": MOBILE, "code": code})).status == 401  # used up


async def test_an_expired_code_is_refused(services: Services, sms_site: tuple[ApiClient, AliyunSmsService]) -> None:
    api, sms = sms_site
    await api.post("/api/login/sms-code", {"mobile": MOBILE})
    code = sms.received[-1]["params"]["code"]
    await services.mongo["sms_codes"].update_one({"_id": MOBILE},
                                                 {"$set": {"expires_at": utcnow() - timedelta(seconds=1)}})
    assert (await api.post("/api/login/sms", {"mobile": MOBILE, "code": code})).status == 401


async def test_asking_and_guessing_are_throttled(services: Services,
                                                 sms_site: tuple[ApiClient, AliyunSmsService]) -> None:
    api, sms = sms_site
    for _ in range(5):
        assert (await api.post("/api/login/sms-code", {"mobile": MOBILE})).status == 200
    too_many = await api.post("/api/login/sms-code", {"mobile": MOBILE})
    assert too_many.status == 429 and int(too_many.headers["Retry-After"]) > 0
    assert len(sms.received) == 5
    code = sms.received[-1]["params"]["code"]
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert (await api.post("/api/login/sms", {"mobile": MOBILE, "code": wrong})).status == 401
    # Six digits cannot be walked through: after five misses even the right code waits.
    assert (await api.post("/api/login/sms", {"mobile": MOBILE, "code": code})).status == 429


async def test_without_configuration_there_is_no_sms_login(api: ApiClient) -> None:
    assert (await api.get("/api/login/options")).body["sms"] is False
    refused = await api.post("/api/login/sms-code", {"mobile": MOBILE})
    assert refused.status == 404 and refused.body["code"] == "sms_login_disabled"

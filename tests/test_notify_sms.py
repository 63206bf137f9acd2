"""SMS through Aliyun dysms SendSms, against a local server that checks requests as the provider does."""

from __future__ import annotations

import pytest

from oa.errors import DeliveryFailed
from oa.notifications.sms import AliyunSms, aliyun_signature, sms_sender
from tests.providers import AliyunSmsService, aliyun_sms
from web.config import ConfigError, Settings


def sender_for(endpoint: str, **changes: str) -> AliyunSms:
    settings = Settings(sms_provider="aliyun", sms_access_key_id=changes.get("key", AliyunSmsService.access_key_id),
                        sms_access_key_secret=changes.get("secret", AliyunSmsService.access_key_secret),
                        sms_sign_name=changes.get("sign", AliyunSmsService.sign_name), sms_endpoint=endpoint)
    sender = sms_sender(settings)
    assert isinstance(sender, AliyunSms)
    return sender


def test_signature_matches_the_providers_documented_example() -> None:
    """The worked example of Aliyun's SendSms documentation (secret testSecret)."""
    params = {"AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123",
              "PhoneNumbers": "15300000001", "RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用",
              "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
              "SignatureVersion": "1.0", "TemplateCode": "SMS_71390007", "TemplateParam": '{"customer":"test"}',
              "Timestamp": "2017-07-12T02:42:19Z", "Version": "2017-05-25"}
    assert aliyun_signature(params, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


async def test_a_message_reaches_the_provider_signed_with_sign_name_and_template() -> None:
    with aliyun_sms() as (service, endpoint):
        sender = sender_for(endpoint)
        await sender.send("+86 139-0000-1234", "SMS_900001", {"kind": "特急待办", "title": "关于防汛的紧急通知"})
        await sender.send("13900001235", "SMS_900002", {"code": "482913"})
    sign = "某市政府办公室"
    assert service.received == [
        {"mobile": "13900001234", "template": "SMS_900001",
         "params": {"kind": "特急待办", "title": "关于防汛的紧急通知"}, "sign_name": sign},
        {"mobile": "13900001235", "template": "SMS_900002", "params": {"code": "482913"}, "sign_name": sign}]


async def test_provider_errors_are_clear_and_say_whether_to_retry() -> None:
    with aliyun_sms() as (service, endpoint):
        service.fail_next.append(("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1"))
        with pytest.raises(DeliveryFailed, match="BUSINESS_LIMIT_CONTROL") as throttled:
            await sender_for(endpoint).send("13900001234", "SMS_900002", {"code": "1"})
        assert throttled.value.retryable
        await sender_for(endpoint).send("13900001234", "SMS_900002", {"code": "1"})  # the retry goes through
        with pytest.raises(DeliveryFailed, match="SignatureDoesNotMatch") as forged:
            await sender_for(endpoint, secret="wrong-secret").send("13900001234", "SMS_900002", {"code": "1"})
        with pytest.raises(DeliveryFailed, match="SMS_SIGNATURE_ILLEGAL") as unsigned:
            await sender_for(endpoint, sign="未报备的签名").send("13900001234", "SMS_900002", {"code": "1"})
        with pytest.raises(DeliveryFailed, match="SMS_TEMPLATE_ILLEGAL") as untemplated:
            await sender_for(endpoint).send("13900001234", "SMS_000000", {"code": "1"})
        with pytest.raises(DeliveryFailed, match="手机号") as bad_number:
            await sender_for(endpoint).send("12345", "SMS_900002", {"code": "1"})
    assert not any(error.value.retryable for error in (forged, unsigned, untemplated, bad_number))
    assert len(service.received) == 1


async def test_an_unreachable_provider_is_a_retryable_failure() -> None:
    with aliyun_sms() as (_, endpoint):
        pass  # stopped: nothing listens there now
    with pytest.raises(DeliveryFailed) as down:
        await sender_for(endpoint).send("13900001234", "SMS_900002", {"code": "1"})
    assert down.value.retryable


def test_sms_is_absent_unless_configured_and_configuration_is_checked() -> None:
    assert sms_sender(Settings()) is None
    with pytest.raises(ConfigError, match="OA_SMS_SIGN_NAME"):
        Settings.from_env({"OA_SMS_PROVIDER": "aliyun", "OA_SMS_ACCESS_KEY_ID": "k", "OA_SMS_ACCESS_KEY_SECRET": "s"})
    with pytest.raises(ConfigError, match="OA_SMS_PROVIDER"):
        Settings.from_env({"OA_SMS_PROVIDER": "carrier-pigeon"})
    described = Settings(sms_provider="aliyun", sms_access_key_id="k", sms_access_key_secret="hush",
                         sms_sign_name="签名").describe()
    assert described["OA_SMS_ACCESS_KEY_SECRET"] == "***"
    assert "hush" not in repr(sms_sender(Settings(sms_provider="aliyun", sms_access_key_id="k",
                                                  sms_access_key_secret="hush", sms_sign_name="签名")))

"""SMS through a provider: the `SmsSender` interface, and Aliyun 短信服务 (dysms `SendSms`) behind it.

Chinese carriers deliver only messages with an approved 签名 (sign name) and an approved 模板
(template, referred to by its code, with `${name}` parameters), so both are configuration: the sign
name is a setting, and each caller passes the template code it was approved for and the parameters.
`sms_sender(settings)` gives the configured sender, or None when SMS is not configured (then nothing
is sent by SMS and callers say so instead of failing later).

`AliyunSms.send` speaks the dysms RPC API as documented (version 2017-05-25): every parameter in the
query, signed with HMAC-SHA1 over the canonical query (signature version 1.0). It returns when the
provider accepted the message (`Code` = `OK`) and raises DeliveryFailed otherwise, with the
provider's code and message; throttling and provider faults are marked retryable, a wrong number,
sign name, template or key are not.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import quote

from oa.errors import DeliveryFailed
from oa.notifications.http import request_json

ALIYUN_ENDPOINT = "https://dysmsapi.aliyuncs.com/"
ALIYUN_VERSION = "2017-05-25"
# Codes after which the same message may go through later; every other code is final.
RETRYABLE_CODES = {"isv.BUSINESS_LIMIT_CONTROL", "Throttling", "Throttling.User", "Throttling.Api",
                   "ServiceUnavailable", "InternalError", "isp.SYSTEM_ERROR"}
MOBILE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")


class SmsSender(Protocol):
    async def send(self, mobile: str, template_code: str, params: dict[str, str]) -> None:
        """Send one templated SMS to a mainland mobile number; raises DeliveryFailed when it was not accepted."""
        ...


def mainland_mobile(mobile: str) -> str:
    """The 11-digit number of a mainland mobile (spaces, dashes and +86 allowed), or DeliveryFailed."""
    match = MOBILE.match(re.sub(r"[\s-]", "", mobile or ""))
    if match is None:
        raise DeliveryFailed(f"短信: {mobile!r} 不是有效的手机号码", retryable=False, provider_code="bad_mobile")
    return match.group(1)


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as Aliyun's RPC signature wants it (space as %20, `~` kept, `*` as %2A)."""
    return quote(value, safe="~")


def aliyun_signature(params: dict[str, str], secret: str, method: str = "GET") -> str:
    canonical = "&".join(f"{percent_encode(key)}={percent_encode(params[key])}" for key in sorted(params))
    to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSms:
    """Aliyun dysms SendSms. `endpoint` is the API's base URL (another only for a private gateway or a test)."""

    def __init__(self, access_key_id: str, access_key_secret: str, sign_name: str,
                 endpoint: str = ALIYUN_ENDPOINT, region: str = "cn-hangzhou") -> None:
        self.access_key_id = access_key_id
        self._secret = access_key_secret
        self.sign_name = sign_name
        self.endpoint = endpoint
        self.region = region

    def signed_query(self, mobile: str, template_code: str, params: dict[str, str]) -> dict[str, str]:
        query = {
            "AccessKeyId": self.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": mobile,
            "RegionId": self.region,
            "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": secrets.token_hex(16),
            "SignatureVersion": "1.0",
            "TemplateCode": template_code,
            "TemplateParam": json.dumps(params, ensure_ascii=False, separators=(",", ":")),
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": ALIYUN_VERSION,
        }
        query["Signature"] = aliyun_signature(query, self._secret)
        return query

    async def send(self, mobile: str, template_code: str, params: dict[str, str]) -> None:
        if not template_code:
            raise DeliveryFailed("短信: 没有配置短信模板编号", retryable=False, provider_code="no_template")
        number = mainland_mobile(mobile)
        query = self.signed_query(number, template_code, {key: str(value) for key, value in params.items()})
        status, body = await request_json("GET", self.endpoint, service="阿里云短信", params=query)
        code = str(body.get("Code", ""))
        if status == 200 and code == "OK":
            return
        retryable = code in RETRYABLE_CODES or code.startswith("isp.") or status >= 500
        raise DeliveryFailed(f"阿里云短信: {code or f'HTTP {status}'} {body.get('Message', '')}".strip(),
                             retryable=retryable, provider_code=code or str(status))

    def __repr__(self) -> str:  # the secret never shows in logs
        return f"AliyunSms(access_key_id={self.access_key_id!r}, sign_name={self.sign_name!r})"


def sms_sender(settings: Any) -> SmsSender | None:
    """The configured SMS sender (OA_SMS_*), or None when SMS is not configured."""
    provider = getattr(settings, "sms_provider", None)
    if not provider:
        return None
    if provider != "aliyun":
        raise DeliveryFailed(f"短信: 不支持的短信服务商 {provider!r}", retryable=False)
    return AliyunSms(settings.sms_access_key_id, settings.sms_access_key_secret, settings.sms_sign_name,
                     endpoint=settings.sms_endpoint or ALIYUN_ENDPOINT, region=settings.sms_region)

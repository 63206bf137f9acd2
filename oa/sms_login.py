"""Logging in with a mobile number and a code sent by SMS (短信验证码登录), through the SMS adapter
(oa/notifications/sms.py).

Promises:
- A code is 6 random digits, valid for `lifetime` (5 minutes by default), good for one login only: it is
  consumed by the same atomic delete that checks it. Only a salted SHA-256 of it is stored, in
  `sms_codes` (owned here), one current code per mobile; asking again replaces it.
- Asking for a code is throttled per mobile and per client address, and so is trying codes (counted
  before the check, as password logins are), so six digits cannot be guessed in a code's lifetime.
- The answers never say whether a mobile belongs to anyone: asking for a code always answers the same
  (a number with no active person, or several, gets no SMS: a code must name one person), and a wrong
  code, an expired one and an unknown mobile are one 401.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta
from typing import Any

from oa.clock import utcnow
from oa.errors import DeliveryFailed, Throttled, Unauthenticated
from oa.notifications.sms import SmsSender
from oa.sessions import LoginResult, SessionService
from oa.throttle import LoginThrottle
from oa.users import UserService, national_mobile
from storage.mongo import SCHEMA_VERSION, Mongo

log = logging.getLogger("oa.sms_login")

CODE_DIGITS = 6
WRONG_CODE = "手机号或验证码不正确，或验证码已过期。 Wrong mobile number or code, or the code has expired."
SENT = "如果该手机号已在本平台登记，验证码短信已发出，5 分钟内有效。"


class SendThrottle(LoginThrottle):
    """Codes asked for, counted per mobile and per address apart from logins."""

    @staticmethod
    def _keys(username: str, client: str) -> dict[str, str]:
        return {"account": f"sms-send:{username}", "address": f"sms-send-address:{client}"}


class CodeThrottle(LoginThrottle):
    """Codes tried, per mobile and per address; a right code clears the mobile's count."""

    @staticmethod
    def _keys(username: str, client: str) -> dict[str, str]:
        return {"account": f"sms-code:{username}", "address": f"sms-code-address:{client}"}


def _hash(mobile: str, code: str, salt: str) -> str:
    return hashlib.sha256(f"{salt}:{mobile}:{code}".encode()).hexdigest()


class SmsLogin:
    def __init__(self, mongo: Mongo, users: UserService, sessions: SessionService, sender: SmsSender,
                 template_code: str, lifetime: timedelta = timedelta(minutes=5)) -> None:
        self.codes = mongo["sms_codes"]
        self.users = users
        self.sessions = sessions
        self.sender = sender
        self.template_code = template_code
        self.lifetime = lifetime
        window = timedelta(minutes=15)
        self.send_throttle = SendThrottle(mongo, 5, 20, window)
        self.code_throttle = CodeThrottle(mongo, 5, 20, window)

    async def request_code(self, mobile: str, client: str) -> str:
        """Send a fresh code if `mobile` is one active person's; the same answer either way."""
        number = national_mobile(mobile)
        try:
            await self.send_throttle.reserve(number, client)
        except Throttled as throttled:
            raise Throttled(f"获取验证码过于频繁，请 {throttled.retry_after} 秒后再试。 Too many codes asked for; "
                            f"try again in {throttled.retry_after} s", throttled.retry_after) from None
        user = await self.users.find_for_sign_in("mobile", number)
        if user is None:
            log.info("SMS login code asked for %s****%s, which names no single active person", number[:3],
                     number[-4:])
            return SENT
        code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
        salt, now = secrets.token_hex(8), utcnow()
        await self.codes.replace_one({"_id": number}, {
            "_id": number, "user_id": user["_id"], "salt": salt, "code_hash": _hash(number, code, salt),
            "created_at": now, "expires_at": now + self.lifetime, "schema_version": SCHEMA_VERSION}, upsert=True)
        try:
            await self.sender.send(number, self.template_code, {"code": code})
        except DeliveryFailed as failed:
            # Told to nobody but the log: an error here would say the number is registered.
            log.error("SMS login code to %s****%s not sent: %s", number[:3], number[-4:], failed)
        return SENT

    async def log_in(self, mobile: str, code: str, client: str, channel: str) -> LoginResult:
        number = national_mobile(mobile)
        await self.code_throttle.reserve(number, client)
        record = await self.codes.find_one({"_id": number})
        if record is None or record["expires_at"] <= utcnow():
            raise Unauthenticated(WRONG_CODE)
        wanted = _hash(number, "".join(code.split()), record["salt"])
        if not hmac.compare_digest(wanted, record["code_hash"]):
            raise Unauthenticated(WRONG_CODE)
        # Single use: of two logins with the same code, only the one that deletes it goes on.
        consumed = await self.codes.find_one_and_delete({"_id": number, "code_hash": wanted})
        if consumed is None:
            raise Unauthenticated(WRONG_CODE)
        user: dict[str, Any] | None = await self.users.find_for_sign_in("mobile", number)
        if user is None or user["_id"] != consumed["user_id"]:
            raise Unauthenticated(WRONG_CODE)
        await self.code_throttle.succeeded(number, client)
        log.info("%s logged in with an SMS code", user["username"])
        return await self.sessions.open_session(user, client, channel)

"""First login for people who have no password yet (imported without one): one-time activation codes.

Hashing 65,000 Argon2 passwords would make an import take hours, so people imported without a
password get no hash: they are *not activated*. Promises:

- Logging in as a not-activated, active person answers 403 `activation_required` (after the same
  throttle count and hashing work as a wrong password), so the person learns what to do instead
  of retrying a password they never had. This tells whoever asks that the username belongs to a
  not-activated account; wrong usernames, wrong passwords and deactivated accounts stay one 401.
  Usernames are directory data every member of the org can read, and the per-address login budget
  bounds the probing, so the clear answer is worth more than the secret.
- An admin issues a code for one person or for every not-activated person of a unit (and its
  subtree): 10 characters from an alphabet without look-alikes (no 0/O, 1/I/L), about 49 bits,
  valid for 7 days. Only its SHA-256 is stored, on the person's record, with who issued it and
  when; issuing again replaces the earlier code. The record is written by its owner, oa/users.py.
- `activate` takes username, code and a new password: a password of the required strength, the
  person's current code, unexpired, sets the password and consumes the code in one
  compare-and-set, so of two activations with the same code exactly one wins. A wrong code is
  400 `invalid_activation_code` (the same whether the username exists or not), an expired one 410
  `activation_code_expired`, the code that already activated the account 409 `already_activated`.
  Attempts are throttled per account and per address like logins, in counters of their own.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from oa.clock import CHINA, utcnow
from oa.errors import Conflict, InvalidInput, NotFound, OAError, Throttled
from oa.passwords import check_strength, hash_password
from oa.throttle import LoginThrottle

if TYPE_CHECKING:
    from oa.directory import Person
    from oa.users import UserService  # which builds the Activation it holds

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
LIFETIME = timedelta(days=7)
CSV_HEADERS = ("用户名", "姓名", "单位", "激活码", "有效期至")

REQUIRED_MESSAGE = ("账号尚未激活：请向本单位管理员索取激活码，在登录页点“首次登录激活”设置密码。"
                    " This account is not activated yet: ask your unit's administrator for an activation code,"
                    " then choose 首次登录激活 on the login page to set your password.")
INVALID_MESSAGE = ("用户名或激活码不正确。 Wrong username or activation code.")
EXPIRED_MESSAGE = ("激活码已过期，请向本单位管理员重新索取。 This activation code has expired;"
                   " ask your unit's administrator for a new one.")
USED_MESSAGE = ("此激活码已使用，账号已激活，请用密码登录。 This code has already activated the account;"
                " log in with your password.")


class ActivationRequired(OAError):
    code = "activation_required"
    status = 403


class InvalidActivationCode(OAError):
    code = "invalid_activation_code"
    status = 400


class ActivationCodeExpired(OAError):
    code = "activation_code_expired"
    status = 410


class AlreadyActivated(Conflict):
    code = "already_activated"


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalized(code: str) -> str:
    """What the person typed, as issued: spaces and dashes dropped, letters upper case."""
    return "".join(char for char in code.upper() if char not in " -\t")


def code_hash(code: str) -> str:
    return hashlib.sha256(normalized(code).encode()).hexdigest()


def aware(value: datetime) -> datetime:
    """Stored datetimes may come back naive (UTC) from some drivers."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class IssuedCode:
    user_id: str
    username: str
    display_name: str
    unit_name: str
    code: str
    expires_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "username": self.username, "display_name": self.display_name,
                "unit": self.unit_name, "code": self.code,
                "expires_at": self.expires_at.astimezone(UTC).isoformat().replace("+00:00", "Z")}


def codes_csv(codes: Iterable[IssuedCode]) -> str:
    """CSV with Chinese headers and a BOM, so Excel on a clerk's PC opens it with the right encoding."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADERS)
    for issued in codes:
        writer.writerow([issued.username, issued.display_name, issued.unit_name, issued.code,
                         issued.expires_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")])
    return "\ufeff" + out.getvalue()


class ActivationThrottle(LoginThrottle):
    """The login throttle's rules, counted apart: guessing codes does not lock anyone out of logging in."""

    @staticmethod
    def _keys(username: str, client: str) -> dict[str, str]:
        return {"account": f"activation-account:{username.lower()}", "address": f"activation-address:{client}"}


class Activation:
    def __init__(self, users: UserService, throttle: LoginThrottle, clock: Callable[[], datetime] = utcnow,
                 lifetime: timedelta = LIFETIME) -> None:
        self.users = users
        self.throttle = throttle
        self.clock = clock
        self.lifetime = lifetime

    def _unit_name(self, person: Person, scope: set[str] | None) -> str:
        """The unit to print beside the person: their primary post's, or within `scope` the first held there."""
        held = list(person.held()) or list(person.posts)
        if scope is not None:
            held = [post for post in held if post.unit_id in scope] or held
        post = next((post for post in held if post.primary), held[0] if held else None)
        if post is None:
            return ""
        unit = self.users.directory.unit(post.unit_id)
        return unit["name"] if unit else post.unit_name

    def _entry(self, code: str, now: datetime, by: str) -> dict[str, Any]:
        return {"code_hash": code_hash(code), "expires_at": now + self.lifetime, "issued_at": now, "issued_by": by}

    async def issue(self, user_id: str, by: str) -> IssuedCode:
        """A fresh code for one not-activated person (replacing the code they had)."""
        person = self.users.directory.person(user_id)
        if person is None:
            raise NotFound(f"user {user_id} does not exist", user_id=user_id)
        if not person.active:
            raise Conflict(f"user {person.username} is deactivated; reactivate them first", code="user_deactivated")
        code, now = new_code(), self.clock()
        entry = self._entry(code, now, by)
        if not await self.users.store_activation_codes({user_id: entry}):
            raise AlreadyActivated(f"user {person.username} has already activated their account (has a password); "
                                   f"reset the password instead", user_id=user_id)
        return IssuedCode(user_id, person.username, person.display_name, self._unit_name(person, None), code,
                          entry["expires_at"])

    async def issue_for_units(self, unit_ids: list[str], may_edit: Callable[[Person], bool],
                              by: str) -> list[IssuedCode]:
        """Fresh codes for every active, not-activated person holding a post in `unit_ids` whom `may_edit`
        allows, in the order of `unit_ids` and then by username."""
        directory = self.users.directory
        order = {unit_id: index for index, unit_id in enumerate(unit_ids)}
        members: dict[str, int] = {}
        for unit_id in unit_ids:
            for user_id in directory.members_of(unit_id):
                members.setdefault(user_id, order[unit_id])
        people = [person for person in directory.people(members).values() if person.active and may_edit(person)]
        pending = await self.users.not_activated([person.id for person in people])
        chosen = sorted((person for person in people if person.id in pending),
                        key=lambda person: (members[person.id], person.username))
        now, scope = self.clock(), set(unit_ids)
        codes = {person.id: new_code() for person in chosen}
        stored = await self.users.store_activation_codes(
            {person.id: self._entry(codes[person.id], now, by) for person in chosen})
        return [IssuedCode(person.id, person.username, person.display_name, self._unit_name(person, scope),
                           codes[person.id], now + self.lifetime) for person in chosen if person.id in stored]

    async def activate(self, username: str, code: str, password: str, client: str) -> dict[str, Any]:
        """Set the first password of a not-activated person who has the current code; the updated record."""
        problems = check_strength(password, username)
        if problems:
            raise InvalidInput("; ".join(problems), problems=problems, field="password")
        try:
            await self.throttle.reserve(username, client)
        except Throttled as throttled:
            raise Throttled(f"尝试次数过多，请稍后再试。 Too many activation attempts; try again in "
                            f"{throttled.retry_after} s", throttled.retry_after) from None
        wanted = code_hash(code)
        user = await self.users.find_by_username(username)
        if user is None or not user.get("active"):
            raise InvalidActivationCode(INVALID_MESSAGE)
        self._check(user, wanted)
        now = self.clock()
        password_hash = await hash_password(password)
        updated = await self.users.complete_activation(user["_id"], user["activation"], password_hash, now)
        if updated is None:
            # Someone else activated, or the code was replaced, between the check and the write.
            current = await self.users.find_by_username(username)
            self._check(current or {}, wanted)
            raise InvalidActivationCode(INVALID_MESSAGE)
        await self.throttle.succeeded(username, client)
        return updated

    def _check(self, user: dict[str, Any], wanted: str) -> None:
        """Refuse unless `wanted` is the person's current, unexpired code."""
        if user.get("password_hash"):
            used = (user.get("activated") or {}).get("code_hash") or ""
            if hmac.compare_digest(used, wanted):
                raise AlreadyActivated(USED_MESSAGE)
            raise InvalidActivationCode(INVALID_MESSAGE)
        current = user.get("activation") or {}
        if not hmac.compare_digest(current.get("code_hash") or "", wanted):
            raise InvalidActivationCode(INVALID_MESSAGE)
        if aware(current["expires_at"]) <= self.clock():
            raise ActivationCodeExpired(EXPIRED_MESSAGE)

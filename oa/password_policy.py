"""How long a password lasts and which may not come back (等级保护 level 3).

Promises:
- A password expires `max_age` after it was set (`password_changed_at`; records from before this rule
  count from `created_at`). A login with an expired password is refused with 403 `password_expired`
  after the password was found right, so the person, and only they, goes on to choose a new one.
- A new password may not be any of the person's last `history` passwords (the current one included).
  Earlier hashes are kept on the person's record (`password_history`, newest first), never shown.
- The strength rules themselves live in oa/passwords.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from oa.errors import InvalidInput, OAError
from oa.passwords import matches_any

EXPIRED_MESSAGE = ("密码已过期，请设置新密码后登录。 Your password has expired; choose a new one to log in.")
REUSED_MESSAGE = ("新密码不能与最近 {n} 次使用过的密码相同。"
                  " The new password must differ from your last {n} passwords.")


class PasswordExpired(OAError):
    code = "password_expired"
    status = 403


class PasswordReused(InvalidInput):
    code = "password_reused"


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class PasswordPolicy:
    # None: passwords never expire.
    max_age: timedelta | None = timedelta(days=90)
    # The last N passwords (the current one included) cannot be chosen again.
    history: int = 5

    def changed_at(self, user: dict[str, Any]) -> datetime | None:
        when = user.get("password_changed_at") or user.get("created_at")
        return _aware(when) if when else None

    def expires_at(self, user: dict[str, Any]) -> datetime | None:
        changed = self.changed_at(user)
        return changed + self.max_age if changed is not None and self.max_age is not None else None

    def expired(self, user: dict[str, Any], now: datetime) -> bool:
        expires = self.expires_at(user)
        return expires is not None and expires <= now

    async def refuse_reuse(self, user: dict[str, Any], password: str) -> None:
        """Raise PasswordReused if `password` is the current one or one of the earlier kept ones."""
        earlier = [user.get("password_hash") or "", *user.get("password_history", [])][:self.history]
        if await matches_any(earlier, password):
            message = REUSED_MESSAGE.format(n=self.history)
            raise PasswordReused(message, problems=[message], field="password")

    def new_password_fields(self, user: dict[str, Any], new_hash: str, now: datetime) -> dict[str, Any]:
        """The `$set` fields for a new password: the old hash moves into the history, which keeps what is needed."""
        kept = [user["password_hash"]] if user.get("password_hash") else []
        history = (kept + list(user.get("password_history", [])))[:max(self.history - 1, 0)]
        return {"password_hash": new_hash, "password_changed_at": now, "password_history": history}

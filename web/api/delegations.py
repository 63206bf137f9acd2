"""委托: /api/delegations — let someone act on my tasks for a time window, and take it back."""

from __future__ import annotations

from datetime import datetime

from oa.errors import InvalidInput
from web.authz import authenticated
from web.base import APIHandler
from web.serialize import plain
from web.validation import optional, required

DELEGATION_SHAPE = {"to_user": required(str), "starts_at": required(str), "ends_at": required(str),
                    "reason": optional(str)}


def instant(raw: str, name: str) -> datetime:
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"'{name}' must be an ISO 8601 time with a zone, e.g. 2026-11-24T08:00:00+08:00",
                           field=name) from None
    if value.tzinfo is None:
        raise InvalidInput(f"'{name}' needs a time zone (Z or +08:00)", field=name)
    return value


class DelegationsHandler(APIHandler):
    @authenticated
    async def get(self) -> None:
        items = await self.services.delegations.of_user(self.require_user()["_id"])
        self.send_json({"items": plain(items), "total": len(items)})

    @authenticated
    async def post(self) -> None:
        body = self.body(DELEGATION_SHAPE)
        created = await self.services.delegations.create(
            self.require_user(), body["to_user"], instant(body["starts_at"], "starts_at"),
            instant(body["ends_at"], "ends_at"), body.get("reason", ""))
        self.send_json(plain(self.services.delegations.named(created)), status=201)


class RevokeDelegationHandler(APIHandler):
    @authenticated
    async def post(self, delegation_id: str) -> None:
        revoked = await self.services.delegations.revoke(delegation_id, self.require_user())
        self.send_json(plain(self.services.delegations.named(revoked)))

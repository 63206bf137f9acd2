"""Flow definitions (/api/flows: list, get, publish, claim) and the working calendar (/api/calendar)."""

from __future__ import annotations

from typing import Any

from oa.errors import InvalidInput
from web.authz import authenticated, authorized
from web.base import APIHandler
from web.serialize import plain
from web.validation import optional, required

DEFINITION_SHAPE = {"key": required(str), "name": required(str), "category": required(str),
                    "description": optional(str), "variables": optional(dict), "nodes": required(list)}
CLAIM_SHAPE = {"unit_id": required(str), "overrides": required(dict)}
CALENDAR_SHAPE = {"holidays": optional(list), "extra_workdays": optional(list), "hours": optional(list)}


def summary(definition: dict[str, Any]) -> dict[str, Any]:
    return plain({key: definition.get(key) for key in ("key", "name", "category", "description", "version",
                                                       "versions", "published_at", "published_by")})


async def claiming_unit(handler: APIHandler, key: str) -> list[str | None]:
    return [handler.body(CLAIM_SHAPE)["unit_id"]]


class FlowsHandler(APIHandler):
    @authenticated
    async def get(self) -> None:
        items = [summary(item) for item in await self.services.catalog.list_latest()]
        self.send_json({"items": items, "total": len(items)})

    @authorized("flow", "write")
    async def post(self) -> None:
        """Publish a definition as the next version of its key (platform admins)."""
        published = await self.services.catalog.publish(self.body(DEFINITION_SHAPE), self.require_user()["_id"])
        self.set_header("Location", f"/api/flows/{published['key']}?version={published['version']}")
        self.send_json(plain(published), status=201)


class FlowHandler(APIHandler):
    @authenticated
    async def get(self, key: str) -> None:
        """The latest version (or ?version=N); with ?unit=U also the overrides that apply there."""
        version = self.int_argument("version", 0)
        catalog = self.services.catalog
        definition = await catalog.get(key, version) if version else await catalog.latest(key)
        shown = plain(definition)
        if unit_id := self.get_query_argument("unit", None):
            unit = await self.services.orgs.get(unit_id)
            _, overrides, claimed_from = await catalog.effective(key, unit)
            shown["effective"] = {"unit_id": unit_id, "overrides": overrides, "claimed_from": claimed_from}
        shown["versions"] = [plain(item) for item in await catalog.versions(key)]
        self.send_json(shown)


class ClaimHandler(APIHandler):
    @authorized("flow", "claim", units=claiming_unit)
    async def post(self, key: str) -> None:
        """认领: a unit's admin (or an ancestor's) records the unit's allowed local overrides."""
        body = self.body(CLAIM_SHAPE)
        await self.services.orgs.get(body["unit_id"])
        claim = await self.services.catalog.claim(body["unit_id"], key, body["overrides"], self.require_user()["_id"])
        self.send_json(plain(claim))


class CalendarHandler(APIHandler):
    @authenticated
    async def get(self) -> None:
        self.send_json(plain(await self.services.calendars.record()))

    @authorized("calendar", "write")
    async def put(self) -> None:
        body = self.body(CALENDAR_SHAPE)
        if not body:
            raise InvalidInput("send holidays, extra_workdays and/or hours")
        self.send_json(plain(await self.services.calendars.save(body, self.require_user()["_id"])))

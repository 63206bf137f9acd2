"""Org unit administration: /api/units and the tree queries under /api/units/{id}/…"""

from __future__ import annotations

from datetime import datetime

from oa.clock import CHINA
from oa.errors import InvalidInput
from oa.unit_fields import LEVELS, UNIT_TYPES
from web.authz import authorized
from web.base import APIHandler
from web.serialize import page_json, unit_json
from web.validation import optional, required

UNIT_FIELDS = {
    "name": optional(str), "short_name": optional(str, nullable=True), "type": optional(str),
    "code": optional(str, nullable=True), "flags": optional(list), "vertical_parent_id": optional(str, nullable=True),
    "sort": optional(int), "drafts_for": optional(list),
}
CREATE_SHAPE = {**UNIT_FIELDS, "id": optional(str), "name": required(str), "type": required(str),
                "level": required(str), "parent_id": optional(str, nullable=True)}
UPDATE_SHAPE = {**UNIT_FIELDS, "version": required(int)}
MOVE_SHAPE = {"parent_id": required(str, type(None)), "version": required(int)}
MERGE_SHAPE = {"into": required(str), "version": required(int)}
DISSOLVE_SHAPE = {"version": required(int)}


async def the_unit(handler: APIHandler, unit_id: str, *_: str) -> list[str | None]:
    return [unit_id]


async def parent_of_new_unit(handler: APIHandler) -> list[str | None]:
    body = handler.body(CREATE_SHAPE)
    drafts_for = [unit for unit in body.get("drafts_for") or [] if isinstance(unit, str)]
    return [body.get("parent_id"), *drafts_for]  # None: a root unit, which only a platform-wide admin may create


async def unit_and_authorising_units(handler: APIHandler, unit_id: str) -> list[str | None]:
    """A unit being changed, and every unit it is to draft for: only an admin over a unit may let
    another unit issue documents in its name."""
    drafts_for = handler.body(UPDATE_SHAPE).get("drafts_for") or []
    return [unit_id, *(unit for unit in drafts_for if isinstance(unit, str))]


async def unit_and_new_parent(handler: APIHandler, unit_id: str) -> list[str | None]:
    return [unit_id, handler.body(MOVE_SHAPE)["parent_id"]]


async def unit_and_target(handler: APIHandler, unit_id: str) -> list[str | None]:
    return [unit_id, handler.body(MERGE_SHAPE)["into"]]


class UnitsHandler(APIHandler):
    @authorized("unit", "read")
    async def get(self) -> None:
        offset, limit = self.paging()
        chosen: dict[str, str | None] = {}
        for name, allowed in (("level", LEVELS), ("type", UNIT_TYPES)):
            value = self.get_query_argument(name, None)
            if value and value not in allowed:
                raise InvalidInput(f"{name} must be one of {', '.join(allowed)} (got {value!r})")
            chosen[name] = value or None
        items, total = await self.services.orgs.list(
            level=chosen["level"], unit_type=chosen["type"], include_dissolved=self.bool_argument("include_dissolved"),
            code=self.get_query_argument("code", None) or None, text=self.search_argument("q"),
            offset=offset, limit=limit)
        self.send_json(page_json([unit_json(unit) for unit in items], total, offset, limit))

    @authorized("unit", "write", units=parent_of_new_unit)
    async def post(self) -> None:
        body = self.body(CREATE_SHAPE)
        unit = await self.services.orgs.create(body, by=self.require_user()["_id"])
        self.set_header("Location", f"/api/units/{unit['_id']}")
        self.send_json(unit_json(unit), status=201)


def parse_moment(raw: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        if not 1900 <= moment.year <= 9998:
            raise ValueError("out of range")
    except ValueError:
        raise InvalidInput(f"as_of must be an ISO 8601 date or time, e.g. 2024-03-01 (got {raw!r})") from None
    # A bare date means the end of that day in China, when a document of that date was issued.
    if moment.tzinfo is None:
        if len(raw) == 10:
            moment = moment.replace(hour=23, minute=59, second=59)
        moment = moment.replace(tzinfo=CHINA)
    return moment


class UnitHandler(APIHandler):
    @authorized("unit", "read", units=the_unit)
    async def get(self, unit_id: str) -> None:
        if as_of := self.get_query_argument("as_of", None):
            # The unit as it was then: a document of that date still shows the name and place it had.
            self.send_json(unit_json(await self.services.orgs.as_of(unit_id, parse_moment(as_of))))
            return
        unit = await self.services.orgs.get(unit_id)
        view = unit_json(unit)
        view["path"] = [{"id": item["_id"], "name": item["name"]} for item in await self.services.orgs.path(unit_id)]
        self.send_json(view)

    @authorized("unit", "write", units=unit_and_authorising_units)
    async def patch(self, unit_id: str) -> None:
        body = dict(self.body(UPDATE_SHAPE))
        version = body.pop("version")
        unit = await self.services.orgs.update(unit_id, body, version, by=self.require_user()["_id"])
        self.send_json(unit_json(unit))


class ChildrenHandler(APIHandler):
    @authorized("unit", "read", units=the_unit)
    async def get(self, unit_id: str) -> None:
        offset, limit = self.paging()
        items, total = await self.services.orgs.children(unit_id, offset, limit,
                                                         self.bool_argument("include_dissolved"))
        self.send_json(page_json([unit_json(unit) for unit in items], total, offset, limit))


class SubtreeHandler(APIHandler):
    @authorized("unit", "read", units=the_unit)
    async def get(self, unit_id: str) -> None:
        offset, limit = self.paging()
        level = self.get_query_argument("level", None) or None
        unit_type = self.get_query_argument("type", None) or None
        if level and level not in LEVELS:
            raise InvalidInput(f"level must be one of {', '.join(LEVELS)} (got {level!r})")
        if unit_type and unit_type not in UNIT_TYPES:
            raise InvalidInput(f"type must be one of {'、'.join(UNIT_TYPES)} (got {unit_type!r})")
        items, total = await self.services.orgs.subtree(unit_id, level, unit_type,
                                                        self.bool_argument("include_dissolved"), offset, limit)
        self.send_json(page_json([unit_json(unit) for unit in items], total, offset, limit))


class AncestorsHandler(APIHandler):
    @authorized("unit", "read", units=the_unit)
    async def get(self, unit_id: str) -> None:
        ancestors = await self.services.orgs.ancestors(unit_id)
        self.send_json({"items": [unit_json(unit) for unit in ancestors]})


class HistoryHandler(APIHandler):
    @authorized("unit", "read", units=the_unit)
    async def get(self, unit_id: str) -> None:
        history = await self.services.orgs.history_of(unit_id)
        self.send_json({"items": [unit_json({k: v for k, v in entry.items() if k != "_id"}) for entry in history]})


class MoveHandler(APIHandler):
    @authorized("unit", "write", units=unit_and_new_parent)
    async def post(self, unit_id: str) -> None:
        body = self.body(MOVE_SHAPE)
        unit = await self.services.orgs.move(unit_id, body["parent_id"], body["version"],
                                             by=self.require_user()["_id"])
        self.send_json(unit_json(unit))


class MergeHandler(APIHandler):
    @authorized("unit", "write", units=unit_and_target)
    async def post(self, unit_id: str) -> None:
        body = self.body(MERGE_SHAPE)
        unit = await self.services.orgs.merge(unit_id, body["into"], body["version"], by=self.require_user()["_id"])
        self.send_json(unit_json(unit))


class DissolveHandler(APIHandler):
    @authorized("unit", "write", units=the_unit)
    async def post(self, unit_id: str) -> None:
        body = self.body(DISSOLVE_SHAPE)
        unit = await self.services.orgs.dissolve(unit_id, body["version"], by=self.require_user()["_id"])
        self.send_json(unit_json(unit))

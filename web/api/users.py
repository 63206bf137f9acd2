"""People and posts: /api/users and /api/users/{id}; activation codes for people with no password yet.

People the caller may edit are shown with `activated` (false: no password yet) and, if a code is
pending, `activation_expires_at`. Codes are issued by whoever may edit the person (the admin of
every unit they hold a post in, or of an ancestor): one at a time as JSON, or for a unit (with
`?subtree=1` its whole subtree) as a CSV download. People locked after too many failed logins show
`locked_until` to those who may edit them, who may also unlock them at once. A 审计员 (三员分立) is
appointed, changed, unlocked and given codes only by a platform-wide admin, never by a unit's 管理员.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from urllib.parse import quote

from oa.activation import codes_csv
from oa.clock import CHINA, iso, utcnow
from oa.directory import Person
from oa.user_fields import AUDITOR_ROLE
from oa.users import active_posts
from web.authz import authorized
from web.base import APIHandler
from web.serialize import page_json, user_json
from web.validation import optional, required

log = logging.getLogger("oa.web")

CREATE_SHAPE = {"username": required(str), "display_name": required(str), "mobile": optional(str, nullable=True),
                "office_phone": optional(str, nullable=True), "password": optional(str), "posts": required(list)}
UPDATE_SHAPE = {"version": required(int), "display_name": optional(str), "mobile": optional(str, nullable=True),
                "office_phone": optional(str, nullable=True), "password": optional(str), "posts": optional(list),
                "active": optional(bool)}


def _post_units(posts: object) -> list[str | None]:
    if not isinstance(posts, list):
        return []
    return [post["unit"] for post in posts if isinstance(post, dict) and isinstance(post.get("unit"), str)]


def _audits(posts: object) -> bool:
    """Whether any of these posts (as sent, or as stored) carries the 审计员 role."""
    return isinstance(posts, list) and any(
        isinstance(post, dict) and isinstance(post.get("roles"), list) and AUDITOR_ROLE in post["roles"]
        for post in posts)


async def units_of_new_person(handler: APIHandler) -> list[str | None]:
    posts = handler.body(CREATE_SHAPE)["posts"]
    return person_units([], _audits(posts), _post_units(posts))


def person_units(current: list[str], platform_only: bool, wanted: list[str | None] | None = None) -> list[str | None]:
    """The units whose admin may change a person holding posts in `current` (and to hold posts in `wanted`).

    A platform-wide admin, and (三员分立) anyone who is or is to be a 审计员, is changed only by a platform-wide
    admin, never by a unit's 管理员: the auditor checks what that admin does, so the admin may not appoint one,
    nor reset their password or activation."""
    units: list[str | None] = sorted(set(current) | set(wanted or []))
    if platform_only or not units:
        units.append(None)
    return units


async def units_of_person(handler: APIHandler, user_id: str) -> list[str | None]:
    """An admin changes a person only if they administer every unit the person holds or will hold a post in."""
    user = await handler.services.users.get(user_id)
    current = active_posts(user)
    wanted = handler.body(UPDATE_SHAPE).get("posts")
    platform_only = bool(user.get("system_admin")) or _audits(current) or _audits(wanted)
    return person_units([post["unit_id"] for post in current], platform_only, _post_units(wanted))


async def units_held(handler: APIHandler, user_id: str) -> list[str | None]:
    """The same rule as editing the person, for a request that changes no posts."""
    user = await handler.services.users.get(user_id)
    current = active_posts(user)
    return person_units([post["unit_id"] for post in current], bool(user.get("system_admin")) or _audits(current))


async def the_unit(handler: APIHandler, unit_id: str) -> list[str | None]:
    await handler.services.orgs.get(unit_id)  # 404 for a unit that does not exist
    return [unit_id]


def may_edit(handler: APIHandler, person: Person) -> bool:
    caller = handler.require_user()
    held = list(person.held())
    units = person_units([post.unit_id for post in held], person.system_admin
                         or any(AUDITOR_ROLE in post.roles for post in held))
    return all(handler.services.authorizer.decide(caller, "user", "write", unit_id) for unit_id in units)


async def with_activation(handler: APIHandler, views: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`activated` (and a pending code's expiry) on the views of people the caller may edit."""
    directory = handler.services.directory
    editable = {view["id"] for view in views
                if (person := directory.person(view["id"])) is not None and may_edit(handler, person)}
    pending = await handler.services.users.not_activated(sorted(editable)) if editable else {}
    locked = await handler.services.sessions.throttle.locked(
        [view["username"] for view in views if view["id"] in editable]) if editable else {}
    for view in views:
        if view["id"] in editable:
            view["activated"] = view["id"] not in pending
            if view["username"] in locked:
                view["locked_until"] = iso(locked[view["username"]])
            expires_at: datetime | None = pending.get(view["id"])
            if expires_at is not None:
                view["activation_expires_at"] = iso(expires_at)
    return views


class UsersHandler(APIHandler):
    @authorized("user", "read")
    async def get(self) -> None:
        offset, limit = self.paging()
        items, total = await self.services.users.list(
            unit_id=self.get_query_argument("unit", None) or None,
            text=self.search_argument("q"),
            include_inactive=self.bool_argument("include_inactive"),
            offset=offset, limit=limit,
        )
        shown = await self.services.access.people_view(self.require_user(), items)
        views = await with_activation(self, [user_json(user) for user in shown])
        self.send_json(page_json(views, total, offset, limit))

    @authorized("user", "write", units=units_of_new_person)
    async def post(self) -> None:
        user = await self.services.users.create(self.body(CREATE_SHAPE))
        self.set_header("Location", f"/api/users/{user['_id']}")
        self.send_json(user_json(user), status=201)


class UserHandler(APIHandler):
    @authorized("user", "read")
    async def get(self, user_id: str) -> None:
        person = await self.services.users.get(user_id)
        view = user_json((await self.services.access.people_view(self.require_user(), [person]))[0])
        self.send_json((await with_activation(self, [view]))[0])

    @authorized("user", "write", units=units_of_person)
    async def patch(self, user_id: str) -> None:
        body = dict(self.body(UPDATE_SHAPE))
        version = body.pop("version")
        self.send_json(user_json(await self.services.users.update(user_id, body, version)))


class ActivationCodeHandler(APIHandler):
    """POST /api/users/{id}/activation-code: a fresh one-time code for a person with no password yet."""

    @authorized("user", "write", units=units_held)
    async def post(self, user_id: str) -> None:
        issued = await self.services.users.activation.issue(user_id, self.require_user()["_id"])
        self.send_json(issued.as_json(), status=201)


class UnlockHandler(APIHandler):
    """POST /api/users/{id}/unlock: lift the lock that failed logins put on the account, by whoever may edit
    the person (a platform-wide admin: another platform-wide admin)."""

    @authorized("user", "write", units=units_held)
    async def post(self, user_id: str) -> None:
        person = await self.services.users.get(user_id)
        unlocked = await self.services.sessions.throttle.unlock(person["username"])
        log.info("account %s unlocked by %s (was locked: %s)", person["username"], self.require_user()["username"],
                 unlocked)
        self.send_json({"status": "unlocked" if unlocked else "not_locked", "username": person["username"]})


class UnitActivationCodesHandler(APIHandler):
    """POST /api/units/{id}/activation-codes?subtree=1: codes for every person of the unit (or its subtree)
    with no password yet whom the caller may edit, as a CSV download (UTF-8 with BOM)."""

    @authorized("user", "write", units=the_unit)
    async def post(self, unit_id: str) -> None:
        subtree = self.bool_argument("subtree")
        directory = self.services.directory
        unit_ids = [unit_id, *(unit["_id"] for unit in directory.descendants(unit_id))] if subtree else [unit_id]
        issued = await self.services.users.activation.issue_for_units(
            unit_ids, lambda person: may_edit(self, person), self.require_user()["_id"])
        unit = directory.unit(unit_id) or {"name": unit_id}
        name = f"激活码_{unit['name']}{'及下级单位' if subtree else ''}_{utcnow().astimezone(CHINA):%Y%m%d}.csv"
        self.set_header("Content-Type", "text/csv; charset=utf-8")
        self.set_header("Content-Disposition", f"attachment; filename*=UTF-8''{quote(name)}")
        self.set_header("X-Activation-Codes", str(len(issued)))
        self.finish(codes_csv(issued))

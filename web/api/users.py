"""People and posts: /api/users and /api/users/{id}."""

from __future__ import annotations

from oa.users import active_posts
from web.authz import authorized
from web.base import APIHandler
from web.serialize import page_json, user_json
from web.validation import optional, required

CREATE_SHAPE = {"username": required(str), "display_name": required(str), "mobile": optional(str, nullable=True),
                "password": optional(str), "posts": required(list)}
UPDATE_SHAPE = {"version": required(int), "display_name": optional(str), "mobile": optional(str, nullable=True),
                "password": optional(str), "posts": optional(list), "active": optional(bool)}


def _post_units(posts: object) -> list[str | None]:
    if not isinstance(posts, list):
        return []
    return [post["unit"] for post in posts if isinstance(post, dict) and isinstance(post.get("unit"), str)]


async def units_of_new_person(handler: APIHandler) -> list[str | None]:
    return _post_units(handler.body(CREATE_SHAPE)["posts"]) or [None]


async def units_of_person(handler: APIHandler, user_id: str) -> list[str | None]:
    """An admin changes a person only if they administer every unit the person holds or will hold a post in."""
    user = await handler.services.users.get(user_id)
    current = [post["unit_id"] for post in active_posts(user)]
    wanted = _post_units(handler.body(UPDATE_SHAPE).get("posts"))
    units: list[str | None] = sorted(set(current + wanted))
    if user.get("system_admin") or not units:
        # A platform-wide admin is changed only by another platform-wide admin, never by a unit's admin.
        units.append(None)
    return units


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
        self.send_json(page_json([user_json(user) for user in shown], total, offset, limit))

    @authorized("user", "write", units=units_of_new_person)
    async def post(self) -> None:
        user = await self.services.users.create(self.body(CREATE_SHAPE))
        self.set_header("Location", f"/api/users/{user['_id']}")
        self.send_json(user_json(user), status=201)


class UserHandler(APIHandler):
    @authorized("user", "read")
    async def get(self, user_id: str) -> None:
        person = await self.services.users.get(user_id)
        self.send_json(user_json((await self.services.access.people_view(self.require_user(), [person]))[0]))

    @authorized("user", "write", units=units_of_person)
    async def patch(self, user_id: str) -> None:
        body = dict(self.body(UPDATE_SHAPE))
        version = body.pop("version")
        self.send_json(user_json(await self.services.users.update(user_id, body, version)))

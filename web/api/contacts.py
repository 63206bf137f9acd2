"""通讯录 API: the org tree, a unit's people, search and 常用联系人 (see oa/contacts.py for what they promise).

GET    /api/contacts                          the viewer's own units, the root units and their 常用联系人
GET    /api/contacts/units/{id}               one unit with its path, sub-unit and people counts
GET    /api/contacts/units/{id}/children      its active sub-units (paged)
GET    /api/contacts/units/{id}/people        its people, leaders first (paged)
GET    /api/contacts/search?q=                people by name, initials (lhw), post or unit (paged)
PUT    /api/contacts/starred/{user_id}        star a person (常用联系人)
DELETE /api/contacts/starred/{user_id}        unstar them
"""

from __future__ import annotations

from oa.errors import InvalidInput
from web.authz import authenticated, authorized
from web.base import APIHandler
from web.serialize import page_json


class ContactsHomeHandler(APIHandler):
    @authorized("user", "read")
    async def get(self) -> None:
        viewer = self.require_user()
        book = self.services.contacts
        roots, _ = book.children(None, 0, 200)
        self.send_json({"mine": book.units_of(viewer), "roots": roots, "starred": await book.starred_cards(viewer)})


class ContactUnitHandler(APIHandler):
    @authorized("user", "read")
    async def get(self, unit_id: str) -> None:
        self.send_json(self.services.contacts.unit(unit_id))


class ContactChildrenHandler(APIHandler):
    @authorized("user", "read")
    async def get(self, unit_id: str) -> None:
        offset, limit = self.paging()
        items, total = self.services.contacts.children(unit_id, offset, limit)
        self.send_json(page_json(items, total, offset, limit))


class ContactPeopleHandler(APIHandler):
    @authorized("user", "read")
    async def get(self, unit_id: str) -> None:
        offset, limit = self.paging()
        items, total = await self.services.contacts.unit_people(self.require_user(), unit_id, offset, limit)
        self.send_json(page_json(items, total, offset, limit))


class ContactSearchHandler(APIHandler):
    @authorized("user", "read")
    async def get(self) -> None:
        text = self.search_argument("q")
        if text is None:
            raise InvalidInput("query parameter 'q' is required: part of a name, its initials (lhw), a post or a unit",
                               field="q")
        offset, limit = self.paging()
        items, total = await self.services.contacts.search(self.require_user(), text, offset, limit)
        self.send_json(page_json(items, total, offset, limit))


class StarredContactHandler(APIHandler):
    @authenticated
    async def put(self, user_id: str) -> None:
        await self.services.contacts.star(self.require_user(), user_id)
        self.send_json({"id": user_id, "starred": True})

    @authenticated
    async def delete(self, user_id: str) -> None:
        await self.services.contacts.unstar(self.require_user(), user_id)
        self.send_json({"id": user_id, "starred": False})

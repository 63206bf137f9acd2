"""通讯录: the org tree, a unit's people with their posts and phones, search, and 常用联系人, from memory.

Every answer is read from the in-memory directory (and one primary-key read of the viewer's starred
list): no request scans the people collection, whatever the size of the platform.

Promises:
- A person appears as a card `{id, name, posts, office_phone, starred, mobile_hidden[, mobile]}`; the
  `mobile` key is present only when the rule given to the book (`Authorizer.may_see_mobile`) lets the
  viewer see it, so a hidden number never reaches the client.
- A unit lists its people with an active post there, leaders first (主要领导, 分管领导, 办公室主任,
  收发员, 科员, 管理员), each card starting with the post held in that unit.
- Search finds active people by name or its pinyin initials (李华伟 ← lhw), by post title or by the
  name of a unit where they hold a post; name matches come first. Paged and counted.
- Dissolved units and inactive people do not appear.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from oa.directory import Directory, Person, Post, SearchIndex
from oa.errors import NotFound
from oa.pinyin_initials import initials
from oa.starred import StarredContacts

ROLE_ORDER = {"主要领导": 0, "分管领导": 1, "办公室主任": 2, "收发员": 3, "科员": 4, "管理员": 5}
MobileRule = Callable[[dict[str, Any], Person], bool]


def _rank(post: Post) -> int:
    return min((ROLE_ORDER.get(role, len(ROLE_ORDER)) for role in post.roles), default=len(ROLE_ORDER))


class _Index:
    """What search needs, built once per directory version: names (with initials) in one string, and
    which people hold each post title."""

    def __init__(self, directory: Directory) -> None:
        self.version = directory.version
        people = {person.id: person for person in self._active(directory)}
        self.names = _NameIndex(people)
        self.titles: dict[str, list[str]] = {}
        for person in sorted(people.values(), key=_name_order):
            for title in {post.title for post in person.held()}:
                self.titles.setdefault(title, []).append(person.id)

    @staticmethod
    def _active(directory: Directory) -> Iterable[Person]:
        return (person for person in directory.all_people() if person.active and any(person.held()))


def _name_order(person: Person) -> tuple[str, str, str]:
    return (initials(person.display_name), person.display_name, person.username)


class _NameIndex(SearchIndex):
    """Names and initials only (not usernames), in initials order, so 李 lists 李华伟 before 刘…"""

    def __init__(self, people: dict[str, Person]) -> None:
        self.people = sorted(people.values(), key=_name_order)
        keys = [f"{person.display_name}\x00{initials(person.display_name)}".lower() for person in self.people]
        self.starts = []
        position = 0
        for key in keys:
            self.starts.append(position)
            position += len(key) + 1
        self.text = "\n".join(keys)


class ContactBook:
    def __init__(self, directory: Directory, starred: StarredContacts, may_see_mobile: MobileRule) -> None:
        self.directory = directory
        self.starred = starred
        self.may_see_mobile = may_see_mobile
        self._index: _Index | None = None

    # ---- units -------------------------------------------------------------------------

    def _active_children(self, unit_id: str | None) -> list[dict[str, Any]]:
        children = self.directory.units(self.directory.child_ids(unit_id)).values()
        return sorted((unit for unit in children if unit.get("status") == "active"),
                      key=lambda unit: (unit.get("sort", 0), unit["_id"]))

    def unit_summary(self, unit: dict[str, Any]) -> dict[str, Any]:
        return {"id": unit["_id"], "name": unit["name"], "short_name": unit.get("short_name"),
                "level": unit.get("level"), "type": unit.get("type"),
                "children": len(self._active_children(unit["_id"])),
                "people": len(self.directory.members_of(unit["_id"]))}

    def _active_unit(self, unit_id: str) -> dict[str, Any]:
        unit = self.directory.unit(unit_id)
        if unit is None or unit.get("status") != "active":
            raise NotFound(f"unit {unit_id} does not exist", unit_id=unit_id)
        return unit

    def unit(self, unit_id: str) -> dict[str, Any]:
        """The unit with its path from the root (for the breadcrumb)."""
        unit = self._active_unit(unit_id)
        path = self.directory.units(unit["ancestors"])
        return {**self.unit_summary(unit),
                "path": [{"id": ancestor, "name": path[ancestor]["name"]} for ancestor in unit["ancestors"]
                         if ancestor in path]}

    def children(self, unit_id: str | None, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """A unit's active sub-units (the root units for None), in their set order."""
        if unit_id is not None:
            self._active_unit(unit_id)
        found = self._active_children(unit_id)
        return [self.unit_summary(unit) for unit in found[offset:offset + limit]], len(found)

    def units_of(self, viewer: dict[str, Any]) -> list[dict[str, Any]]:
        """The viewer's own units (primary post first), where they most often look."""
        posts = sorted((post for post in viewer.get("posts", []) if post.get("active")),
                       key=lambda post: not post.get("primary"))
        found = self.directory.units(post["unit_id"] for post in posts)
        return [self.unit_summary(found[post["unit_id"]]) for post in posts
                if post["unit_id"] in found and found[post["unit_id"]].get("status") == "active"]

    # ---- people ------------------------------------------------------------------------

    def card(self, viewer: dict[str, Any], person: Person, starred: set[str],
             first_unit: str | None = None) -> dict[str, Any]:
        """One person as the viewer may see them; the post in `first_unit` (else the primary) first."""
        posts = sorted(person.held(), key=lambda post: (post.unit_id != first_unit, not post.primary, _rank(post)))
        units = self.directory.units(post.unit_id for post in posts)
        card: dict[str, Any] = {
            "id": person.id, "name": person.display_name,
            "posts": [{"unit_id": post.unit_id, "unit_name": units.get(post.unit_id, {}).get("name", post.unit_name),
                       "title": post.title} for post in posts],
            "office_phone": person.office_phone, "starred": person.id in starred}
        if self.may_see_mobile(viewer, person):
            card["mobile"] = person.mobile
            card["mobile_hidden"] = False
        else:
            card["mobile_hidden"] = person.mobile is not None
        return card

    async def _starred_ids(self, viewer: dict[str, Any]) -> set[str]:
        return set(await self.starred.of(viewer["_id"]))

    async def unit_people(self, viewer: dict[str, Any], unit_id: str, offset: int,
                          limit: int) -> tuple[list[dict[str, Any]], int]:
        self._active_unit(unit_id)
        people = self.directory.people(self.directory.members_of(unit_id)).values()

        def order(person: Person) -> tuple[Any, ...]:
            here = [post for post in person.held() if post.unit_id == unit_id]
            best = min(here, key=_rank)
            return (_rank(best), best.title, _name_order(person))

        found = sorted(people, key=order)
        starred = await self._starred_ids(viewer)
        return [self.card(viewer, person, starred, unit_id) for person in found[offset:offset + limit]], len(found)

    def _search_index(self) -> _Index:
        if self._index is None or self._index.version != self.directory.version:
            self._index = _Index(self.directory)
        return self._index

    def matching(self, text: str) -> list[Person]:
        """Active people whose name, initials, post title or post unit contains `text`: names first."""
        wanted = text.strip().lower()
        index = self._search_index()
        seen: set[str] = set()
        found: list[Person] = []

        def add(people: Iterable[Person]) -> None:
            for person in people:
                if person.id not in seen:
                    seen.add(person.id)
                    found.append(person)

        add(index.names.matching(wanted))
        title_ids = [person_id for title, ids in index.titles.items() if wanted in title.lower() for person_id in ids]
        add(self.directory.people(title_ids).values())
        units = [unit for unit in self.directory.all_units() if unit.get("status") == "active"
                 and (wanted in unit["name"].lower() or wanted in (unit.get("short_name") or "").lower())]
        units.sort(key=lambda unit: (len(unit.get("ancestors", ())), unit.get("sort", 0), unit["_id"]))
        for unit in units:
            members = self.directory.people(self.directory.members_of(unit["_id"])).values()
            add(sorted((person for person in members if person.active), key=_name_order))
        return found

    async def search(self, viewer: dict[str, Any], text: str, offset: int,
                     limit: int) -> tuple[list[dict[str, Any]], int]:
        found = self.matching(text)
        starred = await self._starred_ids(viewer)
        return [self.card(viewer, person, starred) for person in found[offset:offset + limit]], len(found)

    # ---- 常用联系人 ------------------------------------------------------------------------

    async def starred_cards(self, viewer: dict[str, Any]) -> list[dict[str, Any]]:
        """The viewer's 常用联系人 who are still active, in the order starred."""
        ids = await self.starred.of(viewer["_id"])
        people = self.directory.people(ids)
        starred = set(ids)
        return [self.card(viewer, people[person_id], starred) for person_id in ids
                if person_id in people and people[person_id].active]

    async def star(self, viewer: dict[str, Any], person_id: str) -> None:
        person = self.directory.person(person_id)
        if person is None or not person.active:
            raise NotFound(f"person {person_id} does not exist", user_id=person_id)
        await self.starred.star(viewer["_id"], person_id)

    async def unstar(self, viewer: dict[str, Any], person_id: str) -> None:
        await self.starred.unstar(viewer["_id"], person_id)

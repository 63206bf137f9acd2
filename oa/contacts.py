"""通讯录: the org tree, a unit's people with their posts and phones, search, and 常用联系人, from memory.

Every answer is read from the in-memory directory (and one primary-key read of the viewer's starred
list): no request scans the people collection, whatever the size of the platform.

Promises:
- A person appears as a card `{id, name, posts, office_phone, starred, mobile_hidden[, mobile]}`; the
  `mobile` key is present only when the rule given to the book (`Authorizer.may_see_mobile`) lets the
  viewer see it, so a hidden number never reaches the client.
- A unit lists its people with an active post there, leaders first (主要领导, 分管领导, 办公室主任,
  收发员, 档案员, 科员, 管理员), each card starting with the post held in that unit.
- Search finds active people by name or its pinyin initials (李华伟 ← lhw), by post title or by the
  name of a unit where they hold a post; name matches come first. Paged and counted.
- Dissolved units and inactive people do not appear.
- Search by name and post uses an index of every person (about 0.3 s to build for 66,000 people), rebuilt
  after people change but at most every REBUILD_EVERY_S: a burst of changes (a day of activations) costs one
  rebuild per interval, not one per search. In between, a new or renamed person may be found by their old
  name for those seconds; the cards themselves are always drawn from the live directory.
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Callable, Iterable
from operator import itemgetter
from typing import Any

from oa.directory import Directory, Person, Post, SearchIndex
from oa.errors import NotFound
from oa.starred import StarredContacts

ROLE_ORDER = {"主要领导": 0, "分管领导": 1, "办公室主任": 2, "收发员": 3, "档案员": 4, "科员": 5, "管理员": 6}
MobileRule = Callable[[dict[str, Any], Person], bool]
REBUILD_EVERY_S = 5.0


def _rank(post: Post) -> int:
    return min((ROLE_ORDER.get(role, len(ROLE_ORDER)) for role in post.roles), default=len(ROLE_ORDER))


def _name_order(person: Person) -> tuple[str, str, str]:
    """Pinyin-initials order (李华伟 before 刘洋), read from the directory's search key, not recomputed."""
    username, rest = person.search_key.split("\x00", 1)  # neither a username nor initials holds a \x00
    name, letters = rest.rsplit("\x00", 1)
    return (letters, name, username)


def _mentions(person: Person, word: str) -> bool:
    """Whether a further search word is in the person's name, initials, username, a post or its unit."""
    return word in person.search_key or any(word in post.title.lower() or word in post.unit_name.lower()
                                            for post in person.held())


class _NameIndex(SearchIndex):
    """Names and their initials (not usernames: `sg` must not find everyone of 韶关), in initials order."""

    def __init__(self, people: list[Person], keys: list[str]) -> None:
        self.people = people
        self.starts = array("I")  # as in SearchIndex: one array, not an int object per person
        position = 0
        for key in keys:
            self.starts.append(position)
            position += len(key) + 1
        self.text = "\n".join(keys)


class _Index:
    """What search needs, built once per directory version from the directory's own search keys: names
    with initials in one string, and who holds each post title (both in initials order). One pass over
    the people and one sort of plain strings: about 0.3 s for 66,000 people on an idle core."""

    def __init__(self, directory: Directory) -> None:
        self.version = directory.version
        entries: list[tuple[str, str, Person, set[str]]] = []
        for person in directory.all_people():
            if not person.active:
                continue
            titles = {post.title for post in person.posts if post.active}
            if titles:
                username, key = person.search_key.split("\x00", 1)  # key: name \x00 initials
                name, letters = key.rsplit("\x00", 1)
                entries.append((f"{letters}\x01{name}\x01{username}", key, person, titles))
        entries.sort(key=itemgetter(0))
        self.names = _NameIndex([entry[2] for entry in entries], [entry[1] for entry in entries])
        self.titles: dict[str, list[str]] = {}
        for _, _, person, titles in entries:
            for title in titles:
                self.titles.setdefault(title, []).append(person.id)


class ContactBook:
    def __init__(self, directory: Directory, starred: StarredContacts, may_see_mobile: MobileRule) -> None:
        self.directory = directory
        self.starred = starred
        self.may_see_mobile = may_see_mobile
        self._index: _Index | None = None
        self._built_at = 0.0

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
        index = self._index
        if index is None or (index.version != self.directory.version
                             and time.monotonic() - self._built_at >= REBUILD_EVERY_S):
            index = self._index = _Index(self.directory)
            self._built_at = time.monotonic()
        return index

    def find(self, text: str, offset: int = 0, limit: int = 50) -> tuple[list[Person], int]:
        """Active people whose name, initials, post title or post unit contains `text`, names first, then
        posts, then units (the nearest the root first); one page and how many there are in all.

        Several words narrow: the first finds the candidates as above, and each further word must be in
        the person's name, initials, username, a post title or the unit of a post (`教育局 张`).
        The count is a union of id sets (in C); Person records are looked at only for the page, or, with
        several words, for the first word's candidates.
        """
        words = text.strip().lower().split() or [""]
        index = self._search_index()
        wanted, narrowing = words[0], words[1:]
        by_name = [person.id for person in index.names.matching(wanted)]
        by_title: list[str] = []
        for title, ids in index.titles.items():
            if wanted in title.lower():
                by_title.extend(ids)
        units = sorted((unit for unit in self.directory.all_units() if unit.get("status") == "active"
                        and (wanted in unit["name"].lower() or wanted in (unit.get("short_name") or "").lower())),
                       key=lambda unit: (len(unit.get("ancestors", ())), unit.get("sort", 0), unit["_id"]))
        members = [self.directory.members_of(unit["_id"]) for unit in units]
        everyone = set(by_name)
        everyone.update(by_title)
        for ids in members:
            everyone.update(ids)
        if narrowing:
            everyone = {person.id for person in self.directory.people(everyone).values()
                        if all(_mentions(person, word) for word in narrowing)}

        def in_order() -> Iterable[str]:
            yield from by_name
            yield from by_title
            for ids in members:
                yield from (person.id for person in sorted(self.directory.people(ids).values(), key=_name_order))

        page: list[str] = []
        seen: set[str] = set()
        for person_id in in_order():
            if person_id in seen or person_id not in everyone:
                continue
            seen.add(person_id)
            if len(seen) > offset:
                page.append(person_id)
                if len(page) >= limit:
                    break
        found = self.directory.people(page)  # as they are now, should the index be a few seconds old
        return [found[person_id] for person_id in page
                if person_id in found and any(found[person_id].held())], len(everyone)

    async def search(self, viewer: dict[str, Any], text: str, offset: int,
                     limit: int) -> tuple[list[dict[str, Any]], int]:
        found, total = self.find(text, offset, limit)
        starred = await self._starred_ids(viewer)
        return [self.card(viewer, person, starred) for person in found], total

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

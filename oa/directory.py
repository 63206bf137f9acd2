"""The org directory in memory: units, people, their posts and roles, read without a database trip.

Flow steps, dispatches and permission decisions ask "who holds role R in unit U", "the 收发员 of
these 1,300 units", "the ancestors of U", "the roles of P in U" many times per action. Asked of the
database, each is a scan of the people collection whose cost grows with the platform; asked here,
each is a dict lookup.

Promises:
- `load` reads every unit and person once; after that the directory is kept current by the
  process's change stream (`apply_change`), so other processes' writes arrive within the push
  latency.
- Writes made by this process are applied as soon as they commit (`put_unit`, `put_person`,
  `reload`), so a decision never uses data older than a write this process has committed.
- A record never goes back in time: a change carrying an older `version` than the one held is
  ignored (a stream event can arrive after the same process already applied a newer write).
- Only active posts of active people count as holders; units keep dissolved ones (history needs them).

The owners of the collections stay `oa/orgs.py` (units) and `oa/users.py` (people): they write, and
this module only reads them.
"""

from __future__ import annotations

import sys
from array import array
from bisect import bisect_right, insort
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from oa.import_runs import PENDING, ImportRuns, visible
from oa.pinyin_initials import initials
from storage.mongo import Mongo, scan

CLERK_ROLES = ("收发员", "办公室主任")


def _shared(text: Any) -> Any:
    """One copy of strings that repeat across thousands of people (roles, titles, unit names)."""
    return sys.intern(text) if isinstance(text, str) else text


_ROLE_SETS: dict[tuple[str, ...], tuple[str, ...]] = {}


def _roles(roles: Iterable[str]) -> tuple[str, ...]:
    """One tuple per distinct set of roles: 66,000 people hold a few dozen of them."""
    key = tuple(_shared(role) for role in roles)
    return _ROLE_SETS.setdefault(key, key)


@dataclass(slots=True, frozen=True)
class Post:
    """A post as decisions and views need it. When it began and ended is history: it stays in the
    `users` record (a person's edit starts from that record), not in every replica's memory."""

    id: str
    unit_id: str
    unit_name: str
    title: str
    roles: tuple[str, ...]
    primary: bool
    active: bool

    @classmethod
    def of(cls, post: dict[str, Any]) -> Post:
        return cls(post["id"], _shared(post["unit_id"]), _shared(post.get("unit_name", "")),
                   _shared(post.get("title", "")), _roles(post.get("roles", ())),
                   bool(post.get("primary")), bool(post.get("active")))

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "unit_id": self.unit_id, "unit_name": self.unit_name, "title": self.title,
                "roles": list(self.roles), "primary": self.primary, "active": self.active}


@dataclass(slots=True, frozen=True)
class Person:
    """A person as decisions need them (no password hash: logins read the database; no record dates
    but `deactivated_at`: a view of when a record was made or changed reads the record). Each field
    costs 66,000 times at twice the demo's size, so the search key is made when asked, not kept."""

    id: str
    username: str
    display_name: str
    mobile: str | None
    office_phone: str | None
    active: bool
    system_admin: bool
    posts: tuple[Post, ...]
    version: int
    initials: str
    deactivated_at: datetime | None

    @classmethod
    def of(cls, user: dict[str, Any]) -> Person:
        name = user.get("display_name", "")
        return cls(user["_id"], user.get("username", ""), name, user.get("mobile"), user.get("office_phone"),
                   bool(user.get("active")),
                   bool(user.get("system_admin")), tuple(Post.of(post) for post in user.get("posts", ())),
                   int(user.get("version", 0)), _shared(initials(name).lower()), _utc(user.get("deactivated_at")))

    @property
    def search_key(self) -> str:
        """username \x00 name \x00 pinyin initials, lower case (neither a username nor initials holds a \x00)."""
        return f"{self.username}\x00{self.display_name}\x00{self.initials}".lower()

    def held(self) -> Iterable[Post]:
        """The posts that count now: active posts of an active person."""
        return (post for post in self.posts if post.active) if self.active else ()

    def as_user(self) -> dict[str, Any]:
        """The person as the `users` record reads (without the password hash, the posts' dates and the
        record's own)."""
        user: dict[str, Any] = {"_id": self.id, "username": self.username, "display_name": self.display_name,
                                "mobile": self.mobile, "office_phone": self.office_phone, "active": self.active,
                                "posts": [post.as_dict() for post in self.posts], "version": self.version,
                                "deactivated_at": self.deactivated_at}
        if self.system_admin:
            user["system_admin"] = True
        return user


def _utc(at: datetime | None) -> datetime | None:
    """Stored times are UTC; the load decodes them naive (faster), and the directory hands them out aware."""
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


def _counted(record: dict[str, Any], collection: str, committed: set[str],
             staged: dict[str, list[tuple[str, dict[str, Any]]]]) -> bool:
    """Is the record part of the org? One of an import not yet committed is kept aside for its switch."""
    run = record.get(PENDING)
    if run is None or run in committed:
        return True
    staged.setdefault(run, []).append((collection, record))
    return False


class SearchIndex:
    """Every person's search key in one string, in username order, so a substring search is a run of
    `str.find` in C instead of a Python loop over 65,000 people."""

    def __init__(self, people: dict[str, Person]) -> None:
        self.people = sorted(people.values(), key=lambda person: person.username)
        # Offsets in one array, not 65,000 int objects: they would outlive the build's temporary objects
        # scattered among them, and keep the memory those held from ever being returned.
        keys = [person.search_key for person in self.people]
        self.starts = array("I")
        position = 0
        for key in keys:
            self.starts.append(position)
            position += len(key) + 1
        self.text = "\n".join(keys)

    def matching(self, wanted: str) -> Iterable[Person]:
        if not wanted:
            yield from self.people
            return
        position = self.text.find(wanted)
        while position != -1:
            index = bisect_right(self.starts, position) - 1
            yield self.people[index]
            following = index + 1
            if following >= len(self.starts):
                return
            position = self.text.find(wanted, self.starts[following])


class Directory:
    def __init__(self) -> None:
        self._units: dict[str, dict[str, Any]] = {}
        self._people: dict[str, Person] = {}
        self._holders: dict[tuple[str, str], list[str]] = {}  # (unit, role) → person ids, sorted
        self._members: dict[str, set[str]] = {}  # unit → people with an active post there
        self._children: dict[str | None, set[str]] = {}
        self._search: SearchIndex | None = None  # rebuilt on the first search after a change of people
        # Bumped by every change applied: caches derived from the directory key on it.
        self.version = 0
        self.loaded = False
        self._arrived_while_loading: list[dict[str, Any]] | None = None
        # Imports (oa/import_runs.py): records of a run count once the run is committed; until then
        # the ones the stream brings wait here, by run.
        self._committed_runs: set[str] = set()
        self._staged: dict[str, list[tuple[str, dict[str, Any]]]] = {}

    # ---- loading and keeping current ---------------------------------------------------

    async def load(self, mongo: Mongo) -> None:
        """Read every unit and person (one pass each) and replace what is held.

        The change stream is open before this starts; changes it brings while the records are
        being read are kept and applied on top, so the result is never older than either.
        """
        self._arrived_while_loading = []
        try:
            committed = await ImportRuns(mongo).committed_ids()
            staged: dict[str, list[tuple[str, dict[str, Any]]]] = {}
            # Whole records, filtered here: the embedded server answers a projection or a filter on
            # 65,000 people at a third of the speed of a plain scan. People are read a batch at a time
            # (the next one fetched meanwhile) and each is reduced as it arrives, so the raw records
            # never all sit in memory at once.
            units = [unit async for unit in mongo["units"].find({})
                     if _counted(unit, "units", committed, staged)]
            # Of a person's times only `deactivated_at` is kept (made aware by Person.of): the rest need
            # not be decoded aware, which costs 60 % more.
            people = [Person.of(user) async for batch in scan(mongo["users"], naive_times=True) for user in batch
                      if _counted(user, "users", committed, staged)]
        except BaseException:
            self._arrived_while_loading = None
            raise
        self._units, self._people, self._holders, self._members, self._children = {}, {}, {}, {}, {}
        self._committed_runs, self._staged = committed, staged
        for unit in units:
            self._index_unit({key: value for key, value in unit.items() if key != PENDING})
        for person in people:
            self._people[person.id] = person
            self._index_person(person, +1)
        self._search = None
        self.version += 1
        self.loaded = True
        arrived, self._arrived_while_loading = self._arrived_while_loading, None
        for change in arrived:
            self.apply_change(change)

    def apply_change(self, change: dict[str, Any]) -> None:
        """One change-stream event on `units`, `users` or `imports` (updates carry the looked-up record)."""
        if self._arrived_while_loading is not None:
            self._arrived_while_loading.append(change)
            return
        collection, operation = change["ns"]["coll"], change["operationType"]
        if collection == "imports":
            run = change.get("fullDocument") or {}
            if run.get("status") in ("committed", "done"):
                self.commit_run(run["_id"])
            elif run.get("status") == "failed":
                self._staged.pop(run["_id"], None)
            return
        record_id = change.get("documentKey", {}).get("_id")
        if operation == "delete":
            if collection == "units":
                self._drop_unit(record_id)
            else:
                self._drop_person(record_id)
            return
        record = change.get("fullDocument")
        if record is None:  # updated, then deleted before the lookup: the delete event follows
            return
        if collection == "units":
            self.put_unit(record)
        else:
            self.put_person(record)

    def _defer(self, collection: str, record: dict[str, Any]) -> bool:
        """While loading, a write is applied after the load (it may be newer than what the load read)."""
        if self._arrived_while_loading is None:
            return False
        self._arrived_while_loading.append({"ns": {"coll": collection}, "operationType": "replace",
                                            "documentKey": {"_id": record["_id"]}, "fullDocument": record})
        return True

    def _counts(self, record: dict[str, Any], collection: str) -> bool:
        return _counted(record, collection, self._committed_runs, self._staged)

    def commit_run(self, run_id: str) -> None:
        """An import's switch flipped: every record of it counts from now on."""
        self._committed_runs.add(run_id)
        for collection, record in self._staged.pop(run_id, []):
            if collection == "units":
                self.put_unit(record)
            else:
                self.put_person(record)

    def is_visible(self, record: dict[str, Any]) -> bool:
        run = record.get(PENDING)
        return run is None or run in self._committed_runs

    def visible_filter(self) -> dict[str, Any]:
        """The database query condition for the same records the directory counts."""
        return visible(self._committed_runs)

    def put_unit(self, unit: dict[str, Any]) -> None:
        if self._defer("units", unit) or not self._counts(unit, "units"):
            return
        unit = {key: value for key, value in unit.items() if key != PENDING}
        held = self._units.get(unit["_id"])
        if held is not None and int(held.get("version", 0)) > int(unit.get("version", 0)):
            return
        if held is not None:
            self._children.get(held.get("parent_id"), set()).discard(held["_id"])
        self._index_unit(unit)
        self.version += 1

    def put_person(self, user: dict[str, Any]) -> None:
        if self._defer("users", user) or not self._counts(user, "users"):
            return
        held = self._people.get(user["_id"])
        if held is not None and held.version > int(user.get("version", 0)):
            return
        person = Person.of(user)
        if held is not None:
            self._index_person(held, -1)
        self._people[person.id] = person
        self._index_person(person, +1)
        self._search = None
        self.version += 1

    def _drop_unit(self, unit_id: str) -> None:
        held = self._units.pop(unit_id, None)
        if held is not None:
            self._children.get(held.get("parent_id"), set()).discard(unit_id)
            self.version += 1

    def _drop_person(self, user_id: str) -> None:
        held = self._people.pop(user_id, None)
        if held is not None:
            self._index_person(held, -1)
            self._search = None
            self.version += 1

    def _index_unit(self, unit: dict[str, Any]) -> None:
        self._units[unit["_id"]] = unit
        self._children.setdefault(unit.get("parent_id"), set()).add(unit["_id"])

    def _index_person(self, person: Person, sign: int) -> None:
        for post in person.held():
            members = self._members.setdefault(post.unit_id, set())
            if sign > 0:
                members.add(person.id)
            else:
                members.discard(person.id)
            for role in post.roles:
                holders = self._holders.setdefault((post.unit_id, role), [])
                if sign > 0:
                    if person.id not in holders:
                        insort(holders, person.id)
                elif person.id in holders:
                    holders.remove(person.id)

    # ---- units -------------------------------------------------------------------------

    def unit(self, unit_id: str) -> dict[str, Any] | None:
        return self._units.get(unit_id)

    def units(self, unit_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        return {unit_id: self._units[unit_id] for unit_id in unit_ids if unit_id in self._units}

    def path_ids(self, unit_id: str) -> list[str]:
        """The unit's ancestors, root first, then the unit; [] for an unknown unit."""
        unit = self._units.get(unit_id)
        return [*unit["ancestors"], unit_id] if unit else []

    def child_ids(self, unit_id: str | None) -> list[str]:
        return sorted(self._children.get(unit_id, ()))

    def all_units(self) -> Iterable[dict[str, Any]]:
        return self._units.values()

    def descendants(self, unit_id: str) -> list[dict[str, Any]]:
        """Every unit below `unit_id`, dissolved ones included, walking the tree in memory."""
        found, waiting = [], list(self._children.get(unit_id, ()))
        while waiting:
            child = self._units.get(waiting.pop())
            if child is not None:
                found.append(child)
                waiting.extend(self._children.get(child["_id"], ()))
        return found

    # ---- people ------------------------------------------------------------------------

    def person(self, user_id: str) -> Person | None:
        return self._people.get(user_id)

    def user(self, user_id: str) -> dict[str, Any] | None:
        person = self._people.get(user_id)
        return person.as_user() if person else None

    def people(self, user_ids: Iterable[str]) -> dict[str, Person]:
        return {user_id: self._people[user_id] for user_id in user_ids if user_id in self._people}

    def with_mobile(self, mobile: str) -> list[Person]:
        """People whose mobile number is `mobile`: a scan (a few ms at 66,000 people), asked only by logins
        that name a person by mobile, so no index slows every write of a person."""
        return [person for person in self._people.values() if person.mobile == mobile]

    def holders(self, unit_id: str, role: str) -> list[str]:
        """Active people holding `role` through an active post in `unit_id`, by id."""
        return list(self._holders.get((unit_id, role), ()))

    def clerks_of(self, unit_ids: Iterable[str]) -> dict[str, list[str]]:
        """Per unit, the people who receive for it: every 收发员, else every 办公室主任."""
        return {unit_id: self.holders(unit_id, CLERK_ROLES[0]) or self.holders(unit_id, CLERK_ROLES[1])
                for unit_id in unit_ids}

    def roles_in(self, user_id: str, unit_id: str) -> set[str]:
        person = self._people.get(user_id)
        if person is None:
            return set()
        return {role for post in person.held() if post.unit_id == unit_id for role in post.roles}

    def members_of(self, unit_id: str) -> set[str]:
        return set(self._members.get(unit_id, ()))

    def active_people(self) -> Iterable[Person]:
        return (person for person in self._people.values() if person.active)
    def all_people(self) -> Iterable[Person]:
        return self._people.values()

    def person_count(self) -> int:
        return len(self._people)

    def search_people(self, text: str | None, unit_id: str | None = None, include_inactive: bool = False,
                      offset: int = 0, limit: int = 50) -> tuple[list[Person], int]:
        """People by username, name or pinyin initials (substring, case-insensitive), by username.

        In memory: at 65,000 people a search is a few `str.find` over one string of every key
        (SearchIndex), with no database trip and no separate count.
        """
        if self._search is None:
            self._search = SearchIndex(self._people)
        wanted = (text or "").strip().lower().replace("\n", "")
        members = self._members.get(unit_id, set()) if unit_id else None
        found = []
        for person in self._search.matching(wanted):
            if members is not None and person.id not in members:
                continue
            if not include_inactive and not person.active:
                continue
            found.append(person)
        return found[offset:offset + limit], len(found)

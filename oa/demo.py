"""A realistic, deterministic demo org hierarchy for 韶关市 (Shaoguan, Guangdong).

`build_demo_hierarchy()` returns units and people in the JSON import format
(docs/import-format.md) so the demo, the test suite and load tests exercise the real importer
at real scale: a 市委 and a 市政府 with ~120 city units, 10 counties/districts of ~110 units
each, 105 towns, and ~6,500 people who each hold one to two posts. People carry no password:
the caller sets one shared password. The same seed always gives the same output.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass
from typing import Any

from oa.demo_names import (
    COUNTIES,
    ETHNIC_TOWNS,
    GIVEN_CHARS,
    GOV_SIDE,
    HEADS,
    MOBILE_PREFIXES,
    PARTY_SIDE,
    SURNAMES,
    TOWNS,
)

ROLE_SLUGS = {"主要领导": "zyld", "分管领导": "fgld", "办公室主任": "bgszr", "收发员": "sfy", "科员": "ky",
              "档案员": "dag"}
CORE_ROLES = ("主要领导", "分管领导", "办公室主任", "收发员")

DEMO_LOGINS: list[tuple[str, str]] = [
    ("admin", "系统管理员 (平台管理员)"),
    ("cityadmin", "市级管理员 · 韶关市人民政府信息化管理员"),
    ("auditor", "审计员 (三员分立: 只看审计、校验审计链)"),
    ("sx-xzf.admin", "县级管理员 · 始兴县人民政府信息化管理员"),
    ("sg-szfb.sfy1", "韶关市人民政府办公室 收发员"),
    ("sg-szf.fgld1", "副市长兼市公安局局长 (两个岗位)"),
    ("sx-t-taiping.sfy1", "始兴县太平镇 收发员"),
]



@dataclass(frozen=True)
class Place:
    """The city or one county: what its unit names, codes and ids are built from."""

    slug: str  # id prefix, e.g. sg, sx
    prefix: str  # {P}: 韶关市, 韶关市浈江区, 始兴县
    bare: str  # {B}: 韶关, 浈江
    short: str  # short-name prefix: 市, 浈江区, 乳源县
    word: str  # 市/区/县, for 市长, 区委书记, 县长
    abbr: str  # 机关代字 prefix: 韶, 浈, 始
    level: str
    size: int = 0  # county-direct units wanted (counties only)
    flags: tuple[str, ...] = ()

    def root(self, what: str) -> str:
        """Ids of the four core units: w 党委, wb 党委办公室, zf 政府, zfb 政府办公室."""
        return f"{self.slug}-{'s' if self.level == 'city' else 'x'}{what}"


CITY = Place("sg", "韶关市", "韶关", "市", "市", "韶", "city")


@dataclass(frozen=True)
class Entry:
    scope: str
    slug: str
    name: str
    code: str | None
    short: str
    type: str
    party: bool  # sits under the 党委 rather than the 政府
    vertical: bool


def parse_entries(tables: dict[str, str], party: bool) -> list[Entry]:
    entries = []
    for unit_type, table in tables.items():  # key: type, or type/group
        for token in table.split():
            scope = token[0] if token[0] in "*+?~" else ""
            slug, name, code, short = token.lstrip("*+?~").split("/")
            entries.append(Entry(scope, slug, name, None if code == "-" else code, short, unit_type.split("/")[0],
                                 party, unit_type.endswith("垂直")))
    return entries


def parse_counties() -> list[Place]:
    fields = COUNTIES.split()
    places = []
    for i in range(0, len(fields), 5):
        slug, bare, kind, abbr, size = fields[i:i + 5]
        prefix = f"韶关市{bare}{kind}" if kind == "区" else f"{bare}{kind}"
        word = kind[-1]
        flags = ("autonomous_county",) if kind.endswith("自治县") else ()
        places.append(Place(slug, prefix, bare, f"{bare}{word}", word, abbr, "county", int(size), flags))
    return places


def parse_towns() -> dict[str, list[tuple[str, str]]]:
    towns: dict[str, list[tuple[str, str]]] = {}
    for line in TOWNS.strip().splitlines():
        county, *pairs = line.split()
        for pair in pairs:
            town, pinyin = pair.split("/")
            towns.setdefault(county, []).append((town, pinyin))
    return towns


def head_titles(unit: dict[str, Any]) -> tuple[str, str]:
    """(head, deputy) titles for an ordinary unit, e.g. (局长, 副局长)."""
    name = unit["name"]
    if unit["type"] == "政协":
        return "主席", "副主席"
    if name.startswith("共青团"):
        return "书记", "副书记"
    for suffix in sorted(HEADS, key=len, reverse=True):
        if name.endswith(suffix):
            head, *deputy = HEADS[suffix]
            return head, deputy[0] if deputy else f"副{head}"
    return "主任", "副主任"


class Builder:
    """Accumulates units in parent-first order and tracks what each unit needs in people."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.units: list[dict[str, Any]] = []
        self.kinds: dict[str, tuple[str, Place]] = {}  # unit id -> (kind, place), for titles and staffing
        self.children: dict[str | None, int] = {}
        self.ids: set[str] = set()
        self.codes: set[str] = set()

    def add(self, place: Place, kind: str, uid: str, name: str, short: str, utype: str, parent: str | None,
            code: str | None, flags: tuple[str, ...] = (), vertical_parent: str | None = None) -> str:
        if uid in self.ids:
            raise ValueError(f"duplicate unit id {uid}")
        self.ids.add(uid)
        # One counter per code per year numbers documents, so two units must never share a code.
        if code is not None:
            if code in self.codes:
                raise ValueError(f"duplicate code {code} ({name})")
            self.codes.add(code)
        self.children[parent] = sort = self.children.get(parent, 0) + 1
        level = "town" if kind == "town" else place.level
        self.units.append({"id": uid, "name": name, "short_name": short, "type": utype, "level": level,
                           "parent": parent, "code": code, "flags": list(flags),
                           "vertical_parent": vertical_parent, "sort": sort})
        self.kinds[uid] = (kind, place)
        return uid

    def add_place(self, place: Place, entries: list[Entry], parent_w: str | None, parent_zf: str | None,
                  optional: set[str]) -> None:
        """A place's 党委 and 政府 with their offices and the table units wanted there."""
        pre, short, abbr = place.prefix, place.short, place.abbr
        party, gov = place.root("w"), place.root("zf")
        self.add(place, "root", party, f"中共{pre}委员会", f"{short}委", "党委", parent_w, f"{abbr}委")
        self.add(place, "root", gov, f"{pre}人民政府", f"{short}政府", "政府", parent_zf, f"{abbr}府", place.flags)
        self.add(place, "office", place.root("wb"), f"中共{pre}委办公室", f"{short}委办", "部门", party, f"{abbr}委办")
        self.add(place, "office", place.root("zfb"), f"{pre}人民政府办公室", f"{short}政府办", "部门", gov,
                 f"{abbr}府办")
        for entry in entries:
            if not wanted(entry, place, optional):
                continue
            name = entry.name.format(P=pre, B=place.bare) if "{" in entry.name else pre + entry.name
            vertical = entry.vertical
            line = f"sg-{entry.slug}" if vertical and place.level == "county" else None
            parent = party if entry.party else gov
            self.add(place, "unit", f"{place.slug}-{entry.slug}", name, short + entry.short, entry.type, parent,
                     abbr + entry.code if entry.code else None, ("vertical",) if vertical else (), line)

    def add_towns(self, county: Place, towns: list[tuple[str, str]]) -> None:
        for town, pinyin in towns:
            street = town.endswith("街道")
            stem = town.removesuffix("街道").removesuffix("镇").removesuffix("乡")
            code = stem + ("街" if street else town[-1])
            if code in self.codes:  # same town name in two counties (大桥镇, 黄坑镇)
                code = county.abbr + code
            name = f"{county.prefix}{town}办事处" if street else f"{county.prefix}{town}"
            flags = ("ethnic_township",) if town in ETHNIC_TOWNS else ()
            self.add(county, "town", f"{county.slug}-t-{pinyin}", name, town, "街道" if street else "乡镇",
                     county.root("zf"), code, flags)


ALL_ENTRIES = parse_entries(PARTY_SIDE, party=True) + parse_entries(GOV_SIDE, party=False)


def wanted(entry: Entry, place: Place, optional: set[str]) -> bool:
    if place.level == "city":
        return entry.scope in ("", "*", "?")
    if entry.scope in ("?", "~"):
        return entry.slug in optional
    return entry.scope in ("", "+")


def choose_optional(county: Place, rng: random.Random) -> set[str]:
    """Counties differ in which optional units they have; how many follows the county's size."""
    core = sum(1 for entry in ALL_ENTRIES if entry.scope in ("", "+")) + 4  # + 党委, 政府 and their offices
    pool = [entry.slug for entry in ALL_ENTRIES if entry.scope in ("?", "~")]
    wanted_count = county.size - core
    if not 0 <= wanted_count <= len(pool):
        raise ValueError(f"{county.prefix}: size {county.size} needs {wanted_count} of {len(pool)} optional units")
    return set(rng.sample(pool, wanted_count))


# --- people -------------------------------------------------------------------------------------

Slot = tuple[str, str, int]  # (unit id, role, n): one post a generated person would fill


def staffing(kind: str, level: str, rng: random.Random) -> list[tuple[str, int]]:
    """How many people of each role a unit gets; 科员 only where there is real volume."""
    city = level == "city"
    if kind == "root":
        return [("主要领导", 1), ("分管领导", 4 if city else 3), ("办公室主任", 1), ("收发员", 1), ("科员", 2)]
    if kind == "office":
        return [("主要领导", 1), ("分管领导", 2), ("办公室主任", 1), ("收发员", 2), ("科员", 6 if city else 3)]
    if kind == "town":
        return [("主要领导", 2), ("分管领导", 2), ("办公室主任", 1), ("收发员", 1), ("科员", rng.randint(1, 2))]
    extra = rng.randint(1, 3) if city else int(rng.random() < 0.4)
    return [("主要领导", 1), ("分管领导", rng.randint(1, 2) if city else 1), ("办公室主任", 1), ("收发员", 1),
            ("科员", extra)]


def title(unit: dict[str, Any], kind: str, place: Place, role: str, n: int) -> str:
    if role in ("收发员", "科员"):
        return role
    w = place.word
    if kind == "root":
        party = unit["type"] == "党委"
        if role == "主要领导":
            return f"{w}委书记" if party else f"{w}长"
        if role == "分管领导":
            return (f"{w}委副书记" if n == 1 else f"{w}委常委") if party else f"副{w}长"
        return "秘书长" if place.level == "city" else f"{w}{'委' if party else '政府'}办主任"
    if kind == "town":
        street, xiang = unit["type"] == "街道", unit["short_name"].endswith("乡")
        heads = ("党工委书记", "办事处主任") if street else ("党委书记", "乡长" if xiang else "镇长")
        if role == "主要领导":
            return heads[n - 1]
        return ("办事处副主任" if street else "副乡长" if xiang else "副镇长") if role == "分管领导" else "党政办主任"
    head, deputy = ("主任", "副主任") if kind == "office" else head_titles(unit)
    if role == "办公室主任":
        return "秘书科科长" if kind == "office" else "办公室主任"
    return head if role == "主要领导" else deputy


def second_posts(counties: list[Place], towns: dict[str, list[tuple[str, str]]], builder: Builder,
                 rng: random.Random) -> list[tuple[Slot, Slot, str]]:
    """(slot taken over, person who takes it, title prefix): the people who hold a second post.

    The person keeps their own (primary) post and fills the other unit's slot instead of a new person.
    """
    lead, deputy, office = "主要领导", "分管领导", "办公室主任"
    links: list[tuple[Slot, Slot, str]] = [
        (("sg-sw", deputy, 1), ("sg-szf", lead, 1), ""),  # 市长 is always 市委副书记
        (("sg-zuzhi", lead, 1), ("sg-sw", deputy, 2), ""),  # 市委常委兼组织部部长
        (("sg-xuanchuan", lead, 1), ("sg-sw", deputy, 3), ""),
        (("sg-gongan", lead, 1), ("sg-szf", deputy, 1), ""),  # 副市长兼公安局局长
        (("sg-szfb", lead, 1), ("sg-szf", office, 1), ""),  # 秘书长兼市政府办公室主任
    ]
    for county in counties:
        seat = f"{county.slug}-t-{towns[county.slug][0][1]}"
        links += [((county.root("w"), deputy, 1), (county.root("zf"), lead, 1), ""),
                  ((f"{county.slug}-zuzhi", lead, 1), (county.root("w"), deputy, 2), ""),
                  ((seat, lead, 1), (county.root("w"), deputy, 3), ""),  # 县委常委兼城区镇（街）党（工）委书记
                  ((f"{county.slug}-gongan", lead, 1), (county.root("zf"), deputy, 1), "")]
    # 驻镇帮扶: deputy heads of city departments 挂职 as deputy town heads.
    city_units = [u["id"] for u in builder.units if u["level"] == "city" and builder.kinds[u["id"]][0] == "unit"]
    town_ids = [u["id"] for u in builder.units if u["level"] == "town"]
    for unit_id, town_id in zip(rng.sample(city_units, 15), rng.sample(town_ids, 15), strict=True):
        links.append(((town_id, deputy, 2), (unit_id, deputy, 1), "挂职"))
    return links


def office_phone(unit_id: str, username: str) -> str:
    """A Shaoguan landline (area code 0751) whose first digits are the unit's switchboard, so colleagues
    share them as they do. Derived from the ids, not drawn from the generator: adding phones left every
    name, username and mobile of the demo as it was."""
    return f"0751-8{zlib.crc32(unit_id.encode()) % 10_000:04d}{zlib.crc32(username.encode()) % 1_000:03d}"


class People:
    """Generates unique usernames, mobiles and plausible names."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.mobiles: set[str] = set()
        self.weights = [len(SURNAMES) - i for i in range(len(SURNAMES))]  # common surnames first
        self.people: list[dict[str, Any]] = []

    def name(self) -> str:
        surname = self.rng.choices(SURNAMES, self.weights)[0]
        given = self.rng.sample(self.rng.choice(GIVEN_CHARS), 1 if self.rng.random() < 0.3 else 2)
        return surname + "".join(given)

    def mobile(self) -> str:
        while True:
            number = f"{self.rng.choice(MOBILE_PREFIXES)}{self.rng.randrange(10 ** 8):08d}"
            if number not in self.mobiles:
                self.mobiles.add(number)
                return number

    def add(self, username: str, post: dict[str, Any], display_name: str | None = None) -> dict[str, Any]:
        person = {"username": username, "display_name": display_name or self.name(), "mobile": self.mobile(),
                  "office_phone": office_phone(post["unit"], username), "posts": [{**post, "primary": True}]}
        self.people.append(person)
        return person


def staff_units(builder: Builder, people: People, links: list[tuple[Slot, Slot, str]],
                rng: random.Random) -> dict[str, int]:
    """Staff every unit the builder made; a slot named by a second-post link becomes an extra post of
    the person in its source slot. Returns unit id -> number of 科员."""
    taken = {target: (source, prefix) for target, source, prefix in links}
    by_slot: dict[Slot, dict[str, Any]] = {}
    pending: list[tuple[Slot, dict[str, Any]]] = []
    clerks: dict[str, int] = {}
    for unit in builder.units:
        kind, place = builder.kinds[unit["id"]]
        for role, count in staffing(kind, unit["level"], rng):
            if role == "科员":
                clerks[unit["id"]] = count
            for n in range(1, count + 1):
                slot = (unit["id"], role, n)
                post = {"unit": unit["id"], "title": title(unit, kind, place, role, n), "roles": [role]}
                if slot in taken:
                    pending.append((slot, post))
                else:
                    by_slot[slot] = people.add(f"{unit['id']}.{ROLE_SLUGS[role]}{n}", post)
    for slot, post in pending:
        source, prefix = taken[slot]
        by_slot[source]["posts"].append({**post, "title": prefix + post["title"], "primary": False})
    if len(pending) != len(links):
        raise ValueError("a second-post link names a slot that does not exist")
    return clerks


def build_people(builder: Builder, counties: list[Place], towns: dict[str, list[tuple[str, str]]],
                 rng: random.Random) -> list[dict[str, Any]]:
    people = People(rng)
    admin = people.add("admin", {"unit": CITY.root("zfb"), "title": "系统管理员", "roles": ["管理员"]}, "系统管理员")
    admin["system_admin"] = True
    people.add("cityadmin", {"unit": CITY.root("zf"), "title": "信息化管理员", "roles": ["管理员"]})
    for county in counties:
        people.add(f"{county.root('zf')}.admin", {"unit": county.root("zf"), "title": "信息化管理员",
                                                    "roles": ["管理员"]})
    staff_units(builder, people, second_posts(counties, towns, builder, rng), rng)
    # A 档案员 in each 党委办公室 and 政府办公室 (city and counties) archives what the office issues and receives.
    # Added last, so every other person keeps the name and mobile the seed gave them before.
    for place in (CITY, *counties):
        for office in ("wb", "zfb"):
            unit_id = place.root(office)
            people.add(f"{unit_id}.{ROLE_SLUGS['档案员']}1", {"unit": unit_id, "title": "档案员", "roles": ["档案员"]})
    # 三员分立: the platform's 审计员 reads the audit and verifies its chains, and administers nothing
    # (added last, so every other demo person keeps the name and number drawn for them).
    people.add("auditor", {"unit": CITY.root("zf"), "title": "安全审计员", "roles": ["审计员"]}, "安全审计员")
    return people.people


def build_demo_hierarchy(seed: int = 2026) -> dict[str, Any]:
    """The Shaoguan demo hierarchy as `{"units": [...], "people": [...]}` in the JSON import format."""
    rng = random.Random(seed)
    counties, towns = parse_counties(), parse_towns()
    builder = Builder(rng)
    builder.add_place(CITY, ALL_ENTRIES, None, None, set())
    for county in counties:
        builder.add_place(county, ALL_ENTRIES, CITY.root("w"), CITY.root("zf"), choose_optional(county, rng))
        builder.add_towns(county, towns[county.slug])
    return {"units": builder.units, "people": build_people(builder, counties, towns, rng)}

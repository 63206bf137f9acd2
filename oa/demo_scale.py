"""A bigger demo org: `scale_hierarchy(demo, scale)` grows the Shaoguan demo hierarchy (oa/demo.py).

Promises, for `1 <= scale <= MAX_SCALE`:
- every unit and person of the given hierarchy comes back unchanged (same dicts, same order, first), so the
  normal demo's unit ids, usernames, posts and logins all still work; nothing is added to their posts;
- about `scale` times the demo's units: the extra ones are whole counties/districts built with oa/demo.py's
  own `Builder` (党委, 政府, their offices, the table departments and towns) under 市委/市政府, plus, when
  the growth is smaller than one county, extra towns under the existing counties;
- people per unit rise linearly from the demo's ~5 at scale 1 to `PEOPLE_PER_UNIT` (25, as in 江门 on
  粤政易: 2,581 units, 65,011 users) at scale 2 and stay there beyond: new units get the demo's staffing
  (主要领导, 分管领导, 办公室主任, 收发员, 科员, same titles and role names) and the rest are extra 科员
  spread over old and new units;
- unit ids, usernames, mobiles and 机关代字 (unit `code`) stay unique; parents come before children;
- the same (hierarchy, scale, seed) always gives the same output. Pure: no I/O.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from oa.demo import (
    ALL_ENTRIES,
    CITY,
    Builder,
    Entry,
    People,
    Place,
    Slot,
    choose_optional,
    parse_counties,
    staff_units,
)
from oa.demo_names import words

MAX_SCALE = 10.0
PEOPLE_PER_UNIT = 25.0
MIN_TOWNS = 5  # towns of a generated county, at least
COUNTY_KINDS = (("区", 3), ("县", 5), ("市", 2))  # 区/县/县级市, weighted as in Shaoguan


def syllables(table: str) -> list[tuple[str, str]]:
    """'云/yun 丹/dan' -> [('云', 'yun'), ('丹', 'dan')]."""
    return [(pair.split("/")[0], pair.split("/")[1]) for pair in words(table)]


# Place-name syllables (汉字/pinyin): a first and a second half; names are checked for uniqueness.
FIRST = syllables("""
云/yun 丹/dan 青/qing 龙/long 凤/feng 石/shi 梅/mei 松/song 桂/gui 兰/lan 金/jin 银/yin 玉/yu 宝/bao 安/an
和/he 福/fu 永/yong 长/chang 东/dong 西/xi 南/nan 北/bei 黄/huang 白/bai 红/hong 翠/cui 碧/bi 紫/zi 朝/chao
泰/tai 兴/xing 华/hua 明/ming 春/chun 秋/qiu 莲/lian 桃/tao 杨/yang 柳/liu 竹/zhu 茶/cha 枫/feng 樟/zhang 榕/rong
鹤/he 鹿/lu 马/ma 牛/niu 象/xiang 狮/shi 虎/hu 锦/jin 秀/xiu 清/qing 潭/tan 连/lian 仙/xian 灵/ling 瑶/yao
""")
SECOND = syllables("""
溪/xi 岭/ling 山/shan 江/jiang 河/he 湖/hu 塘/tang 坪/ping 坑/keng 岗/gang 田/tian 洞/dong 源/yuan 水/shui
口/kou 头/tou 洲/zhou 峰/feng 林/lin 陂/bei 埔/pu 圩/xu 桥/qiao 湾/wan 城/cheng 沙/sha 阳/yang 安/an 丰/feng
岩/yan 谷/gu 原/yuan 村/cun 寨/zhai 庄/zhuang 堡/bao 亭/ting 园/yuan 浦/pu 滩/tan 湄/mei 川/chuan 泉/quan
""")
ROOT_SUFFIXES = {"sw": "root", "szf": "root", "xw": "root", "xzf": "root",
                 "swb": "office", "szfb": "office", "xwb": "office", "xzfb": "office"}
# Relative size of a unit's staff beyond the core posts: offices and towns are the busiest.
EXTRA_WEIGHTS = {("city", "root"): 4, ("city", "office"): 8, ("city", "unit"): 4, ("county", "root"): 3,
                 ("county", "office"): 5, ("county", "unit"): 2, ("town", "town"): 4}
KY_NUMBER = re.compile(r"\.ky(\d+)$")


def targets(base_units: int, base_people: int, scale: float) -> tuple[int, int]:
    """(units, people) wanted at `scale`: units grow with scale, people per unit rise to PEOPLE_PER_UNIT."""
    check_scale(scale)
    units = round(base_units * scale)
    per_unit = base_people / base_units
    per_unit += (PEOPLE_PER_UNIT - per_unit) * min(scale - 1, 1.0)
    return units, max(base_people, round(units * per_unit))


def check_scale(scale: float) -> None:
    if not 1 <= scale <= MAX_SCALE:
        raise ValueError(f"scale must be between 1 and {MAX_SCALE:g} (the demo's accounts are always kept), "
                         f"not {scale:g}")


def unit_kind(unit: dict[str, Any]) -> str:
    """root (党委/政府 of a place), office (their 办公室), town or unit, from a demo unit id."""
    if unit["level"] == "town":
        return "town"
    return ROOT_SUFFIXES.get(unit["id"].split("-", 1)[-1], "unit")


class Names:
    """Unique place names with pinyin ids, never one the hierarchy already has."""

    def __init__(self, rng: random.Random, taken: set[str]) -> None:
        self.rng = rng
        self.taken = set(taken)  # bare names (始兴, 太平) already used

    def pick(self, fits: Callable[[str, str, str], bool]) -> tuple[str, str, str]:
        """(name, pinyin, initials) that `fits(name, pinyin, initials)` accepts."""
        for _ in range(10_000):
            (a, pa), (b, pb) = self.rng.choice(FIRST), self.rng.choice(SECOND)
            name, pinyin, initials = a + b, pa + pb, pa[0] + pb[0]
            if a != b and name not in self.taken and fits(name, pinyin, initials):
                self.taken.add(name)
                return name, pinyin, initials
        raise ValueError("ran out of generated place names; use a smaller scale")


class Grower:
    """Adds counties and towns to a Builder seeded with the existing hierarchy's ids, codes and sort counters."""

    def __init__(self, hierarchy: dict[str, Any], rng: random.Random) -> None:
        self.rng = rng
        self.builder = Builder(rng)
        units = hierarchy["units"]
        self.builder.ids = {unit["id"] for unit in units}
        self.builder.codes = {unit["code"] for unit in units if unit["code"]}
        self.builder.children = dict(Counter(unit["parent"] for unit in units))
        self.slugs = {unit["id"].split("-", 1)[0] for unit in units}
        bare = {unit["short_name"][:-2 if unit["type"] == "街道" else -1] for unit in units if unit["level"] == "town"}
        bare |= {unit["name"].removeprefix("韶关市")[:2] for unit in units
                 if unit["level"] == "county" and unit["type"] == "政府"}
        self.names = Names(rng, bare)
        sizes = [county.size for county in parse_counties()]
        self.size_range = (min(sizes), max(sizes))
        self.core = sum(1 for entry in ALL_ENTRIES if entry.scope in ("", "+")) + 4  # as choose_optional counts

    def county_codes(self, abbr: str, entries: list[Entry]) -> list[str]:
        return [abbr + suffix for suffix in ("委", "府", "委办", "府办")] + [abbr + e.code for e in entries if e.code]

    def new_county(self, size: int) -> Place:
        word = self.rng.choices([kind for kind, _ in COUNTY_KINDS], [weight for _, weight in COUNTY_KINDS])[0]
        every = [entry for entry in ALL_ENTRIES if entry.scope in ("", "+", "?", "~")]

        def fits(name: str, pinyin: str, initials: str) -> bool:
            return self._slug(pinyin, initials) is not None and self._abbr(name, every) is not None

        bare, pinyin, initials = self.names.pick(fits)
        slug, abbr = self._slug(pinyin, initials), self._abbr(bare, every)
        assert slug is not None and abbr is not None
        self.slugs.add(slug)
        prefix = f"韶关市{bare}区" if word == "区" else f"{bare}{word}"
        return Place(slug, prefix, bare, f"{bare}{word}", word, abbr, "county", size)

    def _slug(self, pinyin: str, initials: str) -> str | None:
        """Unit id prefix: initials as in the demo (sx, rh), the whole pinyin when those are taken."""
        return next((slug for slug in (initials, pinyin) if slug not in self.slugs), None)

    def _abbr(self, bare: str, entries: list[Entry]) -> str | None:
        """A 机关代字 prefix whose every code (县委, 县府办, 组织部 …) is still free."""
        for abbr in (bare[0], bare[1], bare):
            codes = self.county_codes(abbr, entries)
            if not self.builder.codes.intersection(codes) and len(set(codes)) == len(codes):
                return abbr
        return None

    def towns(self, county: Place, count: int, seat: bool = True) -> list[tuple[str, str]]:
        """Town names and pinyin ids, the seat first: 区 have a few 街道, a 县级市 a 街道 seat, some are 乡."""
        streets = 0 if not seat else self.rng.randint(2, 4) if county.word == "区" else int(county.word == "市")
        result = []
        for n in range(count):
            suffix = "街道" if n < streets else "乡" if (n or not seat) and self.rng.random() < 0.08 else "镇"

            def fits(name: str, pinyin: str, initials: str, suffix: str = suffix) -> bool:
                code = name + ("街" if suffix == "街道" else suffix)
                return f"{county.slug}-t-{pinyin}" not in self.builder.ids and code not in self.builder.codes

            name, pinyin, _ = self.names.pick(fits)
            result.append((name + suffix, pinyin))
        return result

    def plan_counties(self, extra: int) -> list[tuple[int, int]]:
        """(county-direct units, towns) of each new county so that they add up to `extra` units."""
        lo, hi = self.size_range
        average = (lo + hi) / 2 + 11  # + towns, about the demo's 10.5 per county
        if extra < self.core + MIN_TOWNS:
            return []
        count = max(1, round(extra / average))
        sizes = [self.rng.randint(lo, hi) for _ in range(count)]
        deficit = count * MIN_TOWNS - (extra - sum(sizes))
        i = 0
        while deficit > 0:  # too little left for towns: shrink counties towards their core units
            cut = min(deficit, sizes[i % count] - self.core)
            sizes[i % count] -= cut
            deficit -= cut
            i += 1
        budget = extra - sum(sizes)
        towns = [budget // count + (1 if n < budget % count else 0) for n in range(count)]
        for _ in range(count * 2):  # counties differ: move a few towns between two of them
            a, b = self.rng.randrange(count), self.rng.randrange(count)
            move = min(self.rng.randint(0, 3), towns[a] - MIN_TOWNS)
            towns[a] -= move
            towns[b] += move
        return list(zip(sizes, towns, strict=True))


def county_links(county: Place, towns: list[tuple[str, str]]) -> list[tuple[Slot, Slot, str]]:
    """The demo's second posts inside one county (see oa/demo.py second_posts): 县长 is 县委副书记 …"""
    lead, deputy = "主要领导", "分管领导"
    seat = f"{county.slug}-t-{towns[0][1]}"
    return [((county.root("w"), deputy, 1), (county.root("zf"), lead, 1), ""),
            ((f"{county.slug}-zuzhi", lead, 1), (county.root("w"), deputy, 2), ""),
            ((seat, lead, 1), (county.root("w"), deputy, 3), ""),
            ((f"{county.slug}-gongan", lead, 1), (county.root("zf"), deputy, 1), "")]


def staff_new_units(builder: Builder, counties: list[tuple[Place, list[tuple[str, str]]]],
                    people: People, rng: random.Random) -> dict[str, int]:
    """People for the new units, as oa/demo.py build_people staffs a county; returns unit id -> 科员 count."""
    links = [link for county, towns in counties for link in county_links(county, towns)]
    for county, _ in counties:
        people.add(f"{county.root('zf')}.admin", {"unit": county.root("zf"), "title": "信息化管理员",
                                                    "roles": ["管理员"]})
    return staff_units(builder, people, links, rng)


def add_clerks(units: list[dict[str, Any]], kinds: dict[str, str], clerks: dict[str, int], count: int,
               people: People, rng: random.Random) -> None:
    """`count` extra 科员, spread over `units` by EXTRA_WEIGHTS, numbered after each unit's last 科员."""
    if count <= 0:
        return
    weights = [EXTRA_WEIGHTS.get((unit["level"], kinds[unit["id"]]), 2) for unit in units]
    drawn = Counter(unit["id"] for unit in rng.choices(units, weights, k=count))
    for unit in units:
        first = clerks.get(unit["id"], 0) + 1
        for n in range(first, first + drawn[unit["id"]]):
            people.add(f"{unit['id']}.ky{n}", {"unit": unit["id"], "title": "科员", "roles": ["科员"]})


def scale_hierarchy(hierarchy: dict[str, Any], scale: float, seed: int = 2026) -> dict[str, Any]:
    """The demo hierarchy grown to `scale` (see the module docstring); scale 1 returns it as it is."""
    check_scale(scale)
    base_units, base_people = hierarchy["units"], hierarchy["people"]
    want_units, want_people = targets(len(base_units), len(base_people), scale)
    if want_units == len(base_units) and want_people == len(base_people):
        return hierarchy
    rng = random.Random(f"oa-demo-scale:{seed}:{scale!r}")
    grower = Grower(hierarchy, rng)
    builder = grower.builder
    new_counties: list[tuple[Place, list[tuple[str, str]]]] = []
    extra_units = want_units - len(base_units)
    for size, town_count in grower.plan_counties(extra_units):
        county = grower.new_county(size)
        builder.add_place(county, ALL_ENTRIES, CITY.root("w"), CITY.root("zf"), choose_optional(county, rng))
        towns = grower.towns(county, town_count)
        builder.add_towns(county, towns)
        new_counties.append((county, towns))
    if not new_counties and extra_units > 0:  # less than a county: more towns in the existing counties
        existing = [county for county in parse_counties() if county.root("zf") in grower.builder.ids]
        for n in range(extra_units):
            county = existing[n % len(existing)]
            builder.add_towns(county, grower.towns(county, 1, seat=False))

    people = People(rng)
    people.mobiles = {person["mobile"] for person in base_people if person.get("mobile")}
    clerks = staff_new_units(builder, new_counties, people, rng)
    for person in base_people:  # the demo's own 科员 are {unit}.ky1 …; extra ones continue the numbering
        match = KY_NUMBER.search(person["username"])
        if match:
            unit_id = person["username"][:match.start()]
            clerks[unit_id] = max(clerks.get(unit_id, 0), int(match.group(1)))
    units = [*base_units, *builder.units]
    kinds = {unit["id"]: unit_kind(unit) for unit in base_units}
    kinds.update({unit_id: kind for unit_id, (kind, _) in builder.kinds.items()})
    add_clerks(units, kinds, clerks, want_people - len(base_people) - len(people.people), people, rng)
    return {"units": units, "people": [*base_people, *people.people]}


"""Permission decisions from memory, at the demo's size or a scaled one (no database involved).

Builds the org directory in memory from the demo hierarchy (scaled with `--scale`, e.g. 2 for
~2,650 units / 66,000 people), loads the role templates into Casbin as the service does, and times
`Authorizer.decide` one call at a time over a mix of people, units, kinds and actions (own unit,
ancestors' reach, denied cases). Prints p50 / p99 / max per decision, and pycasbin's own
`enforce` on the same questions, measured in the same run, for the ratio.

    python bench/permission_decisions.py [--scale 2] [--decisions 200000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from typing import Any

import casbin

from oa.demo import build_demo_hierarchy
from oa.demo_scale import scale_hierarchy
from oa.directory import Directory
from oa.orgs import unit_record
from oa.users import build_posts, user_record
from permissions.adapter import EVERYWHERE
from permissions.authorizer import MODEL_PATH, ROLE_TEMPLATES, Authorizer

QUESTIONS = [("document", "read"), ("document", "draft"), ("document", "number"), ("exchange", "handle"),
             ("exchange", "read"), ("exchange", "stats"), ("unit", "write"), ("user", "write"), ("flow", "claim")]


def build_directory(scale: float) -> tuple[Directory, list[dict[str, Any]], list[str]]:
    hierarchy = build_demo_hierarchy()
    if scale != 1:
        hierarchy = scale_hierarchy(hierarchy, scale)
    directory = Directory()
    units: dict[str, dict[str, Any]] = {}
    now = None
    for row in hierarchy["units"]:  # parent-first in the demo
        data = {**row, "parent_id": row["parent"], "vertical_parent_id": row.get("vertical_parent")}
        unit = unit_record(data, row["id"], units.get(row["parent"]) if row["parent"] else None, now)
        units[unit["_id"]] = unit
        directory.put_unit(unit)
    people = []
    for index, row in enumerate(hierarchy["people"]):
        user = user_record(row, f"p-{index}", build_posts(row["posts"], units, now), None, now)
        if row.get("system_admin"):
            user["system_admin"] = True
        directory.put_person(user)
        people.append(user)
    return directory, people, list(units)


def enforcer() -> casbin.Enforcer:
    loaded = casbin.Enforcer(str(MODEL_PATH))
    for role, kind, action in ROLE_TEMPLATES:
        loaded.add_policy(role, EVERYWHERE, kind, action, "allow")
    return loaded


def percentiles(samples_ns: list[int]) -> str:
    samples_ns.sort()
    p99 = samples_ns[int(len(samples_ns) * 0.99) - 1]
    return (f"p50 {statistics.median(samples_ns) / 1000:6.2f} µs   p99 {p99 / 1000:6.2f} µs   "
            f"max {samples_ns[-1] / 1000:8.2f} µs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--decisions", type=int, default=200_000)
    args = parser.parse_args()
    started = time.perf_counter()
    directory, people, unit_ids = build_directory(args.scale)
    print(f"directory: {len(unit_ids)} units, {directory.person_count()} people, built in "
          f"{time.perf_counter() - started:.1f} s")
    casbin_enforcer = enforcer()
    authorizer = Authorizer(casbin_enforcer, directory)  # type: ignore[arg-type]  # sync enforce is what decide uses
    authorizer.policy_loaded()
    rng = random.Random(7)
    questions = []
    for _ in range(args.decisions):
        person = directory.user(rng.choice(people)["_id"])
        own = [post["unit_id"] for post in person["posts"]]
        # half in the person's own unit, a quarter in a child of it, a quarter anywhere
        choice = rng.random()
        if choice < 0.5 and own:
            unit = own[0]
        elif choice < 0.75 and own and directory.child_ids(own[0]):
            unit = rng.choice(directory.child_ids(own[0]))
        else:
            unit = rng.choice(unit_ids)
        kind, action = rng.choice(QUESTIONS)
        questions.append((person, kind, action, unit, rng.random() < 0.7))
    for person, kind, action, unit, inherit in questions[:2000]:  # warm the template cache
        authorizer.decide(person, kind, action, unit, inherit)
    samples, allowed = [], 0
    clock = time.perf_counter_ns
    for person, kind, action, unit, inherit in questions:
        began = clock()
        allowed += authorizer.decide(person, kind, action, unit, inherit)
        samples.append(clock() - began)
    print(f"Authorizer.decide ({len(samples)} decisions, {allowed} allowed)  {percentiles(samples)}")
    raw = []
    for _person, kind, action, _unit, _inherit in questions[:20_000]:
        began = clock()
        casbin_enforcer.enforce("科员", EVERYWHERE, kind, action)
        raw.append(clock() - began)
    print(f"pycasbin enforce, one role template (20000 calls)       {percentiles(raw)}")
    print(f"ratio decide p99 / one pycasbin enforce p50 = "
          f"{sorted(samples)[int(len(samples) * 0.99) - 1] / statistics.median(raw):.2f}")


if __name__ == "__main__":
    main()

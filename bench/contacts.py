"""Latency of the 通讯录 API on a real `oa serve --demo --scale N` process, driven over HTTP from this one.

Each call is timed from this process (client and server share the machine), one request at a time, for
three viewers (a town 收发员, a county admin, a city office 收发员) in turn:
- the home screen (`GET /api/contacts`: own units, the root units, 常用联系人);
- a random unit, its sub-units and its first page of people;
- searches as people type them: pinyin initials and names of random people, post titles, unit names,
  and a one-letter query that matches tens of thousands;
- starring and unstarring a random person.
It prints median, p95 and max per kind of call, then the p95 over every call. Then, because on a shared
machine the HTTP figures are mostly time spent waiting for a core, the same calls once more inside this
process, on a directory loaded from the same database: the CPU time each costs (`time.process_time`).

Run by hand:  python bench/contacts.py [--scale 2] [--data-dir DIR]
(a fresh data directory loads the demo first: ~2 minutes at scale 2; pass --data-dir to keep and reuse one)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from oa_process import Api, OaServe, demo_scale, median, percentile  # bench/ is on sys.path as a script

from oa.contacts import ContactBook
from oa.demo import build_demo_hierarchy
from oa.demo_scale import scale_hierarchy
from oa.directory import Directory
from oa.pinyin_initials import initials
from oa.starred import StarredContacts
from permissions.authorizer import Authorizer
from storage.mongo import Mongo

VIEWERS = ["sx-t-taiping.sfy1", "sx-xzf.admin", "sg-szfb.sfy1"]
TITLES = ["办公室主任", "局长", "收发员", "科员", "镇长", "副县长", "秘书科科长"]
UNIT_WORDS = ["教育局", "太平镇", "始兴县人民政府", "财政局", "街道办事处", "韶关市"]


def out(text: str = "") -> None:
    print(text, flush=True)


async def measure_all(api: Api, scale: int, rounds: int) -> None:
    hierarchy = scale_hierarchy(build_demo_hierarchy(), float(scale))  # as `oa serve --scale` parses it
    units = [unit["id"] for unit in hierarchy["units"]]
    people = hierarchy["people"]
    out(f"  {len(units):,} units, {len(people):,} people")
    rng = random.Random(2026)
    tokens = {viewer: await api.login(viewer) for viewer in VIEWERS}
    person_ids: list[str] = []
    for word in ("科员", "收发员"):
        page = await api.ok("GET", f"/api/contacts/search?q={urllib.parse.quote(word)}&limit=200",
                            token=tokens[VIEWERS[0]])
        person_ids += [card["id"] for card in page["items"]]
    samples: dict[str, list[float]] = {}

    async def timed(kind: str, method: str, path: str, token: str) -> None:
        started = time.perf_counter()
        status, answer = await api.call(method, path, {} if method == "PUT" else None, token=token)
        elapsed = (time.perf_counter() - started) * 1000
        if status != 200:
            raise SystemExit(f"{method} {path}: {status} {answer}")
        samples.setdefault(kind, []).append(elapsed)

    for round_number in range(rounds):
        for viewer in VIEWERS:
            token = tokens[viewer]
            unit = rng.choice(units)
            somebody = rng.choice(people)["display_name"]
            queries = {
                "search: pinyin initials": initials(somebody),
                "search: a name": somebody,
                "search: a post title": rng.choice(TITLES),
                "search: a unit name": rng.choice(UNIT_WORDS),
            }
            await timed("home (own units, roots, 常用联系人)", "GET", "/api/contacts", token)
            await timed("a unit with its path", "GET", f"/api/contacts/units/{unit}", token)
            await timed("a unit's sub-units (up to 200)", "GET", f"/api/contacts/units/{unit}/children?limit=200",
                        token)
            await timed("a unit's people (first 50)", "GET", f"/api/contacts/units/{unit}/people", token)
            for kind, text in queries.items():
                await timed(kind, "GET", f"/api/contacts/search?q={urllib.parse.quote(text)}", token)
            if round_number % 5 == 0:
                await timed("search: one letter (most people match)", "GET", "/api/contacts/search?q=l", token)
            starred = rng.choice(person_ids)
            await timed("star", "PUT", f"/api/contacts/starred/{starred}", token)
            await timed("unstar", "DELETE", f"/api/contacts/starred/{starred}", token)

    out()
    every: list[float] = []
    for kind, values in samples.items():
        every += values
        out(f"  {kind:<44} n={len(values):<4} median {median(values):7.1f} ms   "
            f"p95 {percentile(values, 95):7.1f} ms   max {max(values):7.1f} ms")
    out(f"  {'every contacts call':<44} n={len(every):<4} median {median(every):7.1f} ms   "
        f"p95 {percentile(every, 95):7.1f} ms   max {max(every):7.1f} ms")


async def measure_in_process(mongodb_uri: str, scale: int, rounds: int) -> None:
    """CPU time of each ContactBook call (what a request costs the server beyond HTTP and JSON)."""
    mongo = await Mongo.connect(mongodb_uri, "oa")
    directory = Directory()
    await directory.load(mongo)
    book = ContactBook(directory, StarredContacts(mongo), (await Authorizer.create(mongo, directory)).may_see_mobile)
    hierarchy = scale_hierarchy(build_demo_hierarchy(), float(scale))
    units = [unit["id"] for unit in hierarchy["units"]]
    names = [person["display_name"] for person in hierarchy["people"]]
    viewers = [directory.user(directory.holders("sx-t-taiping", "收发员")[0]), directory.user(
        directory.holders("sg-szfb", "收发员")[0])]
    rng = random.Random(7)
    started = time.process_time()
    book.find("科", 0, 1)
    out(f"  search index built once after people change: {(time.process_time() - started) * 1000:.0f} ms CPU")
    samples: dict[str, list[float]] = {}

    async def cpu(kind: str, call: Callable[..., Any], *args: Any) -> None:
        begun = time.process_time()
        result = call(*args)
        if asyncio.iscoroutine(result):
            await result
        samples.setdefault(kind, []).append((time.process_time() - begun) * 1000)

    for _ in range(rounds):
        for viewer in viewers:
            unit, name = rng.choice(units), rng.choice(names)
            await cpu("unit with path", book.unit, unit)
            await cpu("sub-units (up to 200)", book.children, unit, 0, 200)
            await cpu("people (first 50, incl. starred read)", book.unit_people, viewer, unit, 0, 50)
            await cpu("search: initials", book.search, viewer, initials(name), 0, 50)
            await cpu("search: name", book.search, viewer, name, 0, 50)
            await cpu("search: post title", book.search, viewer, rng.choice(TITLES), 0, 50)
            await cpu("search: unit name", book.search, viewer, rng.choice(UNIT_WORDS), 0, 50)
            await cpu("search: one letter", book.search, viewer, "l", 0, 50)
    for kind, values in samples.items():
        out(f"  {kind:<44} n={len(values):<4} median {median(values):7.2f} ms   "
            f"p95 {percentile(values, 95):7.2f} ms CPU")
    await mongo.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=2, help="demo scale (default 2: 2,648 units, 66,200 people)")
    parser.add_argument("--rounds", type=int, default=40, help="rounds of every call per viewer (default 40)")
    parser.add_argument("--data-dir", type=Path, help="a data directory to use and keep (else a temporary one)")
    args = parser.parse_args()
    scale, serve_args, note = demo_scale(args.scale)
    tmp = None if args.data_dir else Path(tempfile.mkdtemp(prefix="bench-contacts-"))
    data_dir = args.data_dir or tmp / "var"  # type: ignore[operator]
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    out(f"oa serve --demo, {note}, data in {data_dir}")
    server = OaServe(data_dir, serve_args)
    try:
        out(f"  start to healthy: {server.start():.1f} s")
        asyncio.run(measure_all(Api(server.base), scale, args.rounds))
        memory = server.memory()
        out(f"  RSS of oa serve afterwards: {memory['VmRSS'] / 1024:.0f} MiB")
        with open("/proc/loadavg") as load:
            out(f"  load average during the run: {' '.join(load.read().split()[:3])} "
                f"(this machine's cores: {os.cpu_count()})")
        out()
        out("In this process, CPU time per call (the same database, its own directory)")
        asyncio.run(measure_in_process(server.mongodb_uri(), scale, args.rounds))
    finally:
        server.stop()
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

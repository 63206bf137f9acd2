"""`oa import-units` at scale: the demo hierarchy scaled (2 → ~2,650 units, ~66,000 people) imported
into an empty embedded database in one all-or-nothing import (tagged batches, one switch).

Prints the time to validate, to write the batches, to count them and switch, and the total, plus the
time a fresh service takes to load the directory afterwards.

    python bench/import_scale.py [--scale 2]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from harness import run_on_embedded_servers  # bench/ is on sys.path when run as a script

from oa import importer
from oa.demo import build_demo_hierarchy
from oa.demo_scale import scale_hierarchy
from oa.directory import Directory
from oa.import_parse import ImportInput, parse_mapping
from storage.indexes import apply_indexes
from storage.mongo import Mongo
from web.services import Endpoints


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=2.0)
    args = parser.parse_args()
    hierarchy = build_demo_hierarchy()
    if args.scale != 1:
        hierarchy = scale_hierarchy(hierarchy, args.scale)

    async def run(endpoints: Endpoints, data_dir: Path) -> None:
        mongo = await Mongo.connect(endpoints.mongodb_uri, "oa_import_bench")
        await apply_indexes(mongo)
        given = ImportInput()
        parse_mapping(hierarchy, "bench", given)
        stages: dict[str, float] = {}

        def progress(stage: str, done: int, total: int) -> None:
            stages[stage] = time.perf_counter()

        started = time.perf_counter()
        plan = await importer.validate(mongo, given)
        validated = time.perf_counter()
        await importer.apply(mongo, plan, by="bench", progress=progress, shared_password_hash="x")
        finished = time.perf_counter()
        print(f"scale {args.scale}: {len(plan.units)} units, {len(plan.people)} people")
        print(f"validate {validated - started:6.1f} s")
        print(f"prepare  {stages.get('people', validated) - validated:6.1f} s")
        print(f"write    {stages.get('written', finished) - stages.get('people', validated):6.1f} s "
              "(tagged batches of 1,000)")
        print(f"count + switch {finished - stages.get('written', finished):6.1f} s")
        print(f"total    {finished - started:6.1f} s")
        directory = Directory()
        began = time.perf_counter()
        await directory.load(mongo)
        print(f"directory load {time.perf_counter() - began:6.1f} s ({directory.person_count()} people)")
        await mongo.close()

    run_on_embedded_servers(run)


if __name__ == "__main__":
    main()

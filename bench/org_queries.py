"""Latency of the foundation's hot paths on the demo hierarchy (1,324 units, 6,558 people):
a permission decision, a subtree query, the ancestors of a town, and a login.

Run by hand:  python bench/org_queries.py   (results go into BENCHMARKS.md)
"""

from __future__ import annotations

import time
from pathlib import Path

from harness import measure, run_on_embedded_servers  # bench/ is on sys.path when run as a script

from oa.demo_setup import DEFAULT_DEMO_PASSWORD, load_demo
from web.config import Settings
from web.services import Endpoints, Services


async def run(endpoints: Endpoints, data_dir: Path) -> None:
    services = await Services.open(Settings(data_dir=data_dir, mongodb_db="bench"), endpoints)
    started = time.perf_counter()
    await load_demo(services.mongo, data_dir)
    print(f"demo load (validate + one transaction)               {time.perf_counter() - started:7.2f} s")
    units = [unit async for unit in services.mongo["units"].find({}, {"_id": 1, "level": 1})]
    towns = [unit["_id"] for unit in units if unit["level"] == "town"]
    counties = [unit["_id"] async for unit in services.mongo["units"].find({"level": "county", "type": "政府"})]
    county_admin = await services.users.find_by_username("sx-xzf.admin")
    clerk = await services.users.find_by_username("sg-szfb.sfy1")
    authorizer = services.authorizer

    await measure("permission decision, county admin, random unit", 2000,
                  lambda i: authorizer.allowed(county_admin, "unit", "write", units[(i * 37) % len(units)]["_id"]))
    await measure("permission decision, clerk (denied), random unit", 2000,
                  lambda i: authorizer.allowed(clerk, "unit", "write", units[(i * 41) % len(units)]["_id"]))
    await measure("subtree: all towns of a county (first page)", 500,
                  lambda i: services.orgs.subtree(counties[i % len(counties)], level="town", limit=100))
    await measure("subtree: all city departments (first page)", 200,
                  lambda i: services.orgs.subtree("sg-szf", level="city", unit_type="部门", limit=200))
    await measure("ancestors of a town", 1000, lambda i: services.orgs.ancestors(towns[i % len(towns)]))
    await measure("login (Argon2id verify + session insert)", 50,
                  lambda i: services.sessions.login("sg-szfb.sfy1", DEFAULT_DEMO_PASSWORD, f"bench-{i}"))
    await services.mongo.client.drop_database("bench")
    await services.close()


def main() -> None:
    run_on_embedded_servers(run)


if __name__ == "__main__":
    main()

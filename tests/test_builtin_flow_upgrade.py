"""A built-in flow the service published itself is published again as the next version when the service's
definition changed (a deployment that seeded 收文 before its 承办 fallback gets it at the next start), once,
while a flow an admin published stays as it is."""

from __future__ import annotations

from flows.definitions import SHOUWEN
from web.services import Services


async def test_a_changed_builtin_is_published_once_and_an_admins_version_is_kept(services: Services) -> None:
    catalog, definitions = services.catalog, services.mongo["flow_definitions"]
    await catalog.seed_builtins()  # again: nothing changed since the start
    assert await definitions.count_documents({"key": "shouwen"}) == 1
    # As an older release stored it: the 承办 unit had to be chosen.
    older = [dict(node, lead={"role": "办公室主任", "unit": {"var": "lead_unit"}}) if node["id"] == "handle" else node
             for node in SHOUWEN["nodes"]]
    await definitions.update_one({"_id": "shouwen:1"}, {"$set": {"nodes": older}})
    await catalog.seed_builtins()
    await catalog.seed_builtins()
    latest = await catalog.latest("shouwen")
    assert latest["version"] == 2 and latest["published_by"] == "system"
    assert latest["nodes"] == SHOUWEN["nodes"]
    assert (await catalog.get("shouwen", 1))["nodes"] == older  # flows under way keep their version
    # An admin's own version is the latest: it is left alone, changed or not.
    await definitions.update_one({"_id": "shouwen:2"}, {"$set": {"published_by": "admin-1", "nodes": older}})
    await catalog.seed_builtins()
    assert (await catalog.latest("shouwen"))["version"] == 2

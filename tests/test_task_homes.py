"""The memory of which flow each task belongs to: shared by the actions, bounded, oldest forgotten first."""

from __future__ import annotations

from flows.task_homes import TaskHomes
from web.services import Services


def test_it_remembers_pairings_and_forgets_the_least_recently_used_first() -> None:
    homes = TaskHomes(capacity=2)
    homes.remember([{"_id": "t1", "instance_id": "i1"}, {"_id": "t2", "instance_id": "i2"}])
    assert homes.get("t1") == "i1"  # t1 is now the most recently used
    homes.remember([{"_id": "t3", "instance_id": "i3"}, {"_id": "odd"}])  # a record without a flow is skipped
    assert (homes.get("t2"), homes.get("t1"), homes.get("t3"), len(homes)) == (None, "i1", "i3", 2)


async def test_the_actions_and_the_todo_list_share_one_memory(services: Services) -> None:
    """An empty memory is falsy; each part must still hold the one shared object, not a copy of its own."""
    shared = services.flows.deps.task_homes
    assert len(shared) == 0
    assert services.flow_queries.task_homes is shared
    for part in (services.flows.task_actions, services.flows.instance_actions, services.flows.runner):
        assert part.writer.task_homes is shared

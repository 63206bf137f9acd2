"""批量移交: all of one person's open tasks handed to another in one action (a leader leaving, or away
for long), with a clear result for every task.

Each task is a 转办 done for its holder (`TaskActions.do_transfer` with `handover_of`), in its own
transaction under its flow's lock: one flow that refuses (the new holder is beyond its reach, already
holds the task, the task is the drafter's own step or waits for a countersigner added before it)
does not undo the others, and the answer says which tasks moved and why the rest did not. Every
moved task has its `transfer` audit record marked `handover` with the former holder, and its new
holder is pushed it at once. Who may hand over whose tasks, and of which units, is `Access.access_handover`'s to say.
"""

from __future__ import annotations

from typing import Any

from flows.flow_base import FlowBase, FlowDeps
from flows.states import TaskStatus
from flows.task_actions import TaskActions
from oa.errors import InvalidInput, OAError

MAX_HANDOVER = 500  # open tasks of one person in one action; more is not a person's load


class HandOver(FlowBase):
    def __init__(self, deps: FlowDeps, task_actions: TaskActions) -> None:
        super().__init__(deps)
        self.task_actions = task_actions

    async def open_tasks_of(self, user_id: str, units: list[str] | None = None) -> list[dict[str, Any]]:
        """The person's own open tasks (active, or waiting for a countersigner they added), oldest first;
        with `units`, only the tasks of those units (where the task is done, `unit_id`)."""
        query: dict[str, Any] = {"assignees": user_id,
                                 "status": {"$in": [TaskStatus.ACTIVE.value, TaskStatus.WAITING.value]}}
        if units is not None:
            query["unit_id"] = {"$in": units}
        return await self.tasks.find(query, {"undo": 0, "due_sort": 0}).sort(
            [("created_at", 1), ("_id", 1)]).to_list(MAX_HANDOVER)

    async def do_hand_over(self, holder: dict[str, Any], to_user_id: str, by: dict[str, Any], reason: str = "",
                           channel: str = "web", units: list[str] | None = None) -> dict[str, Any]:
        """Hand every open task of `holder` (of `units`, if given) to `to_user_id`; `by` has been allowed
        to (Access.access_handover says for which units)."""
        target = self.directory.person(to_user_id)
        if target is None or not target.active:
            raise InvalidInput(f"no active person {to_user_id}", code="unknown_user", field="to_user")
        if to_user_id == holder["_id"]:
            raise InvalidInput("hand the tasks to someone else than their holder", field="to_user")
        moved: list[dict[str, Any]] = []
        kept: list[dict[str, Any]] = []
        for task in await self.open_tasks_of(holder["_id"], units):
            summary = {"task_id": task["_id"], "title": task["title"], "node_name": task["node_name"],
                       "flow_name": task["flow_name"], "instance_id": task["instance_id"]}
            if task["status"] == TaskStatus.WAITING.value:
                kept.append({**summary, "code": "task_waiting",
                             "message": "waits for the countersigners its holder added; hand it over once it resumes"})
                continue
            try:
                await self.task_actions.do_transfer(task["_id"], by, to_user_id, reason, channel, handover_of=holder)
            except OAError as refused:
                kept.append({**summary, "code": refused.code, "message": refused.message})
            else:
                moved.append(summary)
        return {"from": {"user_id": holder["_id"], "name": holder["display_name"]},
                "to": {"user_id": to_user_id, "name": target.display_name},
                "handed_over": moved, "not_handed_over": kept}

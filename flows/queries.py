"""What people look at: my 待办 and 已办, and one flow's state, timeline and audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flows.delegations import DelegationService
from flows.outcomes import label
from flows.task_homes import TaskHomes
from oa.directory import Directory
from oa.errors import InvalidInput, NotFound
from storage.mongo import Mongo, find_in

BOXES = ("todo", "done")
TODO_ORDER = [("urgency_rank", -1), ("due_sort", 1), ("created_at", 1), ("_id", 1)]
DONE_ORDER = [("done_at", -1), ("_id", 1)]
DUE_CHUNK = 200  # units per query of the 督办 board (the embedded server answers long `$in` lists slowly)


class FlowQueries:
    def __init__(self, mongo: Mongo, delegations: DelegationService, directory: Directory,
                 task_homes: TaskHomes | None = None) -> None:
        self.task_homes = task_homes if task_homes is not None else TaskHomes()
        self.tasks = mongo["tasks"]
        self.instances = mongo["flow_instances"]
        self.audit = mongo["flow_audit"]
        self.directory = directory
        self.delegations = delegations

    async def my_tasks(self, user_id: str, box: str, now: datetime, offset: int, limit: int,
                       ) -> tuple[list[dict[str, Any]], int, dict[str, int]]:
        """A page of the person's 待办 (their own and those they act on for others) or 已办, with counts."""
        if box not in BOXES:
            raise InvalidInput(f"box must be one of {', '.join(BOXES)} (got {box!r})")
        people = [user_id, *await self.delegations.delegators_of(user_id, now)]
        todo = {"status": "active", "assignees": {"$in": people}}
        done = {"done_by.user_id": user_id}
        query, order = (todo, TODO_ORDER) if box == "todo" else (done, DONE_ORDER)
        items = await self.tasks.find(query, {"undo": 0}).sort(order).skip(offset).limit(limit).to_list(None)
        counts = {"todo": await self.tasks.count_documents(todo),
                  "done": await self.tasks.count_documents(done),
                  "overdue": await self.tasks.count_documents({**todo, "due_at": {"$lt": now}})}
        self.task_homes.remember(items)  # the person is likely to act on one of them next
        for item in items:
            if user_id not in item["assignees"]:
                item["acting_for"] = next(person for person in people if person in item["assignees"])
                holder = self.directory.person(item["acting_for"])
                item["acting_for_name"] = holder.display_name if holder else item["acting_for"]
        return items, counts[box], counts

    async def due_tasks(self, unit_ids: list[str], until: datetime, limit: int) -> list[dict[str, Any]]:
        """Open tasks of these units due by `until` (overdue ones included), earliest first.

        One indexed range per chunk of units (unit, status, due), so a city's 1,300 units cost a
        handful of bounded reads, never a scan of every open task on the platform."""
        fields = {"undo": 0, "activated": 0}
        found: list[dict[str, Any]] = []
        for start in range(0, len(unit_ids), DUE_CHUNK):
            query = {"unit_id": {"$in": unit_ids[start:start + DUE_CHUNK]}, "status": "active",
                     "due_at": {"$ne": None, "$lte": until}}
            found += await self.tasks.find(query, fields).sort([("due_at", 1), ("_id", 1)]).limit(limit).to_list(None)
        return sorted(found, key=lambda task: (task["due_at"], task["_id"]))[:limit]

    async def started_by(self, user_id: str, category: str, offset: int, limit: int,
                         ) -> tuple[list[dict[str, Any]], int]:
        """The flows of one category a person started, newest first (a clerk's 传阅 to follow up)."""
        query = {"starter.user_id": user_id, "category": category}
        fields = {"members": 0, "path": 0, "vars": 0}
        items = await self.instances.find(query, fields).sort([("created_at", -1), ("_id", 1)]).skip(offset).limit(
            limit).to_list(None)
        return items, await self.instances.count_documents(query)

    async def find_task(self, task_id: str) -> dict[str, Any] | None:
        return await self.tasks.find_one({"_id": task_id}, {"undo": 0})

    async def delegated_task(self, user_id: str, now: datetime, *, instance_id: str | None = None,
                             document_id: str | None = None) -> dict[str, Any] | None:
        """An open task on this flow (or document) held by someone `user_id` acts for now (委托), or None.

        The delegate opens such a task from their 待办 and must see its flow and document as its holder
        would; without a delegation in force this costs no query."""
        delegators = await self.delegations.delegators_of(user_id, now)
        if not delegators:
            return None
        query: dict[str, Any] = {"assignees": {"$in": delegators}, "status": "active"}
        if instance_id is not None:
            query["instance_id"] = instance_id
        if document_id is not None:
            query["document_id"] = document_id
        return await self.tasks.find_one(query, {"assignees": 1, "instance_id": 1})

    async def takes_part(self, document_id: str, user_id: str) -> bool:
        """Has the person a part in some flow on this document (a 收文 passed to them, say)?"""
        return await self.instances.find_one({"document_id": document_id, "participants": user_id},
                                             {"_id": 1}) is not None

    async def participants_by_document(self, document_ids: list[str]) -> dict[str, set[str]]:
        """For each document, everyone some flow on it involved (what `takes_part` asks)."""
        found: dict[str, set[str]] = {doc_id: set() for doc_id in document_ids}
        cursor = self.instances.find({"document_id": {"$in": document_ids}}, {"document_id": 1, "participants": 1})
        async for instance in cursor:
            found[instance["document_id"]].update(instance.get("participants", ()))
        return found

    async def instance_documents(self, instance_ids: list[str]) -> list[dict[str, Any]]:
        """Which document each flow is on (for the search index)."""
        return await find_in(self.instances, "_id", instance_ids, None, {"document_id": 1})

    async def instance_view(self, instance_id: str) -> dict[str, Any]:
        instance = await self.instances.find_one({"_id": instance_id})
        if instance is None:
            raise NotFound(f"flow {instance_id} not found")
        tasks = await self.tasks.find({"instance_id": instance_id}, {"undo": 0}).sort(
            [("created_at", 1), ("_id", 1)]).to_list(None)
        audit = await self.audit.find({"instance_id": instance_id}).sort([("at", 1), ("_id", 1)]).to_list(None)
        action_labels = {task["_id"]: task.get("action_label") for task in tasks}
        for entry in audit:  # what each action reads as, in Chinese (同意, 不同意, 已阅, 签发, 退回, 转办…)
            entry["label"] = label(entry["action"], action_labels.get(entry.get("task_id")))
        for task in tasks:
            task["outcome_label"] = label(task["outcome"], task.get("action_label")) if task.get("outcome") else None
        return {"instance": instance, "timeline": instance["path"], "tasks": tasks, "audit": audit,
                "current": await self._holders(tasks)}

    async def _holders(self, tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Who holds the flow's open tasks now, by name."""
        open_tasks = [task for task in tasks if task["status"] == "active"]
        ids = sorted({uid for task in open_tasks for uid in task["assignees"]})
        names = {user_id: person.display_name or user_id for user_id, person in self.directory.people(ids).items()}
        return [{"task_id": task["_id"], "node_name": task["node_name"], "member_label": task["member_label"],
                 "holders": [{"user_id": uid, "name": names.get(uid, uid)} for uid in task["assignees"]]}
                for task in open_tasks]

    async def instances_of_document(self, document_id: str) -> list[dict[str, Any]]:
        return await self.instances.find({"document_id": document_id}, {"members": 0, "path": 0}).sort(
            "created_at", -1).to_list(50)

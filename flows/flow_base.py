"""What every flow action shares: its dependencies, the locks and caches of one process, and the
reads and helpers that turn a stored instance into a `Step`.

`TaskActions`, `InstanceActions` and `AutoRunner` are built on one `FlowDeps`, so they share the
per-instance locks (one action per instance at a time in a process), the definition cache and
the clock. Nothing here writes: the actions do, through `StepWriter`, in one transaction each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from flows.assignees import Resolver
from flows.calendar import CalendarStore
from flows.catalog import FlowCatalog
from flows.commit import StepWriter
from flows.delegations import DelegationService
from flows.engine import Actor, Step, TaskMove
from flows.locks import KeyedLocks
from flows.reach import FlowReach
from flows.states import TaskStatus, check_task_move
from flows.task_homes import TaskHomes
from oa.clock import utcnow
from oa.documents import DocumentService
from oa.errors import NotFound
from oa.orgs import OrgService
from storage.mongo import Mongo, Session

if TYPE_CHECKING:
    from flows.auto_runner import AutoRunner

# 发文 moves its document through these statuses; other flows leave the document's status alone.
STATUS_IN_REVIEW = "reviewing"
Clock = Callable[[], datetime]


@dataclass
class FlowDeps:
    mongo: Mongo
    catalog: FlowCatalog
    orgs: OrgService
    documents: DocumentService
    delegations: DelegationService
    calendars: CalendarStore
    urge_interval: timedelta
    clock: Clock = utcnow
    locks: KeyedLocks = field(default_factory=KeyedLocks)
    definitions: dict[str, dict[str, Any]] = field(default_factory=dict)  # published versions never change
    task_homes: TaskHomes = field(default_factory=TaskHomes)


class FlowBase:
    def __init__(self, deps: FlowDeps) -> None:
        self.deps = deps
        self.mongo = deps.mongo
        self.catalog = deps.catalog
        self.orgs = deps.orgs
        self.documents = deps.documents
        self.delegations = deps.delegations
        self.calendars = deps.calendars
        self.urge_interval = deps.urge_interval
        self.directory = deps.orgs.directory
        self.instances = deps.mongo["flow_instances"]
        self.tasks = deps.mongo["tasks"]
        self.writer = StepWriter(deps.mongo, deps.documents, deps.delegations, deps.task_homes)
        self.reach = FlowReach(deps.orgs, self._people)
        self._locks = deps.locks
        self._definitions = deps.definitions
        self.runner: AutoRunner | None = None

    def clock(self) -> datetime:
        return self.deps.clock()

    async def definition_of(self, instance: dict[str, Any]) -> dict[str, Any]:
        key = f"{instance['definition_key']}:{instance['definition_version']}"
        if key not in self._definitions:  # published versions never change, so caching is safe
            self._definitions[key] = await self.catalog.get(instance["definition_key"],
                                                            instance["definition_version"])
        return self._definitions[key]

    async def get_instance(self, instance_id: str) -> dict[str, Any]:
        found = await self.instances.find_one({"_id": instance_id})
        if found is None:
            raise NotFound(f"flow {instance_id} not found")
        return found

    async def acting_as(self, task: dict[str, Any], user: dict[str, Any]) -> str | None:
        """None if `user` is an assignee; the delegator's id if acting for them; 404 otherwise."""
        if user["_id"] in task["assignees"]:
            return None
        delegators = set(await self.delegations.delegators_of(user["_id"], self.clock()))
        for assignee in task["assignees"]:
            if assignee in delegators:
                return str(assignee)
        raise NotFound(f"task {task['_id']} not found")

    async def _finish(self, step: Step, task: dict[str, Any], outcome: str,
                      fields: dict[str, Any] | None = None) -> None:
        """The task's holder is done: record it, move the flow on, and keep what a withdrawal needs."""
        undo = {"node": step.instance["node"], "node_name": step.instance["node_name"],
                "members": [dict(member) for member in step.instance["members"]],
                "path": [dict(entry) for entry in step.instance["path"]]}
        if task["status"] == TaskStatus.ACTIVE.value:
            self._move_task(step, task, TaskStatus.DONE, outcome=outcome, **(fields or {}))
        before = len(step.new_tasks)
        document_status = step.document["status"]
        await step.complete_member(task["member"], step.actor.identity if step.actor else {})
        if step.instance["category"] == "发文":
            if task["kind"] == "start":
                step.document_changes["status"] = STATUS_IN_REVIEW
            elif task["kind"] == "signoff":
                step.document_changes["status"] = "signed"
                step.document_changes["signoff"] = {**(step.actor.identity if step.actor else {}), "at": step.now}
            if "status" in step.document_changes:
                undo["document_status"] = document_status
        activated = [new["_id"] for new in step.new_tasks[before:]]
        activated += [move.task_id for move in step.moves if move.to_status == TaskStatus.ACTIVE
                      and move.from_statuses == (TaskStatus.WAITING.value,)]
        done_fields = {"activated": activated, "undo": undo, "instance_version_after": step.instance["version"] + 1}
        for move in step.moves:
            if move.task_id == task["_id"] and move.to_status == TaskStatus.DONE:
                move.fields.update(done_fields)
        task.update(done_fields)

    def _move_task(self, step: Step, task: dict[str, Any], status: TaskStatus, **fields: Any) -> None:
        check_task_move(task["status"], status, task["_id"])
        if status == TaskStatus.DONE:
            fields = {"done_at": step.now, "done_by": step.actor.identity if step.actor else None,
                      "on_behalf_of": step.actor.on_behalf_of if step.actor else None,
                      "channel": step.actor.channel if step.actor else "system", **fields}
        step.moves.append(TaskMove(task["_id"], (task["status"],), status, fields))

    async def _step(self, instance: dict[str, Any], actor: Actor | None, session: Session,
                    document: dict[str, Any] | None = None) -> Step:
        document = document or await self.documents.documents.find_one({"_id": instance["document_id"]},
                                                                         session=session)
        if document is None:
            raise NotFound(f"document {instance['document_id']} not found")
        unit = await self.orgs.get(instance["unit_id"])
        resolver = Resolver(unit, instance["starter"]["user_id"], instance["vars"], self._holders,
                            self.orgs.get_many, self._users)
        return Step.of(instance, definition=await self.definition_of(instance), document=document, actor=actor,
                       now=self.clock(), calendar=await self.calendars.load(instance["unit_id"]), resolver=resolver)

    async def _holders(self, unit_id: str, role: str) -> list[dict[str, Any]]:
        people = self.directory.people(self.directory.holders(unit_id, role))
        return [{"_id": person.id, "display_name": person.display_name} for person in people.values()]

    async def _people(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        return {user_id: person.as_user() for user_id, person in self.directory.people(ids).items()}

    async def _users(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        return {user_id: {"_id": user_id, "display_name": person.display_name, "active": person.active}
                for user_id, person in self.directory.people(ids).items()}

    async def _leads(self, user: dict[str, Any], unit_id: str) -> bool:
        return any(post.get("active") and post["unit_id"] == unit_id and {"主要领导", "办公室主任"} & set(post["roles"])
                   for post in user.get("posts", []))

    async def _task(self, task_id: str, session: Session | None = None) -> dict[str, Any]:
        found = await self.tasks.find_one({"_id": task_id}, session=session)
        if found is None:
            raise NotFound(f"task {task_id} not found")
        self.deps.task_homes.remember([found])
        return found

    async def _instance_id_of(self, task_id: str) -> str:
        """The task's flow instance, from memory when this process has seen the task."""
        return self.deps.task_homes.get(task_id) or (await self._task(task_id))["instance_id"]

    async def _task_with_flow(self, task_id: str, session: Session,
                              ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        """The task, its instance and the instance's document, in one round trip."""
        pipeline: list[dict[str, Any]] = [
            {"$match": {"_id": task_id}},
            {"$lookup": {"from": "flow_instances", "localField": "instance_id", "foreignField": "_id",
                         "as": "flow_instance"}},
            {"$unwind": "$flow_instance"},
            {"$lookup": {"from": "documents", "localField": "flow_instance.document_id", "foreignField": "_id",
                         "as": "flow_document"}},
        ]
        rows = await (await self.tasks.aggregate(pipeline, session=session)).to_list(None)
        if not rows:
            raise NotFound(f"task {task_id} not found")
        task = rows[0]
        instance, documents = task.pop("flow_instance"), task.pop("flow_document")
        if not documents:
            raise NotFound(f"document {instance['document_id']} not found")
        self.deps.task_homes.remember([task])
        return task, instance, documents[0]

    async def _instance(self, instance_id: str, session: Session | None = None) -> dict[str, Any]:
        found = await self.instances.find_one({"_id": instance_id}, session=session)
        if found is None:
            raise NotFound(f"flow {instance_id} not found")
        return found

    async def _after(self, instance: dict[str, Any]) -> dict[str, Any]:
        """Run any automatic steps the action reached, now that it has committed."""
        if instance.get("auto_pending") and self.runner is not None:
            return await self.runner.run_auto(instance["_id"])
        return instance

"""The actions on a whole flow: start it on a document, 催办 its open tasks, terminate it.

Each runs in one transaction with the instance's compare-and-set, like the task actions.
"""

from __future__ import annotations

import secrets
from typing import Any

from flows.auto_runner import AutoRunner
from flows.engine import Actor, TaskMove
from flows.fawen_rules import check_reviewable, with_co_issuers
from flows.flow_base import STATUS_IN_REVIEW, FlowBase, FlowDeps
from flows.spec import check_start_variables
from flows.states import InstanceStatus, TaskStatus, check_instance_move
from flows.task_actions import TaskActions
from oa.clock import iso
from oa.documents import author_of
from oa.errors import Conflict, Forbidden, InvalidInput, NotFound
from storage.mongo import SCHEMA_VERSION, DuplicateKeyError, Session


def new_instance_id() -> str:
    return f"fi-{secrets.token_hex(8)}"


class InstanceActions(FlowBase):
    def __init__(self, deps: FlowDeps, runner: AutoRunner, task_actions: TaskActions | None = None) -> None:
        super().__init__(deps)
        self.runner = runner
        self.task_actions = task_actions  # a received document's first step is a task action

    async def do_start(self, key: str, document_id: str, variables: dict[str, Any], user: dict[str, Any],
                       channel: str = "web", unit_id: str | None = None,
                       receipt_id: str | None = None) -> dict[str, Any]:
        """Start a flow on a document and submit the starter's own step (拟稿 / 签收 / 送阅).

        The flow runs in the drafting unit, or in `unit_id` for a document that unit received
        (`receipt_id`, its 收文 record).
        """
        document = await self.documents.get(document_id)
        unit = await self.orgs.get(unit_id or document["drafting_unit_id"])
        definition, overrides, claimed_from = await self.catalog.effective(key, unit)
        if definition["category"] == "发文":
            if document["status"] != "draft":
                raise Conflict(f"only a draft can be sent for approval; this document is {document['status']}",
                               code="not_a_draft", status=document["status"])
            check_reviewable(document)
        check_start_variables(definition, variables)
        if definition["category"] == "发文":
            variables = with_co_issuers(definition, unit["_id"], document, variables)
        identity = author_of(user, unit["_id"])
        now = self.clock()
        instance = {
            "_id": new_instance_id(), "schema_version": SCHEMA_VERSION, "version": 1,
            "status": InstanceStatus.RUNNING.value, "definition_key": definition["key"],
            "definition_version": definition["version"], "name": definition["name"],
            "category": definition["category"], "overrides": overrides, "claimed_from": claimed_from,
            "unit_id": unit["_id"], "unit_path": [*unit["ancestors"], unit["_id"]], "document_id": document_id,
            "title": document["content"].get("title", ""), "urgency": document["content"].get("urgency") or "",
            "starter": identity, "vars": variables, "node": None, "node_name": None, "members": [], "entry": 0,
            "path": [], "auto_pending": None, "auto_error": None, "created_at": now, "updated_at": now,
            "ended_at": None, "participants": [user["_id"]], "receipt_id": receipt_id,
        }

        async def work(session: Session) -> dict[str, Any]:
            running = await self.instances.find_one(
                {"document_id": document_id, "status": InstanceStatus.RUNNING.value,
                 "category": definition["category"], "unit_id": unit["_id"]},
                {"_id": 1}, session=session)
            if running is not None:
                raise Conflict(f"document {document_id} is already in {definition['name']} flow {running['_id']}",
                               code="flow_already_running", instance_id=running["_id"])
            await self.instances.insert_one({**instance}, session=session)
            step = await self._step(instance, Actor(user, identity, channel), session, document)
            await step.enter(definition["nodes"][0]["id"], "start")
            start_task = step.new_tasks[0]
            step.new_tasks.clear()
            step.events.clear()
            start_task.update(status=TaskStatus.DONE.value, done_at=now, done_by=identity, outcome="submitted",
                              channel=channel)
            step.audit("start", start_task, flow=definition["name"], version=definition["version"])
            await self._finish(step, start_task, "submitted")
            step.new_tasks.insert(0, start_task)
            await self.writer.write(step, session)
            return step.instance

        async with self._locks.hold(instance["_id"]):
            try:
                started = await self.mongo.run_transaction(work)
            except DuplicateKeyError:  # another replica's start committed between our check and insert
                raise Conflict(f"document {document_id} is already in a running {definition['name']} flow",
                               code="flow_already_running") from None
        return await self._after(started)

    async def start_on_received(self, key: str, document_id: str, variables: dict[str, Any], user: dict[str, Any],
                                channel: str, unit_id: str, receipt_id: str, first_node: str,
                                note: str) -> dict[str, Any]:
        """A received document's 收文/传阅 flow (see flows/exchange/ports.py): started in the receiving
        unit, and the registrar's own `first_node` step done at once with `note`."""
        instance = await self.do_start(key, document_id, variables, user, channel, unit_id=unit_id,
                                       receipt_id=receipt_id)
        task = await self.tasks.find_one({"instance_id": instance["_id"], "node": first_node,
                                          "status": TaskStatus.ACTIVE.value, "assignees": user["_id"]}, {"_id": 1})
        if task is not None and self.task_actions is not None:
            await self.task_actions.do_approve(task["_id"], user, note, channel=channel)
        return instance

    async def do_urge(self, instance_id: str, user: dict[str, Any], message: str = "",
                      channel: str = "web") -> dict[str, Any]:
        """催办 everyone holding an open task of the flow; a task urged recently is not urged again yet."""
        async def work(session: Session) -> dict[str, Any]:
            instance = await self._instance(instance_id, session)
            if user["_id"] not in instance.get("participants", []):
                raise NotFound(f"flow {instance_id} not found")
            if instance["status"] != InstanceStatus.RUNNING.value:
                raise Conflict(f"the flow is {instance['status']}; there is nothing to urge", code="flow_not_running")
            step = await self._step(instance, Actor(user, author_of(user, instance["unit_id"]), channel), session)
            now = step.now
            open_tasks = await self.tasks.find({"instance_id": instance_id, "status": "active"},
                                               session=session).to_list(None)
            urged, too_soon = [], []
            for task in open_tasks:
                if user["_id"] in task["assignees"]:
                    continue  # nobody urges themselves
                allowed_at = task["urged_at"] + self.urge_interval if task["urged_at"] else now
                if allowed_at > now:
                    too_soon.append(allowed_at)
                    continue
                step.moves.append(TaskMove(task["_id"], ("active",), TaskStatus.ACTIVE,
                                           {"urged_at": now, "urge_count": task["urge_count"] + 1}))
                step.events += [(uid, "task.urged", {"task_id": task["_id"], "title": task["title"],
                                                     "node_name": task["node_name"], "message": message or None,
                                                     "by": step.actor.identity["name"] if step.actor else None})
                                for uid in task["assignees"]]
                step.audit("urge", task, message=message or None)
                urged.append(task["_id"])
            if not urged:
                if too_soon:
                    when = min(too_soon)
                    raise Conflict(f"already urged; you can urge again after {iso(when)}", code="urged_recently",
                                   allowed_at=iso(when))
                raise Conflict("no one else holds an open task in this flow", code="nothing_to_urge")
            await self.writer.write(step, session)
            return {"urged": urged, "skipped_recently_urged": len(too_soon)}

        async with self._locks.hold(instance_id):
            return await self.mongo.run_transaction(work)

    async def do_terminate(self, instance_id: str, user: dict[str, Any], reason: str,
                           channel: str = "web") -> dict[str, Any]:
        """End a running flow early; its open tasks are cancelled and a 发文 draft becomes editable again."""
        if not reason.strip():
            raise InvalidInput("say why the flow is terminated (reason)", field="reason")

        async def work(session: Session) -> dict[str, Any]:
            instance = await self._instance(instance_id, session)
            if user["_id"] not in instance.get("participants", []):
                raise NotFound(f"flow {instance_id} not found")
            if instance["starter"]["user_id"] != user["_id"] and not await self._leads(user, instance["unit_id"]):
                raise Forbidden("only the person who started the flow or the unit's leader or office head can end it")
            check_instance_move(instance["status"], InstanceStatus.TERMINATED, instance_id)
            step = await self._step(instance, Actor(user, author_of(user, instance["unit_id"]), channel), session)
            step.cancel_open_members(f"terminated: {reason.strip()}")
            step.instance.update(status=InstanceStatus.TERMINATED.value, ended_at=step.now, auto_pending=None)
            step.instance["path"][-1]["left_at"] = step.now
            document = await self.documents.documents.find_one({"_id": instance["document_id"]}, session=session)
            if instance["category"] == "发文" and document and document["status"] in (STATUS_IN_REVIEW, "signed"):
                step.document_changes["status"] = "draft"
                step.document_unsets.add("consents")
            step.audit("terminate", None, reason=reason.strip())
            await self.writer.write(step, session)
            return step.instance

        async with self._locks.hold(instance_id):
            return await self.mongo.run_transaction(work)

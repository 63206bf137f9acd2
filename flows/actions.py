"""Every write of the flow engine, as named actions; the only place that publishes flow events.

Each action runs in one transaction: it reads the instance and the task, lets a `Step` work out
the change, then writes the instance (compare-and-set on its version), the task moves, the new
tasks, the audit records and the events together. Acting on a task that is no longer active
gets 409 with its current state; a concurrent action on the same instance makes the database
abort one transaction, which is retried from a fresh read, so nothing is counted twice.

Automatic steps (编号, 生成正式文件, 分发, 归档) run after the transaction that reached them has
committed, each idempotent, and the instance leaves the auto node by compare-and-set: a process
killed in between leaves `auto_pending` set, and `resume_pending` finishes the work.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from flows.assignees import Member, Resolver
from flows.auto_steps import AutoSteps
from flows.calendar import CalendarStore
from flows.catalog import FlowCatalog
from flows.commit import StepWriter
from flows.delegations import DelegationService
from flows.engine import Actor, Step, TaskMove
from flows.fawen_rules import check_reviewable, consent_of, with_co_issuers
from flows.locks import KeyedLocks
from flows.outcomes import DISAGREED, allowed_outcomes, approval_outcome, on_disagree
from flows.reach import FlowReach
from flows.spec import check_start_variables, nodes_by_id
from flows.states import InstanceStatus, TaskStatus, check_instance_move, check_task_move
from oa.clock import iso, utcnow
from oa.documents import DocumentService, author_of
from oa.errors import Conflict, Forbidden, InvalidInput, NotFound
from oa.orgs import OrgService
from storage.events import publish_many
from storage.mongo import SCHEMA_VERSION, Mongo, Session

log = logging.getLogger("oa.flows")

MAX_OPINION = 2000
MAX_ADDED_SIGNERS = 20
# 发文 moves its document through these statuses; other flows leave the document's status alone.
STATUS_IN_REVIEW = "reviewing"
Clock = Callable[[], datetime]


def new_instance_id() -> str:
    return f"fi-{secrets.token_hex(8)}"


class FlowService:
    def __init__(self, mongo: Mongo, catalog: FlowCatalog, orgs: OrgService, documents: DocumentService,
                 delegations: DelegationService, calendars: CalendarStore, auto_steps: AutoSteps,
                 urge_interval: timedelta, clock: Clock = utcnow) -> None:
        self.mongo = mongo
        self.catalog = catalog
        self.orgs = orgs
        self.documents = documents
        self.delegations = delegations
        self.calendars = calendars
        self.auto_steps = auto_steps
        self.urge_interval = urge_interval
        self.clock = clock
        self.instances = mongo["flow_instances"]
        self.tasks = mongo["tasks"]
        self.audit = mongo["flow_audit"]
        self.directory = orgs.directory
        self.writer = StepWriter(mongo, documents, delegations)
        self.reach = FlowReach(orgs, self._people)
        self._locks = KeyedLocks()
        self._definitions: dict[str, dict[str, Any]] = {}

    # Reading --------------------------------------------------------------------------------

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

    # Actions --------------------------------------------------------------------------------

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
            started = await self.mongo.run_transaction(work)
        return await self._after(started)

    async def do_approve(self, task_id: str, user: dict[str, Any], opinion: str = "", signature: str | None = None,
                         variables: dict[str, Any] | None = None, channel: str = "web",
                         outcome: str | None = None) -> dict[str, Any]:
        """同意, 已阅, 签发 or 提交 — the task's own outcome (`outcome`, if given, must be it) — with an opinion."""
        if len(opinion) > MAX_OPINION:
            raise InvalidInput(f"an opinion is at most {MAX_OPINION} characters", field="opinion")
        if outcome == DISAGREED:
            raise InvalidInput("不同意 is given with a reason at /disagree", code="outcome_not_allowed",
                               field="outcome")

        async def act(step: Step, task: dict[str, Any], session: Session) -> None:
            done = approval_outcome(task)
            if outcome is not None and outcome != done:
                raise InvalidInput(f"this task's outcome is {done}, not {outcome} (it offers "
                                   f"{', '.join(allowed_outcomes(task))})", code="outcome_not_allowed",
                                   field="outcome", allowed=allowed_outcomes(task))
            if variables:
                definition = step.definition
                check_start_variables(definition, variables)
                step.instance["vars"] = {**step.instance["vars"], **variables}
            fields: dict[str, Any] = {"opinion": opinion.strip() or None, "signature": signature}
            if task["kind"] == "start" and step.instance["category"] == "发文":  # sent for approval again
                check_reviewable(step.document)
                step.instance["vars"] = with_co_issuers(step.definition, step.instance["unit_id"], step.document,
                                                        step.instance["vars"])
            drafting_side = step.instance["category"] == "发文" and \
                step.instance["unit_id"] == step.document["drafting_unit_id"]
            # Only the document's own 发文 flow gathers its co-issuers' consent (never a recipient's flow).
            if drafting_side and (consent := consent_of(task, user, step.document, step.now)):
                step.document_changes[f"consents.{consent[0]}"] = consent[1]
                fields["consent_unit"] = consent[0]
            step.member(task["member"]).update(outcome=done, reason=None)
            step.audit(done, task, opinion=fields["opinion"], signature=signature, variables=variables or None,
                       consent_of=fields.get("consent_unit"))
            await self._finish(step, task, done, fields)

        return await self._act_on_task(task_id, user, channel, act)

    async def do_disagree(self, task_id: str, user: dict[str, Any], reason: str, signature: str | None = None,
                          channel: str = "web") -> dict[str, Any]:
        """不同意 at a countersign, with a reason: recorded, told to the drafter, and by default the flow
        goes back to the drafter; a node with `on_disagree: record` only records it and carries on."""
        reason = reason.strip()
        if not reason:
            raise InvalidInput("say why you disagree (reason)", field="reason")
        if len(reason) > MAX_OPINION:
            raise InvalidInput(f"a reason is at most {MAX_OPINION} characters", field="reason")

        async def act(step: Step, task: dict[str, Any], session: Session) -> None:
            if DISAGREED not in allowed_outcomes(task):
                raise Conflict(f"{task['node_name']} offers {', '.join(allowed_outcomes(task))}, not 不同意; "
                               "return the document instead", code="cannot_disagree")
            effect = on_disagree(step.node)
            by = step.actor.identity if step.actor else {}
            fields = {"opinion": reason, "reason": reason, "signature": signature,
                      "disagree_effect": "returned" if effect == "return" else "recorded"}
            step.audit(DISAGREED, task, opinion=reason, reason=reason, signature=signature,
                       effect=fields["disagree_effect"])
            starter = step.instance["starter"]["user_id"]
            if starter != user["_id"]:
                step.events.append((starter, "flow.disagreed", {
                    "instance_id": step.instance["_id"], "document_id": step.instance["document_id"],
                    "title": task["title"], "node_name": task["node_name"], "by": by.get("name"),
                    "unit": task["member_label"] if task["member_label"] != by.get("name") else None,
                    "reason": reason, "effect": fields["disagree_effect"]}))
            if effect == "record":
                step.member(task["member"]).update(outcome=DISAGREED, reason=reason)
                await self._finish(step, task, DISAGREED, fields)
                return
            self._move_task(step, task, TaskStatus.DONE, outcome=DISAGREED, **fields)
            who = by.get("name", "")
            if task["member_label"] != who:
                who = f"{task['member_label']} {who}"
            await self._send_back(step, task, step.return_target("start"), f"{who}不同意：{reason}")

        return await self._act_on_task(task_id, user, channel, act)

    async def do_return(self, task_id: str, user: dict[str, Any], reason: str, to: str = "previous",
                        channel: str = "web") -> dict[str, Any]:
        """退回 to the previous step or to the starter, with a reason; the open work of this step ends."""
        if not reason.strip():
            raise InvalidInput("say why the document is returned (reason)", field="reason")
        if to not in ("previous", "start"):
            raise InvalidInput("to must be 'previous' or 'start'", field="to")

        async def act(step: Step, task: dict[str, Any], session: Session) -> None:
            if task["kind"] == "start":
                raise Conflict("the first step cannot be returned; terminate the flow instead", code="cannot_return")
            target = step.return_target(to)
            self._move_task(step, task, TaskStatus.DONE, outcome="returned", reason=reason.strip())
            step.audit("return", task, reason=reason.strip(), to=target)
            await self._send_back(step, task, target, reason.strip())

        return await self._act_on_task(task_id, user, channel, act)

    async def _send_back(self, step: Step, task: dict[str, Any], target: str, note: str) -> None:
        """The flow goes back to `target` (退回, or 不同意 at a countersign): the step's open work ends."""
        step.member(task["member"])["status"] = "done"
        step.member(task["member"])["task_status"] = "done"
        step.cancel_open_members(f"returned by {step.actor.identity['name'] if step.actor else ''}")
        step.new_task_event, step.new_task_note = "task.returned", note
        await step.enter(target, "return")
        if step.instance["category"] == "发文" and target == step.definition["nodes"][0]["id"]:
            step.document_changes["status"] = "draft"
            step.document_unsets.add("consents")  # consent was given to a text that may now change

    async def do_transfer(self, task_id: str, user: dict[str, Any], to_user_id: str, reason: str = "",
                          channel: str = "web") -> dict[str, Any]:
        """转办: hand this task to someone else, who gets it as their own."""
        target = self.directory.user(to_user_id)
        if target is None or not target["active"]:
            raise InvalidInput(f"no active person {to_user_id}", code="unknown_user", field="to_user")

        async def act(step: Step, task: dict[str, Any], session: Session) -> None:
            if task["kind"] == "start":
                raise Conflict("the starter's own step cannot be transferred", code="cannot_transfer")
            if to_user_id in task["assignees"]:
                raise InvalidInput(f"{target['display_name']} already holds this task", field="to_user")
            await self.reach.check(step.instance, step.definition, step.document, [target])
            self._move_task(step, task, TaskStatus.TRANSFERRED, transferred_to=to_user_id, reason=reason or None)
            member = step.member(task["member"])
            member["candidates"] = [to_user_id]
            member["label"] = target["display_name"]
            by = step.actor.identity["name"] if step.actor else ""
            step.new_task_note = f"{by}转办" + (f"：{reason}" if reason else "")
            new = step.task_for(member)
            member["task_id"], member["task_status"] = new["_id"], "active"
            step.audit("transfer", task, to={"user_id": to_user_id, "name": target["display_name"]},
                       reason=reason or None)

        return await self._act_on_task(task_id, user, channel, act)

    async def do_add_signers(self, task_id: str, user: dict[str, Any], user_ids: list[str], position: str,
                             channel: str = "web") -> dict[str, Any]:
        """加签: add countersigners who act before this task's holder (who then waits) or after them."""
        if position not in ("before", "after"):
            raise InvalidInput("position must be 'before' or 'after'", field="position")
        if not user_ids or len(user_ids) > MAX_ADDED_SIGNERS or len(set(user_ids)) != len(user_ids):
            raise InvalidInput(f"name 1 to {MAX_ADDED_SIGNERS} different people", field="users")
        found = {user_id: person.as_user() for user_id, person in self.directory.people(user_ids).items()
                 if person.active}
        missing = [user_id for user_id in user_ids if user_id not in found]
        if missing:
            raise InvalidInput(f"no active person {', '.join(missing)}", code="unknown_user", field="users")

        async def act(step: Step, task: dict[str, Any], session: Session) -> None:
            if task["kind"] == "start":
                raise Conflict("countersigners are added on review steps, not on the first step",
                               code="cannot_add_signers")
            busy = {person for m in step.instance["members"] if m["status"] in ("active", "waiting")
                    for person in m["candidates"]}
            if clash := [found[user_id]["display_name"] for user_id in user_ids if user_id in busy]:
                raise InvalidInput(f"already acting on this step: {', '.join(clash)}", field="users")
            await self.reach.check(step.instance, step.definition, step.document, [found[uid] for uid in user_ids])
            people = [Member(found[user_id]["display_name"], [user_id]) for user_id in user_ids]
            added = step.add_members(people, task["member"], before=position == "before")
            step.audit("add_signers", task, position=position,
                       added=[{"user_id": m["candidates"][0], "name": m["label"]} for m in added])

        return await self._act_on_task(task_id, user, channel, act)

    async def do_withdraw(self, task_id: str, user: dict[str, Any], channel: str = "web") -> dict[str, Any]:
        """撤回: take back one's action while nobody it passed the work to has acted yet."""
        async def work(session: Session) -> dict[str, Any]:
            task = await self._task(task_id, session)
            if (task["done_by"] or {}).get("user_id") != user["_id"]:
                if user["_id"] in task["assignees"]:
                    raise Conflict("there is no action of yours on this task to withdraw", code="cannot_withdraw")
                raise NotFound(f"task {task_id} not found")
            if task["outcome"] == "returned" or task.get("disagree_effect") == "returned":
                raise Conflict("a return cannot be withdrawn; the step it went back to is acted on as usual",
                               code="cannot_withdraw")
            check_task_move(task["status"], TaskStatus.WITHDRAWN, task_id)
            instance = await self._instance(task["instance_id"], session)
            if instance["status"] != InstanceStatus.RUNNING.value:
                raise Conflict(f"the flow is {instance['status']}", code="flow_not_running")
            step = await self._step(instance, Actor(user, task["done_by"], channel), session)
            following = await self.tasks.find({"_id": {"$in": task["activated"]}}, session=session).to_list(None)
            if any(item["status"] not in ("active", "waiting") for item in following):
                raise Conflict("the next person has already acted; ask them to return it instead",
                               code="already_acted")
            same_entry = instance["entry"] == task["entry"]
            if not same_entry and instance["version"] != task["instance_version_after"]:
                raise Conflict("the flow has moved on since your action; ask the current holder to return it",
                               code="already_acted")
            for item in following:
                step.moves.append(TaskMove(item["_id"], ("active", "waiting"), TaskStatus.CANCELLED,
                                           {"cancel_reason": "withdrawn by the sender"}))
                step.events += [(uid, "task.cancelled", {"task_id": item["_id"], "reason": "withdrawn"})
                                for uid in item["assignees"]]
            if not same_entry:
                undo = task["undo"]
                step.instance.update(node=undo["node"], node_name=undo["node_name"], members=undo["members"],
                                     path=undo["path"], entry=task["entry"], auto_pending=None,
                                     status=InstanceStatus.RUNNING.value, ended_at=None)
                step.instance["path"][-1]["left_at"] = None
                if "document_status" in undo:
                    step.document_changes["status"] = undo["document_status"]
            await self._reopen_members(step, task, {item["_id"] for item in following}, session)
            if task.get("consent_unit"):
                step.document_unsets.add(f"consents.{task['consent_unit']}")
            step.audit("withdraw", task)
            await self.writer.write(step, session)
            return {"task_id": task_id, "replaced_by": step.member(task["member"])["task_id"],
                    "instance": step.instance}

        task = await self._task(task_id)
        async with self._locks.hold(task["instance_id"]):
            return await self.mongo.run_transaction(work)

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

    async def open_task(self, task_id: str, user: dict[str, Any]) -> dict[str, Any]:
        """The task as its holder sees it; the first opening is recorded (传阅 read tracking)."""
        task = await self._task(task_id)
        if user["_id"] not in task["assignees"] and (task.get("done_by") or {}).get("user_id") != user["_id"]:
            await self.acting_as(task, user)
        if task["opened_at"] is None and task["status"] == "active":
            now = self.clock()
            await self.tasks.update_one({"_id": task_id, "opened_at": None},
                                        {"$set": {"opened_at": now, "opened_by": user["_id"]}})
            task = {**task, "opened_at": now, "opened_by": user["_id"]}
        return task

    async def _reopen_members(self, step: Step, task: dict[str, Any], cancelled: set[str],
                              session: Session) -> None:
        """After a withdrawal: the withdrawer's member and any peer whose task ended get fresh tasks."""
        ids = [m["task_id"] for m in step.instance["members"] if m["task_id"]]
        statuses = {row["_id"]: row["status"] async for row in
                    self.tasks.find({"_id": {"$in": ids}}, {"status": 1}, session=session)}
        for member in step.instance["members"]:
            if member["task_id"] in cancelled:
                member.update(status="waiting", task_status=None, task_id=None)
            elif member["key"] == task["member"]:
                member.update(status="active", done_by=None, task_id=None, task_status=None, outcome=None,
                              reason=None)
            elif member["task_id"] and statuses.get(member["task_id"]) == "cancelled":
                member["task_id"], member["task_status"] = None, None
            else:
                continue
            if member["status"] == "active":
                step.new_task_note = "已撤回，请重新办理" if member["key"] == task["member"] else None
                step.activate(member)
        step.moves.append(TaskMove(task["_id"], ("done",), TaskStatus.WITHDRAWN,
                                   {"replaced_by": step.member(task["member"])["task_id"]}))
        # The withdrawer is looking at the result; no push to their own phone about it.
        step.events = [event for event in step.events if event[0] != step.actor.user_id or event[1] != "task.created"] \
            if step.actor else step.events

    # Automatic steps ------------------------------------------------------------------------

    async def run_auto(self, instance_id: str) -> dict[str, Any]:
        """Run the automatic steps the instance has reached, one after another, until people are needed."""
        while True:
            instance = await self.get_instance(instance_id)
            pending = instance.get("auto_pending")
            if not pending or instance["status"] != InstanceStatus.RUNNING.value:
                return instance
            node = nodes_by_id(await self.definition_of(instance))[pending["node"]]
            try:
                await self.auto_steps.run(node["action"], instance)
            except Exception as error:  # recorded on the instance; resume_pending retries later
                log.exception("auto step %s of %s failed", node["id"], instance_id)
                message = getattr(error, "message", None) or str(error)
                repeated = (instance.get("auto_error") or {}).get("message") == message
                await self.instances.update_one({"_id": instance_id, "version": instance["version"]},
                                                {"$set": {"auto_error": {"node": node["id"], "message": message,
                                                                         "at": self.clock()}}})
                if not repeated:
                    await self._tell_step_failed(instance, node, message)
                return await self.get_instance(instance_id)

            async def work(session: Session, node: dict[str, Any] = node, entry: int = instance["entry"]) -> None:
                current = await self._instance(instance_id, session)
                if (current.get("auto_pending") or {}).get("node") != node["id"] or current["entry"] != entry:
                    return  # another process finished this step first
                step = await self._step(current, None, session)
                step.audit(f"auto:{node['action']}", None)
                step.instance["auto_error"] = None
                await step.enter(node["next"], "auto")
                await self.writer.write(step, session)

            async with self._locks.hold(instance_id):
                await self.mongo.run_transaction(work)

    async def _tell_step_failed(self, instance: dict[str, Any], node: dict[str, Any], message: str) -> None:
        """An automatic step could not do its job: the starter and whoever acted last (the sealer,
        before 分发) are told at once, instead of the flow standing still in silence."""
        last = await self.tasks.find_one({"instance_id": instance["_id"], "status": TaskStatus.DONE.value},
                                         {"done_by": 1}, sort=[("done_at", -1)])
        people = {instance["starter"]["user_id"], *([last["done_by"]["user_id"]] if last and last.get("done_by")
                                                    else [])}
        data = {"instance_id": instance["_id"], "document_id": instance["document_id"], "title": instance["title"],
                "node": node["id"], "node_name": node["name"], "message": message}

        async def work(session: Session) -> None:
            await publish_many(self.mongo, session, [(person, "flow.step_failed", data)
                                                     for person in sorted(people) if person != "system"])

        await self.mongo.run_transaction(work)

    async def resume_pending(self, older_than: timedelta = timedelta(0)) -> int:
        """Finish automatic steps left unfinished (a process stopped between two steps)."""
        cutoff = self.clock() - older_than
        query = {"status": "running", "auto_pending.since": {"$lte": cutoff}}
        ids = [row["_id"] async for row in self.instances.find(query, {"_id": 1})]
        for instance_id in ids:
            await self.run_auto(instance_id)
        return len(ids)

    # Internals ------------------------------------------------------------------------------

    async def _act_on_task(self, task_id: str, user: dict[str, Any], channel: str,
                           act: Callable[[Step, dict[str, Any], Session], Awaitable[None]]) -> dict[str, Any]:
        first_look = await self._task(task_id)
        on_behalf_of = await self.acting_as(first_look, user)

        async def work(session: Session) -> dict[str, Any]:
            task = await self._task(task_id, session)
            if task["status"] != TaskStatus.ACTIVE.value:
                raise Conflict(f"this task is {task['status']} and can no longer be acted on", code="task_not_active",
                               task_status=task["status"], done_by=task.get("done_by"),
                               outcome=task.get("outcome"))
            instance = await self._instance(task["instance_id"], session)
            identity = author_of(user, task["unit_id"])
            step = await self._step(instance, Actor(user, identity, channel, on_behalf_of), session)
            await act(step, task, session)
            await self.writer.write(step, session)
            return {"task_id": task_id, "instance": step.instance}

        async with self._locks.hold(first_look["instance_id"]):
            result = await self.mongo.run_transaction(work)
        result["instance"] = await self._after(result["instance"])
        return result

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
                       now=self.clock(), calendar=await self.calendars.load(), resolver=resolver)

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
        return found

    async def _instance(self, instance_id: str, session: Session | None = None) -> dict[str, Any]:
        found = await self.instances.find_one({"_id": instance_id}, session=session)
        if found is None:
            raise NotFound(f"flow {instance_id} not found")
        return found

    async def _after(self, instance: dict[str, Any]) -> dict[str, Any]:
        """Run any automatic steps the action reached, now that it has committed."""
        if instance.get("auto_pending"):
            return await self.run_auto(instance["_id"])
        return instance

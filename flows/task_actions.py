"""The actions on one task: 同意/已阅/签发, 不同意, 退回, 转办, 加签, 撤回, and opening it.

Each runs in one transaction: it reads the instance and the task, lets a `Step` work out the
change, then writes the instance (compare-and-set on its version), the task moves, the new
tasks, the audit records and the events together. Acting on a task that is no longer active
gets 409 with its current state, unless it repeats the very action that ended it (same idempotency
key, same person), which answers success again; a concurrent action on the same instance makes the
database abort one transaction, which is retried from a fresh read, so nothing is counted twice.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from flows.assignees import Member
from flows.auto_runner import AutoRunner
from flows.engine import Actor, Step, TaskMove
from flows.fawen_rules import check_reviewable, consent_of, with_co_issuers
from flows.flow_base import FlowBase, FlowDeps
from flows.outcomes import DISAGREED, allowed_outcomes, approval_outcome, further_actions, on_disagree
from flows.return_steps import check_target, return_choices
from flows.spec import check_start_variables
from flows.states import InstanceStatus, TaskStatus, check_task_move
from oa.documents import author_of
from oa.errors import Conflict, InvalidInput, NotFound
from storage.mongo import Session

MAX_OPINION = 2000
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{8,64}")
MAX_ADDED_SIGNERS = 20


class TaskActions(FlowBase):
    def __init__(self, deps: FlowDeps, runner: AutoRunner) -> None:
        super().__init__(deps)
        self.runner = runner

    async def do_approve(self, task_id: str, user: dict[str, Any], opinion: str = "", signature: str | None = None,
                         variables: dict[str, Any] | None = None, channel: str = "web",
                         outcome: str | None = None, annotation: dict[str, Any] | None = None,
                         key: str | None = None) -> dict[str, Any]:
        """同意, 已阅, 签发 or 提交 — the task's own outcome (`outcome`, if given, must be it) — with an opinion, and
        optionally a 批示 drawn over a page (stored by flows/annotations.py: {page, key, sha256, ...})."""
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
            fields: dict[str, Any] = {"opinion": opinion.strip() or None, "signature": signature,
                                      "annotation": annotation}
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
            step.audit(done, task, opinion=fields["opinion"], signature=signature, annotation=annotation,
                       variables=variables or None,
                       consent_of=fields.get("consent_unit"))
            await self._finish(step, task, done, fields)

        return await self._act_on_task(task_id, user, channel, act, key, "approve")

    async def do_disagree(self, task_id: str, user: dict[str, Any], reason: str, signature: str | None = None,
                          channel: str = "web", key: str | None = None) -> dict[str, Any]:
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

        return await self._act_on_task(task_id, user, channel, act, key, "disagree")

    async def do_return(self, task_id: str, user: dict[str, Any], reason: str, to: str = "previous",
                        channel: str = "web", key: str | None = None) -> dict[str, Any]:
        """退回 with a reason to the previous step, to the starter, or to any earlier step of the path taken
        (`to` = its node id, one of `return_targets`): the open work of this step ends, and the chosen
        step is staffed again as its definition says (its holders get the task back)."""
        if not reason.strip():
            raise InvalidInput("say why the document is returned (reason)", field="reason")
        if not to or len(to) > 100:
            raise InvalidInput("to must be 'previous', 'start' or the id of an earlier step", field="to")

        async def act(step: Step, task: dict[str, Any], session: Session) -> None:
            if task["kind"] == "start":
                raise Conflict("the first step cannot be returned; terminate the flow instead", code="cannot_return")
            if "return" not in further_actions(task):
                raise Conflict("a reading (已阅) is not sent back; pass it on or confirm it", code="cannot_return")
            target = check_target(step.definition, step.instance, to) or step.return_target(to)
            if (holders := await self._last_holders(step.instance["_id"], target, session)) is not None:
                step.holders_on_return[target] = holders
            self._move_task(step, task, TaskStatus.DONE, outcome="returned", reason=reason.strip())
            step.audit("return", task, reason=reason.strip(), to=target)
            await self._send_back(step, task, target, reason.strip())
            # The path says where the flow came back from, and who sent it.
            step.instance["path"][-1]["returned_from"] = {
                "node": task["node"], "name": task["node_name"],
                "by": step.actor.identity.get("name") if step.actor else None}

        return await self._act_on_task(task_id, user, channel, act, key, "return")

    async def _last_holders(self, instance_id: str, node: str, session: Session) -> Member | None:
        """Who held a one-person step (核稿, 签发) when it was last done, if they are still active: a return
        gives it back to them, not to whoever its rule finds now. None for other steps (会签 is per unit)."""
        last = await self.tasks.find_one({"instance_id": instance_id, "node": node, "status": TaskStatus.DONE.value,
                                          "kind": {"$in": ["task", "signoff"]}}, {"assignees": 1, "member_label": 1,
                                                                                   "unit_id": 1},
                                         sort=[("done_at", -1), ("_id", -1)], session=session)
        if last is None:
            return None
        active = [uid for uid, person in self.directory.people(last["assignees"]).items() if person.active]
        return Member(last["member_label"], active, last["unit_id"]) if active else None

    async def return_targets(self, task_id: str, user: dict[str, Any]) -> list[dict[str, Any]]:
        """The earlier steps an open task may be returned to, each with who did it (see flows/return_steps.py)."""
        task = await self._task(task_id)
        await self.acting_as(task, user)  # 404 to anyone who may not act on it
        if task["status"] != TaskStatus.ACTIVE.value or task["kind"] == "start":
            return []
        instance = await self._instance(task["instance_id"])
        tasks = await self.tasks.find({"instance_id": instance["_id"], "status": TaskStatus.DONE.value},
                                      {"undo": 0}).to_list(None)
        return return_choices(await self.definition_of(instance), instance, tasks)

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
                          channel: str = "web", handover_of: dict[str, Any] | None = None,
                          key: str | None = None) -> dict[str, Any]:
        """转办: hand this task to someone else, who gets it as their own.

        `handover_of`: the task's holder, whose open tasks `user` hands over (批量移交, flows/handover.py,
        which has checked that `user` may): `user` acts for them and the record says it was a handover.
        """
        target = self.directory.user(to_user_id)
        if target is None or not target["active"]:
            raise InvalidInput(f"no active person {to_user_id}", code="unknown_user", field="to_user")

        async def act(step: Step, task: dict[str, Any], session: Session) -> None:
            if task["kind"] == "start":
                raise Conflict("the starter's own step cannot be transferred", code="cannot_transfer")
            if to_user_id in task["assignees"]:
                raise InvalidInput(f"{target['display_name']} already holds this task", code="already_holds",
                                   field="to_user")
            await self.reach.check(step.instance, step.definition, step.document, [target])
            self._move_task(step, task, TaskStatus.TRANSFERRED, transferred_to=to_user_id, reason=reason or None)
            member = step.member(task["member"])
            member["candidates"] = [to_user_id]
            member["label"] = target["display_name"]
            by = step.actor.identity["name"] if step.actor else ""
            if handover_of is not None:
                whose = "其" if handover_of["_id"] == user["_id"] else f"{handover_of['display_name']}的"
                step.new_task_note = f"{by}将{whose}待办移交给您" + (f"：{reason}" if reason else "")
            else:
                step.new_task_note = f"{by}转办" + (f"：{reason}" if reason else "")
            new = step.task_for(member)
            member["task_id"], member["task_status"] = new["_id"], "active"
            step.events += [(uid, "task.cancelled", {"task_id": task["_id"], "reason": "handed over"})
                            for uid in task["assignees"] if handover_of is not None and uid != user["_id"]]
            step.audit("transfer", task, to={"user_id": to_user_id, "name": target["display_name"]},
                       reason=reason or None, handover=True if handover_of is not None else None,
                       holder={"user_id": handover_of["_id"], "name": handover_of["display_name"]}
                       if handover_of is not None else None)

        return await self._act_on_task(task_id, user, channel, act, key, "transfer",
                                       acting_for=handover_of["_id"] if handover_of is not None else None)

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
                raise InvalidInput(f"already acting on this step: {', '.join(clash)}", code="already_on_step",
                                   field="users", names=clash)
            await self.reach.check(step.instance, step.definition, step.document, [found[uid] for uid in user_ids])
            people = [Member(found[user_id]["display_name"], [user_id]) for user_id in user_ids]
            if position == "before":  # their tasks start now: whose 加签 it is, and that it goes back to them
                by = step.actor.identity["name"] if step.actor else ""
                step.new_task_note = f"{by}加签：请您先办理，办理后回到{by}"
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

    async def open_task(self, task_id: str, user: dict[str, Any]) -> dict[str, Any]:
        """The task as its holder sees it; the first opening is recorded (传阅 read tracking)."""
        task = await self._task(task_id)
        if user["_id"] not in task["assignees"] and (task.get("done_by") or {}).get("user_id") != user["_id"]:
            holder = await self.acting_as(task, user)
            if holder is not None:  # 委托: the screen says for whom the delegate acts
                person = self.directory.person(holder)
                task = {**task, "acting_for": holder, "acting_for_name": person.display_name if person else holder}
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

    async def _act_on_task(self, task_id: str, user: dict[str, Any], channel: str,
                           act: Callable[[Step, dict[str, Any], Session], Awaitable[None]],
                           key: str | None = None, action: str = "", acting_for: str | None = None) -> dict[str, Any]:
        """Run `act` on an active task in one transaction. `acting_for`: a holder of the task for whom
        `user` acts by a right checked before (a handover), instead of as its assignee or delegate.

        With an idempotency `key` (a phone's queued action carries one), a repeat of the same `action`
        by the same person with the same key answers the first result instead of acting again or
        failing: the key is stored with the task's move in the same transaction, so it exists exactly
        when the action does."""
        check_idempotency_key(key)
        sent = {"key": key, "by": user["_id"], "action": action}
        instance_id = await self._instance_id_of(task_id)

        async def work(session: Session) -> dict[str, Any]:
            task, instance, document = await self._task_with_flow(task_id, session)
            if acting_for is None:
                on_behalf_of = await self.acting_as(task, user)
            elif acting_for in task["assignees"]:
                on_behalf_of = acting_for
            else:
                raise Conflict("this task is no longer theirs", code="task_not_active", task_status=task["status"])
            if key is not None and task.get("idempotency") == sent:
                return {"task_id": task_id, "instance": instance, "replayed": True, "task_status": task["status"]}
            if task["status"] != TaskStatus.ACTIVE.value:
                raise Conflict(f"this task is {task['status']} and can no longer be acted on", code="task_not_active",
                               task_status=task["status"], done_by=task.get("done_by"),
                               outcome=task.get("outcome"), cancel_reason=task.get("cancel_reason"))
            identity = author_of(user, task["unit_id"])
            step = await self._step(instance, Actor(user, identity, channel, on_behalf_of), session, document)
            await act(step, task, session)
            if key is not None:
                for move in step.moves:
                    if move.task_id == task_id:
                        move.fields["idempotency"] = sent
            await self.writer.write(step, session)
            return {"task_id": task_id, "instance": step.instance}

        async with self._locks.hold(instance_id):
            result = await self.mongo.run_transaction(work)
        if not result.get("replayed"):
            result["instance"] = await self._after(result["instance"])
        return result


def check_idempotency_key(key: str | None) -> None:
    if key is not None and not IDEMPOTENCY_KEY.fullmatch(key):
        raise InvalidInput("an idempotency key is 8–64 letters, digits, '-' or '_'", field="idempotency_key")

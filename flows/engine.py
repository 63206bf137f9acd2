"""How an instance moves: entering nodes, creating tasks, completing members, returning, restoring.

A `Step` is one action's change to one instance, built inside a transaction: it works on a copy
of the instance and collects the tasks to create, the task status moves, the audit records and
the events; `flows.actions` writes them all in the same transaction (compare-and-set on the
instance version), so two countersigners approving at the same instant are each counted once
and the node is left once.

The state of the current node lives on the instance as its *members*: one per person or unit
whose work the node needs, each with a status, the task that carries it and the members it
waits for. A plain task is a node with one member; a countersign has several, all active
(parallel), one after another (sequential) or the 协办 before the 主办 (lead).
"""

from __future__ import annotations

import copy
import itertools
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flows.assignees import Member, Resolver
from flows.conditions import holds
from flows.spec import HUMAN_KINDS, nodes_by_id
from flows.states import InstanceStatus, MemberStatus, TaskStatus
from flows.worktime import WorkCalendar
from oa.errors import InvalidInput
from storage.mongo import SCHEMA_VERSION

URGENCY_RANK = {"特急": 2, "加急": 1}
NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)  # sorts tasks without a deadline last


def new_task_id() -> str:
    return f"task-{secrets.token_hex(8)}"


@dataclass
class Actor:
    """Who acts: their identity in the post they act in, on whose behalf, and from which channel."""

    user: dict[str, Any]
    identity: dict[str, Any]
    channel: str = "web"
    on_behalf_of: str | None = None

    @property
    def user_id(self) -> str:
        return str(self.user["_id"])


@dataclass
class TaskMove:
    task_id: str
    from_statuses: tuple[str, ...]
    to_status: TaskStatus
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class Step:
    instance: dict[str, Any]
    definition: dict[str, Any]
    document: dict[str, Any]
    actor: Actor | None
    now: datetime
    calendar: WorkCalendar
    resolver: Resolver
    new_tasks: list[dict[str, Any]] = field(default_factory=list)
    moves: list[TaskMove] = field(default_factory=list)
    audits: list[dict[str, Any]] = field(default_factory=list)
    events: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    document_changes: dict[str, Any] = field(default_factory=dict)
    document_unsets: set[str] = field(default_factory=set)
    new_task_event: str = "task.created"
    new_task_note: str | None = None
    # 退回 to a one-person step: whoever held it on its last pass (a 转办 target, say) gets it back.
    holders_on_return: dict[str, Member] = field(default_factory=dict)

    @classmethod
    def of(cls, instance: dict[str, Any], **kwargs: Any) -> Step:
        return cls(copy.deepcopy(instance), **kwargs)

    @property
    def nodes(self) -> dict[str, dict[str, Any]]:
        return nodes_by_id(self.definition)

    @property
    def node(self) -> dict[str, Any]:
        return self.nodes[self.instance["node"]]

    def member(self, key: str) -> dict[str, Any]:
        return next(member for member in self.instance["members"] if member["key"] == key)

    # Entering nodes -----------------------------------------------------------------------

    async def enter(self, node_id: str, via: str) -> None:
        """Make `node_id` current, following branches, until a node waits for people or an auto step."""
        node = self.nodes[node_id]
        if self.instance["path"] and self.instance["path"][-1].get("left_at") is None:
            self.instance["path"][-1]["left_at"] = self.now
        self.instance["entry"] = self.instance.get("entry", 0) + 1
        self.instance["path"].append({"node": node_id, "name": node["name"], "kind": node["kind"],
                                      "entered_at": self.now, "left_at": None, "via": via,
                                      "entry": self.instance["entry"]})
        self.instance["node"], self.instance["node_name"] = node_id, node["name"]
        self.instance["members"] = []
        self.instance["auto_pending"] = None
        kind = node["kind"]
        if kind == "branch":
            target = next((case["next"] for case in node["cases"]
                           if holds(case["when"], self.document["content"], self.instance["vars"])), node["default"])
            await self.enter(target, "branch")
        elif kind == "auto":
            self.instance["auto_pending"] = {"node": node_id, "since": self.now}
        elif kind == "end":
            self.instance["path"][-1]["left_at"] = self.now
            self.instance["status"] = InstanceStatus.COMPLETED.value
            self.instance["ended_at"] = self.now
        else:
            await self._staff(node)

    async def _staff(self, node: dict[str, Any]) -> None:
        """Resolve who does a human node's work and give every member whose turn it is a task."""
        label = f"{node['name']}"
        self.resolver.variables = self.instance["vars"]  # choices made in this very action count
        role = self.instance["overrides"].get(node["id"], {}).get("role")
        if node["kind"] == "start":
            starter = self.instance["starter"]
            found = [Member(starter["name"], [starter["user_id"]], self.instance["unit_id"])]
        elif node["kind"] in ("task", "signoff"):
            found = [self.holders_on_return.get(node["id"]) or await self._first_resolvable(node, role)]
        else:
            found = []
            for rule in node["members"]:
                if self._empty_choice(rule):
                    continue  # an optional choice left empty (no 协办 units)
                found += await self.resolver.members(rule, label, role)
            if node.get("mode") == "lead":
                (lead,) = await self.resolver.members(node["lead"], label, role)
                lead.lead = True
                found.append(lead)
        if not found:
            raise InvalidInput(f"{label}: nobody to do this step; choose the people or units first",
                               code="unresolvable_assignee", node=node["id"])
        members = [self._member_record(index, member) for index, member in enumerate(found)]
        mode = node.get("mode", "parallel")
        if mode == "sequential":
            for before, after in itertools.pairwise(members):
                after["waits_for"] = [before["key"]]
        elif mode == "lead":
            others = [member["key"] for member in members if not member["lead"]]
            for member in members:
                if member["lead"]:
                    member["waits_for"] = others
        rule = node.get("rule", "all")
        if isinstance(rule, dict) and rule["n"] > len(members):
            raise InvalidInput(f"{label}: needs {rule['n']} of its members but only {len(members)} were chosen",
                               code="unresolvable_assignee", node=node["id"])
        self.instance["members"] = members
        for member in members:
            if not member["waits_for"]:
                self.activate(member)

    def _empty_choice(self, rule: dict[str, Any]) -> bool:
        unit = rule.get("unit")
        name = unit.get("var") if isinstance(unit, dict) else rule.get("var")
        return name is not None and not self.instance["vars"].get(name)

    async def _first_resolvable(self, node: dict[str, Any], role: str | None) -> Member:
        last_error: InvalidInput | None = None
        for rule in node["assignee"]:
            if "var" in rule and not self.instance["vars"].get(rule["var"]):
                continue  # not chosen: fall through to the next rule
            try:
                return (await self.resolver.members(rule, node["name"], role))[0]
            except InvalidInput as error:
                last_error = error
        raise last_error or InvalidInput(f"{node['name']}: no assignee rule finds anyone",
                                         code="unresolvable_assignee", node=node["id"])

    def _member_record(self, index: int, member: Member, required: bool = False) -> dict[str, Any]:
        return {"key": f"m{self.instance['entry']}-{index + 1}", "label": member.label, "unit_id": member.unit_id,
                "candidates": member.candidates, "lead": member.lead, "required": required,
                "status": MemberStatus.WAITING.value, "waits_for": [], "task_id": None, "done_by": None}

    def activate(self, member: dict[str, Any]) -> None:
        member["status"] = MemberStatus.ACTIVE.value
        if member["task_id"] and member.get("task_status") == TaskStatus.WAITING.value:
            # Its holder added a countersigner before themselves (加签); their own task resumes.
            self.moves.append(TaskMove(member["task_id"], (TaskStatus.WAITING.value,), TaskStatus.ACTIVE))
            member["task_status"] = TaskStatus.ACTIVE.value
            self.events += [(user_id, "task.resumed", {"task_id": member["task_id"]})
                            for user_id in member["candidates"]]
            return
        task = self.task_for(member)
        member["task_id"], member["task_status"] = task["_id"], TaskStatus.ACTIVE.value

    def task_for(self, member: dict[str, Any]) -> dict[str, Any]:
        node = self.node
        deadline = self.instance["overrides"].get(node["id"], {}).get("deadline", node.get("deadline"))
        due = self.calendar.due_at(self.now, deadline)
        content = self.document["content"]
        urgency = content.get("urgency") or ""
        sender = self.actor.identity if self.actor else {"user_id": None, "name": "系统"}
        task = {
            "_id": new_task_id(), "schema_version": SCHEMA_VERSION, "instance_id": self.instance["_id"],
            "document_id": self.instance["document_id"], "flow_key": self.instance["definition_key"],
            "flow_name": self.instance["name"], "category": self.instance["category"],
            "node": node["id"], "node_name": node["name"], "kind": node["kind"],
            "action_label": node.get("action_label") or ("提交" if node["kind"] == "start" else "同意"),
            # Units its holder names for what comes next (批办: the 承办 units), each with its picker's label.
            "chooses": [{"var": name, "label": label, "type": self.definition["variables"].get(name)}
                        for name, label in (node.get("chooses") or {}).items()],
            "entry": self.instance["entry"], "member": member["key"], "member_label": member["label"],
            "unit_id": member["unit_id"] or self.instance["unit_id"], "instance_unit_id": self.instance["unit_id"],
            "assignees": list(member["candidates"]), "status": TaskStatus.ACTIVE.value,
            "title": content.get("title") or "（无标题）", "doc_type": content.get("doc_type"),
            "doc_number": content.get("doc_number"), "urgency": urgency, "urgency_rank": URGENCY_RANK.get(urgency, 0),
            "from": {"user_id": sender.get("user_id"), "name": sender.get("name")},
            "created_at": self.now, "due_at": due, "due_sort": due or NO_DEADLINE,
            "deadline": deadline, "escalate_at": None, "overdue_stage": 0,
            "opened_at": None, "done_at": None, "done_by": None, "outcome": None, "opinion": None,
            "signature": None, "urged_at": None, "urge_count": 0, "activated": [], "undo": None,
            "note": self.new_task_note,
        }
        self.new_tasks.append(task)
        data = task_event_data(task)
        if self.new_task_note:
            data["note"] = self.new_task_note
        self.events += [(user_id, self.new_task_event, data) for user_id in task["assignees"]]
        return task

    # Completing members -------------------------------------------------------------------

    async def complete_member(self, member_key: str, done_by: dict[str, Any]) -> None:
        """A member's work is done: start whoever waited for it, and leave the node once its rule holds."""
        member = self.member(member_key)
        member["status"], member["task_status"], member["done_by"] = MemberStatus.DONE.value, "done", done_by
        for other in self.instance["members"]:
            if other["status"] == MemberStatus.WAITING.value and all(
                    self.member(key)["status"] == MemberStatus.DONE.value for key in other["waits_for"]):
                self.activate(other)
        if self.node_finished():
            self.cancel_open_members("the step finished without it")
            dissent = [f"{m['done_by'].get('name', '')}不同意：{m['reason']}" for m in self.instance["members"]
                       if m.get("outcome") == "disagreed" and m.get("done_by")]
            if dissent and self.new_task_note is None:
                self.new_task_note = f"{self.node['name']}有不同意见。" + "；".join(dissent)
            await self.enter(self.node.get("next") or "", "done")

    def node_finished(self) -> bool:
        members = self.instance["members"]
        if any(m["required"] and m["status"] != MemberStatus.DONE.value for m in members):
            return False
        original = [m for m in members if not m["required"]]
        done = sum(1 for m in original if m["status"] == MemberStatus.DONE.value)
        rule = self.node.get("rule", "all")
        if rule == "any":
            return done >= 1
        if isinstance(rule, dict):
            return done >= min(rule["n"], len(original))
        return done == len(original)

    def cancel_open_members(self, why: str) -> None:
        for member in self.instance["members"]:
            if member["status"] in (MemberStatus.ACTIVE.value, MemberStatus.WAITING.value):
                if member["task_id"] and member.get("task_status") in ("active", "waiting"):
                    self.moves.append(TaskMove(member["task_id"], ("active", "waiting"), TaskStatus.CANCELLED,
                                               {"cancel_reason": why}))
                    self.events += [(user_id, "task.cancelled", {"task_id": member["task_id"], "reason": why})
                                    for user_id in member["candidates"]]
                    member["task_status"] = "cancelled"
                member["status"] = MemberStatus.CANCELLED.value

    def add_members(self, people: list[Member], anchor_key: str, before: bool) -> list[dict[str, Any]]:
        """加签: new required members acting before the anchor (who then waits) or after it."""
        base = len(self.instance["members"])
        added = [self._member_record(base + index, person, required=True) for index, person in enumerate(people)]
        anchor = self.member(anchor_key)
        self.instance["members"] += added
        if before:
            anchor["waits_for"] = [*anchor["waits_for"], *(m["key"] for m in added)]
            anchor["status"], anchor["task_status"] = MemberStatus.WAITING.value, TaskStatus.WAITING.value
            self.moves.append(TaskMove(anchor["task_id"], ("active",), TaskStatus.WAITING))
            for member in added:
                self.activate(member)
        else:
            for member in added:
                member["waits_for"] = [anchor_key]
        return added

    # Returning ----------------------------------------------------------------------------

    def return_target(self, to: str) -> str:
        """The node a return goes back to: the start (the drafter), or the last human step before this one."""
        current = self.instance["node"]
        if to == "start":
            return str(self.definition["nodes"][0]["id"])
        for entry in reversed(self.instance["path"][:-1]):
            if entry["node"] != current and self.nodes[entry["node"]]["kind"] in HUMAN_KINDS:
                return str(entry["node"])
        raise InvalidInput("there is no earlier step to return to", code="nothing_to_return_to")

    def audit(self, action: str, task: dict[str, Any] | None = None, **details: Any) -> None:
        self.audits.append(audit_record(self.instance, task, action, self.actor, self.now, **details))


def audit_record(instance: dict[str, Any], task: dict[str, Any] | None, action: str, actor: Actor | None,
                 now: datetime, **details: Any) -> dict[str, Any]:
    """One line of the audit trail: who, in which post, when, what, with which opinion, from where."""
    return {
        "_id": f"au-{secrets.token_hex(10)}", "schema_version": SCHEMA_VERSION,
        "instance_id": instance["_id"], "document_id": instance["document_id"],
        "task_id": task["_id"] if task else None,
        "node": task["node"] if task else instance["node"],
        "node_name": task["node_name"] if task else instance.get("node_name"),
        "action": action, "by": actor.identity if actor else {"user_id": None, "name": "系统"},
        "on_behalf_of": actor.on_behalf_of if actor else None,
        "channel": actor.channel if actor else "system", "at": now,
        **{key: value for key, value in details.items() if value is not None},
    }


def task_event_data(task: dict[str, Any]) -> dict[str, Any]:
    """What a phone needs to show a task in its 待办 list without another request."""
    return {"task_id": task["_id"], "instance_id": task["instance_id"], "document_id": task["document_id"],
            "title": task["title"], "node_name": task["node_name"], "flow_name": task["flow_name"],
            "urgency": task["urgency"], "due_at": task["due_at"], "from": task["from"]}

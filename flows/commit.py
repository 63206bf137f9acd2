"""Writing one engine step to the database, inside the caller's transaction.

The instance is compared-and-set on its version, each task moves only from the statuses the
step expects, and new tasks, audit records, document changes and push events go in the same
transaction: an action happens completely or not at all, and two actions at the same instant
cannot both win.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flows.delegations import DelegationService
from flows.engine import Step
from flows.task_homes import TaskHomes
from oa.audit_chain import chain_of, cover
from oa.documents import DocumentService
from oa.errors import Conflict
from storage.events import publish_many
from storage.mongo import Mongo, Session

Event = tuple[str, str, dict[str, Any]]


class StepWriter:
    def __init__(self, mongo: Mongo, documents: DocumentService, delegations: DelegationService,
                 task_homes: TaskHomes | None = None) -> None:
        self.mongo = mongo
        self.task_homes = task_homes if task_homes is not None else TaskHomes()
        self.documents = documents
        self.delegations = delegations
        self.instances = mongo["flow_instances"]
        self.tasks = mongo["tasks"]
        self.audit = mongo["flow_audit"]

    async def write(self, step: Step, session: Session) -> None:
        instance = step.instance
        participants = {uid for task in step.new_tasks for uid in task["assignees"]}
        if step.actor:
            participants.add(step.actor.user_id)
        instance["participants"] = sorted(set(instance.get("participants", [])) | participants)
        instance["updated_at"] = step.now
        fields = {key: value for key, value in instance.items() if key not in ("_id", "version")}
        written = await self.instances.update_one({"_id": instance["_id"], "version": instance["version"]},
                                                  {"$set": fields, "$inc": {"version": 1}}, session=session)
        if written.matched_count != 1:
            raise Conflict("the flow changed while you acted; reload it", code="stale_flow")
        instance["version"] += 1
        for move in step.moves:
            changed = await self.tasks.update_one(
                {"_id": move.task_id, "status": {"$in": list(move.from_statuses)}},
                {"$set": {"status": move.to_status.value, **move.fields, "updated_at": step.now}}, session=session)
            if changed.matched_count != 1:
                current = await self.tasks.find_one({"_id": move.task_id}, {"status": 1}, session=session)
                raise Conflict(f"task {move.task_id} is no longer {' or '.join(move.from_statuses)}",
                               code="task_not_active", task_status=(current or {}).get("status"))
        if step.new_tasks:
            await self.tasks.insert_many(step.new_tasks, session=session)
            self.task_homes.remember(step.new_tasks)
        if step.audits:
            await self.audit.insert_many(step.audits, session=session)
            # One link in the flow's unit's audit chain vouches for this step's audit lines.
            await chain_of(self.mongo).link(session, instance["unit_id"], "flow",
                                            [cover("flow_audit", entry) for entry in step.audits], step.now)
        document_update: dict[str, Any] = {}
        if step.document_changes or step.document_unsets:
            document_update["$set"] = {**step.document_changes, "updated_at": step.now}
            document_update["$inc"] = {"version": 1}
        if step.document_unsets:
            document_update["$unset"] = {path: "" for path in sorted(step.document_unsets)}
        if participants and instance["unit_id"] == step.document["drafting_unit_id"]:
            # The document's own participants are its drafting side's; a recipient's 收文 flow on the
            # same document is that unit's record and gives no sight of the drafting history.
            document_update["$addToSet"] = {"participants": {"$each": sorted(participants)}}
        if document_update:
            await self.documents.documents.update_one({"_id": instance["document_id"]}, document_update,
                                                      session=session)
        starter = instance["starter"]["user_id"]
        if step.actor is None or step.actor.user_id != starter:
            # The drafter follows the flow live (the desk's timeline), whoever acted.
            step.events.append((starter, "flow.updated", {
                "instance_id": instance["_id"], "document_id": instance["document_id"], "title": instance["title"],
                "node_name": instance["node_name"], "status": instance["status"]}))
        if step.events:
            await publish_many(self.mongo, session, await self._with_delegates(step.events, step.now))

    async def _with_delegates(self, events: list[Event], now: datetime) -> list[Event]:
        """Each event also goes to whoever acts for its person right now (委托)."""
        delegates = await self.delegations.delegates_of(sorted({uid for uid, _, _ in events}), now)
        expanded = list(events)
        for uid, kind, data in events:
            expanded += [(delegate, kind, {**data, "for_user": uid}) for delegate in delegates.get(uid, [])]
        return expanded


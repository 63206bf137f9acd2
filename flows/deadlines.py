"""时限: marking overdue tasks, reminding their holders, and escalating to the supervisor post.

Every server process runs the scheduler loop, but only the holder of the `deadlines` lease does
the work in a round, so several replicas never remind anyone twice. Each task moves through
`overdue_stage` 0 → 1 (overdue: its holder is reminded) → 2 (still open a second interval
later: the supervisor is told) by compare-and-set in a transaction with its events and audit.
The clock is passed in, so tests drive it.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flows.actions import FlowService
from flows.calendar import CalendarStore
from flows.engine import audit_record, task_event_data
from flows.exchange.dispatch import DispatchService
from oa.audit_chain import chain_of, cover
from oa.clock import utcnow
from storage.events import publish_many
from storage.leases import Lease
from storage.mongo import Mongo, Session

log = logging.getLogger("oa.deadlines")

# Who answers for whom inside a unit; above the unit's head is the parent unit's head.
LADDER = ("科员", "收发员", "办公室主任", "分管领导", "主要领导")
LEASE_TTL = timedelta(seconds=90)
BATCH = 500


class DeadlineScheduler:
    def __init__(self, mongo: Mongo, flows: FlowService, calendars: CalendarStore,
                 clock: Callable[[], datetime] = utcnow, holder: str | None = None,
                 dispatches: DispatchService | None = None) -> None:
        self.lag_s = 0.0  # how late the last round began (run_forever)
        self.round_s = 0.0  # how long it took
        self.mongo = mongo
        self.flows = flows
        self.dispatches = dispatches
        self.calendars = calendars
        self.clock = clock
        self.tasks = mongo["tasks"]
        self.instances = mongo["flow_instances"]
        self.directory = flows.directory
        self.lease = Lease(mongo, "deadlines", holder or f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}", LEASE_TTL)

    async def tick(self, now: datetime | None = None) -> dict[str, Any]:
        """One round: do nothing unless this process holds the lease."""
        now = now or self.clock()
        if not await self.lease.acquire_or_renew(now):
            return {"leader": False}
        reminded = await self._remind(now)
        escalated = await self._escalate(now)
        resumed = await self.flows.resume_pending(older_than=timedelta(minutes=1))
        if self.dispatches is not None:  # a replica that died half-way through a dispatch
            resumed += await self.dispatches.resume_unfinished(older_than=timedelta(minutes=1))
        return {"leader": True, "reminded": reminded, "escalated": escalated, "resumed": resumed}

    async def run_forever(self, interval_s: float = 60) -> None:
        planned = time.monotonic()
        while True:
            started = time.monotonic()
            # How late this round began against its plan (a busy loop or a slow last round), for /metrics.
            self.lag_s = max(0.0, started - planned)
            try:
                await self.tick()
            except Exception:  # an outage must not end the loop; the next round catches up
                log.exception("deadline round failed")
            self.round_s = time.monotonic() - started
            planned = started + interval_s
            await asyncio.sleep(max(0.0, planned - time.monotonic()))

    async def _remind(self, now: datetime) -> int:
        query = {"status": "active", "overdue_stage": 0, "due_at": {"$ne": None, "$lte": now}}
        due = await self.tasks.find(query).limit(BATCH).to_list(None)
        calendar = await self.calendars.load()
        count = 0
        for task in due:
            deadline = task.get("deadline") or {}
            escalate_at = calendar.due_at(task["due_at"], deadline.get("escalate_after") or deadline)

            async def work(session: Session, task: dict[str, Any] = task, escalate_at: datetime | None = escalate_at
                           ) -> bool:
                moved = await self.tasks.update_one(
                    {"_id": task["_id"], "status": "active", "overdue_stage": 0},
                    {"$set": {"overdue_stage": 1, "overdue_at": now, "escalate_at": escalate_at}}, session=session)
                if moved.matched_count != 1:
                    return False
                instance = await self.instances.find_one({"_id": task["instance_id"]}, session=session)
                place = instance or {"_id": task["instance_id"], "document_id": task["document_id"],
                                     "node": task["node"]}
                await self._audit(audit_record(place, task, "remind", None, now), instance, task, session)
                data = {**task_event_data(task), "overdue_since": task["due_at"]}
                await publish_many(self.mongo, session, [(uid, "task.overdue", data) for uid in task["assignees"]])
                return True

            count += bool(await self.mongo.run_transaction(work))
        return count

    async def _escalate(self, now: datetime) -> int:
        query = {"status": "active", "overdue_stage": 1, "escalate_at": {"$ne": None, "$lte": now}}
        due = await self.tasks.find(query).limit(BATCH).to_list(None)
        count = 0
        for task in due:
            supervisors, post = await self.supervisors_of(task)

            async def work(session: Session, task: dict[str, Any] = task, supervisors: list[str] = supervisors,
                           post: str = post) -> bool:
                moved = await self.tasks.update_one(
                    {"_id": task["_id"], "status": "active", "overdue_stage": 1},
                    {"$set": {"overdue_stage": 2, "escalated_at": now,
                              "escalated_to": {"user_ids": supervisors, "post": post}}}, session=session)
                if moved.matched_count != 1:
                    return False
                instance = await self.instances.find_one({"_id": task["instance_id"]}, session=session)
                place = instance or {"_id": task["instance_id"], "document_id": task["document_id"],
                                     "node": task["node"]}
                await self._audit(audit_record(place, task, "escalate", None, now,
                                               to={"user_ids": supervisors, "post": post}), instance, task, session)
                data = {**task_event_data(task), "overdue_since": task["due_at"], "assignees": task["assignees"]}
                await publish_many(self.mongo, session, [(uid, "task.escalated", data) for uid in supervisors])
                return True

            count += bool(await self.mongo.run_transaction(work))
        return count

    async def _audit(self, entry: dict[str, Any], instance: dict[str, Any] | None, task: dict[str, Any],
                     session: Session) -> None:
        """The audit line and its link in the flow's unit's chain, in the caller's transaction."""
        await self.mongo["flow_audit"].insert_one(entry, session=session)
        unit_id = (instance or {}).get("unit_id") or task.get("unit_id")
        await chain_of(self.mongo).link(session, unit_id, "flow", [cover("flow_audit", entry)], entry["at"])

    async def supervisors_of(self, task: dict[str, Any]) -> tuple[list[str], str]:
        """(holders of the supervisor post, that post's name) for the people holding `task`."""
        unit_id = task["unit_id"]
        roles = {role for user_id in task["assignees"] for role in self.directory.roles_in(user_id, unit_id)}
        rank = max((LADDER.index(role) for role in roles if role in LADDER), default=-1)
        unit = self.directory.unit(unit_id)
        for role in LADDER[rank + 1:]:
            people = [uid for uid in self.directory.holders(unit_id, role) if uid not in task["assignees"]]
            if people:
                return people, f"{(unit or {}).get('name', '')}{role}"
        parent_id = (unit or {}).get("parent_id")
        if parent_id:
            parent = self.directory.unit(parent_id)
            people = self.directory.holders(parent_id, "主要领导")
            if people:
                return people, f"{(parent or {}).get('name', '')}主要领导"
        return [], "（无上级岗位）"

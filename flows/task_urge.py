"""催办 of one open task by the office that supervises its unit (督办), not by a participant of its flow.

Who may urge which task is decided by the caller (flows/supervision.py checks the task lies in
the office's scope); this records the urge like a flow's own 催办: the task's urge time and count,
an audit entry naming the supervising office, and a `task.urged` push to its holders, in one
transaction with the instance's compare-and-set. A task urged within the urge interval is not
urged again yet.
"""

from __future__ import annotations

from typing import Any

from flows.engine import Actor, TaskMove
from flows.flow_base import FlowBase
from flows.states import TaskStatus
from oa.clock import iso
from oa.documents import author_of
from oa.errors import Conflict
from storage.mongo import Session


class SupervisedUrge(FlowBase):
    async def do_urge_task(self, task_id: str, user: dict[str, Any], acting_unit: dict[str, Any],
                           message: str = "", channel: str = "web") -> dict[str, Any]:
        instance_id = await self._instance_id_of(task_id)

        async def work(session: Session) -> dict[str, Any]:
            task = await self._task(task_id, session)
            if task["status"] != TaskStatus.ACTIVE.value:
                raise Conflict(f"this task is {task['status']}; there is nothing to urge", code="task_not_active",
                               task_status=task["status"])
            now = self.clock()
            if task["urged_at"] and task["urged_at"] + self.urge_interval > now:
                allowed = task["urged_at"] + self.urge_interval
                raise Conflict(f"already urged; you can urge again after {iso(allowed)}", code="urged_recently",
                               allowed_at=iso(allowed))
            instance = await self._instance(task["instance_id"], session)
            step = await self._step(instance, Actor(user, author_of(user, acting_unit["_id"]), channel), session)
            step.moves.append(TaskMove(task_id, ("active",), TaskStatus.ACTIVE,
                                       {"urged_at": step.now, "urge_count": task["urge_count"] + 1}))
            step.events += [(uid, "task.urged", {"task_id": task_id, "title": task["title"],
                                                 "node_name": task["node_name"], "message": message or None,
                                                 "by": f"{step.actor.identity['name']}（{acting_unit['name']}督办）"
                                                 if step.actor else acting_unit["name"]})
                            for uid in task["assignees"]]
            step.audit("urge", task, message=message or None, supervised_by=acting_unit["name"])
            await self.writer.write(step, session)
            return {"task_id": task_id, "urged_at": step.now}

        async with self._locks.hold(instance_id):
            return await self.mongo.run_transaction(work)

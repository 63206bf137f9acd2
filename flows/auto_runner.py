"""The automatic steps of a flow (编号, 生成正式文件, 分发, 归档), run after the transaction that reached
them has committed.

Each step is idempotent, and the instance leaves the auto node by compare-and-set: a process
killed in between leaves `auto_pending` set, and `resume_pending` finishes the work. A step that
cannot do its job is recorded on the instance and told at once to the starter and whoever acted
last, instead of the flow standing still in silence.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flows.auto_steps import AutoSteps
from flows.flow_base import FlowBase, FlowDeps
from flows.spec import nodes_by_id
from flows.states import InstanceStatus, TaskStatus
from storage.events import publish_many
from storage.mongo import Session

log = logging.getLogger("oa.flows")


class AutoRunner(FlowBase):
    def __init__(self, deps: FlowDeps, auto_steps: AutoSteps) -> None:
        super().__init__(deps)
        self.auto_steps = auto_steps
        self.runner = self

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
            try:
                await self.run_auto(instance_id)
            except Exception:  # as in run_auto: one flow must not stop the others, nor a start-up
                log.exception("automatic steps of %s could not be resumed now", instance_id)
        return len(ids)

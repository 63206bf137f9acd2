"""My tasks (/api/tasks: 待办 and 已办) and the actions on one task (/api/tasks/{id}/…).

Only a task's assignee, or whoever acts for them under an open delegation, learns that it
exists: everyone else gets 404. The domain checks that; these handlers parse and answer.
"""

from __future__ import annotations

from typing import Any

from flows.outcomes import allowed_outcomes, further_actions, label
from web.api.exchange import idempotency_key
from web.authz import authenticated
from web.base import APIHandler
from web.serialize import page_json, plain
from web.validation import optional, required

# Every decision may carry an idempotency key (in the body or an Idempotency-Key header): the phone's
# queued actions do, so that a resend after a lost answer, or from a second tab, acts once.
KEY = {"idempotency_key": optional(str)}
APPROVE_SHAPE = {"opinion": optional(str), "signature": optional(str, nullable=True), "variables": optional(dict),
                 "outcome": optional(str), "annotation": optional(dict, nullable=True), **KEY}
DISAGREE_SHAPE = {"reason": required(str), "signature": optional(str, nullable=True), **KEY}
RETURN_SHAPE = {"reason": required(str), "to": optional(str), **KEY}
TRANSFER_SHAPE = {"to_user": required(str), "reason": optional(str), **KEY}
ADD_SIGNERS_SHAPE = {"users": required(list, items=str), "position": required(str)}
EMPTY_SHAPE: dict[str, Any] = {}


def task_json(task: dict[str, Any]) -> dict[str, Any]:
    shown = plain({key: value for key, value in task.items() if key not in ("undo", "due_sort", "idempotency")})
    shown["outcomes"] = allowed_outcomes(task)  # what the holder may decide: 同意 / 不同意 / 已阅 / 签发 / 提交
    shown["actions"] = further_actions(task)  # and what else they may do: 退回 / 转办 / 加签
    shown["outcome_label"] = label(task["outcome"], task.get("action_label")) if task.get("outcome") else None
    return shown


def result_json(result: dict[str, Any]) -> dict[str, Any]:
    instance = result["instance"]
    return {**plain({key: value for key, value in result.items() if key != "instance"}),
            "instance": plain({key: instance[key] for key in ("_id", "status", "node", "node_name", "version")})}


class TasksHandler(APIHandler):
    @authenticated
    async def get(self) -> None:
        """?box=todo (default: open tasks, 特急 first, then by deadline) or ?box=done; with counts."""
        offset, limit = self.paging()
        items, total, counts = await self.services.flow_queries.my_tasks(
            self.require_user()["_id"], self.get_query_argument("box", "todo"), self.services.flows.clock(),
            offset, limit)
        self.send_json({**page_json([task_json(item) for item in items], total, offset, limit), "counts": counts})


class TaskHandler(APIHandler):
    @authenticated
    async def get(self, task_id: str) -> None:
        task = await self.services.flows.open_task(task_id, self.require_user())
        instance = await self.services.flows.get_instance(task["instance_id"])
        self.send_json({**task_json(task), "instance": plain(
            {key: instance[key] for key in ("_id", "status", "node", "node_name", "name", "title", "vars")})})


class ApproveHandler(APIHandler):
    @authenticated
    async def post(self, task_id: str) -> None:
        """Approve / sign off / confirm reading / submit, with an optional opinion, handwritten signature and
        批示 drawn over a page of the document ({page, image: PNG data URL})."""
        body = self.body(APPROVE_SHAPE)
        user = self.require_user()
        annotation = None
        if body.get("annotation"):
            task = await self.services.flows.open_task(task_id, user)  # 404 unless the caller may act on it
            annotation = await self.services.annotations.save(body["annotation"], task["document_id"])
        signature = await self.services.signatures.save(body["signature"]) if body.get("signature") else None
        result = await self.services.flows.do_approve(task_id, user, body.get("opinion", ""),
                                                      signature, body.get("variables"), self.channel,
                                                      outcome=body.get("outcome"), annotation=annotation,
                                                      key=idempotency_key(self, body))
        self.send_json(result_json(result))


class DisagreeHandler(APIHandler):
    @authenticated
    async def post(self, task_id: str) -> None:
        """不同意 at a countersign, with a required reason and an optional handwritten signature."""
        body = self.body(DISAGREE_SHAPE)
        signature = await self.services.signatures.save(body["signature"]) if body.get("signature") else None
        result = await self.services.flows.do_disagree(task_id, self.require_user(), body["reason"], signature,
                                                       self.channel, key=idempotency_key(self, body))
        self.send_json(result_json(result))


class ReturnHandler(APIHandler):
    @authenticated
    async def post(self, task_id: str) -> None:
        body = self.body(RETURN_SHAPE)
        result = await self.services.flows.do_return(task_id, self.require_user(), body["reason"],
                                                     body.get("to", "previous"), self.channel,
                                                     key=idempotency_key(self, body))
        self.send_json(result_json(result))


class ReturnTargetsHandler(APIHandler):
    @authenticated
    async def get(self, task_id: str) -> None:
        """The earlier steps this task may be returned to (`to` of /return), each with who did it."""
        items = await self.services.flows.return_targets(task_id, self.require_user())
        self.send_json({"items": plain(items), "total": len(items)})


class TransferHandler(APIHandler):
    @authenticated
    async def post(self, task_id: str) -> None:
        body = self.body(TRANSFER_SHAPE)
        result = await self.services.flows.do_transfer(task_id, self.require_user(), body["to_user"],
                                                       body.get("reason", ""), self.channel,
                                                       key=idempotency_key(self, body))
        self.send_json(result_json(result))


class AddSignersHandler(APIHandler):
    @authenticated
    async def post(self, task_id: str) -> None:
        body = self.body(ADD_SIGNERS_SHAPE)
        result = await self.services.flows.do_add_signers(task_id, self.require_user(), body["users"],
                                                          body["position"], self.channel)
        self.send_json(result_json(result))


class WithdrawHandler(APIHandler):
    @authenticated
    async def post(self, task_id: str) -> None:
        result = await self.services.flows.do_withdraw(task_id, self.require_user(), self.channel)
        self.send_json(result_json(result))

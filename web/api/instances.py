"""Running flows: start one on a document, see its state, timeline and audit trail, urge, terminate."""

from __future__ import annotations

from typing import Any

from oa.errors import NotFound
from web.authz import authenticated, authorized
from web.base import APIHandler
from web.serialize import plain
from web.validation import optional, required

START_SHAPE = {"flow": required(str), "document_id": required(str), "variables": optional(dict)}
URGE_SHAPE = {"message": optional(str)}
TERMINATE_SHAPE = {"reason": required(str)}


async def may_see_document(handler: APIHandler, document: dict[str, Any]) -> bool:
    user = handler.require_user()
    return user["_id"] in document.get("participants", []) or await handler.services.authorizer.allowed(
        user, "document", "read", document["drafting_unit_id"], inherit=False)


async def document_to_start_on(handler: APIHandler) -> list[str | None]:
    """Any flow on a document needs the right to draft in the document's unit: a flow runs inside that
    unit, so a person from elsewhere (a countersigner) cannot start one there. (A received document's
    flows start from its receipt, in the receiving unit.)"""
    body = handler.body(START_SHAPE)
    document, _ = await handler.services.access.access_document(handler.require_user(), body["document_id"])
    return [document["drafting_unit_id"]]


class InstancesHandler(APIHandler):
    @authorized("document", "draft", units=document_to_start_on, inherit=False)
    async def post(self) -> None:
        body = self.body(START_SHAPE)
        instance = await self.services.flows.do_start(body["flow"], body["document_id"], body.get("variables") or {},
                                                      self.require_user(), self.channel)
        self.set_header("Location", f"/api/instances/{instance['_id']}")
        self.send_json(plain(instance), status=201)


class InstanceHandler(APIHandler):
    @authenticated
    async def get(self, instance_id: str) -> None:
        """State, timeline (the path taken) with everyone's opinions, tasks and the audit trail."""
        view = await self.services.access.access_instance(self.require_user(), instance_id)
        tasks = [{key: value for key, value in task.items() if key not in ("undo", "due_sort", "idempotency")}
                 for task in view["tasks"]]
        self.send_json(plain({**view, "tasks": tasks}))


class SignatureHandler(APIHandler):
    @authenticated
    async def get(self, instance_id: str, sha256: str) -> None:
        """A handwritten signature given in this flow, for its timeline (only to those who see the flow)."""
        view = await self.services.access.access_instance(self.require_user(), instance_id)
        key = f"signatures/{sha256}.png"
        if not any(entry.get("signature") == key for entry in view["audit"]):
            raise NotFound("no such signature in this flow")
        data = await self.services.signatures.read(key)
        self.set_header("Content-Type", "image/png")
        self.set_header("Cache-Control", "private, max-age=86400")  # content-addressed: never changes
        self.finish(data)


class AnnotationHandler(APIHandler):
    @authenticated
    async def get(self, instance_id: str, sha256: str) -> None:
        """A 批示 layer drawn over a page in this flow (only to those who see the flow)."""
        view = await self.services.access.access_instance(self.require_user(), instance_id)
        key = f"annotations/{sha256}.png"
        if not any((entry.get("annotation") or {}).get("key") == key for entry in view["audit"]):
            raise NotFound("no such annotation in this flow")
        data = await self.services.annotations.read(key)
        self.set_header("Content-Type", "image/png")
        self.set_header("Cache-Control", "private, max-age=86400")  # content-addressed: never changes
        self.finish(data)


class UrgeHandler(APIHandler):
    @authenticated
    async def post(self, instance_id: str) -> None:
        body = self.body(URGE_SHAPE) if self.request.body else {}
        result = await self.services.flows.do_urge(instance_id, self.require_user(), body.get("message", ""),
                                                   self.channel)
        self.send_json(result)


class TerminateHandler(APIHandler):
    @authenticated
    async def post(self, instance_id: str) -> None:
        body = self.body(TERMINATE_SHAPE)
        instance = await self.services.flows.do_terminate(instance_id, self.require_user(), body["reason"],
                                                          self.channel)
        self.send_json(plain({key: instance[key] for key in ("_id", "status", "ended_at", "version")}))

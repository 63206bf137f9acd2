"""The document actions automatic flow steps call: 编号, 生成正式文件, 分发, 归档.

Each is idempotent — run twice, it changes nothing the second time — because a process may stop
after doing the work but before the instance records it, and the step then runs again.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flows.fault_points import AFTER_SEAL_USE, pause_at
from flows.ports import Dispatcher, ReceiptCloser
from oa.clock import utcnow
from oa.document_output import PDF_TYPE, content_digest, issued_pdf_current, sealed_renditions
from oa.documents import DocumentService
from oa.errors import InvalidInput
from oa.recipients import delivery_selectors
from oa.seals import Seals
from storage.blobs import MinioBlobStore
from storage.mongo import Mongo

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# The numbering ledger and the document's revision name who numbered it; here that is the flow.
FLOW_ACTOR = {"_id": "system", "display_name": "系统（公文流转）", "posts": []}


class AutoSteps:
    def __init__(self, documents: DocumentService, blobs: MinioBlobStore, dispatches: Dispatcher,
                 log: ReceiptCloser, seals: Seals, mongo: Mongo) -> None:
        self.documents = documents
        self.blobs = blobs
        self.dispatches = dispatches
        self.log = log
        self.seals = seals
        self.tasks = mongo["tasks"]

    async def run(self, action: str, instance: dict[str, Any]) -> None:
        await getattr(self, f"_{action}")(instance)

    async def _number(self, instance: dict[str, Any]) -> None:
        document = await self.documents.get(instance["document_id"])
        if document["content"]["doc_number"]:
            return
        await self.documents.do_number(document["_id"], document["version"], FLOW_ACTOR)

    async def _render(self, instance: dict[str, Any]) -> None:
        """生成正式文件: the .docx and the PDF with the issuing organs' seals pressed, the PDF signed by each. A seal
        that cannot be applied (revoked, no key) stops the step with the reason, told to the sealer and the starter."""
        document = await self.documents.get(instance["document_id"])
        docx_done = (document.get("rendition") or {}).get("document_version") == document["version"]
        if docx_done and issued_pdf_current(document):
            return
        docx, pdf, unit_ids = await sealed_renditions(document, self.seals)
        if not docx_done:
            sha256 = hashlib.sha256(docx).hexdigest()
            key = f"renditions/{document['_id']}/{sha256}.docx"
            await self.blobs.put_bytes(key, docx, DOCX_TYPE)
            await self.documents.record_rendition(document["_id"], {"key": key, "sha256": sha256, "size": len(docx)})
        if issued_pdf_current(document):
            return
        sha256 = hashlib.sha256(pdf).hexdigest()
        key = f"issued/{document['_id']}/{sha256}.pdf"
        await self.blobs.put_bytes(key, pdf, PDF_TYPE)
        sealer = await self._sealer(instance)
        # The register first: should the process stop before the document notes its PDF, the step runs again and
        # seals anew; the register's one record per seal then names the new file (and keeps the earlier file's
        # hash), rather than a seal used with no record of it or one use counted twice.
        if unit_ids:
            await self.seals.record_use(document_id=document["_id"], document_version=document["version"],
                                        unit_ids=unit_ids, user_id=sealer["user_id"], user_name=sealer["name"],
                                        pdf=pdf)
            await pause_at(AFTER_SEAL_USE)  # a crash test's window; does nothing unless its variable is set
        await self.documents.record_issued_pdf(document["_id"], document["version"], {
            "key": key, "sha256": sha256, "size": len(pdf), "sealed_by": unit_ids, "sealer": sealer,
            "content_sha256": content_digest(document)})

    async def _sealer(self, instance: dict[str, Any]) -> dict[str, str]:
        """Who confirmed 用印 (the last 用印 task done), or the flow itself when the flow has no such step."""
        task = await self.tasks.find_one({"instance_id": instance["_id"], "node": "seal", "status": "done"},
                                         {"done_by": 1}, sort=[("done_at", -1)])
        done_by = (task or {}).get("done_by") or {}
        if done_by.get("user_id"):
            return {"user_id": done_by["user_id"], "name": done_by.get("name") or ""}
        return {"user_id": FLOW_ACTOR["_id"], "name": FLOW_ACTOR["display_name"]}

    async def _dispatch(self, instance: dict[str, Any]) -> None:
        """分发 to exactly the platform units the 主送 and 抄送 selectors resolve to (groups included);
        external names are printed only. A document that names platform recipients but would reach
        none stops here with the reason, never a silent success."""
        document = await self.documents.get(instance["document_id"])
        main, copy = delivery_selectors(document["content"])
        if not main and not copy:
            await self.documents.mark_issued(document["_id"])
            return
        starter = instance["starter"]
        sender = {"_id": starter["user_id"], "display_name": starter["name"], "posts": []}
        try:
            # The instance id as the key: a step run again after a crash finishes the same dispatch.
            await self.dispatches.do_dispatch(document["_id"], sender, main=main, copy=copy,
                                              idempotency_key=f"flow:{instance['_id']}")
        except InvalidInput as error:
            if error.code == "no_recipients" and error.details.get("already_sent"):
                await self.documents.mark_issued(document["_id"])  # sent by hand before the flow got here
                return
            if error.code == "no_recipients":
                raise InvalidInput("分发失败：主送、抄送所选的单位中没有可送达的单位（所选分组或范围内没有在用单位）；"
                                   "请修改主送、抄送后重试", code="no_recipients") from None
            raise

    async def _archive(self, instance: dict[str, Any]) -> None:
        await self.documents.mark_archived(instance["document_id"], instance["unit_id"])
        if instance.get("receipt_id"):
            actor = {"user_id": FLOW_ACTOR["_id"], "name": FLOW_ACTOR["display_name"], "unit_id": instance["unit_id"],
                     "post": None}
            await self.log.close_after_flow(instance["receipt_id"], instance["_id"], actor, utcnow())

"""The document actions automatic flow steps call: 编号, 生成正式文件, 分发, 归档.

Each is idempotent — run twice, it changes nothing the second time — because a process may stop
after doing the work but before the instance records it, and the step then runs again.
"""

from __future__ import annotations

import hashlib
from typing import Any

from oa.document_output import docx_bytes
from oa.documents import DocumentService
from storage.blobs import MinioBlobStore

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# The numbering ledger and the document's revision name who numbered it; here that is the flow.
FLOW_ACTOR = {"_id": "system", "display_name": "系统（公文流转）", "posts": []}


class AutoSteps:
    def __init__(self, documents: DocumentService, blobs: MinioBlobStore) -> None:
        self.documents = documents
        self.blobs = blobs

    async def run(self, action: str, instance: dict[str, Any]) -> None:
        await getattr(self, f"_{action}")(instance)

    async def _number(self, instance: dict[str, Any]) -> None:
        document = await self.documents.get(instance["document_id"])
        if document["content"]["doc_number"]:
            return
        await self.documents.do_number(document["_id"], document["version"], FLOW_ACTOR)

    async def _render(self, instance: dict[str, Any]) -> None:
        document = await self.documents.get(instance["document_id"])
        if (document.get("rendition") or {}).get("document_version") == document["version"]:
            return
        data = await docx_bytes(document)
        sha256 = hashlib.sha256(data).hexdigest()
        key = f"renditions/{document['_id']}/{sha256}.docx"
        await self.blobs.put_bytes(key, data, DOCX_TYPE)
        await self.documents.record_rendition(document["_id"], {"key": key, "sha256": sha256, "size": len(data)})

    async def _dispatch(self, instance: dict[str, Any]) -> None:
        await self.documents.mark_issued(instance["document_id"])

    async def _archive(self, instance: dict[str, Any]) -> None:
        await self.documents.mark_archived(instance["document_id"], instance["unit_id"])

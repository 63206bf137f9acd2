"""The 用印 register: every time a unit's seal signs a document, who, when, which document version, which
seal, and the SHA-256 of the signed PDF it produced.

This module owns the `seal_uses` collection. There is one record per (document, version, unit, kind of seal):
recording the same use again changes nothing. A render run again after its process stopped between sealing
and noting the PDF (the same document version, sealed anew, so a new signed file) replaces the record's file
with the new one and keeps the earlier file's SHA-256 in `earlier_pdf_sha256`, so the register still shows one
use per seal — the file that was issued — and hides nothing. A new record is audited as `used` in the seal's
history (oa/seals/registry.py) in the same transaction, a replaced file as `used_again`.
"""

from __future__ import annotations

import hashlib
from typing import Any

from oa.clock import utcnow
from oa.errors import InvalidInput
from oa.seals.registry import OFFICIAL, SealRegistry
from storage.mongo import SCHEMA_VERSION, Mongo, Session


class SealUses:
    def __init__(self, mongo: Mongo, registry: SealRegistry) -> None:
        self.mongo = mongo
        self.uses = mongo["seal_uses"]
        self.registry = registry

    async def record(self, *, document_id: str, document_version: int, unit_ids: list[str], user_id: str,
                     user_name: str, pdf: bytes, kind: str = OFFICIAL) -> list[dict[str, Any]]:
        """One use per unit whose seal signed `pdf` (the signed file) of that document version."""
        if not unit_ids:
            raise InvalidInput("a seal use names at least one unit")
        pdf_sha256 = hashlib.sha256(pdf).hexdigest()
        seals = {unit_id: await self.registry.current(unit_id, kind) for unit_id in dict.fromkeys(unit_ids)}
        now = utcnow()
        by = {"user_id": user_id, "name": user_name}
        records = [{
            "_id": use_id(document_id, document_version, unit_id, kind),
            "document_id": document_id, "document_version": document_version, "unit_id": unit_id, "kind": kind,
            "seal_id": seal["_id"], "seal_name": seal["name"], "certificate_sha256": seal["certificate"]["sha256"],
            "pdf_sha256": pdf_sha256, "pdf_size": len(pdf), "by": by, "at": now, "schema_version": SCHEMA_VERSION,
        } for unit_id, seal in seals.items()]

        async def write(session: Session) -> list[dict[str, Any]]:
            written, audits = [], []
            for record in records:
                seal = seals[record["unit_id"]]
                detail = {"document_id": document_id, "document_version": document_version, "pdf_sha256": pdf_sha256}
                before = await self.uses.find_one_and_update(
                    {"_id": record["_id"]}, {"$setOnInsert": record}, upsert=True, session=session)
                if before is None:
                    written.append(record)
                    audits.append(self.registry.entry(seal, "used", by, now, **detail))
                elif before["pdf_sha256"] != pdf_sha256:
                    # Sealed anew for the same version: the register names the file that is issued from now on.
                    replaced = {key: record[key] for key in ("seal_id", "seal_name", "certificate_sha256",
                                                             "pdf_sha256", "pdf_size", "by", "at")}
                    await self.uses.update_one({"_id": record["_id"]}, {
                        "$set": replaced, "$push": {"earlier_pdf_sha256": before["pdf_sha256"]}}, session=session)
                    audits.append(self.registry.entry(seal, "used_again", by, now, **detail,
                                                      replaces_pdf_sha256=before["pdf_sha256"]))
            await self.registry.audit(audits, session)
            return written

        await self.mongo.run_transaction(write)
        return await self.uses.find({"_id": {"$in": [record["_id"] for record in records]}}).to_list(None)

    async def of_document(self, document_id: str) -> list[dict[str, Any]]:
        """The document's seal uses, newest first."""
        return await self.uses.find({"document_id": document_id}).sort([("at", -1), ("unit_id", 1)]).to_list(None)


def use_id(document_id: str, document_version: int, unit_id: str, kind: str) -> str:
    """The record's key: one use of a unit's seal of a kind per document version, whatever file it signed."""
    return hashlib.sha256(f"{document_id}|{document_version}|{unit_id}|{kind}".encode()).hexdigest()[:32]

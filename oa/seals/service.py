"""The seals package as the rest of the service uses it: seal images for the typesetter, keys and signing
for the flow's render step, the 用印 register, and verification of a document's signed PDF.

Built once per process (web/services.py). Signing and verifying are blocking CPU work and run in
the default executor here, so callers simply await them.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509

from oa.orgs import OrgService
from oa.seals.authority import SealAuthority
from oa.seals.keys import KeyBox
from oa.seals.registry import SealRegistry
from oa.seals.signing import PyHankoSigner, SealKey, SealPlacement, SealSigner, sign_pdf
from oa.seals.uses import SealUses
from oa.seals.verify import PdfVerification, verify_pdf
from storage.blobs import BlobNotFound, BlobStore
from storage.mongo import Mongo


@dataclass
class Seals:
    registry: SealRegistry
    uses: SealUses
    authority: SealAuthority
    blobs: BlobStore
    signer: SealSigner = field(default_factory=PyHankoSigner)
    timestamp_url: str | None = None  # OA_TSA_URL: an RFC 3161 timestamp on every signature
    extra_roots: list[x509.Certificate] = field(default_factory=list)  # OA_SEAL_TRUST_ROOTS

    @classmethod
    async def open(cls, mongo: Mongo, blobs: BlobStore, orgs: OrgService, *, secret: bytes, data_dir: Path,
                   auto_issue: bool = True, signer: SealSigner | None = None, timestamp_url: str | None = None,
                   extra_roots: list[x509.Certificate] | None = None) -> Seals:
        box = KeyBox(secret)
        authority = SealAuthority(mongo, box)
        await authority.load()
        authority.write_pem(data_dir)
        registry = SealRegistry(mongo, blobs, orgs, authority, box, auto_issue=auto_issue)
        return cls(registry, SealUses(mongo, registry), authority, blobs, signer or PyHankoSigner(), timestamp_url,
                   list(extra_roots or []))

    # ---- for the typesetter and the flow ------------------------------------------------------

    async def image_png(self, unit_id: str) -> bytes:
        """The PNG the typesetter draws over the unit's 署名 (SEAL_DIAMETER_MM wide, at SEAL_DPI)."""
        return await self.registry.image_png(unit_id)

    async def signing_keys(self, unit_ids: list[str]) -> dict[str, SealKey]:
        return await self.registry.signing_keys(unit_ids)

    async def seal_pdf(self, pdf: bytes, placements: list[SealPlacement], *, reason: str,
                       location: str | None = None) -> bytes:
        """`pdf` signed by each placement's unit in turn, with the configured backend and timestamping."""
        keys = await self.signing_keys([placement.unit_id for placement in placements])
        return await asyncio.get_running_loop().run_in_executor(
            None, lambda: sign_pdf(pdf, placements, keys, reason=reason, location=location,
                                   timestamp_url=self.timestamp_url, backend=self.signer))

    async def record_use(self, *, document_id: str, document_version: int, unit_ids: list[str], user_id: str,
                         user_name: str, pdf: bytes) -> list[dict[str, Any]]:
        """Enter into the 用印 register that these units' seals signed `pdf` for that document version."""
        return await self.uses.record(document_id=document_id, document_version=document_version, unit_ids=unit_ids,
                                      user_id=user_id, user_name=user_name, pdf=pdf)

    async def uses_of(self, document_id: str) -> list[dict[str, Any]]:
        return await self.uses.of_document(document_id)

    # ---- verification -------------------------------------------------------------------------

    def trust_roots(self) -> list[x509.Certificate]:
        return [self.authority.certificate, *self.extra_roots]

    async def verify_pdf(self, pdf: bytes) -> PdfVerification:
        roots = self.trust_roots()
        return await asyncio.get_running_loop().run_in_executor(None, verify_pdf, pdf, roots)

    async def issued_pdf(self, document: dict[str, Any]) -> bytes | None:
        """The document's signed PDF, where the render step stored it; None before it exists."""
        key = (document.get("issued_pdf") or {}).get("key")
        if not key:
            return None
        try:
            return await self.blobs.get(key)
        except BlobNotFound:
            return None

    async def verify_document_pdf(self, document: dict[str, Any], pdf_bytes: bytes) -> dict[str, Any]:
        """The PDF's verification, plus for each seal whether it is a registered seal of one of the
        document's issuing units, and which issuers have not sealed it."""
        report = await self.verify_pdf(pdf_bytes)
        issuers = [issuer for issuer in document.get("content", {}).get("issuers", []) if issuer.get("unit_id")]
        issuer_ids = {issuer["unit_id"] for issuer in issuers}
        signatures, sealed = [], set()
        for check in report.signatures:
            item = check.as_json()
            seal = await self.registry.by_certificate(check.certificate_sha256) if check.certificate_sha256 else None
            # An imported certificate may not name its unit; the registry knows it by its fingerprint.
            unit_id = check.unit_id or (seal["unit_id"] if seal else None)
            item["unit_id"] = unit_id
            item["seal"] = None if seal is None else {
                "id": seal["_id"], "unit_id": seal["unit_id"], "name": seal["name"], "status": seal["status"],
                "revoked_at": seal["revoked_at"]}
            item["belongs_to_issuer"] = bool(seal and unit_id == seal["unit_id"] and unit_id in issuer_ids)
            if not item["belongs_to_issuer"]:
                item["problems"] = [*item["problems"], "not a registered seal of one of the document's issuing units"
                                    if seal is None or unit_id != seal["unit_id"] else
                                    "the seal's unit is not one of the document's issuing units"]
            if item["valid"] and item["belongs_to_issuer"]:
                sealed.add(unit_id)
            signatures.append(item)
        pdf_sha256 = hashlib.sha256(pdf_bytes).hexdigest()
        recorded = any(use["pdf_sha256"] == pdf_sha256 for use in await self.uses.of_document(document["_id"]))
        return {
            "document_id": document["_id"],
            "valid": report.valid and all(item["belongs_to_issuer"] for item in signatures),
            "pdf_valid": report.valid,
            "problems": report.problems,
            "signatures": signatures,
            "issuers": [{"unit_id": issuer["unit_id"], "name": issuer.get("name"),
                         "sealed": issuer["unit_id"] in sealed} for issuer in issuers],
            "pdf_sha256": pdf_sha256,
            "in_seal_register": recorded,
        }


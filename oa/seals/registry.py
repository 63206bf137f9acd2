"""The seal registry: each unit's official seal (公章) — its image, signing certificate and private key.

This module owns the `seals` and `seal_history` collections. A unit has at most one active seal of a
kind (the unique `active_slot` guarantees it, across replicas); a revoked seal is kept, with who
revoked it and why, so documents sealed before still name it. The image lives in the object store
(`seals/<seal id>/<sha256>.png`); the private key is stored sealed by oa/seals/keys.py and never leaves
this module except as a `SealKey` handed to the signer. Every change — created, image or key
replaced, revoked, used — appends an entry to `seal_history` in the same transaction, the way
`unit_history` audits the org units: who, when, what, and the seal as it then was (never its key).

A unit that never had a seal gets one the first time it is needed (`ensure`), drawn and issued by the
service's own CA, when OA_SEAL_AUTO_ISSUE allows it (the default, for the demo: its ~1,300 units get
their seals lazily, so loading the demo stays fast). A revoked seal is never replaced automatically.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509

from oa.audit_chain import chain_of, cover
from oa.clock import utcnow
from oa.errors import Conflict, InvalidInput, NotFound
from oa.orgs import OrgService
from oa.seals.authority import SealAuthority
from oa.seals.image import SealImage, check_seal_png, draw_seal
from oa.seals.keys import (
    KeyBox,
    PrivateKey,
    certificate_facts,
    fingerprint,
    new_private_key,
    pem_of,
    read_pkcs12,
)
from oa.seals.signing import SealKey
from storage.blobs import BlobStore
from storage.mongo import SCHEMA_VERSION, DuplicateKeyError, Mongo, Session

OFFICIAL = "公章"
KINDS = (OFFICIAL,)
SYSTEM = {"user_id": "system", "name": "系统（电子印章自动签发）"}
HIDDEN = ("private_key", "active_slot", "certificate_sha256s")


def new_seal_id() -> str:
    return "seal-" + secrets.token_hex(8)


def slot(unit_id: str, kind: str) -> str:
    return f"{unit_id}/{kind}"


def actor(user: dict[str, Any]) -> dict[str, str]:
    """Who did it, as the history records it."""
    return {"user_id": user["_id"], "name": user.get("display_name") or user["_id"]}


async def _image(png: bytes | None, name: str) -> SealImage:
    """The uploaded image checked, or one drawn from the name: tens of milliseconds of Pillow, off the loop."""
    loop = asyncio.get_running_loop()
    if png is None:
        return await loop.run_in_executor(None, draw_seal, name)
    return await loop.run_in_executor(None, check_seal_png, png)


def seal_view(seal: dict[str, Any]) -> dict[str, Any]:
    """A seal as the API shows it: never its key."""
    return {key: value for key, value in seal.items() if key not in HIDDEN}


@dataclass(frozen=True)
class KeyMaterial:
    key: PrivateKey
    certificate: x509.Certificate
    chain: list[x509.Certificate]
    source: str  # generated (by the service's CA) or pkcs12


class SealRegistry:
    def __init__(self, mongo: Mongo, blobs: BlobStore, orgs: OrgService, authority: SealAuthority, box: KeyBox,
                 auto_issue: bool = True) -> None:
        self.mongo = mongo
        self.seals = mongo["seals"]
        self.history = mongo["seal_history"]
        self.blobs = blobs
        self.orgs = orgs
        self.authority = authority
        self.box = box
        self.auto_issue = auto_issue

    # ---- reads ---------------------------------------------------------------------------

    async def of_unit(self, unit_id: str) -> list[dict[str, Any]]:
        """Every seal the unit has had, the active one first, then newest first."""
        await self.orgs.get(unit_id)
        found = await self.seals.find({"unit_id": unit_id}).sort([("created_at", -1), ("_id", 1)]).to_list(None)
        return sorted(found, key=lambda seal: seal["status"] != "active")

    async def active(self, unit_id: str, kind: str = OFFICIAL) -> dict[str, Any] | None:
        return await self.seals.find_one({"active_slot": slot(unit_id, kind)})

    async def current(self, unit_id: str, kind: str = OFFICIAL) -> dict[str, Any]:
        seal = await self.active(unit_id, kind)
        if seal is None:
            await self.orgs.get(unit_id)
            raise NotFound(f"unit {unit_id} has no active {kind}", code="no_seal", unit_id=unit_id)
        return seal

    async def by_certificate(self, sha256: str) -> dict[str, Any] | None:
        """The seal (active or revoked) that holds or held the certificate with this SHA-256."""
        return await self.seals.find_one({"certificate_sha256s": sha256})

    async def history_of(self, unit_id: str) -> list[dict[str, Any]]:
        return await self.history.find({"unit_id": unit_id}, {"_id": 0}).sort("at", 1).to_list(None)

    async def image_png(self, unit_id: str, kind: str = OFFICIAL) -> bytes:
        """The unit's seal image (made now if the unit never had a seal and auto-issue is on)."""
        seal = await self.ensure(unit_id, kind)
        return await self.blobs.get(seal["image"]["key"])

    async def current_image(self, unit_id: str, kind: str = OFFICIAL) -> bytes:
        """The active seal's image; NotFound (no_seal) if there is none (nothing is made here)."""
        seal = await self.current(unit_id, kind)
        return await self.blobs.get(seal["image"]["key"])

    async def signing_keys(self, unit_ids: list[str], kind: str = OFFICIAL) -> dict[str, SealKey]:
        """Each unit's key material for signing, from its active seal (made now where allowed)."""
        keys = {}
        for unit_id in dict.fromkeys(unit_ids):
            seal = await self.ensure(unit_id, kind)
            certificate = x509.load_pem_x509_certificate(seal["certificate"]["pem"].encode())
            chain = tuple(x509.load_pem_x509_certificate(pem.encode()) for pem in seal.get("chain_pem", []))
            keys[unit_id] = SealKey(unit_id=unit_id, unit_name=seal["name"], seal_id=seal["_id"],
                                    certificate=certificate, chain=chain,
                                    private_key=self.box.open(seal["private_key"], seal["_id"]))
        return keys

    # ---- writes --------------------------------------------------------------------------

    async def ensure(self, unit_id: str, kind: str = OFFICIAL) -> dict[str, Any]:
        """The unit's active seal; one drawn and issued by the service's CA if it never had any."""
        seal = await self.active(unit_id, kind)
        if seal is not None:
            return seal
        unit = await self.orgs.get(unit_id)
        if await self.seals.find_one({"unit_id": unit_id, "kind": kind}, {"_id": 1}) is not None:
            raise Conflict(f"the {kind} of {unit['name']} was revoked and no new one is registered",
                           code="seal_revoked", unit_id=unit_id)
        if not self.auto_issue:
            raise Conflict(f"{unit['name']} has no {kind}: an admin registers one first", code="seal_missing",
                           unit_id=unit_id)
        try:
            return await self.do_create(unit_id, SYSTEM)
        except Conflict:  # made at the same moment by another request or replica
            return await self.current(unit_id, kind)

    async def do_create(self, unit_id: str, by: dict[str, str], *, name: str | None = None,
                        image_png: bytes | None = None, p12: bytes | None = None, password: str = "",
                        kind: str = OFFICIAL) -> dict[str, Any]:
        """A new active seal: the image given (else drawn from the name), the key imported (else generated)."""
        unit = await self.orgs.get(unit_id)
        if unit.get("status") != "active":
            raise Conflict(f"{unit['name']} is dissolved and gets no seal", code="unit_dissolved", unit_id=unit_id)
        if await self.active(unit_id, kind) is not None:
            raise Conflict(f"{unit['name']} already has an active {kind}; revoke it first", code="seal_exists",
                           unit_id=unit_id)
        name = (name or "").strip() or unit["name"]
        seal_id = new_seal_id()
        image = await _image(image_png, name)
        material = self._key_material(unit_id, name, p12, password)
        now = utcnow()
        seal = {
            "_id": seal_id, "unit_id": unit_id, "kind": kind, "name": name, "status": "active",
            "active_slot": slot(unit_id, kind),
            "image": await self._store_image(seal_id, image, "uploaded" if image_png is not None else "generated"),
            **self._key_fields(seal_id, material, []),
            "created_by": by, "created_at": now, "updated_by": by, "updated_at": now,
            "revoked_by": None, "revoked_at": None, "revoke_reason": None,
            "version": 1, "schema_version": SCHEMA_VERSION,
        }

        async def write(session: Session) -> None:
            await self.seals.insert_one(seal, session=session)
            await self.audit([self.entry(seal, "created", by, now)], session)

        try:
            await self.mongo.run_transaction(write)
        except DuplicateKeyError:
            raise Conflict(f"{unit['name']} already has an active {kind}; revoke it first", code="seal_exists",
                           unit_id=unit_id) from None
        return seal

    async def do_replace_image(self, unit_id: str, image_png: bytes, by: dict[str, str],
                               kind: str = OFFICIAL) -> dict[str, Any]:
        seal = await self.current(unit_id, kind)
        image = await _image(image_png, seal["name"])
        stored = await self._store_image(seal["_id"], image, "uploaded")
        return await self._change(seal, {"image": stored}, "image_replaced", by)

    async def do_replace_key(self, unit_id: str, by: dict[str, str], *, p12: bytes | None = None,
                             password: str = "", kind: str = OFFICIAL) -> dict[str, Any]:
        """A new key and certificate for the active seal (a PKCS#12 file, else generated by the CA).
        The old certificate stays listed, so documents sealed with it are still traced to this seal."""
        seal = await self.current(unit_id, kind)
        material = self._key_material(unit_id, seal["name"], p12, password)
        fields = self._key_fields(seal["_id"], material, seal.get("certificate_sha256s", []))
        return await self._change(seal, fields, "key_replaced", by)

    async def do_revoke(self, unit_id: str, reason: str, by: dict[str, str], kind: str = OFFICIAL) -> dict[str, Any]:
        if not reason.strip():
            raise InvalidInput("say why the seal is revoked (reason)", field="reason")
        seal = await self.current(unit_id, kind)
        now = utcnow()
        return await self._change(seal, {"status": "revoked", "active_slot": f"revoked/{seal['_id']}",
                                         "revoked_by": by, "revoked_at": now, "revoke_reason": reason.strip()},
                                  "revoked", by, now=now)

    async def audit(self, entries: list[dict[str, Any]], session: Session) -> None:
        """Append history entries in the caller's transaction (oa/seals/uses.py records each use here), each
        seal's unit's audit-chain link with them."""
        if not entries:
            return
        await self.history.insert_many(entries, session=session)  # the driver gives each its _id, then it is hashed
        by_unit: dict[str, list[dict[str, Any]]] = {}
        for entry in entries:
            by_unit.setdefault(entry["unit_id"], []).append(entry)
        chain = chain_of(self.mongo)
        for unit_id, theirs in sorted(by_unit.items()):
            await chain.link(session, unit_id, "seal", [cover("seal_history", entry) for entry in theirs])

    # ---- helpers -------------------------------------------------------------------------

    @staticmethod
    def entry(seal: dict[str, Any], change: str, by: dict[str, str], at: datetime,
              **detail: Any) -> dict[str, Any]:
        """One line of a seal's audit trail: who, when, what, and the seal as it then was."""
        return {"seal_id": seal["_id"], "unit_id": seal["unit_id"], "change": change, "by": by, "at": at,
                "snapshot": {"name": seal["name"], "kind": seal["kind"], "status": seal["status"],
                             "image_sha256": seal["image"]["sha256"],
                             "certificate_sha256": seal["certificate"]["sha256"],
                             "certificate_subject": seal["certificate"]["subject"],
                             "certificate_source": seal["certificate"]["source"]},
                **({"detail": detail} if detail else {}), "schema_version": SCHEMA_VERSION}

    async def _change(self, seal: dict[str, Any], changes: dict[str, Any], change: str, by: dict[str, str],
                      now: datetime | None = None) -> dict[str, Any]:
        now = now or utcnow()

        async def write(session: Session) -> dict[str, Any] | None:
            updated = await self.mongo.compare_and_set("seals", seal["_id"], seal["version"],
                                                       {**changes, "updated_by": by, "updated_at": now},
                                                       session=session)
            if updated is not None:
                await self.audit([self.entry(updated, change, by, now)], session)
            return updated

        updated = await self.mongo.run_transaction(write)
        if updated is None:
            raise Conflict("the seal was changed at the same moment by someone else; reload and try again",
                           code="stale_version")
        return updated

    def _key_material(self, unit_id: str, name: str, p12: bytes | None, password: str) -> KeyMaterial:
        if p12 is not None:
            imported = read_pkcs12(p12, password)
            return KeyMaterial(imported.key, imported.certificate, imported.chain, "pkcs12")
        key = new_private_key()
        return KeyMaterial(key, self.authority.issue(unit_id, name, key.public_key()), [self.authority.certificate],
                           "generated")

    def _key_fields(self, seal_id: str, material: KeyMaterial, earlier: list[str]) -> dict[str, Any]:
        facts = {**certificate_facts(material.certificate), "source": material.source}
        return {"certificate": facts, "chain_pem": [pem_of(certificate) for certificate in material.chain],
                "private_key": self.box.seal(material.key, seal_id),
                "certificate_sha256s": [*earlier, fingerprint(material.certificate)]}

    async def _store_image(self, seal_id: str, image: SealImage, source: str) -> dict[str, Any]:
        key = f"seals/{seal_id}/{image.sha256}.png"
        await self.blobs.put_bytes(key, image.png, "image/png")
        return {"key": key, "sha256": image.sha256, "width": image.width, "height": image.height,
                "size": len(image.png), "source": source}

"""Appending to the per-unit audit hash chains, inside the transaction of the change being audited.

This module owns `audit_chain` (the links), `audit_heads` (one head per unit) and `audit_records`
(audit lines of actions that have no audit collection of their own: logins, logouts, changes of people,
and whatever a later feature records with `record`).

A link is `{unit, seq, prev, at, kind, alg, covers, hash}`: `covers` lists what it vouches for, each
`{coll, id, digest}` (one record hashed whole, as stored) or `{coll, ids, fields, digest}` (several
records, only the named fields, which never change: a dispatch chunk's receipts). `hash` is over the
rest of the link, `prev` is the hash of the link before (empty for the first). Chains are per unit so
writers of different units never wait on one tail.

Promises: a link is written in the caller's transaction or not at all; two writers of one unit, in this
or another replica, never both get the same seq (the head is compared-and-set on its seq and hash, and
a unique index on (unit, seq) stands behind it); an approval costs the head update and one insert.
Which unit an action chains in: the flow's unit (flow_audit); the receiving unit for a receipt's move,
the sending or urging unit for urges and delivery chunks (exchange_audit, receipts); the seal's unit
(seal_history); the edited (or moved) unit (unit_history); the person's first post's unit, or `*` for a
platform administrator with none (people, logins and logouts).
"""

from __future__ import annotations

import secrets
import weakref
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from oa.audit_chain.canonical import ALGORITHMS, digest, hash_bytes
from oa.clock import utcnow
from oa.errors import Conflict
from storage.mongo import SCHEMA_VERSION, Mongo, Session

LINKS = "audit_chain"
HEADS = "audit_heads"
RECORDS = "audit_records"
PLATFORM_UNIT = "*"


@dataclass(frozen=True)
class Cover:
    """What one link vouches for: a record of `coll` (whole), or several records' unchanging `fields`."""

    coll: str
    records: list[dict[str, Any]]
    fields: tuple[str, ...] | None = None

    def entry(self, algorithm: str) -> dict[str, Any]:
        if self.fields is None and len(self.records) == 1:
            record = self.records[0]
            return {"coll": self.coll, "id": record["_id"], "digest": digest(algorithm, record)}
        fields = self.fields or ()
        picked = [{name: record.get(name) for name in fields} if fields else record for record in self.records]
        return {"coll": self.coll, "ids": [record["_id"] for record in self.records],
                "fields": list(fields) if fields else None, "digest": digest(algorithm, picked)}


def cover(coll: str, record: dict[str, Any]) -> Cover:
    """One record, hashed whole as it will read back (give it its `_id` before hashing)."""
    return Cover(coll, [record])


def cover_many(coll: str, records: list[dict[str, Any]], fields: tuple[str, ...] | None = None) -> Cover:
    """Several records under one digest (a dispatch chunk's receipts: only their fields that never change)."""
    return Cover(coll, list(records), fields)


def link_hash(link: dict[str, Any]) -> str:
    """The hash of a link: over every field but `_id` and `hash` itself, with the link's own algorithm."""
    body = {key: value for key, value in link.items() if key not in ("_id", "hash")}
    return digest(link["alg"], body)


@dataclass
class AuditChain:
    """The process's view of the chain heads (a hint: the database's head always decides)."""

    mongo: Mongo
    algorithm: str = "sha256"
    _heads: dict[str, tuple[int, str]] = field(default_factory=dict)
    # Heads written by a transaction not yet committed, so a second link of the same unit in it follows the first.
    _pending: weakref.WeakKeyDictionary[Any, dict[str, tuple[int, str]]] = field(
        default_factory=weakref.WeakKeyDictionary)

    def __post_init__(self) -> None:
        if self.algorithm not in ALGORITHMS:
            raise ValueError(f"OA_AUDIT_HASH must be one of {', '.join(ALGORITHMS)} (got {self.algorithm!r})")
        self.links = self.mongo[LINKS]
        self.heads = self.mongo[HEADS]
        self.records = self.mongo[RECORDS]

    async def link(self, session: Session, unit: str, kind: str, covers: list[Cover],
                   at: datetime | None = None) -> dict[str, Any]:
        """Append one link for `unit` covering `covers`, in the caller's transaction `session`.

        Call it inside the transaction callback (a retried callback computes it again)."""
        unit = unit or PLATFORM_UNIT
        at = at or utcnow()
        entries = [item.entry(self.algorithm) for item in covers]
        pending = self._pending.setdefault(session, {})
        known = pending.get(unit) or self._heads.get(unit)
        if known is None:
            known = await self._read_head(unit, session)
        for _ in range(4):
            seq, prev = known[0] + 1, known[1]
            link = {"_id": f"{unit}/{seq}", "schema_version": SCHEMA_VERSION, "unit": unit, "seq": seq,
                    "prev": prev, "at": at, "kind": kind, "alg": self.algorithm, "covers": entries}
            link["hash"] = link_hash(link)
            head = {"seq": seq, "hash": link["hash"], "at": at}
            if known[0] == 0:
                stored = await self._read_head(unit, session)
                if stored != known:
                    known = stored
                    continue
                await self.heads.insert_one({"_id": unit, **head}, session=session)
                break
            moved = await self.heads.update_one({"_id": unit, "seq": known[0], "hash": known[1]},
                                                {"$set": head}, session=session)
            if moved.matched_count == 1:
                break
            known = await self._read_head(unit, session)  # another replica (or an aborted attempt) moved it
        else:
            raise Conflict(f"the audit chain of unit {unit} kept moving; try again", code="audit_chain_busy")
        await self.links.insert_one(link, session=session)
        written = (seq, link["hash"])
        pending[unit] = written
        self.mongo.after_commit(session, lambda: self._committed(unit, written))
        return link

    async def record(self, session: Session, unit: str, kind: str, entry: dict[str, Any],
                     at: datetime | None = None) -> dict[str, Any]:
        """Store an audit line of `kind` in `audit_records` and chain it: the one call a new kind of audited
        action needs (e.g. `await chain_of(mongo).record(session, unit_id, "archive", {"by": ..., ...})`)."""
        at = at or utcnow()
        stored = {"_id": f"ar-{secrets.token_hex(10)}", "schema_version": SCHEMA_VERSION,
                  "unit_id": unit or PLATFORM_UNIT, "kind": kind, "at": at, **entry}
        await self.records.insert_one(stored, session=session)
        await self.link(session, unit, kind, [cover(RECORDS, stored)], at)
        return stored

    async def record_now(self, unit: str, kind: str, entry: dict[str, Any]) -> dict[str, Any]:
        """`record` in a transaction of its own (an action that writes nothing else, such as a logout)."""
        return await self.mongo.run_transaction(lambda session: self.record(session, unit, kind, entry))

    def _committed(self, unit: str, written: tuple[int, str]) -> None:
        if written[0] > self._heads.get(unit, (0, ""))[0]:
            self._heads[unit] = written

    async def _read_head(self, unit: str, session: Session) -> tuple[int, str]:
        head = await self.heads.find_one({"_id": unit}, {"seq": 1, "hash": 1}, session=session)
        return (int(head["seq"]), str(head["hash"])) if head else (0, "")

    # ---- reads for the auditor -------------------------------------------------------------

    async def all_heads(self) -> list[dict[str, Any]]:
        return await self.heads.find({}).sort("_id", 1).to_list(None)

    async def recent(self, unit: str | None, limit: int) -> list[dict[str, Any]]:
        """The latest links (of one unit, or of all), newest first."""
        query = {"unit": unit} if unit else {}
        order = [("seq", -1)] if unit else [("at", -1)]
        return await self.links.find(query, {"_id": 0}).sort(order).limit(limit).to_list(None)

    async def records_of(self, ids: list[str]) -> list[dict[str, Any]]:
        return await self.records.find({"_id": {"$in": ids}}).to_list(None)


def person_unit(user: dict[str, Any]) -> str:
    """Whose chain a person's changes, logins and logouts go to: their primary (else first) post's unit,
    or the platform's (`*`) for an administrator who holds no post."""
    posts = [post for post in user.get("posts", ()) if post.get("active", True)] or list(user.get("posts", ()))
    primary = next((post for post in posts if post.get("primary")), posts[0] if posts else None)
    return str(primary["unit_id"]) if primary else PLATFORM_UNIT


def chain_of(mongo: Mongo) -> AuditChain:
    """The process's audit chain for this database (made on first use; `configure` picks the algorithm)."""
    chain = mongo.audit_chain
    if chain is None:
        chain = mongo.audit_chain = AuditChain(mongo)
    assert isinstance(chain, AuditChain)
    return chain


def configure(mongo: Mongo, algorithm: str) -> AuditChain:
    """Set the hash algorithm new links use (OA_AUDIT_HASH); links already written keep theirs."""
    chain = chain_of(mongo)
    hash_bytes(algorithm, b"")  # an unknown name fails here, at start-up
    chain.algorithm = algorithm
    return chain

"""The archive's records: one per archived 件 (a document as one unit's 发文 or 收文), never rewritten.

Owns the `archives` collection (the records: 档号, metadata, the package's object key and SHA-256, the
四性检测 result, the record's own history) and `archive_counters` (the last 件号 given in each group of
全宗号-年度-保管期限-机构(问题)). A 件号 is taken in the same transaction that writes the record, by
compare-and-set on the group's counter, so numbers have no gaps and no doubles however many archivists
archive at once; a document is archived at most once per unit (a unique index says so).

Every archive, check run again and 移交 export is an audited action on the unit's audit chain
(oa/audit_chain), written in the same transaction as the change it records.
"""

from __future__ import annotations

import secrets
from typing import Any

from oa.audit_chain import chain_of
from oa.clock import utcnow
from oa.errors import NotFound
from storage.mongo import SCHEMA_VERSION, DuplicateKeyError, Mongo, Session

MAX_YEAR_EXPORT = 5000  # packages in one 移交 export


class NumberTaken(Exception):
    """Someone took this 件号 meanwhile: build again with the next one."""


class AlreadyArchived(Exception):
    def __init__(self, existing: dict[str, Any]) -> None:
        super().__init__(existing["_id"])
        self.existing = existing


def new_archive_id() -> str:
    return f"ar-{secrets.token_hex(8)}"


class ArchiveStore:
    def __init__(self, mongo: Mongo) -> None:
        self.mongo = mongo
        self.archives = mongo["archives"]
        self.counters = mongo["archive_counters"]

    async def get(self, archive_id: str) -> dict[str, Any]:
        found = await self.archives.find_one({"_id": archive_id})
        if found is None:
            raise NotFound(f"archive {archive_id} not found")
        return found

    async def find(self, archive_id: str) -> dict[str, Any] | None:
        return await self.archives.find_one({"_id": archive_id})

    async def of_document(self, document_id: str, unit_id: str) -> dict[str, Any] | None:
        return await self.archives.find_one({"document_id": document_id, "unit_id": unit_id})

    async def units_archiving(self, document_id: str) -> list[str]:
        """The units that have archived this document."""
        return [row["unit_id"] async for row in self.archives.find({"document_id": document_id}, {"unit_id": 1})]

    async def archived_ids(self, unit_id: str, document_ids: list[str]) -> set[str]:
        cursor = self.archives.find({"unit_id": unit_id, "document_id": {"$in": document_ids}}, {"document_id": 1})
        return {row["document_id"] async for row in cursor}

    async def list(self, unit_ids: list[str], year: int | None, offset: int, limit: int,
                   ) -> tuple[list[dict[str, Any]], int]:
        """Records of these units (of one 年度, if given), newest first."""
        query: dict[str, Any] = {"unit_id": {"$in": unit_ids}}
        if year is not None:
            query["year"] = year
        cursor = self.archives.find(query).sort([("at", -1), ("_id", 1)]).skip(offset).limit(limit)
        return await cursor.to_list(None), await self.archives.count_documents(query)

    async def of_year(self, unit_id: str, year: int) -> list[dict[str, Any]]:
        """A unit's records of one 年度 in 档号 order (保管期限, 机构(问题), 件号): the 归档文件目录's order."""
        cursor = self.archives.find({"unit_id": unit_id, "year": year}).sort(
            [("retention_code", 1), ("class_code", 1), ("item_number", 1)])
        return await cursor.to_list(MAX_YEAR_EXPORT)

    async def next_number(self, group: str) -> int:
        counter = await self.counters.find_one({"_id": group})
        return int((counter or {}).get("last", 0)) + 1

    async def do_insert(self, record: dict[str, Any], group: str, number: int) -> dict[str, Any]:
        """Take `number` in `group` and write the record, both or neither. NumberTaken if the number went
        meanwhile; AlreadyArchived (with the stored record) if the unit archived the document meanwhile."""
        stored = {"_id": new_archive_id(), "schema_version": SCHEMA_VERSION, **record}

        async def work(session: Session) -> dict[str, Any]:
            taken = await self.counters.update_one({"_id": group, "last": number - 1},
                                                   {"$set": {"last": number, "at": utcnow()}},
                                                   upsert=number == 1, session=session)
            if not taken.modified_count and taken.upserted_id is None:
                raise NumberTaken(group)
            await self.archives.insert_one(stored, session=session)
            await chain_of(self.mongo).record(session, record["unit_id"], "archive", {
                "archive_id": stored["_id"], "document_id": record["document_id"],
                "archival_code": record["archival_code"], "package_sha256": record["package"]["sha256"],
                "retention": record["retention"], "passed": record["check"]["passed"], "by": record["by"]})
            return stored

        try:
            return await self.mongo.run_transaction(work)
        except DuplicateKeyError:
            existing = await self.of_document(record["document_id"], record["unit_id"])
            if existing is not None:
                raise AlreadyArchived(existing) from None
            raise NumberTaken(group) from None  # the counter's first record was written meanwhile

    async def note(self, record: dict[str, Any], entry: dict[str, Any], check: dict[str, Any] | None = None) -> None:
        """Add to the record's own history (a check run again, a 移交 export) and to the unit's audit chain, in one
        transaction; the package is never touched."""
        changes: dict[str, Any] = {"$push": {"history": entry}}
        if check is not None:
            changes["$set"] = {"last_check": check}

        async def work(session: Session) -> None:
            await self.archives.update_one({"_id": record["_id"]}, changes, session=session)
            await chain_of(self.mongo).record(session, record["unit_id"], f"archive_{entry['action']}", {
                "archive_id": record["_id"], "archival_code": record["archival_code"],
                **{key: value for key, value in entry.items() if key != "action"}})

        await self.mongo.run_transaction(work)

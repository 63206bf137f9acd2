"""Every MongoDB collection and index of the service, declared in one place, and the migration step.

`oa migrate` (a Kubernetes Job before a rollout) applies them; `oa serve` on a configured MongoDB
only checks that they are there (`schema_problems`) and refuses to start, saying what to run, when
they are not: index builds wait for every voting member, and replicas racing to build a changed
index would crash-loop. On the embedded server, one process owns the database and applies them at
start. `create_index` is idempotent, so applying twice is harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

from pymongo import IndexModel
from pymongo.errors import CollectionInvalid

from storage.mongo import ASCENDING, DESCENDING, Mongo


@dataclass(frozen=True)
class Index:
    collection: str
    keys: list[tuple[str, int]]
    options: dict[str, Any] = field(default_factory=dict)


INDEXES: list[Index] = [
    # Org units: subtree queries filter on the materialised ancestor list plus level/type,
    # so "all towns of county X" is one indexed query whatever the depth.
    Index("units", [("ancestors", ASCENDING), ("level", ASCENDING), ("type", ASCENDING)]),
    Index("units", [("parent_id", ASCENDING), ("sort", ASCENDING), ("_id", ASCENDING)]),
    Index("units", [("code", ASCENDING)]),
    Index("units", [("name", ASCENDING)]),
    Index("unit_history", [("unit_id", ASCENDING), ("valid_from", DESCENDING)]),
    # People: one identity per username (logins). Who holds which post, and people search, are
    # answered from the in-memory directory, so no other index slows every write of a person.
    Index("users", [("username", ASCENDING)], {"unique": True}),
    # Sessions are looked up by token hash and expire by themselves.
    Index("sessions", [("token_hash", ASCENDING)], {"unique": True}),
    Index("sessions", [("expires_at", ASCENDING)], {"expireAfterSeconds": 0}),
    Index("sessions", [("user_id", ASCENDING)]),
    Index("login_failures", [("key", ASCENDING)], {"unique": True}),
    Index("login_failures", [("expires_at", ASCENDING)], {"expireAfterSeconds": 0}),
    # Logins under way at the unified identity platform: swept once expired.
    Index("login_states", [("expires_at", ASCENDING)], {"expireAfterSeconds": 0}),
    Index("sms_codes", [("expires_at", ASCENDING)], {"expireAfterSeconds": 0}),
    # Casbin rules: one row per policy line.
    Index("casbin_rules", [("ptype", ASCENDING), ("v0", ASCENDING), ("v1", ASCENDING),
                           ("v2", ASCENDING), ("v3", ASCENDING), ("v4", ASCENDING)], {"unique": True}),
    # Documents: a unit's list newest first, filtered by status/type; revisions by document and version.
    Index("documents", [("drafting_unit_id", ASCENDING), ("updated_at", DESCENDING)]),
    Index("documents", [("drafting_unit_id", ASCENDING), ("status", ASCENDING), ("updated_at", DESCENDING)]),
    Index("documents", [("doc_number.text", ASCENDING)], {"sparse": True}),
    Index("document_revisions", [("document_id", ASCENDING), ("version", ASCENDING)], {"unique": True}),
    # 发文字号 ledger: one entry per number ever handed out, by organ code and year.
    Index("doc_numbers", [("code", ASCENDING), ("year", ASCENDING), ("seq", ASCENDING)], {"unique": True}),
    Index("doc_numbers", [("document_id", ASCENDING)]),
    # Stored files by content hash; documents find theirs through the attachment's sha256.
    Index("documents", [("content.attachments.file.sha256", ASCENDING)]),
    Index("doc_types", [("name", ASCENDING)], {"unique": True}),
    Index("documents", [("participants", ASCENDING)]),
    # Flows: definitions by key and version; instances by document and by unfinished automatic step.
    Index("flow_definitions", [("key", ASCENDING), ("version", DESCENDING)], {"unique": True}),
    Index("flow_instances", [("document_id", ASCENDING), ("status", ASCENDING)]),
    # At most one running flow of a category per document and unit. Starting checks first, but two
    # replicas' transactions can both see none under snapshot isolation; this makes the second fail.
    Index("flow_instances", [("document_id", ASCENDING), ("category", ASCENDING), ("unit_id", ASCENDING)],
          {"unique": True, "partialFilterExpression": {"status": "running"}, "name": "one_running_flow"}),
    Index("flow_instances", [("status", ASCENDING), ("auto_pending.since", ASCENDING)]),
    # The 传阅 (or any category of flow) a person started, newest first.
    Index("flow_instances", [("starter.user_id", ASCENDING), ("category", ASCENDING), ("created_at", DESCENDING)]),
    # Tasks: a person's 待办 by urgency then deadline; 已办 newest first; the deadline scheduler's scans.
    Index("tasks", [("assignees", ASCENDING), ("status", ASCENDING), ("urgency_rank", DESCENDING),
                    ("due_sort", ASCENDING)]),
    Index("tasks", [("done_by.user_id", ASCENDING), ("done_at", DESCENDING)]),
    Index("tasks", [("instance_id", ASCENDING), ("created_at", ASCENDING)]),
    Index("tasks", [("status", ASCENDING), ("overdue_stage", ASCENDING), ("due_at", ASCENDING)]),
    # 督办: a unit's (or a subtree's) open tasks near or past their deadline.
    Index("tasks", [("unit_id", ASCENDING), ("status", ASCENDING), ("due_at", ASCENDING)]),
    Index("flow_audit", [("instance_id", ASCENDING), ("at", ASCENDING)]),
    Index("delegations", [("to_user", ASCENDING), ("ends_at", ASCENDING)]),
    Index("delegations", [("from_user", ASCENDING), ("ends_at", ASCENDING)]),
    # Exchange: a dispatch's board, a unit's inbox and sent list, the lineage tree, statistics;
    # an idempotency key is unique per sending unit.
    Index("dispatches", [("sender_unit_id", ASCENDING), ("idempotency_key", ASCENDING)], {"unique": True}),
    Index("dispatches", [("sender_unit_id", ASCENDING), ("created_at", DESCENDING)]),
    Index("dispatches", [("root_dispatch_id", ASCENDING)]),
    Index("dispatches", [("status", ASCENDING)]),
    Index("dispatches", [("document_id", ASCENDING)]),  # a chunk asks whether anyone else sent its document
    Index("receipts", [("dispatch_id", ASCENDING), ("status", ASCENDING)]),
    Index("receipts", [("unit_id", ASCENDING), ("created_at", DESCENDING)]),
    Index("receipts", [("unit_id", ASCENDING), ("status", ASCENDING), ("created_at", DESCENDING)]),
    Index("receipts", [("root_dispatch_id", ASCENDING)]),
    Index("receipts", [("document_id", ASCENDING), ("unit_id", ASCENDING)]),
    # 督办: unsigned receipts near or past their deadline, under a unit or sent by one.
    Index("receipts", [("unit_path", ASCENDING), ("status", ASCENDING), ("due_at", ASCENDING)]),
    Index("receipts", [("sender_unit_id", ASCENDING), ("status", ASCENDING), ("due_at", ASCENDING)]),
    # A dispatch asks which of its recipients this sender has already delivered this document to.
    Index("deliveries", [("document_id", ASCENDING), ("sender_unit_id", ASCENDING)]),
    Index("exchange_audit", [("receipt_id", ASCENDING), ("at", ASCENDING)]),
    # Audit hash chains: one unit's links in seq order (unique: two writers can never both append seq N);
    # the audit lines of actions without an audit collection of their own, per unit, newest first.
    Index("audit_chain", [("unit", ASCENDING), ("seq", ASCENDING)], {"unique": True}),
    Index("audit_records", [("unit_id", ASCENDING), ("at", DESCENDING)]),
    Index("recipient_groups", [("unit_id", ASCENDING), ("name", ASCENDING)]),
    # Seals: at most one active seal per unit and kind (revoked ones hold a slot of their own); a unit's seals;
    # a signature's certificate traced back to its seal; a seal's and a document's history.
    Index("seals", [("active_slot", ASCENDING)], {"unique": True}),
    Index("seals", [("unit_id", ASCENDING), ("created_at", DESCENDING)]),
    Index("seals", [("certificate_sha256s", ASCENDING)]),
    Index("seal_history", [("unit_id", ASCENDING), ("at", ASCENDING)]),
    Index("seal_uses", [("document_id", ASCENDING), ("at", DESCENDING)]),
    # Notifications: a person's 消息 centre, unread first, newest first; sends due for a retry or after quiet hours.
    Index("notifications", [("user_id", ASCENDING), ("read_at", ASCENDING), ("at", DESCENDING)]),
    Index("notifications", [("at", ASCENDING)], {"expireAfterSeconds": 180 * 24 * 3600}),
    Index("notification_sends", [("status", ASCENDING), ("next_at", ASCENDING)]),
    Index("notification_sends", [("notification_id", ASCENDING)]),
    Index("notification_sends", [("user_id", ASCENDING), ("created_at", DESCENDING)]),
    Index("notification_sends", [("created_at", ASCENDING)], {"expireAfterSeconds": 180 * 24 * 3600}),
    Index("push_subscriptions", [("user_id", ASCENDING), ("updated_at", DESCENDING)]),
    # 归档: a document is archived at most once per unit; a 档号 is unique; a unit's records by 年度 and 档号 order.
    Index("archives", [("document_id", ASCENDING), ("unit_id", ASCENDING)], {"unique": True}),
    Index("archives", [("archival_code", ASCENDING)], {"unique": True}),
    Index("archives", [("unit_id", ASCENDING), ("year", ASCENDING), ("retention_code", ASCENDING),
                       ("class_code", ASCENDING), ("item_number", ASCENDING)]),
    Index("archives", [("unit_id", ASCENDING), ("at", DESCENDING)]),
    # Events: a user's by seq for resuming; kept 30 days (a phone offline longer reloads its lists).
    Index("events", [("user_id", ASCENDING), ("seq", ASCENDING)], {"unique": True}),
    Index("events", [("at", ASCENDING)], {"expireAfterSeconds": 30 * 24 * 3600}),
]


# Indexes earlier versions made that nothing reads any more (each one costs every write).
OBSOLETE: list[tuple[str, str]] = [("users", "posts.unit_id_1_username_1"), ("users", "mobile_1")]


class SchemaNotReady(RuntimeError):
    """The configured database lacks collections or indexes this version needs: run `oa migrate`."""


# Collections first written inside a transaction (counters, the ledgers beside them, per-person event
# counters). MongoDB can create a collection inside a transaction only under conditions (4.4+, not on
# every topology, and it serialises with other DDL), so they are made up front, with the indexed ones.
COUNTERS = ("event_seqs", "number_counters", "doc_numbers", "incoming_counters", "archive_counters",
            "audit_heads")

# Options whose difference makes an existing index a different one (the rest, like `name`, do not).
_MEANINGFUL = ("unique", "sparse", "partialFilterExpression", "expireAfterSeconds")


async def apply_indexes(mongo: Mongo) -> None:
    """The migration step (`oa migrate`): make the collections and indexes the service needs, drop obsolete ones.

    One `createIndexes` per collection, several collections at a time: a fresh database (every test, a first
    start) is ready in a fraction of the round trips one command per index took."""
    existing = set(await mongo.db.list_collection_names())
    wanted: dict[str, list[IndexModel]] = {}
    for index in INDEXES:
        wanted.setdefault(index.collection, []).append(IndexModel(index.keys, **index.options))
    gate = asyncio.Semaphore(8)

    async def prepare(name: str) -> None:
        async with gate:
            if name not in existing and name not in wanted:  # an index makes its collection; a counter needs one
                with contextlib.suppress(CollectionInvalid):  # another process made it just now
                    await mongo.db.create_collection(name)
            if name in wanted:
                await mongo[name].create_indexes(wanted[name])

    await asyncio.gather(*(prepare(name) for name in sorted(set(COUNTERS) | set(wanted))))
    for collection, name in OBSOLETE:
        if collection in existing and name in await mongo[collection].index_information():
            await mongo[collection].drop_index(name)


async def schema_problems(mongo: Mongo) -> list[str]:
    """What `oa migrate` would still change: missing collections, indexes missing or defined otherwise,
    obsolete ones present. Empty when the database is ready for this version of the service."""
    problems = []
    existing = set(await mongo.db.list_collection_names())
    problems += [f"collection {name} is missing" for name in COUNTERS if name not in existing]
    by_collection: dict[str, dict[str, Any]] = {}
    for index in INDEXES:
        if index.collection not in by_collection:
            by_collection[index.collection] = await mongo[index.collection].index_information() \
                if index.collection in existing else {}
        found = [info for info in by_collection[index.collection].values()
                 if [(field, int(order)) for field, order in info["key"]] == list(index.keys)]
        wanted = {option: index.options[option] for option in _MEANINGFUL if option in index.options}
        if not found:
            problems.append(f"index {index.collection} {index.keys} is missing")
        elif not any({option: info.get(option) for option in wanted} == wanted for info in found):
            problems.append(f"index {index.collection} {index.keys} has other options than {wanted}")
    for collection, name in OBSOLETE:
        if collection in existing and name in (by_collection.get(collection) or
                                               await mongo[collection].index_information()):
            problems.append(f"obsolete index {collection}.{name} is still there")
    return problems


async def check_schema(mongo: Mongo) -> None:
    problems = await schema_problems(mongo)
    if problems:
        more = " …" if len(problems) > 3 else ""
        raise SchemaNotReady(f"the database is not ready for this version: run `oa migrate` first "
                             f"({len(problems)} change(s): {'; '.join(problems[:3])}{more})")

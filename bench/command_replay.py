"""Reading the service's command log (storage/command_log.py, OA_BENCH_COMMAND_LOG) and replaying an action's
write commands as bare writes: the same commands and documents, sent from here in one transaction.

Each replay is made to succeed without touching what the service wrote: inserted documents get fresh
`_id`s (and fresh values in their unique-index fields); an update, findAndModify or delete gets a fresh
target — a copy of the document it addressed, under a fresh `_id`, with the filter's equality values so
the filter still matches — written before the timed transaction, and its filter is pointed at that copy.
The copies and the inserted documents stay in the database (ids end in ~r<hex>) and nothing reads them,
except the replayed events, which `close()` deletes: the notifier's sweep looks for recent events without a
消息 record, and would otherwise send the real people copies of their notices and load the next run.
"""

from __future__ import annotations

import copy
import json
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bson import ObjectId, json_util
from pymongo import AsyncMongoClient
from pymongo.errors import BulkWriteError, OperationFailure

REPLAYED = ("insert", "update", "delete", "findAndModify")
NOT_SENT = {"lsid", "txnNumber", "autocommit", "startTransaction", "$clusterTime", "$db", "readConcern",
            "writeConcern", "$readPreference", "apiVersion", "apiStrict", "apiDeprecationErrors"}


# Reading the log ----------------------------------------------------------------------------------

class CommandLog:
    """The log file, read as it grows. `window(t0, t1)` gives the commands an action sent between t0 and t1:
    those of asyncio tasks that were not already sending commands before t0 (the long-running loops —
    change stream, deadlines — were), so an HTTP request's commands are told from the background's."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.known_tasks: set[str] = set()

    def exists(self) -> bool:
        return self.path.exists() and self.path.stat().st_size > 0

    def wait_quiet(self, quiet_s: float = 0.3, limit_s: float = 30) -> None:
        """Until the file has not grown for `quiet_s` (the service writes it from a thread)."""
        deadline = time.monotonic() + limit_s
        last = -1
        while time.monotonic() < deadline:
            size = self.path.stat().st_size if self.path.exists() else 0
            if size == last:
                return
            last = size
            time.sleep(quiet_s)

    def read_new(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with open(self.path, "rb") as source:
            source.seek(self.offset)
            data = source.read()
        end = data.rfind(b"\n") + 1
        self.offset += end
        return [json.loads(line) for line in data[:end].splitlines() if line.strip()]

    def skip_to_end(self) -> None:
        for entry in self.read_new():
            if entry.get("task"):
                self.known_tasks.add(entry["task"])

    def window(self, t0: float, t1: float) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(the action's commands, other commands) started within [t0, t1]."""
        self.wait_quiet()
        mine, others = [], []
        before = set(self.known_tasks)
        for entry in self.read_new():
            task = entry.get("task")
            if t0 <= entry["t"] <= t1:
                (others if task in before or task is None else mine).append(entry)
            if task:
                self.known_tasks.add(task)
        return mine, others


def round_trips(commands: list[dict[str, Any]]) -> list[tuple[str, int, float]]:
    """(command and collection, how many, their summed duration in ms), most frequent first."""
    counts: Counter[str] = Counter()
    ms: Counter[str] = Counter()
    for entry in commands:
        key = f"{entry['name']} {entry['collection'] or ''}".strip()
        counts[key] += 1
        ms[key] += entry["ms"]
    return sorted(((key, count, ms[key]) for key, count in counts.items()), key=lambda row: (-row[1], row[0]))


def writes_of(commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The commands to replay, as documents (from extended JSON), in the order they were sent."""
    found = [entry for entry in commands if entry["name"] in REPLAYED and entry.get("ok", True)]
    if any("command" not in entry for entry in found):
        raise ValueError("the command log has no command documents (is it from storage/command_log.py?)")
    ordered = sorted(found, key=lambda entry: entry["t"])
    return [{"db": entry["db"], "command": json_util.loads(json.dumps(entry["command"]))} for entry in ordered]


def transactions_of(commands: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The commands grouped as the service sent them: one group per transaction (session and transaction
    number), in the order each began; a command outside a transaction is a group of its own."""
    groups: dict[Any, list[dict[str, Any]]] = {}
    for index, entry in enumerate(sorted(commands, key=lambda item: item["t"])):
        key = (entry.get("lsid"), entry.get("txn")) if entry.get("txn") is not None else index
        groups.setdefault(key, []).append(entry)
    return list(groups.values())


def write_summary(writes: list[dict[str, Any]]) -> str:
    counts: Counter[str] = Counter()
    documents: Counter[str] = Counter()
    for write in writes:
        command = write["command"]
        name = next(iter(command))
        key = f"{name} {command[name]}"
        counts[key] += 1
        documents[key] += len(command.get("documents") or command.get("updates") or command.get("deletes") or [1])
    return ", ".join(f"{key} ×{count} ({documents[key]} docs)" if documents[key] != count else f"{key} ×{count}"
                     for key, count in counts.most_common())


# Replaying -----------------------------------------------------------------------------------------

def _fresh_unique(update: Any, unique: set[str], fresh: Any) -> Any:
    """An update that sets a unique field (a `$set` of a whole record, or a replacement) sets the fresh value,
    so the replayed copy does not collide with the record the service wrote."""
    if not isinstance(update, dict):
        return update  # a pipeline update: left as recorded
    if any(key.startswith("$") for key in update):
        setting = update.get("$set")
        if not isinstance(setting, dict) or not unique & setting.keys():
            return update
        return {**update, "$set": {key: fresh(value) if key in unique else value for key, value in setting.items()}}
    return {key: fresh(value) if key in unique else value for key, value in update.items()}


def _is_operator(value: Any) -> bool:
    return isinstance(value, dict) and any(str(key).startswith("$") for key in value)


@dataclass
class Prepared:
    commands: list[tuple[str, dict[str, Any]]]  # (database, command) to send in the transaction
    copies: int  # fresh target documents written beforehand
    skipped: int  # statements with no equality filter to point at a copy (left out)


@dataclass
class Outcome:
    ms: float
    commands: int
    statements: int
    matched_nothing: int
    errors: list[str] = field(default_factory=list)
    by_command: dict[str, float] = field(default_factory=dict)  # "insert receipts" → summed ms, as round_trips keys


class Replayer:
    def __init__(self, uri: str) -> None:
        self.client: AsyncMongoClient = AsyncMongoClient(uri, tz_aware=True)
        self._unique: dict[tuple[str, str], set[str]] = {}

    async def close(self) -> None:
        for name in set(await self.client.list_database_names()) - {"admin", "local", "config"}:
            await self.client[name]["events"].delete_many({"_id": {"$regex": "~r[0-9a-f]{8}$"}})
        await self.client.close()

    async def _unique_fields(self, db: str, collection: str) -> set[str]:
        key = (db, collection)
        if key not in self._unique:
            fields: set[str] = set()
            async for index in await self.client[db][collection].list_indexes():
                if index.get("unique") and index["name"] != "_id_":
                    fields |= {name for name in index["key"] if "." not in name}
            self._unique[key] = fields
        return self._unique[key]

    async def prepare(self, writes: list[dict[str, Any]]) -> Prepared:
        """Point every write at fresh documents, and write the fresh targets of updates and deletes."""
        suffix = "~r" + secrets.token_hex(4)
        memo: dict[Any, Any] = {}

        def fresh(value: Any) -> Any:
            if isinstance(value, str):
                return value + suffix
            if isinstance(value, ObjectId):
                return memo.setdefault(value, ObjectId())
            return value

        inserted: set[tuple[str, str, Any]] = set()
        copies: dict[tuple[str, str], list[dict[str, Any]]] = {}
        copied: set[tuple[str, str, Any]] = set()
        skipped = 0
        commands: list[tuple[str, dict[str, Any]]] = []

        async def retarget(db: str, collection: str, query: dict[str, Any], upsert: bool,
                           multi: bool) -> dict[str, Any] | None:
            unique = await self._unique_fields(db, collection)
            equal = {key: value for key, value in query.items()
                     if not key.startswith("$") and "." not in key and not _is_operator(value)}
            if "_id" in equal:
                ids = ["_id"]
            else:
                ids = [key for key in equal if key in unique] or [
                    key for key, value in equal.items() if isinstance(value, (str, ObjectId))]
            if not ids:
                return None
            target = {key: fresh(equal[key]) for key in ids}
            collection_ = self.client[db][collection]
            if "_id" in equal:
                found = [row for row in [await collection_.find_one({"_id": equal["_id"]})] if row is not None]
            else:
                found = await collection_.find(query).limit(0 if multi else 1).to_list(None)
                if not found:
                    found = await collection_.find({key: equal[key] for key in ids}).limit(
                        0 if multi else 1).to_list(None)
            if not found and not upsert:
                found = [dict(equal)]  # the service deleted it: a minimal document the filter matches
            for row in found:
                twin = {**copy.deepcopy(row), **copy.deepcopy(equal)}
                for key, condition in query.items():  # make the simple conditions hold as well
                    if key.startswith("$") or "." in key or not _is_operator(condition):
                        continue
                    if "$eq" in condition:
                        twin[key] = copy.deepcopy(condition["$eq"])
                    elif condition.get("$in"):
                        twin[key] = copy.deepcopy(condition["$in"][0])
                    elif condition.get("$exists") is False:
                        twin.pop(key, None)
                for key in {"_id", *ids, *unique}:
                    if key in twin:
                        twin[key] = fresh(twin[key])
                twin.setdefault("_id", ObjectId())
                mark = (db, collection, twin["_id"])
                if mark in inserted or mark in copied:
                    continue  # written by an earlier replayed command, or already copied
                copied.add(mark)
                copies.setdefault((db, collection), []).append(twin)
            return {**query, **target}

        for write in writes:
            db, command = write["db"], {key: value for key, value in write["command"].items() if key not in NOT_SENT}
            name = next(iter(command))
            collection = command[name]
            if name == "insert":
                unique = await self._unique_fields(db, collection)
                documents = []
                for document in command["documents"]:
                    twin = dict(document)
                    for key in {"_id", *unique}:
                        if key in twin:
                            twin[key] = fresh(twin[key])
                    inserted.add((db, collection, twin.get("_id")))
                    documents.append(twin)
                command["documents"] = documents
            elif name == "update":
                statements = []
                for statement in command["updates"]:
                    query = await retarget(db, collection, statement["q"], bool(statement.get("upsert")),
                                           bool(statement.get("multi")))
                    if query is None:
                        skipped += 1
                        continue
                    statements.append({**statement, "q": query,
                                       "u": _fresh_unique(statement["u"], await self._unique_fields(db, collection),
                                                          fresh)})
                if not statements:
                    continue
                command["updates"] = statements
            elif name == "delete":
                statements = []
                for statement in command["deletes"]:
                    query = await retarget(db, collection, statement["q"], False, statement.get("limit", 0) == 0)
                    if query is None:
                        skipped += 1
                        continue
                    statements.append({**statement, "q": query})
                if not statements:
                    continue
                command["deletes"] = statements
            elif name == "findAndModify":
                query = await retarget(db, collection, command.get("query") or {}, bool(command.get("upsert")),
                                       False)
                if query is None:
                    skipped += 1
                    continue
                command["query"] = query
            commands.append((db, command))
        written = 0
        for (db, collection), documents in copies.items():
            for start in range(0, len(documents), 500):
                try:
                    result = await self.client[db][collection].insert_many(documents[start:start + 500],
                                                                           ordered=False)
                    written += len(result.inserted_ids)
                except BulkWriteError as error:  # a copy whose fresh id could not be made unique (not a string)
                    written += int(error.details.get("nInserted", 0))
        return Prepared(commands, written, skipped)

    async def run(self, prepared: Prepared) -> Outcome:
        """Send the prepared commands in one transaction; the time is from its start to its commit."""
        matched_nothing = statements = 0
        errors: list[str] = []
        by_command: Counter[str] = Counter()
        async with self.client.start_session() as session:
            started = time.perf_counter()
            await session.start_transaction()  # left open on an error: ending the session aborts it
            for db, command in prepared.commands:
                sent = time.perf_counter()
                try:
                    reply = await self.client[db].command(command, session=session)
                except OperationFailure as failure:  # say which replayed write failed, not only that it did
                    raise RuntimeError(f"replaying {next(iter(command))} on {command[next(iter(command))]} "
                                       f"failed ({failure}); earlier write errors: {errors}") from failure
                name = next(iter(command))
                by_command[f"{name} {command[name]}"] += (time.perf_counter() - sent) * 1000
                count = len(command.get("documents") or command.get("updates") or command.get("deletes") or [1])
                statements += count
                if name == "findAndModify":
                    matched_nothing += int(not reply.get("lastErrorObject", {}).get("n"))
                elif name in ("update", "delete"):
                    matched_nothing += max(0, count - int(reply.get("n", 0)))
                errors += [str(error.get("errmsg")) for error in reply.get("writeErrors", [])]
            committing = time.perf_counter()
            await session.commit_transaction()
            elapsed = (time.perf_counter() - started) * 1000
            by_command["commitTransaction"] += (time.perf_counter() - committing) * 1000
        return Outcome(elapsed, len(prepared.commands), statements, matched_nothing, errors, dict(by_command))

"""`oa backup`: a consistent snapshot of the database, plus the object store's objects, in one directory.

What it promises: every collection is read as of ONE point in time, by the best method the server
really supports (`consistency_method`):

- a MongoDB replica set (or sharded cluster): a snapshot session (`start_session(snapshot=True)`,
  read concern `snapshot`; the server picks `atClusterTime` at the first read and every later
  read of the session uses it);
- the embedded SecantusDB: one multi-document transaction that only reads. Its snapshot
  sessions are accepted but NOT pinned (secantus/commands.py says so: "accept-and-record"),
  `fsync` with `lock: true` is refused, while every statement of a transaction reads the
  transaction's one WiredTiger snapshot. A read-only transaction buffers no writes, so the
  size guard (`TransactionTooLargeForCache`) cannot trip; its 60 s limit counts idle time
  only, and each batch read renews it;
- a standalone mongod: neither works, so it refuses rather than write an inconsistent copy.

Objects are copied after the database snapshot: they are written before the records that
name them and never changed in place, so every object the snapshot refers to is there unless
it was deleted (an attachment removed and collected) while the backup ran.

The directory: `manifest.json` (written last; a directory without it is not a backup), one
`<collection>.bson` file per collection (the documents' exact BSON, so every type survives),
and `objects/<sha256>` files with the objects' bytes (their keys, content types and metadata
are in the manifest). With `objects="manifest"` only the manifest lists keys, sizes and hashes,
for a store with its own replication and versioning.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo.read_concern import ReadConcern

from storage.blobs import MinioBlobStore
from storage.mongo import Mongo

FORMAT = "oa-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
OBJECTS_DIR = "objects"
# The documents exactly as stored: no decoding to dicts and back (an Int64 would come back an int32).
RAW = CodecOptions(document_class=RawBSONDocument)
# A backup re-reads the list of collections after its snapshot; one made meanwhile means another try.
ATTEMPTS = 3
CHUNK = 1024 * 1024

Progress = Callable[[str, int, int], None]


class BackupError(RuntimeError):
    """The backup could not be made (or would not be consistent); the message says why."""


@dataclass(frozen=True)
class Method:
    name: str  # "snapshot-session" or "transaction"
    server: str  # what answered, e.g. "SecantusDB 0.7.0b3" or "MongoDB 7.0.12 replica set rs0"


async def consistency_method(mongo: Mongo) -> Method:
    """How this server gives a read of every collection as of one point in time (see the module docstring)."""
    info = await mongo.client.admin.command("buildInfo")
    if "secantusVersion" in info:
        return Method("transaction", f"SecantusDB {info['secantusVersion']}")
    hello = await mongo.client.admin.command("hello")
    if hello.get("setName"):
        return Method("snapshot-session", f"MongoDB {info.get('version')} replica set {hello['setName']}")
    if hello.get("msg") == "isdbgrid":
        return Method("snapshot-session", f"MongoDB {info.get('version')} sharded cluster")
    raise BackupError("this MongoDB is a standalone server, which offers no snapshot read across collections; "
                      "run it as a replica set (one member is enough) to back it up consistently")


def collection_file(name: str) -> str:
    return quote(name, safe="") + ".bson"


class _HashingFile:
    """A file written once, its SHA-256 and size kept as it is written."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.out = open(path, "xb")  # noqa: SIM115 - closed by close()
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.out.write(data)
        self.sha.update(data)
        self.size += len(data)

    def close(self) -> None:
        self.out.flush()
        os.fsync(self.out.fileno())
        self.out.close()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


async def _names(mongo: Mongo) -> list[str]:
    return sorted(name for name in await mongo.db.list_collection_names() if not name.startswith("system."))


async def _index_specs(mongo: Mongo, name: str) -> list[dict[str, Any]]:
    specs = []
    async for index in await mongo.db[name].list_indexes():
        spec = dict(index)
        spec.pop("v", None)
        spec.pop("ns", None)
        spec["key"] = [[field, order] for field, order in spec["key"].items()]
        specs.append(json.loads(json.dumps(spec, default=str)))
    return specs


async def _read_snapshot(mongo: Mongo, method: Method, names: list[str], target: Path,
                         progress: Progress | None) -> tuple[list[dict[str, Any]], str | None]:
    """Write every collection as of one point in time; returns the collections' entries and that time."""
    entries = []
    snapshot = method.name == "snapshot-session"
    async with mongo.client.start_session(snapshot=snapshot) as session:
        if not snapshot:
            await session.start_transaction(read_concern=ReadConcern("snapshot"))
        try:
            for number, name in enumerate(names, start=1):
                out = _HashingFile(target / collection_file(name))
                count = 0
                try:
                    collection = mongo.db.get_collection(name, codec_options=RAW)
                    async for document in collection.find({}, session=session, batch_size=1000):
                        out.write(document.raw)
                        count += 1
                finally:
                    out.close()
                entries.append({"name": name, "file": out.path.name, "count": count, "bytes": out.size,
                                "sha256": out.sha.hexdigest()})
                if progress:
                    progress("数据库", number, len(names))
        finally:
            if not snapshot and session.in_transaction:
                await session.abort_transaction()  # it only read; nothing to commit
        at = getattr(session, "_snapshot_time", None) or session.operation_time
    return entries, (str(at) if at is not None else None)


async def _copy_objects(blobs: MinioBlobStore, target: Path, mode: str,
                        progress: Progress | None) -> list[dict[str, Any]]:
    keys = await blobs.keys()
    items = []
    folder = target / OBJECTS_DIR
    if mode == "copy":
        folder.mkdir()
    part = folder / ".download" if mode == "copy" else target / ".object.tmp"
    for number, key in enumerate(keys, start=1):
        info, metadata = await blobs.user_metadata(key)
        await blobs.download(key, str(part))
        sha256 = file_sha256(part)
        size = part.stat().st_size
        if mode == "copy":
            part.replace(folder / sha256)  # the same bytes under two keys are kept once
        else:
            part.unlink()
        items.append({"key": key, "size": size, "sha256": sha256, "content_type": info.content_type,
                      "metadata": metadata, **({"file": f"{OBJECTS_DIR}/{sha256}"} if mode == "copy" else {})})
        if progress:
            progress("文件", number, len(keys))
    return items


async def backup(mongo: Mongo, blobs: MinioBlobStore, target: Path, objects: str = "copy",
                 progress: Progress | None = None) -> dict[str, Any]:
    """Write a backup into `target` (absent or an empty directory); returns the manifest written."""
    if objects not in ("copy", "manifest"):
        raise BackupError(f"objects must be 'copy' or 'manifest', not {objects!r}")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} exists and is not an empty directory; give a new one")
    started = time.monotonic()
    method = await consistency_method(mongo)
    created = not target.exists()
    target.mkdir(parents=True, exist_ok=True)
    try:
        return await _write(mongo, blobs, target, objects, method, started, progress)
    except BaseException:
        # A half-written backup has no manifest and restore would refuse it; leave nothing that looks like one.
        for path in sorted(target.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
        if created:
            target.rmdir()
        raise


async def _write(mongo: Mongo, blobs: MinioBlobStore, target: Path, objects: str, method: Method, started: float,
                 progress: Progress | None) -> dict[str, Any]:
    for _attempt in range(ATTEMPTS):
        names = await _names(mongo)
        indexes = {name: await _index_specs(mongo, name) for name in names}
        entries, at = await _read_snapshot(mongo, method, names, target, progress)
        appeared = sorted(set(await _names(mongo)) - set(names))
        if not appeared:
            break
        for entry in entries:  # a collection was made while reading: read them all again
            (target / entry["file"]).unlink()
    else:
        raise BackupError(f"collections kept appearing while the backup read ({', '.join(appeared)}); "
                          "run it again when no migration is under way")
    for entry in entries:
        entry["indexes"] = indexes[entry["name"]]
    db_seconds = time.monotonic() - started
    items = await _copy_objects(blobs, target, objects, progress)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": {"database": mongo.db.name, "server": method.server, "bucket": blobs.bucket},
        "consistency": {"method": method.name, "at": at,
                        "documents": sum(entry["count"] for entry in entries),
                        "seconds": round(db_seconds, 2)},
        "collections": entries,
        "objects": {"mode": objects, "count": len(items), "bytes": sum(item["size"] for item in items),
                    "items": items},
        "seconds": round(time.monotonic() - started, 2),
    }
    # Written last and renamed into place: a directory with a manifest holds a complete backup.
    partial = target / (MANIFEST + ".partial")
    partial.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    partial.replace(target / MANIFEST)
    return manifest

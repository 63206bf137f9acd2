"""`oa restore`: put a backup made by `oa backup` into an empty database and an empty bucket.

What it promises, in order, and nothing written before each check has passed:
1. the manifest is a backup of a format this version reads, and every file it names has the
   size and SHA-256 it records (one changed byte anywhere refuses the whole backup);
2. the target database holds no document and the bucket no object (with a manifest-only
   backup of the objects, the bucket must instead already hold every object listed, at its size);
3. the documents are inserted in batches exactly as they were stored (raw BSON), then the collections
   and indexes are made by the normal migration (`storage.indexes.apply_indexes`, as `oa migrate`
   does), so a backup of an older version comes back with this version's indexes;
4. every collection is counted again and must hold what the manifest says; then the objects are
   uploaded with their content types and metadata.
A restore cut off half-way leaves a target that is not empty: empty it and run it again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import bson
from bson.raw_bson import RawBSONDocument

from storage.backup import FORMAT, FORMAT_VERSION, MANIFEST, RAW, file_sha256
from storage.blobs import BlobNotFound, MinioBlobStore
from storage.indexes import INDEXES, apply_indexes
from storage.mongo import Mongo

# Documents per insert_many: few round trips, and a bounded amount in memory.
BATCH = 1000
BATCH_BYTES = 8 * 1024 * 1024
# Collections whose expired records a TTL index removes by itself, maybe right after they are restored.
EXPIRING = {index.collection for index in INDEXES if "expireAfterSeconds" in index.options}
Progress = Callable[[str, int, int], None]


class RestoreError(RuntimeError):
    """The restore did not finish as it should; the message says what is wrong."""


class RestoreRefused(RestoreError):
    """The backup is damaged or the target is not empty; nothing was written. The message says which."""


def _inside(directory: Path, name: str) -> Path:
    """The file `name` of the backup, refusing names that would leave its directory."""
    path = (directory / name).resolve()
    if directory.resolve() not in path.parents:
        raise RestoreRefused(f"the manifest names a file outside the backup: {name!r}")
    return path


def read_manifest(directory: Path) -> dict[str, Any]:
    """The backup's manifest, after checking every file it names against its recorded size and SHA-256."""
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        raise RestoreRefused(f"{directory} is not a backup: it has no {MANIFEST} (an unfinished backup has none)")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise RestoreRefused(f"{manifest_path} is damaged: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise RestoreRefused(f"{manifest_path} is not an oa backup manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise RestoreRefused(f"the backup has format version {manifest.get('format_version')}; "
                             f"this version of oa reads version {FORMAT_VERSION}")
    files = [(entry["file"], entry["bytes"], entry["sha256"]) for entry in manifest["collections"]]
    if manifest["objects"]["mode"] == "copy":
        files += [(item["file"], item["size"], item["sha256"]) for item in manifest["objects"]["items"]]
    damaged = []
    for name, size, sha256 in files:
        path = _inside(directory, name)
        if not path.is_file():
            damaged.append(f"{name} is missing")
        elif path.stat().st_size != size:
            damaged.append(f"{name} has {path.stat().st_size} bytes, the manifest says {size}")
        elif file_sha256(path) != sha256:
            damaged.append(f"{name} does not match its SHA-256 in the manifest")
    if damaged:
        raise RestoreRefused(f"the backup in {directory} is damaged; nothing was restored:\n  " + "\n  ".join(damaged))
    return manifest


async def _check_target(mongo: Mongo, blobs: MinioBlobStore, manifest: dict[str, Any]) -> None:
    holding = [name for name in await mongo.db.list_collection_names()
               if not name.startswith("system.") and await mongo.db[name].find_one({}, {"_id": 1}) is not None]
    if holding:
        raise RestoreRefused(f"the database {mongo.db.name} is not empty ({', '.join(sorted(holding)[:5])}"
                             f"{' …' if len(holding) > 5 else ''} hold documents); restore needs an empty one")
    objects = manifest["objects"]
    if objects["mode"] == "copy":
        if not await blobs.is_empty():
            raise RestoreRefused(f"the bucket {blobs.bucket} is not empty; restore needs an empty one")
        return
    # Manifest only: the store keeps its own copies; every listed object must be there already.
    missing = []
    for item in objects["items"]:
        try:
            info = await blobs.stat(item["key"])
        except BlobNotFound:
            missing.append(f"{item['key']} is missing")
            continue
        if info.size != item["size"]:
            missing.append(f"{item['key']} has {info.size} bytes, the backup says {item['size']}")
    if missing:
        raise RestoreRefused(f"the bucket {blobs.bucket} lacks objects the backup lists (it recorded only a "
                             f"manifest of them):\n  " + "\n  ".join(missing[:20]))


def _batches(path: Path) -> Iterator[list[RawBSONDocument]]:
    with open(path, "rb") as source:
        batch: list[RawBSONDocument] = []
        size = 0
        for document in bson.decode_file_iter(source, codec_options=RAW):
            batch.append(document)
            size += len(document.raw)
            if len(batch) == BATCH or size >= BATCH_BYTES:
                yield batch
                batch, size = [], 0
        if batch:
            yield batch


async def restore(mongo: Mongo, blobs: MinioBlobStore, directory: Path, manifest: dict[str, Any] | None = None,
                  progress: Progress | None = None) -> dict[str, Any]:
    """Restore the backup in `directory`; returns {collections: {name: count}, objects, documents}.

    `manifest`: what `read_manifest(directory)` returned, when the caller checked the files before
    even starting the target's servers; otherwise they are checked here first.
    """
    manifest = manifest or read_manifest(directory)
    await _check_target(mongo, blobs, manifest)
    await blobs.ensure_bucket()
    counts: dict[str, int] = {}
    entries = manifest["collections"]
    for number, entry in enumerate(entries, start=1):
        collection = mongo.db.get_collection(entry["name"], codec_options=RAW)
        inserted = 0
        for batch in _batches(_inside(directory, entry["file"])):
            await collection.insert_many(batch, ordered=True)  # all of the batch, or it raises
            inserted += len(batch)
        counts[entry["name"]] = inserted
        if progress:
            progress("数据库", number, len(entries))
    # The migration, as `oa migrate` runs it: this version's collections and indexes. Built over the
    # restored documents rather than kept up by every insert (the demo: 21 s instead of 27 s here), and a
    # unique index still refuses duplicates.
    await apply_indexes(mongo)
    # Counted again in the database; where a TTL index may already have removed expired records, at most.
    wrong = []
    for entry in entries:
        stored = await mongo.db[entry["name"]].count_documents({})
        expiring = entry["name"] in EXPIRING
        if counts[entry["name"]] != entry["count"] or stored > entry["count"] or (stored < entry["count"]
                                                                                  and not expiring):
            wrong.append(f"{entry['name']}: {stored} documents, the backup has {entry['count']}")
    if wrong:
        raise RestoreError("the restored database does not hold what the backup does:\n  " + "\n  ".join(wrong))
    objects = manifest["objects"]
    if objects["mode"] == "copy":
        for number, item in enumerate(objects["items"], start=1):
            await blobs.upload(item["key"], str(_inside(directory, item["file"])), item["content_type"],
                               item["metadata"])
            if progress:
                progress("文件", number, len(objects["items"]))
    return {"collections": counts, "documents": sum(counts.values()), "objects": len(objects["items"]),
            "objects_mode": objects["mode"], "object_bytes": objects["bytes"],
            "source": manifest["source"], "created_at": manifest["created_at"]}

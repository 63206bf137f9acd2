"""Attachment files: streamed in under a size limit, stored once per content hash, handed out by presigned URL.

An upload is spooled to a temporary file while its SHA-256 is computed, so no request holds a
whole file in memory and nothing reaches the object store before the size limit and the type
check have passed. Objects are keyed by their hash: the same file attached twice (to one
document or to fifty) is stored once. A `files` record per hash says whether the object is
live, pinned by an upload in progress, or being deleted; garbage collection removes objects no
document refers to any more, and the pin/deleting states keep it from racing a new upload of
the same bytes.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from oa.clock import utcnow
from oa.documents import DocumentService
from oa.errors import Conflict, NotFound, PayloadTooLarge, Unavailable
from oa.file_types import FileType, sanitize_name, sniff, title_from_name
from storage.blobs import BlobStore
from storage.mongo import SCHEMA_VERSION, DuplicateKeyError, Mongo, ReturnDocument

PIN_TIME = timedelta(hours=1)  # longer than any upload's store-and-attach step
DELETING_WAIT_S = 10.0
INLINE_TYPES = ("application/pdf", "image/png", "image/jpeg")  # what every browser shows itself


@dataclass
class Upload:
    """One file arriving in chunks, spooled to disk and hashed as it comes."""

    limit: int
    spool: IO[bytes]
    size: int = 0
    digest: Any = field(default_factory=hashlib.sha256)

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            self.discard()
            raise PayloadTooLarge(f"the file is larger than the limit of {self.limit // (1024 * 1024)} MB",
                                  limit_bytes=self.limit)
        self.digest.update(chunk)
        self.spool.write(chunk)

    @property
    def sha256(self) -> str:
        return self.digest.hexdigest()

    def discard(self) -> None:
        if not self.spool.closed:
            self.spool.close()  # NamedTemporaryFile(delete=True) removes it


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def object_key(sha256: str) -> str:
    return f"files/sha256/{sha256[:2]}/{sha256}"


class AttachmentService:
    def __init__(self, mongo: Mongo, blobs: BlobStore, documents: DocumentService, limit_bytes: int,
                 spool_dir: Path, url_lifetime: timedelta) -> None:
        self.files = mongo["files"]
        self.blobs = blobs
        self.documents = documents
        self.limit_bytes = limit_bytes
        self.spool_dir = spool_dir
        self.url_lifetime = url_lifetime
        self.remove_dead_spools()

    def remove_dead_spools(self) -> int:
        """Delete the spool files of uploads whose process is gone (killed mid-upload: a clean exit or a
        closed connection deletes its own). Each file names its process, so replicas sharing the directory
        never delete each other's uploads in progress."""
        removed = 0
        for path in self.spool_dir.glob("upload-*-*") if self.spool_dir.is_dir() else []:
            pid = path.name.split("-")[1]
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def begin(self, declared_length: int | None) -> Upload:
        """Start receiving a file; refuses at once if the client already said it is too large."""
        if declared_length is not None and declared_length > self.limit_bytes:
            raise PayloadTooLarge(f"the file ({declared_length} bytes) is larger than the limit of "
                                  f"{self.limit_bytes // (1024 * 1024)} MB", limit_bytes=self.limit_bytes)
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        spool = tempfile.NamedTemporaryFile(dir=self.spool_dir, prefix=f"upload-{os.getpid()}-", delete=True)  # noqa: SIM115
        return Upload(self.limit_bytes, spool)

    async def do_attach_upload(self, doc_id: str, upload: Upload, name: str | None, title: str | None,
                               user: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """Store the uploaded file (once per content) and list it on the draft. Returns (document, attachment)."""
        try:
            upload.spool.flush()
            display_name = sanitize_name(name)
            loop = asyncio.get_running_loop()
            kind: FileType = await loop.run_in_executor(None, sniff, upload.spool, display_name)
            if not name or not name.strip():
                display_name = f"附件{kind.extension}"  # no name sent: at least the right extension
            sha256 = upload.sha256
            await self._pin_and_store(sha256, upload, kind)
        finally:
            upload.discard()
        attachment = {
            "id": f"att-{secrets.token_hex(6)}",
            "title": sanitize_name(title, fallback="") if title else title_from_name(display_name),
            "file": {"sha256": sha256, "name": display_name, "size": upload.size, "content_type": kind.mime,
                     "label": kind.label, "uploaded_by": user["_id"], "uploaded_at": utcnow()},
        }
        try:
            document = await self.documents.do_attach(doc_id, None, attachment, user)
        finally:
            await self.files.update_one({"_id": sha256}, {"$set": {"pinned_until": utcnow()}})
            await self.collect(sha256)  # only removes it if the attach failed and nobody else uses it
        return document, attachment

    async def _pin_and_store(self, sha256: str, upload: Upload, kind: FileType) -> None:
        deadline = asyncio.get_running_loop().time() + DELETING_WAIT_S
        while True:
            try:
                before = await self.files.find_one_and_update(
                    {"_id": sha256, "state": {"$ne": "deleting"}},
                    {"$set": {"pinned_until": utcnow() + PIN_TIME},
                     "$setOnInsert": {"state": "live", "size": upload.size, "content_type": kind.mime,
                                      "key": object_key(sha256), "created_at": utcnow(),
                                      "schema_version": SCHEMA_VERSION}},
                    upsert=True, return_document=ReturnDocument.BEFORE)
                break
            except DuplicateKeyError:  # being deleted right now: wait until it is gone
                if asyncio.get_running_loop().time() > deadline:
                    raise Unavailable("the file store is busy removing this file; try again") from None
                await asyncio.sleep(0.05)
        if before is None or not await self.blobs.exists(object_key(sha256)):
            await self.blobs.put_file(object_key(sha256), upload.spool.name, content_type=kind.mime)

    async def do_remove(self, doc_id: str, attachment_id: str, version: int | None,
                        user: dict[str, Any]) -> dict[str, Any]:
        document, removed = await self.documents.do_detach(doc_id, attachment_id, version, user)
        if removed.get("file"):
            await self.collect(removed["file"]["sha256"])
        return document

    async def download(self, document: dict[str, Any], attachment_id: str, inline: bool = False) -> dict[str, Any]:
        """A short-lived URL for one attachment's file (the caller has checked the reader's permission). With
        `inline`, a PDF or a PNG or JPEG image opens in the browser (a scan read on a phone) instead of being
        saved; anything else is still saved."""
        item = next((a for a in document["content"]["attachments"] if a["id"] == attachment_id), None)
        if item is None:
            raise NotFound(f"attachment {attachment_id} not found on document {document['_id']}")
        if not item.get("file"):
            raise Conflict("this attachment is listed by title only (paper); there is no file", code="no_file")
        file = item["file"]
        shown = inline and file["content_type"] in INLINE_TYPES
        url = await self.blobs.presigned_get_url(object_key(file["sha256"]), expires=self.url_lifetime,
                                                 download_name=file["name"], content_type=file["content_type"],
                                                 inline=shown)
        return {"url": url, "expires_at": utcnow() + self.url_lifetime, "name": file["name"],
                "size": file["size"], "content_type": file["content_type"], "sha256": file["sha256"]}

    async def referenced(self, sha256: str) -> bool:
        return await self.documents.documents.find_one({"content.attachments.file.sha256": sha256},
                                                       {"_id": 1}) is not None

    async def collect(self, sha256: str, now: datetime | None = None) -> bool:
        """Delete the stored file if no document refers to it and no upload holds it. True if deleted."""
        if await self.referenced(sha256):
            return False
        claimed = await self.files.find_one_and_update(
            {"_id": sha256, "state": "live", "pinned_until": {"$lt": now or utcnow()}},
            {"$set": {"state": "deleting"}})
        if claimed is None:
            return False
        if await self.referenced(sha256):  # attached between the first look and the claim
            await self.files.update_one({"_id": sha256}, {"$set": {"state": "live"}})
            return False
        await self.blobs.delete(claimed["key"])
        await self.files.delete_one({"_id": sha256, "state": "deleting"})
        return True

    async def collect_garbage(self, now: datetime | None = None) -> int:
        """Sweep every stored file; returns how many unreferenced ones were removed."""
        removed = 0
        async for record in self.files.find({"state": {"$in": ["live", "deleting"]}}, {"_id": 1, "state": 1}):
            if record["state"] == "deleting":  # a collector died mid-way: finish its work
                await self.files.update_one({"_id": record["_id"]}, {"$set": {"state": "live"}})
            removed += await self.collect(record["_id"], now=now)
        return removed

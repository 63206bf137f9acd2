"""The object store for attachments and rendered files: a `BlobStore` protocol and its MinIO/S3 implementation.

The `minio` SDK is blocking, so every call runs in a thread pool and never stalls the
event loop. File bytes for downloads bypass the service: callers hand out presigned URLs.
"""

from __future__ import annotations

import asyncio
import functools
import io
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar
from urllib.parse import SplitResult, quote, urlsplit, urlunsplit

import urllib3
from minio import Minio
from minio.commonconfig import COMPLIANCE, GOVERNANCE
from minio.error import S3Error
from minio.retention import Retention

from storage import failures

# Answers that are not failures of the store: the object (or bucket, before it is made) is not there.
EXPECTED_ANSWERS = ("NoSuchKey", "NoSuchObject", "NoSuchBucket")
T = TypeVar("T")

# S3 multipart parts must be at least 5 MiB; 8 MiB keeps memory per upload small.
PART_SIZE = 8 * 1024 * 1024


class BlobNotFound(Exception):
    """The object does not exist."""


@dataclass(frozen=True)
class BlobInfo:
    key: str
    size: int
    content_type: str
    etag: str
    last_modified: datetime | None


class BlobStore(Protocol):
    async def put(self, key: str, chunks: AsyncIterator[bytes], content_type: str = ...) -> BlobInfo: ...
    async def put_bytes(self, key: str, data: bytes, content_type: str = ...) -> BlobInfo: ...
    async def get(self, key: str) -> bytes: ...
    async def stat(self, key: str) -> BlobInfo: ...
    async def delete(self, key: str) -> None: ...
    async def presigned_get_url(self, key: str, expires: timedelta = ..., download_name: str | None = ...,
                                content_type: str | None = ..., inline: bool = ...) -> str: ...
    async def ping(self) -> None: ...


class _ChunkReader(io.RawIOBase):
    """A blocking file-like view over an async chunk iterator, read from a worker thread.

    It lets `Minio.put_object` stream a multipart upload while the chunks are produced
    on the event loop, holding at most one part in memory.
    """

    def __init__(self, chunks: AsyncIterator[bytes], loop: asyncio.AbstractEventLoop) -> None:
        self._chunks = chunks
        self._loop = loop
        self._buffer = b""
        self._done = False

    def readable(self) -> bool:
        return True

    def _next_chunk(self) -> bytes | None:
        future = asyncio.run_coroutine_threadsafe(_anext_or_none(self._chunks), self._loop)
        return future.result()

    def read(self, size: int = -1) -> bytes:
        while not self._done and (size < 0 or len(self._buffer) < size):
            chunk = self._next_chunk()
            if chunk is None:
                self._done = True
            else:
                self._buffer += chunk
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


async def _anext_or_none(chunks: AsyncIterator[bytes]) -> bytes | None:
    try:
        return await chunks.__anext__()
    except StopAsyncIteration:
        return None


class MinioBlobStore:
    """BlobStore over any S3 API: a MinIO cluster in production, the JuiceFS gateway locally."""

    def __init__(self, endpoint: str, access_key: str, secret_key: str, bucket: str,
                 secure: bool = False, region: str = "us-east-1", public_url: str | None = None) -> None:
        """`public_url` (e.g. https://files.oa.example.cn, or https://oa.example.cn/files): where phones
        reach the store, if not at `endpoint`. Download links are signed for that host; a path prefix
        is put in front of the signed path, for a proxy that strips it and keeps the Host header."""
        netloc = urlsplit(endpoint).netloc if "://" in endpoint else endpoint
        # Short timeouts and few retries so a dead store is reported quickly, not after minutes.
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=5, read=60),
            retries=urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
            maxsize=16,
        )
        # Its own threads: a hung store must not starve the default pool (where password hashing runs).
        self._executor = ThreadPoolExecutor(max_workers=16, thread_name_prefix="minio")
        self._client = Minio(netloc, access_key=access_key, secret_key=secret_key,
                             secure=secure, region=region, http_client=http)
        self._signer = self._client
        self._public_prefix = ""
        if public_url:
            public = parse_public_url(public_url)
            # Signing is local arithmetic (the region is given), so this client never connects.
            self._signer = Minio(public.netloc, access_key=access_key, secret_key=secret_key,
                                 secure=public.scheme == "https", region=region)
            self._public_prefix = public.path.rstrip("/")
        self.bucket = bucket

    async def _run(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, functools.partial(func, *args, **kwargs))
        except S3Error as exc:
            if exc.code not in EXPECTED_ANSWERS:
                failures.count_s3_error(getattr(func, "__name__", "call"))
            raise
        except Exception:  # the store unreachable, a timeout, a broken connection
            failures.count_s3_error(getattr(func, "__name__", "call"))
            raise

    async def ensure_bucket(self) -> None:
        if not await self._run(self._client.bucket_exists, self.bucket):
            try:
                await self._run(self._client.make_bucket, self.bucket)
            except S3Error as exc:  # another replica created it first
                if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise

    async def ping(self) -> None:
        await self._run(self._client.bucket_exists, self.bucket)

    async def put(self, key: str, chunks: AsyncIterator[bytes],
                  content_type: str = "application/octet-stream") -> BlobInfo:
        reader = _ChunkReader(chunks, asyncio.get_running_loop())
        await self._run(self._client.put_object, self.bucket, key, reader, -1,
                        content_type=content_type, part_size=PART_SIZE)
        return await self.stat(key)

    async def put_bytes(self, key: str, data: bytes,
                        content_type: str = "application/octet-stream") -> BlobInfo:
        await self._run(self._client.put_object, self.bucket, key, io.BytesIO(data), len(data),
                        content_type=content_type)
        return await self.stat(key)

    async def put_file(self, key: str, path: str, content_type: str = "application/octet-stream") -> BlobInfo:
        """Upload a local file, in parts if it is large."""
        await self._run(self._client.fput_object, self.bucket, key, path, content_type=content_type,
                        part_size=PART_SIZE)
        return await self.stat(key)

    async def exists(self, key: str) -> bool:
        try:
            await self.stat(key)
        except BlobNotFound:
            return False
        return True

    async def get(self, key: str) -> bytes:
        def read() -> bytes:
            response = self._client.get_object(self.bucket, key)
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()
        try:
            return await self._run(read)
        except S3Error as exc:
            raise _translate(exc, key) from exc

    async def stat(self, key: str) -> BlobInfo:
        try:
            obj = await self._run(self._client.stat_object, self.bucket, key)
        except S3Error as exc:
            raise _translate(exc, key) from exc
        return BlobInfo(key=key, size=obj.size or 0, content_type=obj.content_type or "",
                        etag=obj.etag or "", last_modified=obj.last_modified)

    async def delete(self, key: str) -> None:
        await self._run(self._client.remove_object, self.bucket, key)

    async def keys(self) -> list[str]:
        """Every object's key in the bucket, in key order (for backups; a bucket of attachments is listed whole)."""
        def listing() -> list[str]:
            if not self._client.bucket_exists(self.bucket):  # nothing was ever stored
                return []
            return [obj.object_name for obj in self._client.list_objects(self.bucket, recursive=True)
                    if obj.object_name and not obj.is_dir]
        return await self._run(listing)

    async def is_empty(self) -> bool:
        """True if the bucket holds no object (or does not exist yet)."""
        def first() -> bool:
            if not self._client.bucket_exists(self.bucket):
                return True
            return next(iter(self._client.list_objects(self.bucket, recursive=True)), None) is None
        return await self._run(first)

    async def user_metadata(self, key: str) -> tuple[BlobInfo, dict[str, str]]:
        """The object's info and its user metadata (the x-amz-meta-* headers, without the prefix)."""
        try:
            obj = await self._run(self._client.stat_object, self.bucket, key)
        except S3Error as exc:
            raise _translate(exc, key) from exc
        prefix = "x-amz-meta-"
        metadata = {name[len(prefix):].lower(): value for name, value in (obj.metadata or {}).items()
                    if name.lower().startswith(prefix)}
        info = BlobInfo(key=key, size=obj.size or 0, content_type=obj.content_type or "",
                        etag=obj.etag or "", last_modified=obj.last_modified)
        return info, metadata

    async def download(self, key: str, path: str) -> None:
        """Write the object's bytes to a local file (streamed, never whole in memory)."""
        try:
            await self._run(self._client.fget_object, self.bucket, key, path)
        except S3Error as exc:
            raise _translate(exc, key) from exc

    async def upload(self, key: str, path: str, content_type: str, metadata: dict[str, str]) -> None:
        """Upload a local file with its content type and user metadata (restores)."""
        await self._run(self._client.fput_object, self.bucket, key, path, content_type=content_type,
                        metadata=dict(metadata) or None, part_size=PART_SIZE)

    async def ensure_locked_bucket(self) -> bool:
        """Make the bucket with S3 object lock where the store supports it; True when objects put in it can be
        retained (MinIO with a locked bucket), False when they cannot (the JuiceFS gateway, a bucket made
        without lock): callers say so rather than pretend."""
        if not await self._run(self._client.bucket_exists, self.bucket):
            try:
                await self._run(self._client.make_bucket, self.bucket, None, True)
            except S3Error as exc:
                if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    await self.ensure_bucket()  # a store without object lock: a plain bucket
        try:
            config = await self._run(self._client.get_object_lock_config, self.bucket)
        except Exception:  # "not supported" takes several forms across S3 implementations
            return False
        return config is not None

    async def put_retained(self, key: str, data: bytes, until: datetime | None, mode: str = "COMPLIANCE",
                           content_type: str = "application/json") -> None:
        """Put an object, under retention until `until` in `mode` (COMPLIANCE or GOVERNANCE) when given."""
        retention = Retention(COMPLIANCE if mode == "COMPLIANCE" else GOVERNANCE, until) if until else None
        await self._run(self._client.put_object, self.bucket, key, io.BytesIO(data), len(data),
                        content_type=content_type, retention=retention)

    async def keys_under(self, prefix: str) -> list[str]:
        """Every object name under `prefix`, sorted."""
        def names() -> list[str]:
            listed = self._client.list_objects(self.bucket, prefix, recursive=True)
            return sorted(str(obj.object_name) for obj in listed)
        try:
            return await self._run(names)
        except S3Error as exc:
            if exc.code == "NoSuchBucket":
                return []
            raise

    async def presigned_get_url(self, key: str, expires: timedelta = timedelta(minutes=5),
                                download_name: str | None = None, content_type: str | None = None,
                                inline: bool = False) -> str:
        """A URL that lets its holder GET the object until it expires, without credentials.

        `download_name` and `content_type` become the response's Content-Disposition and
        Content-Type, so the browser saves the file under its display name, or with `inline`
        shows it (a PDF or an image) under that name.
        """
        headers: dict[str, str] = {}
        if download_name:
            disposition = "inline" if inline else "attachment"
            headers["response-content-disposition"] = f"{disposition}; filename*=UTF-8''{quote(download_name)}"
        if content_type:
            headers["response-content-type"] = content_type
        url = await self._run(self._signer.presigned_get_object, self.bucket, key, expires=expires,
                              response_headers=headers or None)
        return with_prefix(url, self._public_prefix)


def parse_public_url(public_url: str) -> SplitResult:
    """The public address of the store: http(s), a host, at most a path prefix (no query or fragment)."""
    public = urlsplit(public_url)
    if public.scheme not in ("http", "https") or not public.netloc or public.query or public.fragment:
        raise ValueError(f"the store's public URL must be http(s)://host[:port][/prefix] (got {public_url!r})")
    return public


def with_prefix(url: str, prefix: str) -> str:
    """The signed URL with `prefix` before its path. The signature covers the path the store sees
    (/bucket/key), which is what the proxy forwards once it has stripped the prefix."""
    if not prefix:
        return url
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, prefix + parts.path, parts.query, parts.fragment))


def _translate(exc: S3Error, key: str) -> Exception:
    if exc.code in EXPECTED_ANSWERS:
        return BlobNotFound(key)
    return exc

"""The S3 blob store against the real gateway: a 20 MB streamed round trip and a presigned URL over HTTP."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from tornado.httpclient import AsyncHTTPClient

from storage.blobs import BlobNotFound, MinioBlobStore
from web.services import Endpoints, Services

SIZE = 20 * 1024 * 1024


async def chunks_of(data: bytes, size: int = 1024 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]


async def test_streamed_20mb_round_trip_and_presigned_url(services: Services) -> None:
    blobs = services.blobs
    data = os.urandom(SIZE)
    key = "tests/" + hashlib.sha256(data).hexdigest()
    info = await blobs.put(key, chunks_of(data), content_type="application/pdf")
    assert info.size == SIZE
    stat = await blobs.stat(key)
    assert stat.size == SIZE and stat.content_type == "application/pdf"
    assert hashlib.sha256(await blobs.get(key)).digest() == hashlib.sha256(data).digest()

    url = await blobs.presigned_get_url(key, expires=timedelta(minutes=1))
    response = await AsyncHTTPClient().fetch(url, request_timeout=120)
    assert response.code == 200
    assert hashlib.sha256(response.body).digest() == hashlib.sha256(data).digest()

    # A tampered signature is refused by the store itself.
    tampered = await AsyncHTTPClient().fetch(url[:-4] + "0000", raise_error=False)
    assert tampered.code == 403

    await blobs.delete(key)
    with pytest.raises(BlobNotFound):
        await blobs.stat(key)
    with pytest.raises(BlobNotFound):
        await blobs.get(key)


async def test_small_put_bytes(services: Services) -> None:
    info = await services.blobs.put_bytes("tests/hello.txt", "你好".encode(), content_type="text/plain")
    assert info.size == 6
    assert (await services.blobs.get("tests/hello.txt")).decode() == "你好"


async def test_download_links_are_signed_for_the_public_address(services: Services, endpoints: Endpoints) -> None:
    """Behind a proxy at files.oa.example:8443 (which keeps the Host header), a link works as signed."""
    public = MinioBlobStore(endpoints.s3_endpoint, endpoints.s3_access_key, endpoints.s3_secret_key,
                            services.settings.s3_bucket, public_url="http://files.oa.example:8443")
    await services.blobs.put_bytes("tests/public.txt", b"scan", content_type="text/plain")
    url = await public.presigned_get_url("tests/public.txt", expires=timedelta(minutes=1))
    parts = urlsplit(url)
    assert parts.netloc == "files.oa.example:8443" and "X-Amz-Signature=" in parts.query
    # What the proxy does: forward to the store with the public Host header.
    through_proxy = await AsyncHTTPClient().fetch(f"http://{endpoints.s3_endpoint}{parts.path}?{parts.query}",
                                                  headers={"Host": parts.netloc}, raise_error=False)
    assert through_proxy.code == 200 and through_proxy.body == b"scan"
    # The same link presented with the internal Host does not verify: it really is signed for the public one.
    direct = await AsyncHTTPClient().fetch(f"http://{endpoints.s3_endpoint}{parts.path}?{parts.query}",
                                           raise_error=False)
    assert direct.code == 403

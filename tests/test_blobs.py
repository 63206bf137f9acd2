"""The S3 blob store against the real gateway: a 20 MB streamed round trip and presigned URLs over HTTP,
also through a reverse proxy that serves the store under a path prefix of the public address."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import tornado.httpserver
import tornado.web
from tornado.httpclient import AsyncHTTPClient
from tornado.testing import bind_unused_port

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


class FilesProxy(tornado.web.RequestHandler):
    """What the /files Ingress does: strip the prefix, keep the Host header, forward to the store."""

    async def get(self) -> None:
        store = self.settings["store"]
        upstream = self.request.uri[len("/files"):]  # raw, still percent-encoded as signed
        answer = await AsyncHTTPClient().fetch(f"http://{store}{upstream}", headers={"Host": self.request.host},
                                               raise_error=False)
        self.set_status(answer.code)
        for name in ("Content-Type", "Content-Disposition", "Content-Length"):
            if name in answer.headers:
                self.set_header(name, answer.headers[name])
        self.finish(answer.body)


async def test_download_links_work_through_a_proxy_under_a_path_prefix(services: Services,
                                                                       endpoints: Endpoints) -> None:
    """OA_S3_PUBLIC_URL=http://host:port/files: the link carries the prefix, the proxy strips it, the store
    verifies the signature for the public host, and a plain HTTP client gets the bytes under the file's name."""
    sock, port = bind_unused_port()
    server = tornado.httpserver.HTTPServer(tornado.web.Application([(r"/files/.*", FilesProxy)],
                                                                   store=endpoints.s3_endpoint))
    server.add_sockets([sock])
    try:
        public = MinioBlobStore(endpoints.s3_endpoint, endpoints.s3_access_key, endpoints.s3_secret_key,
                                services.settings.s3_bucket, public_url=f"http://127.0.0.1:{port}/files/")
        await services.blobs.put_bytes("tests/prefixed.pdf", b"%PDF-1.7 scan", content_type="application/pdf")
        url = await public.presigned_get_url("tests/prefixed.pdf", expires=timedelta(minutes=1),
                                             download_name="关于防汛工作的通知.pdf", content_type="application/pdf")
        parts = urlsplit(url)
        assert parts.netloc == f"127.0.0.1:{port}"
        assert parts.path == f"/files/{services.settings.s3_bucket}/tests/prefixed.pdf"

        fetched = await AsyncHTTPClient().fetch(url, raise_error=False)
        assert fetched.code == 200, fetched.body[:300]
        assert fetched.body == b"%PDF-1.7 scan"
        assert "filename*=UTF-8''" in fetched.headers["Content-Disposition"]

        # A tampered link (another object under the same signature, or a changed signature) is refused.
        other = url.replace("prefixed.pdf", "hello.txt")
        assert (await AsyncHTTPClient().fetch(other, raise_error=False)).code == 403
        assert (await AsyncHTTPClient().fetch(url[:-4] + "0000", raise_error=False)).code == 403
    finally:
        server.stop()


def test_a_public_url_with_a_query_is_refused() -> None:
    with pytest.raises(ValueError, match="public URL"):
        MinioBlobStore("127.0.0.1:9", "k", "s", "b", public_url="https://oa.example.cn/files?x=1")

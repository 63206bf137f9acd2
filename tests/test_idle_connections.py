"""Connections the database dropped while idle are never handed to a request: a burst of requests after a quiet
spell longer than the server's idle timeout finds fresh connections (the driver closes its own idle ones first;
PyMongo's async pool does not notice a connection the server closed), and a request that does meet an
unreachable database is answered 503 `database_unavailable`, not 500."""

from __future__ import annotations

import asyncio
from pathlib import Path

import tornado.httpserver
import tornado.web
from pymongo.errors import AutoReconnect
from secantus.server import SecantusDBServer

from storage import failures
from storage.local import free_port
from storage.mongo import Mongo, PyMongoError
from tests.client import ApiClient
from web.authz import public
from web.base import APIHandler


async def burst(mongo: Mongo, size: int) -> tuple[int, int]:
    """`size` reads at once (as many pooled connections): (how many failed, how many commands failed on the
    way, the driver's own retries included)."""
    async def one() -> bool:
        try:
            await mongo["things"].find_one({})
            return True
        except PyMongoError:
            return False

    before = sum(failures.mongo_failures().values())
    failed = sum(not ok for ok in await asyncio.gather(*(one() for _ in range(size))))
    return failed, sum(failures.mongo_failures().values()) - before


async def test_a_burst_after_the_servers_idle_timeout_finds_fresh_connections(tmp_path: Path) -> None:
    port = free_port()
    server = SecantusDBServer(host="127.0.0.1", port=port, storage_path=str(tmp_path / "db"),
                              client_idle_timeout_s=1.0)
    server.start()
    uri = f"mongodb://127.0.0.1:{port}/?directConnection=true"
    kept, plain = await Mongo.connect(uri, "oa", max_idle_ms=500), await Mongo.connect(uri, "oa", max_idle_ms=None)
    try:
        assert await burst(kept, 50) == (0, 0) and await burst(plain, 50) == (0, 0)  # both pools hold connections
        await asyncio.sleep(2.5)  # the server drops every one of them
        assert await burst(kept, 50) == (0, 0)
        # Without the client's own limit the driver hands out the dropped connections: their commands fail
        # (the driver's one retry hides some of it from the caller, not all of it under a burst).
        assert (await burst(plain, 50))[1] > 0
    finally:
        await kept.client.close()
        await plain.client.close()
        server.stop()


class LostDatabase(APIHandler):
    @public
    async def get(self) -> None:
        raise AutoReconnect("127.0.0.1:27017: connection closed")  # what the driver raises when it is cut off


async def test_an_unreachable_database_is_a_503_to_retry() -> None:
    port = free_port()
    server = tornado.httpserver.HTTPServer(tornado.web.Application([(r"/api/lost", LostDatabase)]))
    server.listen(port, "127.0.0.1")
    try:
        answer = await ApiClient(f"http://127.0.0.1:{port}").get("/api/lost")
    finally:
        server.stop()
    assert answer.status == 503, answer
    assert answer.body["code"] == "database_unavailable" and answer.headers.get("Retry-After") == "1"

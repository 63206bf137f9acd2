"""Test fixtures: the real embedded servers once per session, a fresh database and a real HTTP app per test.

Nothing here mocks our storage: secantusd-py and the JuiceFS S3 gateway run as child
processes on free ports, and tests talk to the Tornado app over real HTTP.
"""

from __future__ import annotations

import os

# Before anything imports oa.passwords (see TEST_HASHING_VARIABLE there); `oa` subprocesses inherit it.
os.environ["OA_INSECURE_FAST_PASSWORD_HASHING_FOR_TESTS"] = "1"

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import tornado.httpserver
from playwright.async_api import Browser, async_playwright, expect

from oa.demo_setup import DEFAULT_DEMO_PASSWORD, load_demo
from storage.local import EmbeddedMongo, EmbeddedS3, free_port
from tests.browser import launch
from tests.client import ApiClient
from web.app import make_app
from web.config import Settings
from web.services import Endpoints, Services

DEMO_DB = "oa_demo_session"
# A page waits for what a person would wait for; on 2 busy cores a login with pushes can take seconds.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def servers_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("servers")


@pytest.fixture(scope="session")
def endpoints(servers_dir: Path) -> Iterator[Endpoints]:
    mongo, s3 = EmbeddedMongo(servers_dir), EmbeddedS3(servers_dir)
    mongo.start()
    try:
        s3.start()
        try:
            yield Endpoints(mongo.uri, s3.endpoint, s3.credentials.access_key, s3.credentials.secret_key, False)
        finally:
            s3.stop()
    finally:
        mongo.stop()


def make_settings(tmp_path: Path, db_name: str, **changes: object) -> Settings:
    # Web Push goes to the tests' own push services on this machine, besides the public ones.
    changes.setdefault("webpush_hosts", Settings.webpush_hosts + ",127.0.0.1")
    return Settings(data_dir=tmp_path, mongodb_db=db_name, s3_bucket="oa-test", **changes)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, "t_" + uuid.uuid4().hex[:12])


@pytest.fixture
async def services(settings: Settings, endpoints: Endpoints) -> AsyncIterator[Services]:
    opened = await Services.open(settings, endpoints)
    try:
        yield opened
    finally:
        await opened.notifications.stop()  # nor notifications being written to it
        await opened.events.stop()  # no change stream open on a database being dropped
        await opened.mongo.client.drop_database(settings.mongodb_db)
        await opened.close()


@pytest.fixture
async def replica(services: Services, endpoints: Endpoints) -> AsyncIterator[Services]:
    """A second service instance on the same database, as a second `oa serve` replica would be
    (its own directory, caches and change stream)."""
    other = await Services.open(services.settings, endpoints)
    try:
        yield other
    finally:
        await other.close()


async def start_app(services: Services) -> tuple[tornado.httpserver.HTTPServer, str]:
    port = free_port()
    server = tornado.httpserver.HTTPServer(make_app(services))
    server.listen(port, "127.0.0.1")
    return server, f"http://127.0.0.1:{port}"


@pytest.fixture
async def api(services: Services) -> AsyncIterator[ApiClient]:
    """A real HTTP server on a free port over a fresh, empty database."""
    server, base_url = await start_app(services)
    try:
        yield ApiClient(base_url)
    finally:
        server.stop()


@pytest.fixture(scope="session")
async def demo_services(endpoints: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Services]:
    """One database holding the full demo hierarchy, loaded once; tests must only read it."""
    data_dir = tmp_path_factory.mktemp("demo")
    opened = await Services.open(make_settings(data_dir, DEMO_DB), endpoints)
    await load_demo(opened.mongo, data_dir, DEFAULT_DEMO_PASSWORD)
    await opened.directory.load(opened.mongo)  # the demo was written in bulk, not through it
    try:
        yield opened
    finally:
        # No drop: the embedded server and its data die with the session. Dropping a large
        # database while the event hub's change stream is open hung SecantusDB for 60 s.
        await opened.events.stop()
        await opened.close()


@pytest.fixture(scope="session")
async def demo_api(demo_services: Services) -> AsyncIterator[ApiClient]:
    server, base_url = await start_app(demo_services)
    try:
        yield ApiClient(base_url)
    finally:
        server.stop()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """One headless Chromium for every browser test (each test opens its own contexts)."""
    async with async_playwright() as playwright:
        launched = await launch(playwright)
        try:
            yield launched
        finally:
            await launched.close()

"""Two `oa serve` processes on one database: a push reaches its user whichever process they are on.

The user watches /ws on process A while the flow moves through HTTP calls to process B; the
event crosses over only through the database's change stream.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.local import free_port
from tests.client import ApiClient
from tests.flow_org import build_office
from tests.test_serve import output_of, wait_healthy
from tests.ws_client import Push
from web.config import Settings
from web.services import Endpoints, Services

START_LIMIT_S = 60


def start_server(endpoints: Endpoints, settings: Settings, data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "OA_DATA_DIR": str(data_dir), "OA_PORT": str(port),
           "OA_MONGODB_URI": endpoints.mongodb_uri, "OA_MONGODB_DB": settings.mongodb_db,
           "OA_S3_ENDPOINT": endpoints.s3_endpoint, "OA_S3_ACCESS_KEY": endpoints.s3_access_key,
           "OA_S3_SECRET_KEY": endpoints.s3_secret_key, "OA_S3_BUCKET": settings.s3_bucket}
    log = open(data_dir / "serve.log", "a+")  # noqa: SIM115 - closed in the fixture
    process = subprocess.Popen([sys.executable, "-m", "web.cli", "serve"], env=env, stdout=log,
                               stderr=subprocess.STDOUT, text=True, cwd=Path(__file__).parent.parent)
    process.log = log  # type: ignore[attr-defined]
    return process, f"http://127.0.0.1:{port}"


@pytest.fixture
def two_servers(endpoints: Endpoints, settings: Settings, tmp_path: Path) -> Iterator[list[str]]:
    started = [start_server(endpoints, settings, tmp_path / name) for name in ("a", "b")]
    try:
        for process, base in started:
            wait_healthy(base, process, START_LIMIT_S)
        yield [base for _, base in started]
    finally:
        for process, _ in started:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
            if process.returncode not in (0, -15):
                print(output_of(process))
            process.log.close()  # type: ignore[attr-defined]


async def test_a_push_crosses_server_processes(services: Services, api: ApiClient, two_servers: list[str]) -> None:
    office = await build_office(services, api)
    server_a, server_b = ApiClient(two_servers[0]), ApiClient(two_servers[1])
    watching = await Push.connect(server_a.base_url, office.tokens["head"])
    document = await office.draft()
    started = await server_b.post("/api/instances", {"flow": "fawen", "document_id": document["id"]},
                                  token=office.tokens["drafter"])
    assert started.status == 201, started
    review = (await server_b.get("/api/tasks", token=office.tokens["office"])).body["items"][0]
    acted_at = time.monotonic()
    approved = await server_b.post(f"/api/tasks/{review['id']}/approve", {"opinion": "同意"},
                                   token=office.tokens["office"])
    assert approved.status == 200, approved
    event = await watching.next_of("task.created", timeout=10)
    print(f"push crossed processes {1000 * (time.monotonic() - acted_at):.0f} ms after the approval returned")
    assert event["data"]["node_name"] == "签发" and event["data"]["instance_id"] == started.body["id"]
    seen = watching.last_id
    watching.close()

    # Offline meanwhile: the drafter urges through B; reconnecting to A delivers it, once.
    urged = await server_b.post(f"/api/instances/{started.body['id']}/urge", {"message": "请尽快签发"},
                                token=office.tokens["drafter"])
    assert urged.status == 200, urged
    back = await Push.connect(server_a.base_url, office.tokens["head"], last_id=seen)
    missed = await back.next()
    assert missed["type"] == "task.urged" and missed["id"] == seen + 1
    assert missed["data"]["message"] == "请尽快签发"
    assert await back.nothing_within(0.5)
    back.close()
    # And the same user on B at the same time gets the same events.
    on_b = await Push.connect(server_b.base_url, office.tokens["head"], last_id=0)
    replayed = [await on_b.next() for _ in range(missed["id"])]
    assert [event["id"] for event in replayed] == list(range(1, missed["id"] + 1))
    on_b.close()

"""GET /api/health: ok with both stores answering, 503 naming the one that is down."""

from __future__ import annotations

from storage.blobs import MinioBlobStore
from storage.local import free_port
from tests.client import ApiClient
from web.services import Services


async def test_health_ok(api: ApiClient) -> None:
    response = await api.get("/api/health")
    assert response.status == 200
    assert response.body == {"status": "ok", "mongodb": "ok", "s3": "ok"}


async def test_health_names_s3_when_it_is_down(services: Services, api: ApiClient) -> None:
    dead = MinioBlobStore(f"127.0.0.1:{free_port()}", "x", "y", "oa-test")
    services.blobs = dead
    response = await api.get("/api/health")
    assert response.status == 503
    assert response.body["status"] == "down"
    assert response.body["s3"] == "down" and response.body["mongodb"] == "ok"
    assert "s3" in response.body["message"]

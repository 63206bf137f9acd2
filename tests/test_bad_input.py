"""Bad input gets a JSON 4xx naming the problem, never a 500: one test per cause a fuzzer found.

tests/test_fuzz.py throws malformed requests at every route; these tests pin each root cause down.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from tests.client import ApiClient, Response
from tests.conftest import make_settings, start_app
from tests.factories import PASSWORD, small_org
from web.services import Endpoints, Services


def refused(response: Response, status: int = 400, code: str | None = None) -> dict[str, Any]:
    assert response.status == status, response
    assert isinstance(response.body, dict) and response.body.get("code"), response
    if code is not None:
        assert response.body["code"] == code, response
    return response.body


@pytest.fixture
async def admin(services: Services, api: ApiClient) -> str:
    await small_org(services)
    return await api.login("sysadmin", PASSWORD)


async def test_a_lone_surrogate_is_refused_wherever_it_comes(services: Services, api: ApiClient) -> None:
    await small_org(services)
    # Without a session: the login throttle would otherwise store it, and the access log print it.
    login = await api.request("POST", "/api/login", raw=b'{"username": "\\ud800", "password": "x"}')
    assert "username" in refused(login, code="invalid_text")["message"]
    token = await api.login("sysadmin", PASSWORD)
    nested = await api.request("POST", "/api/units", token=token, raw=(
        b'{"id": "u1", "name": "n", "type": "\\u653f\\u5e9c", "level": "town", "parent_id": "city",'
        b' "flags": ["ok", "\\udfff"]}'))
    assert refused(nested, code="invalid_text")["field"] == "flags[1]"
    key = await api.request("POST", "/api/recipients/resolve", token=token, raw=b'{"selectors": [{"\\ud83d": 1}]}')
    refused(key, code="invalid_text")
    # A paired surrogate is an ordinary character (an emoji) and passes the check.
    paired = await api.request("POST", "/api/login", raw=b'{"username": "\\ud83d\\ude00", "password": "x"}')
    assert paired.status == 401
    # Query and path arguments arrive as bytes: a surrogate encoded in UTF-8 is not UTF-8.
    query = await api.get("/api/units?q=%ED%A0%80", token=token)
    assert refused(query, code="invalid_text")["field"] == "q"
    path = await api.get("/api/users/%ED%A0%80", token=token)
    assert path.status in (400, 404) and path.body["code"]


async def test_query_dates_at_the_limits_are_refused(api: ApiClient, admin: str) -> None:
    for query in ("from=0001-01-01", "to=9999-12-31", "from=1948-12-31", "to=3000-01-01"):
        documents = await api.get(f"/api/documents?{query}", token=admin)
        assert "1949–2999" in refused(documents)["message"]
        stats = await api.get(f"/api/exchange/stats?unit_id=city&{query}", token=admin)
        assert refused(stats)["field"] == query.split("=")[0]
    for bad in ("2026-13-01", "20260101", "2026-1-1", "昨天"):
        refused(await api.get(f"/api/documents?from={bad}", token=admin))
    assert (await api.get("/api/documents?from=1949-01-01&to=2999-12-31", token=admin)).status == 200
    stats = await api.get("/api/exchange/stats?unit_id=city&from=1949-01-01&to=2999-12-31", token=admin)
    assert stats.status == 200 and stats.body["to"] == "2999-12-31"


async def test_unit_flags_must_be_text(api: ApiClient, admin: str) -> None:
    for flags in ([["vertical"]], [{"vertical": True}], [1], "vertical"):
        created = await api.post("/api/units", {"id": "u1", "name": "新单位", "type": "部门", "level": "county",
                                                "parent_id": "county-a", "flags": flags}, token=admin)
        assert "flags" in refused(created)["message"]
        changed = await api.patch("/api/units/county-a", {"version": 1, "flags": flags}, token=admin)
        assert "flags" in refused(changed)["message"]
    fine = await api.patch("/api/units/county-a", {"version": 1, "flags": ["vertical"]}, token=admin)
    assert fine.status == 200 and fine.body["flags"] == ["vertical"]


async def test_import_rows_of_the_wrong_shape_are_reported_by_row_and_field(api: ApiClient, admin: str) -> None:
    body = {"people": [
        {"username": "abc", "display_name": "甲", "posts": 5},
        {"username": "abd", "display_name": "乙", "posts": {"unit": "city"}},
        {"username": "abe", "display_name": "丙", "posts": [["city"]]},
        {"username": "abf", "display_name": ["丁"], "posts": [{"unit": "city", "title": "科员", "roles": [[1]]}]},
    ], "units": [
        {"id": "u1", "name": "单位", "type": "部门", "level": "town", "parent": "city", "flags": [[1]]},
        {"id": "u2", "name": {"a": 1}, "type": "部门", "level": "town", "parent": "city", "sort": "1"},
    ]}
    errors = refused(await api.post("/api/import", body, token=admin), code="import_rejected")["errors"]
    reasons = {(error["file"], error["line"]): error["reason"] for error in errors}
    assert reasons[("request people", 1)] == "posts must be a list (got an integer)"
    assert reasons[("request people", 2)] == "posts must be a list (got an object)"
    assert reasons[("request people", 3)] == "posts must be a list of objects"
    assert "display_name" in reasons[("request people", 4)]
    assert reasons[("request units", 1)] == "flags must be a list of text"
    assert {reason for (file, line), reason in reasons.items() if (file, line) == ("request units", 2)}
    assert any("sort must be an integer" in error["reason"] for error in errors)
    assert any("name must be text" in error["reason"] for error in errors)


async def test_integers_nesting_and_numbers_json_cannot_carry(api: ApiClient, admin: str) -> None:
    huge = await api.post("/api/recipients/resolve", {"selectors": [{"unit": 2**64}]}, token=admin)
    assert refused(huge, code="invalid_number")["field"] == "selectors[0].unit"
    top = await api.post("/api/units/city/dissolve", {"version": -(2**63) - 1}, token=admin)
    refused(top, code="invalid_number")
    for raw in (b'{"selectors": [NaN]}', b'{"selectors": [1e999]}', b'{"selectors": [-Infinity]}'):
        refused(await api.request("POST", "/api/recipients/resolve", raw=raw, token=admin), code="invalid_number")
    deep = b'{"selectors": ' + b"[" * 40 + b"]" * 40 + b"}"
    refused(await api.request("POST", "/api/recipients/resolve", raw=deep, token=admin), code="too_deep")
    deeper = b'{"selectors": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    refused(await api.request("POST", "/api/recipients/resolve", raw=deeper, token=admin), code="invalid_json")
    dollar = await api.post("/api/flows/fawen/claim", {"unit_id": "city", "overrides": {"$set": 1}}, token=admin)
    refused(dollar, code="invalid_key")
    assert refused(await api.get("/api/documents?limit=99999999999999999999", token=admin))["field"] == "limit"
    assert refused(await api.get(f"/api/flows/fawen?version={2**63}", token=admin))["field"] == "version"


async def test_bodies_of_the_wrong_kind(api: ApiClient, admin: str) -> None:
    for raw in (b"[]", b'"text"', b"null", b"17", b"{", b"\xff\xfe", "中文".encode()):
        refused(await api.request("POST", "/api/recipients/resolve", raw=raw, token=admin))
    refused(await api.request("POST", "/api/recipients/resolve", raw=b"", token=admin), code="empty_body")
    form = await api.request("POST", "/api/recipients/resolve", raw=b"a=1", token=admin,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    refused(form, 415)
    big = b'{"selectors": ["' + b"x" * (17 * 1024 * 1024) + b'"]}'
    refused(await api.request("POST", "/api/recipients/resolve", raw=big, token=admin), 413, "too_large")


@pytest.fixture
async def small_limit(endpoints: Endpoints, tmp_path: Path) -> AsyncIterator[tuple[Services, ApiClient]]:
    settings = make_settings(tmp_path, "t_bad_" + hashlib.md5(str(tmp_path).encode()).hexdigest()[:8],
                             max_attachment_mb=1)
    services = await Services.open(settings, endpoints)
    server, base_url = await start_app(services)
    try:
        await small_org(services)
        yield services, ApiClient(base_url)
    finally:
        server.stop()
        await services.mongo.client.drop_database(settings.mongodb_db)
        await services.close()


async def test_a_chunked_upload_far_over_the_limit_gets_a_json_413(small_limit: tuple[Services, ApiClient]) -> None:
    services, api = small_limit
    clerk = await api.login("clerk", PASSWORD)
    draft = await api.post("/api/documents", {"doc_type": "通知", "title": "关于报送材料的通知",
                                              "body": ["请按附件报送。"]}, token=clerk)
    assert draft.status == 201, draft
    doc_id = draft.body["id"]
    too_big = b"%PDF-1.7\n" + b"x" * (5 * 1024 * 1024)  # five times the limit, no Content-Length

    def produce(write: Any) -> Any:
        async def body() -> None:
            for start in range(0, len(too_big), 64 * 1024):
                await write(too_big[start:start + 64 * 1024])
        return body()

    request = HTTPRequest(f"{api.base_url}/api/documents/{doc_id}/attachments?name=big.pdf", method="POST",
                          body_producer=produce, headers={"Authorization": f"Bearer {clerk}"}, request_timeout=60)
    response = await AsyncHTTPClient().fetch(request, raise_error=False)
    assert response.code == 413, response.body
    assert response.headers["Content-Type"].startswith("application/json")
    assert b'"code": "too_large"' in response.body and b'"message"' in response.body
    # The connection stays usable, and nothing of the refused file was kept.
    assert (await api.get(f"/api/documents/{doc_id}", token=clerk)).body["version"] == 1
    assert await services.mongo["files"].count_documents({}) == 0


async def test_search_text_is_bounded(services: Services, api: ApiClient, admin: str) -> None:
    # The database refuses regex patterns over 1,000 characters; the search text is refused first.
    clerk = await api.login("clerk", PASSWORD)
    for path, token in (("/api/units", admin), ("/api/users", admin), ("/api/documents", clerk)):
        assert refused(await api.get(f"{path}?q={'x' * 3000}", token=token))["field"] == "q"
        assert (await api.get(f"{path}?q={'.' * 100}", token=token)).status == 200


async def test_list_items_of_the_declared_type(api: ApiClient, admin: str) -> None:
    signers = await api.post("/api/tasks/task-0123456789abcdef/add-signers",
                             {"users": [{"unit": {"a": 1}}], "position": "after"}, token=admin)
    assert "'users' must be a list of strings" in refused(signers)["message"]
    # Units a unit drafts for are ids: objects among them are refused, not looked up.
    for drafts_for in ([{"unit": "city"}], [["city"]]):
        created = await api.post("/api/units", {"id": "u1", "name": "新单位", "type": "部门", "level": "county",
                                                "parent_id": "county-a", "drafts_for": drafts_for}, token=admin)
        assert "drafts_for" in refused(created)["message"]
        changed = await api.patch("/api/units/county-a", {"version": 1, "drafts_for": drafts_for}, token=admin)
        assert "drafts_for" in refused(changed)["message"]

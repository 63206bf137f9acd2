"""Deny by default and the cross-level admin boundary: a county admin administers only its own subtree."""

from __future__ import annotations

import pytest

from tests.client import ApiClient
from tests.factories import PASSWORD, small_org
from web.app import ROUTES
from web.authz import rule_of
from web.base import NotFoundHandler
from web.services import Services

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def test_every_api_method_declares_a_permission_rule() -> None:
    api_routes = [(route[0], route[1]) for route in ROUTES if route[0].startswith("/api/")]
    assert len(api_routes) > 60
    for pattern, handler in api_routes:
        if handler is NotFoundHandler:
            continue
        defined = [name for name in HTTP_METHODS if name in vars(handler)]
        assert defined, pattern
        for name in defined:
            assert rule_of(getattr(handler, name)) is not None, f"{handler.__name__}.{name} has no rule"


@pytest.mark.parametrize("method,path", [
    ("GET", "/api/me"), ("GET", "/api/units"), ("GET", "/api/units/city"), ("GET", "/api/users"),
    ("POST", "/api/units"), ("PATCH", "/api/units/city"), ("POST", "/api/import"), ("POST", "/api/logout"),
])
async def test_unauthenticated_calls_get_401(services: Services, api: ApiClient, method: str, path: str) -> None:
    await small_org(services)
    response = await api.request(method, path, {} if method != "GET" else None)
    assert response.status == 401, response
    assert response.body["code"] == "unauthenticated"


async def test_unknown_api_path_is_json_404(api: ApiClient) -> None:
    response = await api.get("/api/nothing-here")
    assert response.status == 404 and response.body["code"] == "not_found"


async def test_a_person_without_the_admin_role_cannot_administer(services: Services, api: ApiClient) -> None:
    org = await small_org(services)
    clerk = await api.login("clerk", PASSWORD)
    town = org.units["town-a1"]
    assert (await api.get("/api/units/town-a1", token=clerk)).status == 200
    refused = await api.patch("/api/units/town-a1", {"version": town["version"], "short_name": "x"}, token=clerk)
    assert refused.status == 403 and refused.body["code"] == "forbidden"
    created = await api.post("/api/units", {"name": "新单位", "type": "部门", "level": "town", "parent_id": "town-a1"},
                             token=clerk)
    assert created.status == 403


async def test_county_admin_administers_its_subtree_only(services: Services, api: ApiClient) -> None:
    org = await small_org(services)
    token = await api.login("aadmin", PASSWORD)
    # Inside county A: its own unit, its town and its department.
    for unit_id in ("county-a", "town-a1", "dept-a-fgj"):
        unit = org.units[unit_id]
        response = await api.patch(f"/api/units/{unit_id}", {"version": unit["version"], "sort": 5}, token=token)
        assert response.status == 200, (unit_id, response)
    created = await api.post("/api/units", {"id": "town-a2", "name": "甲二镇人民政府", "type": "乡镇", "level": "town",
                                            "parent_id": "county-a"}, token=token)
    assert created.status == 201, created
    # Outside: the city above it, the neighbouring county and that county's town.
    for unit_id in ("city", "county-b", "town-b1"):
        unit = org.units[unit_id]
        response = await api.patch(f"/api/units/{unit_id}", {"version": unit["version"], "sort": 5}, token=token)
        assert response.status == 403, (unit_id, response)
    # Nor may it pull a unit of its own under county B, or create a root unit.
    moved = await api.post("/api/units/town-a1/move", {"parent_id": "county-b", "version": 2}, token=token)
    assert moved.status == 403
    root = await api.post("/api/units", {"name": "另一市", "type": "政府", "level": "city"}, token=token)
    assert root.status == 403


async def test_city_admin_administers_every_county_and_town(services: Services, api: ApiClient) -> None:
    org = await small_org(services)
    token = await api.login("cityadmin", PASSWORD)
    for unit_id in ("city", "county-a", "county-b", "town-a1", "town-b1"):
        unit = org.units[unit_id]
        response = await api.patch(f"/api/units/{unit_id}", {"version": unit["version"], "sort": 3}, token=token)
        assert response.status == 200, (unit_id, response)


async def test_county_admin_manages_people_of_its_subtree_only(services: Services, api: ApiClient) -> None:
    org = await small_org(services)
    token = await api.login("aadmin", PASSWORD)
    inside = await api.post("/api/users", {"username": "newclerk", "display_name": "新科员", "password": PASSWORD,
                                           "posts": [{"unit": "town-a1", "title": "科员", "roles": ["科员"]}]},
                            token=token)
    assert inside.status == 201, inside
    outside = await api.post("/api/users", {"username": "spy", "display_name": "越权", "password": PASSWORD,
                                            "posts": [{"unit": "town-b1", "title": "科员", "roles": ["科员"]}]},
                             token=token)
    assert outside.status == 403
    # twoposts holds a post in county B too, so county A's admin alone may not change that person.
    two = org.users["twoposts"]
    refused = await api.patch(f"/api/users/{two['_id']}", {"version": two["version"], "mobile": "13900000000"},
                              token=token)
    assert refused.status == 403
    # A grant follows the post: once aadmin's post is ended, the admin right is gone at once.
    sysadmin = await api.login("sysadmin", PASSWORD)
    aadmin = org.users["aadmin"]
    keep_only_b = [{"unit": "county-b", "title": "借调", "roles": ["科员"]}]
    changed = await api.patch(f"/api/users/{aadmin['_id']}", {"version": aadmin["version"], "posts": keep_only_b},
                              token=sysadmin)
    assert changed.status == 200, changed
    town = (await api.get("/api/units/town-a1", token=token)).body
    assert (await api.patch("/api/units/town-a1", {"version": town["version"], "sort": 1}, token=token)).status == 403


async def test_platform_admin_without_posts_administers_everything(services: Services, api: ApiClient) -> None:
    await small_org(services)
    token = await api.login("sysadmin", PASSWORD)
    root = await api.post("/api/units", {"id": "city2", "name": "另一市人民政府", "type": "政府", "level": "city"},
                          token=token)
    assert root.status == 201, root
    me = await api.get("/api/me", token=token)
    assert me.body["administers"] is None  # everywhere


async def test_unit_admins_cannot_touch_or_mint_platform_admins(services: Services, api: ApiClient) -> None:
    org = await small_org(services)
    sysadmin = org.users["sysadmin"]
    # Give the platform admin a post in county A: county A's admin still may not change the account.
    await services.users.update(sysadmin["_id"], {"posts": [{"unit": "county-a", "title": "挂点", "roles": ["科员"]}]},
                                sysadmin["version"])
    token = await api.login("aadmin", PASSWORD)
    current = await services.users.get(sysadmin["_id"])
    takeover = await api.patch(f"/api/users/{sysadmin['_id']}", {"version": current["version"],
                                                                 "password": "Taken-over-1"}, token=token)
    assert takeover.status == 403
    minted = await api.post("/api/import", {"people": [{
        "username": "evil", "display_name": "越权", "password": PASSWORD, "system_admin": True,
        "posts": [{"unit": "county-a", "title": "科员", "roles": ["科员"]}]}]}, token=token)
    assert minted.status == 403
    assert await services.users.find_by_username("evil") is None


@pytest.mark.parametrize("path,body", [
    ("/api/units?offset=99999999999999999999", None),
    ("/api/units/city?as_of=0001-01-01T00:00:00", None),
    ("/api/units/city", {"version": 10**23}),
    ("/api/import", {"units": [{"id": "x1", "name": "x", "type": "政府", "level": "city", "parent": ["city"]}]}),
    ("/api/import", {"people": [{"username": ["a"], "display_name": "x", "posts": []}]}),
    ("/api/users", {"username": "odd", "display_name": "怪", "posts": [
        {"unit": "city", "title": "科员", "roles": ["科员"], "id": {"k": "v"}, "started_at": "yesterday"}]}),
])
async def test_malformed_input_is_a_clear_400(services: Services, api: ApiClient, path: str, body: object) -> None:
    await small_org(services)
    token = await api.login("sysadmin", PASSWORD)
    response = await (api.get(path, token=token) if body is None
                      else api.request("PATCH" if path == "/api/units/city" else "POST", path, body, token=token))
    assert response.status == 400, response
    assert response.body["code"] in ("invalid_input", "import_rejected", "invalid_number")


async def test_pages_are_public_shells_under_a_strict_policy(api: ApiClient) -> None:
    for path in ("/", "/desk", "/admin"):
        page = await api.get(path)
        assert page.status == 200 and "<main id=\"app\"" in page.body
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    script = await api.get("/static/js/mobile.js")
    assert script.status == 200 and "script-src 'self'" in script.headers["Content-Security-Policy"]
    assert (await api.get("/static/../web/app.py")).status in (403, 404)


async def test_cached_decisions_follow_policy_changes_including_rows_for_one_unit(services: Services) -> None:
    """Decisions are cached per role template; a policy change (here a row valid in one unit only)
    is honoured once the policy is reloaded, in that unit and nowhere else."""
    org = await small_org(services)
    authorizer = services.authorizer
    clerk = services.directory.user(org.users["clerk"]["_id"])  # 科员 and 收发员 in town-a1
    assert not authorizer.decide(clerk, "flow", "write", "town-a1", inherit=False)  # cached: denied
    await authorizer.enforcer.add_policy("科员", "town-a1", "flow", "write", "allow")
    authorizer.policy_loaded()
    assert authorizer.decide(clerk, "flow", "write", "town-a1", inherit=False)
    assert not authorizer.decide(clerk, "flow", "write", "town-b1", inherit=False)
    await authorizer.enforcer.remove_policy("科员", "town-a1", "flow", "write", "allow")
    authorizer.policy_loaded()
    assert not authorizer.decide(clerk, "flow", "write", "town-a1", inherit=False)

"""Login, logout, /api/me, bearer tokens, CSRF and throttling against the real app."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from oa.clock import utcnow
from oa.sessions import token_hash
from tests.client import ApiClient
from tests.factories import PASSWORD, small_org
from web.services import Services


async def test_login_returns_token_and_cookie_and_me_lists_posts(services: Services, api: ApiClient) -> None:
    await small_org(services)
    response = await api.post("/api/login", {"username": "twoposts", "password": PASSWORD})
    assert response.status == 200
    assert response.body["user"]["username"] == "twoposts"
    assert "password_hash" not in response.body["user"]
    cookies = response.headers.get_list("Set-Cookie")
    session_cookie = next(cookie for cookie in cookies if cookie.startswith("oa_session="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie

    me = await api.get("/api/me", token=response.body["token"])
    assert me.status == 200
    assert me.body["display_name"] == "双岗干部"
    assert sorted(post["unit"]["id"] for post in me.body["posts"]) == ["county-a", "town-b1"]
    assert [post["primary"] for post in me.body["posts"]].count(True) == 1


async def test_tokens_are_stored_hashed(services: Services, api: ApiClient) -> None:
    await small_org(services)
    token = await api.login("clerk", PASSWORD)
    stored = await services.mongo["sessions"].find_one({})
    assert stored["token_hash"] == token_hash(token)
    assert token not in str(stored)


async def test_wrong_username_and_wrong_password_get_the_same_401(services: Services, api: ApiClient) -> None:
    await small_org(services)
    unknown = await api.post("/api/login", {"username": "nobody", "password": PASSWORD})
    wrong = await api.post("/api/login", {"username": "clerk", "password": "wrong-password"})
    assert unknown.status == wrong.status == 401
    assert unknown.body == wrong.body
    assert unknown.body["code"] == "unauthenticated"


async def test_logout_ends_the_session(services: Services, api: ApiClient) -> None:
    await small_org(services)
    token = await api.login("clerk", PASSWORD)
    assert (await api.post("/api/logout", token=token)).status == 200
    assert (await api.get("/api/me", token=token)).status == 401


async def test_expired_token_is_refused(services: Services, api: ApiClient) -> None:
    await small_org(services)
    token = await api.login("clerk", PASSWORD)
    await services.mongo["sessions"].update_one({"token_hash": token_hash(token)},
                                                {"$set": {"expires_at": utcnow() - timedelta(seconds=1)}})
    assert (await api.get("/api/me", token=token)).status == 401


async def test_a_session_in_use_is_extended_so_a_phone_stays_logged_in(services: Services, api: ApiClient) -> None:
    await small_org(services)
    token = await api.login("clerk", PASSWORD)
    soon = utcnow() + timedelta(hours=1)  # of a 12-hour session
    await services.mongo["sessions"].update_one({"token_hash": token_hash(token)}, {"$set": {"expires_at": soon}})
    assert (await api.get("/api/me", token=token)).status == 200
    session = await services.mongo["sessions"].find_one({"token_hash": token_hash(token)})
    assert session["expires_at"] > utcnow() + timedelta(hours=11)


async def test_deactivated_person_cannot_log_in_and_loses_sessions(services: Services, api: ApiClient) -> None:
    org = await small_org(services)
    token = await api.login("clerk", PASSWORD)
    admin = await api.login("aadmin", PASSWORD)
    clerk = org.users["clerk"]
    changed = await api.patch(f"/api/users/{clerk['_id']}", {"version": clerk["version"], "active": False},
                              token=admin)
    assert changed.status == 200, changed
    assert changed.body["deactivated_at"]
    assert (await api.get("/api/me", token=token)).status == 401
    assert (await api.post("/api/login", {"username": "clerk", "password": PASSWORD})).status == 401


async def test_repeated_failures_are_throttled_per_account(services: Services, api: ApiClient) -> None:
    await small_org(services)
    limit = services.settings.login_max_failures
    for _ in range(limit):
        assert (await api.post("/api/login", {"username": "clerk", "password": "bad-password"})).status == 401
    blocked = await api.post("/api/login", {"username": "clerk", "password": PASSWORD})
    assert blocked.status == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert blocked.body["code"] == "too_many_attempts"
    # Another account from the same address is not blocked by this account's failures.
    assert (await api.post("/api/login", {"username": "aadmin", "password": PASSWORD})).status == 200


async def test_repeated_failures_are_throttled_per_address(services: Services, api: ApiClient) -> None:
    await small_org(services)
    for attempt in range(services.settings.login_max_failures_per_address):
        response = await api.post("/api/login", {"username": f"nobody{attempt}", "password": "bad-password"})
        assert response.status == 401
    blocked = await api.post("/api/login", {"username": "aadmin", "password": PASSWORD})
    assert blocked.status == 429 and "address" in blocked.body["message"]


async def test_cookie_authenticated_writes_need_the_csrf_token(services: Services, api: ApiClient) -> None:
    org = await small_org(services)
    login = await api.post("/api/login", {"username": "aadmin", "password": PASSWORD})
    cookie = {"Cookie": f"oa_session={login.body['token']}"}
    town = org.units["town-a1"]
    change = {"version": town["version"], "short_name": "甲一镇"}
    # Reading by cookie needs no token.
    assert (await api.get("/api/me", headers=cookie)).status == 200
    forged = await api.patch("/api/units/town-a1", change, headers=cookie)
    assert forged.status == 403 and forged.body["code"] == "csrf_failed"
    allowed = await api.patch("/api/units/town-a1", change,
                              headers={**cookie, "X-CSRF-Token": login.body["csrf_token"]})
    assert allowed.status == 200, allowed
    # The bearer token alone (mobile) needs no CSRF header.
    change["version"] = allowed.body["version"]
    assert (await api.patch("/api/units/town-a1", change, token=login.body["token"])).status == 200


async def test_bad_login_bodies_get_clear_errors(services: Services, api: ApiClient) -> None:
    not_json = await api.request("POST", "/api/login", raw=b"{not json")
    assert not_json.status == 400 and not_json.body["code"] == "invalid_json"
    missing = await api.post("/api/login", {"username": "x"})
    assert missing.status == 400 and "'password' is required" in missing.body["message"]
    extra = await api.post("/api/login", {"username": "x", "password": "y", "role": "admin"})
    assert extra.status == 400 and "unknown field 'role'" in extra.body["message"]
    wrong_type = await api.post("/api/login", {"username": 5, "password": "y"})
    assert wrong_type.status == 400 and "'username' must be a string" in wrong_type.body["message"]


async def test_parallel_guesses_cannot_outrun_the_throttle(services: Services, api: ApiClient) -> None:
    await small_org(services)
    attempts = [api.post("/api/login", {"username": "clerk", "password": f"guess-{n}"}) for n in range(30)]
    statuses = sorted(response.status for response in await asyncio.gather(*attempts))
    assert statuses.count(401) == services.settings.login_max_failures
    assert statuses.count(429) == 30 - services.settings.login_max_failures


async def test_bodies_must_be_json(services: Services, api: ApiClient) -> None:
    # A cross-site HTML form can only send form or text bodies: refuse them.
    form = await api.request("POST", "/api/login", raw=b"username=clerk&password=x",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert form.status == 415 and form.body["code"] == "unsupported_media_type"
    deep = await api.request("POST", "/api/login", raw=b"[" * 100_000 + b"]" * 100_000)
    assert deep.status == 400 and deep.body["code"] == "invalid_json"

"""Passwords of 等级保护 level 3 over real HTTP: strength (length, 3 of 4 classes, no username inside), expiry
forcing a new password before a session opens, the last five not reusable, and lockout after failed logins
that lifts by itself after its period or at once by an admin, so nobody (an admin included) is locked out
for good."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

from oa.clock import utcnow
from oa.passwords import check_strength
from tests.client import ApiClient
from tests.factories import PASSWORD, small_org
from web.services import Services


def test_strength_rules() -> None:
    assert check_strength("Secret-pass-1", "clerk") == []
    assert check_strength("Demo@2026", "admin") == []
    assert "at least 8" in check_strength("Ab1!", None)[0]
    assert "3 of" in check_strength("alllowercase-only", None)[0]  # lower case and a symbol: two classes
    assert "3 of" in check_strength("ABCdefghij", None)[0]
    assert check_strength("ABCdefgh12", None) == []
    assert "username" in check_strength("Clerk-2026!", "clerk")[0]


async def test_an_expired_password_must_be_changed_before_logging_in(services: Services, api: ApiClient) -> None:
    org = await small_org(services)
    clerk = org.users["clerk"]
    await services.mongo["users"].update_one(
        {"_id": clerk["_id"]}, {"$set": {"password_changed_at": utcnow() - timedelta(days=91)}})
    refused = await api.post("/api/login", {"username": "clerk", "password": PASSWORD})
    assert refused.status == 403 and refused.body["code"] == "password_expired"
    assert await services.mongo["sessions"].count_documents({}) == 0
    # A wrong current password changes nothing (and counts as a failed login).
    wrong = await api.post("/api/password", {"username": "clerk", "password": "Not-it-123",
                                             "new_password": "Fresh-2027!"})
    assert wrong.status == 401
    same = await api.post("/api/password", {"username": "clerk", "password": PASSWORD, "new_password": PASSWORD})
    assert same.status == 400 and same.body["code"] == "password_reused"
    weak = await api.post("/api/password", {"username": "clerk", "password": PASSWORD, "new_password": "freshfresh"})
    assert weak.status == 400 and "3 of" in weak.body["message"]
    changed = await api.post("/api/password", {"username": "clerk", "password": PASSWORD,
                                               "new_password": "Fresh-2027!"})
    assert changed.status == 200, changed
    assert (await api.post("/api/login", {"username": "clerk", "password": "Fresh-2027!"})).status == 200
    stored = await services.mongo["users"].find_one({"_id": clerk["_id"]})
    assert stored["password_changed_at"] > utcnow() - timedelta(minutes=1)
    view = await api.get(f"/api/users/{clerk['_id']}", token=await api.login("aadmin", PASSWORD))
    assert "password_history" not in view.body and "password_hash" not in view.body


async def test_the_last_five_passwords_cannot_come_back(services: Services, api: ApiClient) -> None:
    await small_org(services)
    used = [PASSWORD, "Second-pass-2", "Third-pass-3", "Fourth-pass-4", "Fifth-pass-5"]
    for old, new in pairwise(used):
        answer = await api.post("/api/password", {"username": "clerk", "password": old, "new_password": new})
        assert answer.status == 200, answer
    for old in used:
        again = await api.post("/api/password", {"username": "clerk", "password": used[-1], "new_password": old})
        assert again.status == 400 and again.body["code"] == "password_reused", old
    # The sixth-newest is free again.
    assert (await api.post("/api/password", {"username": "clerk", "password": used[-1],
                                             "new_password": "Sixth-pass-6"})).status == 200
    assert (await api.post("/api/password", {"username": "clerk", "password": "Sixth-pass-6",
                                             "new_password": PASSWORD})).status == 200


async def test_a_locked_account_unlocks_by_itself_or_by_an_admin(services: Services, api: ApiClient) -> None:
    org = await small_org(services)
    limit = services.settings.login_max_failures
    for _ in range(limit):
        assert (await api.post("/api/login", {"username": "aadmin", "password": "Wrong-pass-1"})).status == 401
    locked = await api.post("/api/login", {"username": "aadmin", "password": PASSWORD})
    assert locked.status == 429 and locked.body["locked"] == "account" and "账号已锁定" in locked.body["message"]
    minutes = services.settings.login_lockout_minutes
    assert minutes * 60 - 5 <= int(locked.headers["Retry-After"]) <= minutes * 60 + 1

    # The city's admin sees the lock and lifts it; the county admin logs in at once.
    city = await api.login("cityadmin", PASSWORD)
    view = await api.get(f"/api/users/{org.users['aadmin']['_id']}", token=city)
    assert view.body["locked_until"]
    assert (await api.post(f"/api/users/{org.users['aadmin']['_id']}/unlock", token=city)).body["status"] == "unlocked"
    assert (await api.post("/api/login", {"username": "aadmin", "password": PASSWORD})).status == 200
    assert "locked_until" not in (await api.get(f"/api/users/{org.users['aadmin']['_id']}", token=city)).body

    # The platform's only admin locked: nobody may unlock them but time, which does.
    for _ in range(limit):
        await api.post("/api/login", {"username": "sysadmin", "password": "Wrong-pass-1"})
    assert (await api.post("/api/login", {"username": "sysadmin", "password": PASSWORD})).status == 429
    refused = await api.post(f"/api/users/{org.users['sysadmin']['_id']}/unlock", token=city)
    assert refused.status == 403
    await services.mongo["login_failures"].update_one(
        {"key": "account:sysadmin"}, {"$set": {"expires_at": utcnow() - timedelta(seconds=1)}})  # the period passes
    assert (await api.post("/api/login", {"username": "sysadmin", "password": PASSWORD})).status == 200

"""First login of people imported without a password, over real HTTP: refused with activation_required,
codes issued by their admin (one, or a unit's as CSV), activated once with a new password, then logged in."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
from datetime import timedelta
from typing import Any

from oa.activation import ALPHABET, CODE_LENGTH, CSV_HEADERS
from oa.clock import utcnow
from tests.client import ApiClient, Response
from tests.factories import PASSWORD, small_org
from web.services import Services

NEW_PASSWORD = "Shou-ci@2026"


def person(username: str, name: str, *posts: tuple[str, str, str], **extra: str) -> dict[str, Any]:
    return {"username": username, "display_name": name, **extra,
            "posts": [{"unit": unit, "title": title, "roles": [role]} for unit, title, role in posts]}


IMPORT = {"people": [
    person("a1.wang", "王芳", ("town-a1", "科员", "科员")),
    person("a1.li", "李明", ("town-a1", "收发员", "收发员")),
    person("a.zhao", "赵强", ("county-a", "科员", "科员")),
    person("ab.sun", "孙两岗", ("town-a1", "副镇长", "分管领导"), ("town-b1", "挂职", "科员")),
    person("a1.set", "有密码", ("town-a1", "科员", "科员"), password="Given-pass-1"),
]}


async def imported(services: Services, api: ApiClient) -> dict[str, str]:
    """The small org, the people above imported by the city's admin, and everyone's tokens."""
    await small_org(services)
    tokens = {who: await api.login(who, PASSWORD) for who in ("cityadmin", "aadmin", "badmin", "clerk")}
    done = await api.post("/api/import", IMPORT, token=tokens["cityadmin"])
    assert done.status == 201, done
    return tokens


def rows_of(response: Response) -> list[dict[str, str]]:
    assert response.status == 200, response
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.body.startswith("\ufeff")
    reader = csv.reader(io.StringIO(response.body[1:]))
    assert tuple(next(reader)) == CSV_HEADERS
    return [dict(zip(CSV_HEADERS, row, strict=True)) for row in reader]


async def activate(api: ApiClient, username: str, code: str, password: str = NEW_PASSWORD) -> Response:
    return await api.post("/api/activate", {"username": username, "code": code, "password": password})


async def stored(services: Services, username: str) -> dict[str, Any]:
    user = await services.mongo["users"].find_one({"username": username})
    assert user is not None
    return user


async def test_imported_people_activate_with_codes_from_their_admin(services: Services, api: ApiClient) -> None:
    tokens = await imported(services, api)

    refused = await api.post("/api/login", {"username": "a1.wang", "password": "anything-at-all"})
    assert refused.status == 403 and refused.body["code"] == "activation_required", refused
    assert "激活码" in refused.body["message"] and "activation code" in refused.body["message"]
    unknown = await api.post("/api/login", {"username": "nobody.here", "password": "anything-at-all"})
    assert unknown.status == 401 and unknown.body["code"] == "unauthenticated"

    # The admin sees who is not activated; a colleague does not.
    listed = await api.get("/api/users?unit=town-a1", token=tokens["aadmin"])
    state = {person["username"]: person.get("activated") for person in listed.body["items"]}
    assert state == {"a1.wang": False, "a1.li": False, "a1.set": True, "clerk": True,
                     "ab.sun": None}  # ab.sun also holds a post in county B: not county A's admin's to edit
    seen_by_clerk = await api.get("/api/users?unit=town-a1", token=tokens["clerk"])
    assert all("activated" not in person for person in seen_by_clerk.body["items"])

    # County A's admin exports the codes of the county's subtree: only the people they may edit.
    exported = await api.post("/api/units/county-a/activation-codes?subtree=1", token=tokens["aadmin"])
    rows = rows_of(exported)
    assert [(row["用户名"], row["姓名"], row["单位"]) for row in rows] == [
        ("a.zhao", "赵强", "甲县人民政府"), ("a1.li", "李明", "甲一镇人民政府"), ("a1.wang", "王芳", "甲一镇人民政府")]
    assert exported.headers["X-Activation-Codes"] == "3"
    assert "attachment" in exported.headers["Content-Disposition"]
    codes = {row["用户名"]: row["激活码"] for row in rows}
    assert all(len(code) == CODE_LENGTH and set(code) <= set(ALPHABET) for code in codes.values())
    assert len(set(codes.values())) == 3
    assert all(row["有效期至"] == rows[0]["有效期至"] for row in rows)

    # Only the code's hash is stored, with who issued it; the list shows the pending code's expiry.
    wang = await stored(services, "a1.wang")
    assert wang["activation"]["code_hash"] == hashlib.sha256(codes["a1.wang"].encode()).hexdigest()
    assert codes["a1.wang"] not in str(wang)
    assert wang["activation"]["issued_by"] == (await stored(services, "aadmin"))["_id"]
    listed = await api.get("/api/users?unit=town-a1", token=tokens["aadmin"])
    assert all(person.get("activation_expires_at") for person in listed.body["items"]
               if person["username"] in ("a1.wang", "a1.li"))

    # The person activates (typing the code in lower case, with a space) and logs in.
    code = codes["a1.wang"].lower()
    done = await activate(api, " A1.Wang ", f"{code[:5]} {code[5:]}")
    assert done.status == 200 and done.body == {"status": "activated", "username": "a1.wang"}, done
    login = await api.post("/api/login", {"username": "a1.wang", "password": NEW_PASSWORD})
    assert login.status == 200, login
    assert "activation" not in login.body["user"] and "activated" not in login.body["user"]
    wang = await stored(services, "a1.wang")
    assert wang["activation"] is None and wang["password_hash"]
    assert wang["activated"]["code_issued_by"] == (await stored(services, "aadmin"))["_id"]
    listed = await api.get("/api/users?unit=town-a1", token=tokens["aadmin"])
    assert {person["username"]: person.get("activated") for person in listed.body["items"]}["a1.wang"] is True

    # An activated account gets no code; issuing again replaces the earlier one.
    again = await api.post(f"/api/users/{wang['_id']}/activation-code", token=tokens["aadmin"])
    assert again.status == 409 and again.body["code"] == "already_activated", again
    li_id = (await stored(services, "a1.li"))["_id"]
    single = await api.post(f"/api/users/{li_id}/activation-code", token=tokens["aadmin"])
    assert single.status == 201, single
    assert single.body["username"] == "a1.li" and single.body["unit"] == "甲一镇人民政府"
    assert single.body["code"] != codes["a1.li"] and single.body["expires_at"].endswith("Z")
    old = await activate(api, "a1.li", codes["a1.li"])
    assert old.status == 400 and old.body["code"] == "invalid_activation_code", old
    assert (await activate(api, "a1.li", single.body["code"])).status == 200

    # The person with posts in both counties: the city's admin may, county A's may not.
    sun_id = (await stored(services, "ab.sun"))["_id"]
    assert (await api.post(f"/api/users/{sun_id}/activation-code", token=tokens["aadmin"])).status == 403
    assert (await api.post(f"/api/users/{sun_id}/activation-code", token=tokens["cityadmin"])).status == 201

    # An admin of an unrelated unit: refused, for one person and for the unit.
    zhao_id = (await stored(services, "a.zhao"))["_id"]
    other = await api.post(f"/api/users/{zhao_id}/activation-code", token=tokens["badmin"])
    assert other.status == 403 and other.body["code"] == "forbidden", other
    other = await api.post("/api/units/county-a/activation-codes", token=tokens["badmin"])
    assert other.status == 403 and other.body["code"] == "forbidden", other
    assert (await api.post("/api/users/p-nobody/activation-code", token=tokens["aadmin"])).status == 404
    assert (await api.post("/api/units/zz-nowhere/activation-codes", token=tokens["aadmin"])).status == 404
    assert (await api.post("/api/units/county-a/activation-codes")).status == 401
    assert (await stored(services, "a.zhao"))["activation"]["code_hash"] == hashlib.sha256(
        codes["a.zhao"].encode()).hexdigest()

    # Without ?subtree only the unit's own people; nobody left to activate there gives just the headers.
    county = rows_of(await api.post("/api/units/county-a/activation-codes", token=tokens["aadmin"]))
    assert [row["用户名"] for row in county] == ["a.zhao"]
    town_b = await api.post("/api/units/town-b1/activation-codes", token=tokens["badmin"])
    assert rows_of(town_b) == [] and town_b.headers["X-Activation-Codes"] == "0"


async def test_wrong_expired_and_used_codes_are_refused(services: Services, api: ApiClient) -> None:
    tokens = await imported(services, api)
    rows = rows_of(await api.post("/api/units/town-a1/activation-codes", token=tokens["aadmin"]))
    codes = {row["用户名"]: row["激活码"] for row in rows}

    wrong = await activate(api, "a1.wang", "ABCDEFGHJK" if codes["a1.wang"] != "ABCDEFGHJK" else "23456789AB")
    assert wrong.status == 400 and wrong.body["code"] == "invalid_activation_code", wrong
    assert "激活码" in wrong.body["message"]
    nobody = await activate(api, "nobody.here", codes["a1.wang"])
    assert nobody.status == 400 and nobody.body == wrong.body  # the same answer: no account is revealed
    someone_else = await activate(api, "a1.li", codes["a1.wang"])
    assert someone_else.status == 400 and someone_else.body["code"] == "invalid_activation_code"
    weak = await activate(api, "a1.wang", codes["a1.wang"], "short")
    assert weak.status == 400 and weak.body["code"] == "invalid_input" and "8 characters" in weak.body["message"]

    # Seven days later the code has expired; a new one works.
    services.users.activation.clock = lambda: utcnow() + timedelta(days=7, minutes=1)
    try:
        expired = await activate(api, "a1.wang", codes["a1.wang"])
        assert expired.status == 410 and expired.body["code"] == "activation_code_expired", expired
        assert "过期" in expired.body["message"]
    finally:
        services.users.activation.clock = utcnow
    done = await activate(api, "a1.wang", codes["a1.wang"])
    assert done.status == 200, done

    # A consumed code does not work twice, nor does any other code on an activated account.
    reused = await activate(api, "a1.wang", codes["a1.wang"], "Another-pass-2")
    assert reused.status == 409 and reused.body["code"] == "already_activated", reused
    assert (await api.post("/api/login", {"username": "a1.wang", "password": "Another-pass-2"})).status == 401
    assert (await api.post("/api/login", {"username": "a1.wang", "password": NEW_PASSWORD})).status == 200
    assert (await activate(api, "a1.set", "ABCDEFGHJK")).status == 400  # imported with a password

    # A password set by the admin activates the account and drops the pending code.
    li = await services.users.find_by_username("a1.li")
    reset = await api.patch(f"/api/users/{li['_id']}", {"version": li["version"], "password": "Admin-set-3"},
                            token=tokens["aadmin"])
    assert reset.status == 200, reset
    assert (await activate(api, "a1.li", codes["a1.li"])).status == 400
    assert (await api.post("/api/login", {"username": "a1.li", "password": "Admin-set-3"})).status == 200

    # A deactivated person is refused like a wrong password, and gets no code.
    sun = await services.users.find_by_username("ab.sun")
    await services.users.update(sun["_id"], {"active": False}, sun["version"])
    gone = await api.post("/api/login", {"username": "ab.sun", "password": "anything-at-all"})
    assert gone.status == 401 and gone.body["code"] == "unauthenticated"
    refused = await api.post(f"/api/users/{sun['_id']}/activation-code", token=tokens["cityadmin"])
    assert refused.status == 409 and refused.body["code"] == "user_deactivated", refused


async def test_guessing_codes_is_throttled(services: Services, api: ApiClient) -> None:
    tokens = await imported(services, api)
    wang = await services.users.find_by_username("a1.wang")
    issued = await api.post(f"/api/users/{wang['_id']}/activation-code", token=tokens["aadmin"])
    statuses = [(await activate(api, "a1.wang", f"2345678{n}AB")).status for n in range(2, 8)]
    assert statuses == [400] * 5 + [429], statuses
    blocked = await activate(api, "a1.wang", issued.body["code"])
    assert blocked.status == 429 and blocked.body["code"] == "too_many_attempts", blocked
    assert int(blocked.headers["Retry-After"]) > 0
    # Guessing codes does not lock the account out of the login (it says what to do instead).
    told = await api.post("/api/login", {"username": "a1.wang", "password": "anything-at-all"})
    assert told.status == 403 and told.body["code"] == "activation_required"


async def test_two_activations_with_the_same_code_only_one_wins(services: Services, api: ApiClient) -> None:
    tokens = await imported(services, api)
    wang = await services.users.find_by_username("a1.wang")
    code = (await api.post(f"/api/users/{wang['_id']}/activation-code", token=tokens["aadmin"])).body["code"]
    passwords = [f"Racing-pass-{n}" for n in range(4)]
    answers = await asyncio.gather(*(activate(api, "a1.wang", code, password) for password in passwords))
    statuses = [answer.status for answer in answers]
    assert sorted(statuses) == [200, 409, 409, 409], answers
    assert all(answer.body["code"] == "already_activated" for answer in answers if answer.status == 409)
    winner = passwords[statuses.index(200)]
    logins = [(await api.post("/api/login", {"username": "a1.wang", "password": password})).status
              for password in passwords]
    assert logins == [200 if password == winner else 401 for password in passwords]
    assert (await stored(services, "a1.wang"))["version"] == wang["version"] + 1

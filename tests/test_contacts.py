"""通讯录 over HTTP: the tree, a unit's people, search, 常用联系人, office phones, and who sees a mobile number."""

from __future__ import annotations

import json
from typing import Any

from tests.client import ApiClient
from tests.factories import PASSWORD, small_org
from web.services import Services

HEAD_MOBILE = "13800138001"
HEAD_OFFICE = "0751-88861234"


async def with_people(services: Services, api: ApiClient) -> dict[str, Any]:
    """small_org plus a town head and an office clerk of town A1, both with a mobile and an office phone."""
    org = await small_org(services)
    for username, name, title, roles, mobile, office in [
        ("a1.head", "李华伟", "镇长", ["主要领导"], HEAD_MOBILE, HEAD_OFFICE),
        ("a1.office", "陈晓", "党政办主任", ["办公室主任"], "13800138002", "0751-88861235-801"),
    ]:
        org.users[username] = await services.users.create({
            "username": username, "display_name": name, "mobile": mobile, "office_phone": office,
            "password": PASSWORD, "posts": [{"unit": "town-a1", "title": title, "roles": roles}]})
    return {"org": org, "tokens": {name: await api.login(name, PASSWORD) for name in
                                   ("sysadmin", "cityadmin", "aadmin", "badmin", "clerk", "twoposts", "a1.head")}}


async def test_office_phones_are_validated_and_kept(services: Services, api: ApiClient) -> None:
    await small_org(services)
    token = await api.login("cityadmin", PASSWORD)
    bad = await api.post("/api/users", {"username": "wang.li", "display_name": "王莉", "office_phone": "call me",
                                        "posts": [{"unit": "city", "title": "科员", "roles": ["科员"]}]}, token=token)
    assert bad.status == 400 and "office_phone must be a landline" in bad.body["message"]
    created = await api.post("/api/users", {"username": "wang.li", "display_name": "王莉",
                                            "office_phone": "0751-88860001",
                                            "posts": [{"unit": "city", "title": "科员", "roles": ["科员"]}]},
                             token=token)
    assert created.status == 201 and created.body["office_phone"] == "0751-88860001"
    changed = await api.patch(f"/api/users/{created.body['id']}", {"version": created.body["version"],
                                                                    "office_phone": "88860002-12"}, token=token)
    assert changed.status == 200 and changed.body["office_phone"] == "88860002-12"
    # The contacts directory answers from memory and already has the new number.
    people = await api.get("/api/contacts/units/city/people", token=token)
    assert {"name": "王莉", "office_phone": "88860002-12"}.items() <= next(
        card for card in people.body["items"] if card["name"] == "王莉").items()


async def test_the_tree_starts_at_the_root_and_opens_a_level_at_a_time(services: Services, api: ApiClient) -> None:
    setup = await with_people(services, api)
    token = setup["tokens"]["clerk"]
    home = await api.get("/api/contacts", token=token)
    assert home.status == 200, home
    assert [unit["id"] for unit in home.body["roots"]] == ["city"]
    assert home.body["roots"][0]["children"] == 2
    assert [unit["name"] for unit in home.body["mine"]] == ["甲一镇人民政府"]
    assert home.body["mine"][0]["people"] == 3 and home.body["starred"] == []

    children = await api.get("/api/contacts/units/county-a/children", token=token)
    assert [(unit["id"], unit["children"], unit["people"]) for unit in children.body["items"]] == [
        ("dept-a-fgj", 0, 0), ("town-a1", 0, 3)]
    assert children.body["total"] == 2
    unit = await api.get("/api/contacts/units/town-a1", token=token)
    assert [step["name"] for step in unit.body["path"]] == ["测试市人民政府", "甲县人民政府"]

    # Leaders first: 主要领导, then 办公室主任, then the clerk (科员、收发员).
    people = await api.get("/api/contacts/units/town-a1/people", token=token)
    assert [card["name"] for card in people.body["items"]] == ["李华伟", "陈晓", "甲一镇科员"]
    head = people.body["items"][0]
    assert head["posts"] == [{"unit_id": "town-a1", "unit_name": "甲一镇人民政府", "title": "镇长"}]
    assert head["office_phone"] == HEAD_OFFICE

    paged = await api.get("/api/contacts/units/town-a1/people?offset=1&limit=1", token=token)
    assert [card["name"] for card in paged.body["items"]] == ["陈晓"] and paged.body["total"] == 3
    # A person with posts in two units is listed in each, the post of that unit first.
    town_b = await api.get("/api/contacts/units/town-b1/people", token=token)
    assert town_b.body["items"][0]["posts"][0] == {"unit_id": "town-b1", "unit_name": "乙一镇人民政府",
                                                   "title": "挂职镇长"}


async def test_mobile_numbers_reach_colleagues_and_the_admins_above_only(services: Services, api: ApiClient) -> None:
    setup = await with_people(services, api)
    tokens, head_id = setup["tokens"], setup["org"].users["a1.head"]["_id"]
    paths = ["/api/contacts/units/town-a1/people", "/api/contacts/search?q=lhw", f"/api/users/{head_id}",
             "/api/users?q=李华伟"]

    async def sees(viewer: str) -> list[bool]:
        seen = []
        for path in paths:
            response = await api.get(path, token=tokens[viewer])
            assert response.status == 200, (viewer, path, response)
            seen.append(HEAD_MOBILE in json.dumps(response.body))
        return seen

    # The same unit, the admins of the county and the city above it, the platform admin, the person.
    for viewer in ("clerk", "aadmin", "cityadmin", "sysadmin", "a1.head"):
        assert await sees(viewer) == [True] * len(paths), viewer
    # Another county's admin, and a leader of the county above who administers nothing: never in the JSON.
    for viewer in ("badmin", "twoposts"):
        assert await sees(viewer) == [False] * len(paths), viewer

    hidden = (await api.get("/api/contacts/units/town-a1/people", token=tokens["badmin"])).body["items"][0]
    assert "mobile" not in hidden and hidden["mobile_hidden"] is True and hidden["office_phone"] == HEAD_OFFICE
    shown = (await api.get("/api/contacts/units/town-a1/people", token=tokens["aadmin"])).body["items"][0]
    assert shown["mobile"] == HEAD_MOBILE and shown["mobile_hidden"] is False

    # The rule follows the posts: once the leader also holds a post in town A1, the number reaches them.
    leader = setup["org"].users["twoposts"]
    posts = [{"id": post["id"], "unit": post["unit_id"], "title": post["title"], "roles": post["roles"],
              "primary": post["primary"]} for post in leader["posts"]]
    posts.append({"unit": "town-a1", "title": "驻村干部", "roles": ["科员"]})
    updated = await api.patch(f"/api/users/{leader['_id']}", {"version": leader["version"], "posts": posts},
                              token=tokens["sysadmin"])
    assert updated.status == 200, updated
    assert await sees("twoposts") == [True] * len(paths)


async def test_search_by_name_initials_post_and_unit(services: Services, api: ApiClient) -> None:
    setup = await with_people(services, api)
    token = setup["tokens"]["badmin"]

    async def names(query: str) -> list[str]:
        found = await api.get(f"/api/contacts/search?q={query}", token=token)
        assert found.status == 200, found
        assert found.body["total"] == len(found.body["items"])
        return [card["name"] for card in found.body["items"]]

    assert await names("李华伟") == ["李华伟"]
    assert await names("LHW") == ["李华伟"]
    assert await names("党政办") == ["陈晓"]  # a post title
    # A unit's name finds its people; a name match comes before people found through their unit.
    assert await names("甲一镇") == ["甲一镇科员", "陈晓", "李华伟"]
    assert await names("挂职") == ["双岗干部"]
    assert await names("没有这个人") == []
    # Further words narrow: a unit and a name, a unit and a post title, initials and a unit.
    assert await names("甲一镇%20李") == ["李华伟"]
    assert await names("甲一镇%20党政办") == ["陈晓"]
    assert await names("lhw%20甲一") == ["李华伟"]
    assert await names("甲一镇%20没有") == []
    # The search box's people are the same search.
    box = await api.get("/api/search?q=甲一镇%20李", token=token)
    assert box.status == 200, box
    assert [person["name"] for person in box.body["people"]] == ["李华伟"]
    first = await api.get("/api/contacts/search?q=甲&limit=2", token=token)
    assert len(first.body["items"]) == 2 and first.body["total"] > 2


async def test_starred_contacts_come_first_and_are_kept_per_person(services: Services, api: ApiClient) -> None:
    setup = await with_people(services, api)
    tokens, users = setup["tokens"], setup["org"].users
    for name in ("a1.office", "a1.head"):
        starred = await api.request("PUT", f"/api/contacts/starred/{users[name]['_id']}", token=tokens["clerk"])
        assert starred.status == 200 and starred.body["starred"] is True
    again = await api.request("PUT", f"/api/contacts/starred/{users['a1.head']['_id']}", token=tokens["clerk"])
    assert again.status == 200
    home = await api.get("/api/contacts", token=tokens["clerk"])
    assert [card["name"] for card in home.body["starred"]] == ["陈晓", "李华伟"]
    assert all(card["starred"] for card in home.body["starred"])
    listed = await api.get("/api/contacts/units/town-a1/people", token=tokens["clerk"])
    assert {card["name"]: card["starred"] for card in listed.body["items"]} == {
        "李华伟": True, "陈晓": True, "甲一镇科员": False}
    # Someone else's list is their own, and a starred card still follows the mobile rule.
    other = await api.get("/api/contacts", token=tokens["badmin"])
    assert other.body["starred"] == []
    removed = await api.request("DELETE", f"/api/contacts/starred/{users['a1.office']['_id']}",
                                token=tokens["clerk"])
    assert removed.status == 200 and removed.body["starred"] is False
    home = await api.get("/api/contacts", token=tokens["clerk"])
    assert [card["name"] for card in home.body["starred"]] == ["李华伟"]
    assert home.body["starred"][0]["mobile"] == HEAD_MOBILE


async def test_bad_contacts_requests_get_clear_errors(services: Services, api: ApiClient) -> None:
    setup = await with_people(services, api)
    token = setup["tokens"]["clerk"]
    missing = await api.get("/api/contacts/search", token=token)
    assert missing.status == 400 and missing.body["field"] == "q"
    blank = await api.get("/api/contacts/search?q=%20%20", token=token)
    assert blank.status == 400
    assert (await api.get("/api/contacts/units/nowhere/people", token=token)).status == 404
    assert (await api.get("/api/contacts/units/nowhere", token=token)).status == 404
    assert (await api.request("PUT", "/api/contacts/starred/u-nobody", token=token)).status == 404
    assert (await api.get("/api/contacts/units/city/people?limit=0", token=token)).status == 400
    assert (await api.get("/api/contacts")).status == 401


async def test_a_deactivated_person_leaves_the_contacts_but_not_their_colleagues_records(
        services: Services, api: ApiClient) -> None:
    setup = await with_people(services, api)
    tokens, office = setup["tokens"], setup["org"].users["a1.office"]
    done = await api.patch(f"/api/users/{office['_id']}", {"version": office["version"], "active": False},
                           token=tokens["aadmin"])
    assert done.status == 200, done
    listed = await api.get("/api/contacts/units/town-a1/people", token=tokens["clerk"])
    assert "陈晓" not in [card["name"] for card in listed.body["items"]]
    assert (await api.get("/api/contacts/search?q=陈晓", token=tokens["clerk"])).body["total"] == 0
    # The admin record still shows where they worked: colleagues and admins above keep the number, others do not.
    for viewer, sees in (("clerk", True), ("aadmin", True), ("badmin", False)):
        record = await api.get(f"/api/users/{office['_id']}", token=tokens[viewer])
        assert record.status == 200 and ("13800138002" in json.dumps(record.body)) is sees, viewer

"""People and posts: one identity with several posts, unique usernames, history kept when posts end."""

from __future__ import annotations

from tests.client import ApiClient
from tests.factories import PASSWORD, small_org
from web.services import Services


async def test_one_person_two_units_is_one_account_with_two_posts(services: Services, api: ApiClient) -> None:
    await small_org(services)
    token = await api.login("cityadmin", PASSWORD)
    created = await api.post("/api/users", {
        "username": "liu.yang", "display_name": "刘洋", "mobile": "13912345678", "password": PASSWORD,
        "posts": [{"unit": "county-a", "title": "办公室主任", "roles": ["办公室主任"]},
                  {"unit": "town-b1", "title": "驻镇干部", "roles": ["科员"], "primary": True}]}, token=token)
    assert created.status == 201, created
    assert "password_hash" not in created.body
    posts = created.body["posts"]
    assert [post["primary"] for post in posts] == [False, True]
    assert [post["unit_name"] for post in posts] == ["甲县人民政府", "乙一镇人民政府"]
    for unit in ("county-a", "town-b1"):
        listed = await api.get(f"/api/users?unit={unit}", token=token)
        assert "liu.yang" in [user["username"] for user in listed.body["items"]]
    taken = await api.post("/api/users", {"username": "liu.yang", "display_name": "另一个刘洋",
                                          "posts": [{"unit": "city", "title": "科员", "roles": ["科员"]}]},
                           token=token)
    assert taken.status == 409 and "taken" in taken.body["message"]


async def test_invalid_people_get_every_problem_named(services: Services, api: ApiClient) -> None:
    await small_org(services)
    token = await api.login("cityadmin", PASSWORD)
    bad = await api.post("/api/users", {
        "username": "X", "display_name": "", "mobile": "123", "password": "short",
        "posts": [{"unit": "city", "title": "科员", "roles": ["厅长"], "primary": True},
                  {"unit": "county-a", "title": "科员", "roles": ["科员"], "primary": True}]}, token=token)
    assert bad.status == 400
    for fragment in ("username must be", "display_name is required", "mobile must be", "password must be",
                     "roles must be", "only one post can be the primary"):
        assert fragment in bad.body["message"], fragment
    sysadmin = await api.login("sysadmin", PASSWORD)
    no_posts = await api.post("/api/users", {"username": "nopost", "display_name": "无岗", "posts": []},
                              token=sysadmin)
    assert no_posts.status == 400 and "at least one post" in no_posts.body["message"]


async def test_ending_a_post_keeps_it_in_history(services: Services, api: ApiClient) -> None:
    org = await small_org(services)
    token = await api.login("sysadmin", PASSWORD)
    person = org.users["twoposts"]
    county_post = next(post for post in person["posts"] if post["unit_id"] == "county-a")
    changed = await api.patch(f"/api/users/{person['_id']}", {
        "version": person["version"],
        "posts": [{"id": county_post["id"], "unit": "county-a", "title": "县委常委、副县长", "roles": ["分管领导"]}],
    }, token=token)
    assert changed.status == 200, changed
    by_unit = {post["unit_id"]: post for post in changed.body["posts"]}
    assert by_unit["county-a"]["active"] and by_unit["county-a"]["title"] == "县委常委、副县长"
    assert by_unit["county-a"]["primary"]
    assert not by_unit["town-b1"]["active"] and by_unit["town-b1"]["ended_at"]
    # The kept post keeps when it began (the directory holds no dates: the edit starts from the record).
    stored = await services.mongo["users"].find_one({"_id": person["_id"]})
    began = {post["id"]: post["started_at"] for post in stored["posts"]}
    assert by_unit["county-a"]["started_at"] and began[county_post["id"]] == county_post["started_at"]
    listed = await api.get("/api/users?unit=town-b1", token=token)
    assert "twoposts" not in [user["username"] for user in listed.body["items"]]
    stale = await api.patch(f"/api/users/{person['_id']}", {"version": person["version"], "mobile": "13900000000"},
                            token=token)
    assert stale.status == 409


async def test_deactivated_people_are_kept_but_hidden(services: Services, api: ApiClient) -> None:
    org = await small_org(services)
    token = await api.login("sysadmin", PASSWORD)
    clerk = org.users["clerk"]
    assert (await api.patch(f"/api/users/{clerk['_id']}", {"version": clerk["version"], "active": False},
                            token=token)).status == 200
    listed = await api.get("/api/users", token=token)
    assert "clerk" not in [user["username"] for user in listed.body["items"]]
    everyone = await api.get("/api/users?include_inactive=true", token=token)
    assert "clerk" in [user["username"] for user in everyone.body["items"]]
    kept = await api.get(f"/api/users/{clerk['_id']}", token=token)
    assert kept.status == 200 and kept.body["active"] is False


async def test_only_a_platform_admin_appoints_or_changes_an_auditor(services: Services, api: ApiClient) -> None:
    """三员分立: the 审计员 checks what the 管理员 does, so a unit's 管理员 may not appoint one, make someone one, nor
    reset an auditor's activation or lift their lock; a platform-wide admin may."""
    org = await small_org(services)
    unit_admin = await api.login("aadmin", PASSWORD)
    auditor_post = {"unit": "county-a", "title": "安全审计员", "roles": ["审计员"]}
    refused = await api.post("/api/users", {"username": "shen.ji", "display_name": "沈计", "posts": [auditor_post]},
                             token=unit_admin)
    assert refused.status == 403, refused
    assert (await api.get("/api/users?q=shen.ji", token=unit_admin)).body["total"] == 0
    clerk = org.users["clerk"]
    made_auditor = await api.patch(f"/api/users/{clerk['_id']}", {"version": clerk["version"], "posts": [
        {"unit": "town-a1", "title": "安全审计员", "roles": ["审计员"]}]}, token=unit_admin)
    assert made_auditor.status == 403, made_auditor
    # Ordinary people of the unit are still the unit admin's to create.
    ordinary = await api.post("/api/users", {"username": "ke.yuan", "display_name": "柯员", "posts": [
        {"unit": "county-a", "title": "科员", "roles": ["科员"]}]}, token=unit_admin)
    assert ordinary.status == 201, ordinary

    platform = await api.login("sysadmin", PASSWORD)
    appointed = await api.post("/api/users", {"username": "shen.ji", "display_name": "沈计", "posts": [auditor_post]},
                               token=platform)
    assert appointed.status == 201, appointed
    auditor_id = appointed.body["id"]
    for path in (f"/api/users/{auditor_id}/activation-code", f"/api/users/{auditor_id}/unlock"):
        assert (await api.post(path, {}, token=unit_admin)).status == 403, path
    assert (await api.post(f"/api/users/{auditor_id}/activation-code", {}, token=platform)).status == 201

"""A small org built through the real domain services: a city, two counties, towns and their people."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from oa.users import create_system_admin
from web.services import Services

PASSWORD = "Secret-pass-1"


@dataclass
class SmallOrg:
    units: dict[str, dict[str, Any]]
    users: dict[str, dict[str, Any]]


async def small_org(services: Services) -> SmallOrg:
    """city gov ─┬─ county A gov ── town A1
                 │                 └ dept A-fgj
                 └─ county B gov ── town B1
    People: sysadmin (platform admin), cityadmin, aadmin (county A admin), badmin, clerk (科员 in A1),
    twoposts (posts in county A and town B1)."""
    orgs = services.orgs
    units: dict[str, dict[str, Any]] = {}
    for data in [
        {"id": "city", "name": "测试市人民政府", "type": "政府", "level": "city", "code": "测府"},
        {"id": "county-a", "name": "甲县人民政府", "type": "政府", "level": "county", "parent_id": "city",
         "code": "甲府"},
        {"id": "county-b", "name": "乙县人民政府", "type": "政府", "level": "county", "parent_id": "city",
         "code": "乙府"},
        {"id": "town-a1", "name": "甲一镇人民政府", "type": "乡镇", "level": "town", "parent_id": "county-a"},
        {"id": "dept-a-fgj", "name": "甲县发展和改革局", "type": "部门", "level": "county", "parent_id": "county-a"},
        {"id": "town-b1", "name": "乙一镇人民政府", "type": "乡镇", "level": "town", "parent_id": "county-b"},
    ]:
        units[data["id"]] = await orgs.create(data)
    users = {"sysadmin": await create_system_admin(services.users, "sysadmin", "平台管理员", PASSWORD)}
    for username, display, posts in [
        ("cityadmin", "市管理员", [{"unit": "city", "title": "信息科科长", "roles": ["管理员"]}]),
        ("aadmin", "甲县管理员", [{"unit": "county-a", "title": "信息化管理员", "roles": ["管理员", "科员"]}]),
        ("badmin", "乙县管理员", [{"unit": "county-b", "title": "信息化管理员", "roles": ["管理员"]}]),
        ("clerk", "甲一镇科员", [{"unit": "town-a1", "title": "科员", "roles": ["科员", "收发员"]}]),
        ("twoposts", "双岗干部", [{"unit": "county-a", "title": "副县长", "roles": ["分管领导"], "primary": True},
                                  {"unit": "town-b1", "title": "挂职镇长", "roles": ["主要领导"]}]),
    ]:
        users[username] = await services.users.create(
            {"username": username, "display_name": display, "password": PASSWORD, "posts": posts})
    return SmallOrg(units, users)

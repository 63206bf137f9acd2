"""The org of the issuer and recipient tests: a city over the flow tests' county (with its office and towns)
and a second county.

city ─┬─ county (甲县人民政府) ─┬─ county-office (甲县人民政府办公室, may be authorised to draft for the county)
      │                        ├─ dept-edu, dept-fin
      │                        └─ town, town2
      └─ county-b (乙县人民政府) ── town-b
"""

from __future__ import annotations

from tests.client import ApiClient
from tests.exchange_org import build_exchange
from tests.factories import PASSWORD
from tests.flow_org import Office
from web.services import Services

EXTRA_UNITS = [
    {"id": "county-office", "name": "甲县人民政府办公室", "type": "部门", "level": "county", "parent_id": "county",
     "code": "甲府办"},
    {"id": "county-b", "name": "乙县人民政府", "type": "政府", "level": "county", "parent_id": "city", "code": "乙府"},
    {"id": "town-b", "name": "乙一镇人民政府", "type": "乡镇", "level": "town", "parent_id": "county-b"},
]
EXTRA_PEOPLE = [
    ("co-clerk", "韩科员", "county-office", "科员", ["科员", "收发员"]),
    ("co-head", "邓主任", "county-office", "办公室主任", ["办公室主任"]),
    ("cityadmin", "市管理员", "city", "信息科科长", ["管理员"]),
    ("b-clerk", "乙县收发", "county-b", "收发员", ["收发员"]),
    ("townb-clerk", "乙一镇收发", "town-b", "收发员", ["收发员"]),
    ("town-admin", "甲一镇管理员", "town", "信息化管理员", ["管理员"]),
]
TOWNS_GROUP = {"name": "甲县各乡镇", "selectors": [{"subtree": "county", "level": "town"}], "unit_id": "county"}


async def build_city_org(services: Services, api: ApiClient) -> Office:
    await services.orgs.create({"id": "city", "name": "测试市人民政府", "type": "政府", "level": "city",
                                "code": "测府"})
    office = await build_exchange(services, api)
    county = await services.orgs.get("county")
    await services.orgs.move("county", "city", county["version"])
    for unit in EXTRA_UNITS:
        await services.orgs.create(unit)
    for username, name, unit, title, roles in EXTRA_PEOPLE:
        user = await services.users.create({"username": username, "display_name": name, "password": PASSWORD,
                                            "mobile": "13800000000",
                                            "posts": [{"unit": unit, "title": title, "roles": roles}]})
        office.ids[username] = user["_id"]
        office.tokens[username] = await api.login(username, PASSWORD)
    return office


async def authorise_office(office: Office) -> None:
    """The city admin lets 甲县人民政府办公室 draft in the name of 甲县人民政府 (an admin over the county)."""
    unit = (await office.api.get("/api/units/county-office", token=office.tokens["cityadmin"])).body
    changed = await office.api.patch("/api/units/county-office", {"version": unit["version"],
                                                                  "drafts_for": ["county"]},
                                     token=office.tokens["cityadmin"])
    assert changed.status == 200, changed



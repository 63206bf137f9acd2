"""The flow tests' county plus a second town and a 收发员 in each receiving unit, for exchange tests."""

from __future__ import annotations

from typing import Any

from tests.client import ApiClient
from tests.factories import PASSWORD
from tests.flow_org import Office, build_office
from web.services import Services

EXTRA_UNITS = [{"id": "town2", "name": "甲二镇人民政府", "type": "乡镇", "level": "town", "parent_id": "county",
                "code": "甲二镇"}]
EXTRA_PEOPLE = [
    ("town-clerk", "林收发", "town", "收发员", "收发员"),
    ("town-office", "何主任", "town", "党政办主任", "办公室主任"),
    ("town2-clerk", "罗收发", "town2", "收发员", "收发员"),
    ("town2-head", "高镇长", "town2", "镇长", "主要领导"),
    ("edu-clerk", "梁收发", "dept-edu", "收发员", "收发员"),
    ("fin-clerk", "宋收发", "dept-fin", "收发员", "收发员"),
]
RECEIVERS = {"town": "town-clerk", "town2": "town2-clerk", "dept-edu": "edu-clerk", "dept-fin": "fin-clerk"}


async def build_exchange(services: Services, api: ApiClient) -> Office:
    office = await build_office(services, api)
    for unit in EXTRA_UNITS:
        await services.orgs.create(unit)
    for username, name, unit, title, role in EXTRA_PEOPLE:
        user = await services.users.create({"username": username, "display_name": name, "password": PASSWORD,
                                            "posts": [{"unit": unit, "title": title, "roles": [role]}]})
        office.ids[username] = user["_id"]
        office.tokens[username] = await api.login(username, PASSWORD)
    return office


async def numbered(office: Office, who: str = "registrar", **fields: Any) -> dict[str, Any]:
    """A numbered document of the county, ready to dispatch."""
    document = await office.draft(who, **fields)
    response = await office.api.post(f"/api/documents/{document['id']}/number", {"version": document["version"]},
                                     token=office.tokens[who])
    assert response.status == 200, response
    return response.body


async def dispatch(office: Office, document_id: str, status: int = 201, who: str = "registrar",
                   **body: Any) -> Any:
    response = await office.api.post(f"/api/documents/{document_id}/dispatch", body, token=office.tokens[who])
    assert response.status == status, response
    return response.body


async def receipt_action(office: Office, receipt_id: str, action: str, who: str, status: int = 200,
                         **body: Any) -> Any:
    response = await office.api.post(f"/api/receipts/{receipt_id}/{action}", body, token=office.tokens[who])
    assert response.status == status, response
    return response.body

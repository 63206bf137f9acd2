"""A county with two departments and a town, staffed for every post the built-in flows use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.client import ApiClient
from tests.factories import PASSWORD
from web.services import Services

UNITS = [
    {"id": "county", "name": "甲县人民政府", "type": "政府", "level": "county", "code": "甲府"},
    {"id": "dept-edu", "name": "甲县教育局", "type": "部门", "level": "county", "parent_id": "county", "code": "甲教"},
    {"id": "dept-fin", "name": "甲县财政局", "type": "部门", "level": "county", "parent_id": "county", "code": "甲财"},
    {"id": "town", "name": "甲一镇人民政府", "type": "乡镇", "level": "town", "parent_id": "county"},
]
PEOPLE = [
    ("drafter", "王拟稿", "county", "科员", "科员"),
    ("registrar", "李收发", "county", "收发员", "收发员"),
    ("office", "赵主任", "county", "县政府办主任", "办公室主任"),
    ("deputy", "钱副县长", "county", "副县长", "分管领导"),
    ("head", "孙县长", "county", "县长", "主要领导"),
    ("edu", "周局长", "dept-edu", "局长", "主要领导"),
    ("edu-office", "吴主任", "dept-edu", "办公室主任", "办公室主任"),
    ("fin", "郑局长", "dept-fin", "局长", "主要领导"),
    ("fin-office", "冯主任", "dept-fin", "办公室主任", "办公室主任"),
    ("town-head", "陈镇长", "town", "镇长", "主要领导"),
    ("admin", "甲县管理员", "county", "信息化管理员", "管理员"),
]


@dataclass
class Office:
    """The county's people logged in, and helpers to drive flows over HTTP as each of them."""

    api: ApiClient
    services: Services
    ids: dict[str, str]
    tokens: dict[str, str] = field(default_factory=dict)

    async def draft(self, who: str = "drafter", **fields: Any) -> dict[str, Any]:
        body = {"doc_type": "通知", "title": "关于做好冬季森林防火工作的通知",
                "main_to": [{"unit_id": "town"}], "body": [{"level": 0, "text": "现将有关事项通知如下。"}],
                "written_date": "2026-11-23", **fields}
        response = await self.api.post("/api/documents", body, token=self.tokens[who])
        assert response.status == 201, response
        return response.body

    async def start(self, document_id: str, flow: str = "fawen", who: str = "drafter",
                    **variables: Any) -> dict[str, Any]:
        response = await self.api.post("/api/instances", {"flow": flow, "document_id": document_id,
                                                          "variables": variables}, token=self.tokens[who])
        assert response.status == 201, response
        return response.body

    async def todo(self, who: str) -> list[dict[str, Any]]:
        response = await self.api.get("/api/tasks?box=todo", token=self.tokens[who])
        assert response.status == 200, response
        return list(response.body["items"])

    async def only_task(self, who: str, instance_id: str | None = None) -> dict[str, Any]:
        tasks = [task for task in await self.todo(who) if instance_id in (None, task["instance_id"])]
        assert len(tasks) == 1, (who, tasks)
        return tasks[0]

    async def act(self, who: str, task_id: str, action: str = "approve", status: int = 200,
                  **body: Any) -> Any:
        response = await self.api.post(f"/api/tasks/{task_id}/{action}", body, token=self.tokens[who])
        assert response.status == status, response
        return response.body

    async def instance(self, instance_id: str, who: str = "drafter") -> dict[str, Any]:
        response = await self.api.get(f"/api/instances/{instance_id}", token=self.tokens[who])
        assert response.status == 200, response
        return response.body


async def build_office(services: Services, api: ApiClient) -> Office:
    for unit in UNITS:
        await services.orgs.create(unit)
    ids = {}
    for username, name, unit, title, role in PEOPLE:
        user = await services.users.create({"username": username, "display_name": name, "password": PASSWORD,
                                            "posts": [{"unit": unit, "title": title, "roles": [role]}]})
        ids[username] = user["_id"]
    office = Office(api, services, ids)
    for username, *_ in PEOPLE:
        office.tokens[username] = await api.login(username, PASSWORD)
    return office

"""Work in progress for the demo, so a first look finds something to do: documents waiting in
leaders' 待办 (a countersign, a sign-off) and a city 通知 already dispatched to every county and
town (an inbox and a receipt board to look at). Written once; later starts leave it as it is.
"""

from __future__ import annotations

from typing import Any

from flows.actions import FlowService
from flows.exchange.dispatch import DispatchService
from oa.clock import utcnow
from oa.documents import DocumentService
from oa.users import UserService
from storage.mongo import SCHEMA_VERSION, Mongo

MARKER = {"_id": "demo_activity"}
BODY = [{"level": 0, "text": "为切实做好今冬明春森林防火工作，确保人民群众生命财产安全，现将有关事项通知如下。"},
        {"level": 1, "text": "压实防火责任"},
        {"level": 0, "text": "各地各部门要严格落实属地管理责任和部门监管责任，层层签订责任书。"},
        {"level": 1, "text": "加强火源管控"},
        {"level": 0, "text": "进入防火紧要期，严禁一切野外用火。"}]


class DemoActivity:
    def __init__(self, mongo: Mongo, users: UserService, documents: DocumentService, flows: FlowService,
                 dispatches: DispatchService) -> None:
        self.state = mongo["demo_state"]
        self.tasks = mongo["tasks"]
        self.users = users
        self.documents = documents
        self.flows = flows
        self.dispatches = dispatches

    async def seed(self) -> list[tuple[str, str]]:
        """Create the demo's work once; returns (username, what is waiting for them) to print."""
        if await self.state.find_one(MARKER) is None:
            await self._fawen("关于做好2026年冬季森林防火工作的通知", "特急", ["sg-jiaoyu", "sg-caizheng"])
            await self._fawen("关于进一步加强城市道路交通安全管理的通知", "", [])
            await self._dispatch_notice()
            await self.state.insert_one({**MARKER, "schema_version": SCHEMA_VERSION, "at": utcnow()})
        return await self.waiting()

    async def waiting(self) -> list[tuple[str, str]]:
        found = []
        async for task in self.tasks.find({"status": "active", "category": "发文"}).sort("created_at", 1).limit(6):
            for user_id in task["assignees"][:1]:
                user = await self.users.get(user_id)
                found.append((user["username"], f"待办：{task['node_name']}《{task['title']}》"))
        return found

    async def _user(self, username: str) -> dict[str, Any]:
        user = await self.users.find_by_username(username)
        assert user is not None, f"demo user {username} is missing"
        return user

    async def _fawen(self, title: str, urgency: str, countersign: list[str]) -> None:
        drafter = await self._user("sg-szfb.ky1")
        document = await self.documents.do_create("sg-szfb", {
            "doc_type": "通知", "title": title, "urgency": urgency, "issuers": [{"unit_id": "sg-szf"}],
            "main_to": [{"group": "grp-county-govs"}, {"group": "grp-city-depts"}],
            "body": BODY, "contact": {"name": "胡文", "phone": "0751-8888888"}}, drafter)
        instance = await self.flows.do_start("fawen", document["_id"], {"countersign_units": countersign}, drafter)
        reviewer = await self._user("sg-szfb.bgszr1")
        review = await self.tasks.find_one({"instance_id": instance["_id"], "status": "active"})
        await self.flows.do_approve(review["_id"], reviewer, "已核，请审签")

    async def _dispatch_notice(self) -> None:
        clerk = await self._user("sg-szf.sfy1")
        document = await self.documents.do_create("sg-szf", {
            "doc_type": "通知", "title": "关于开展2026年安全生产大检查的通知",
            "main_to": [{"group": "grp-county-govs"}, {"group": "grp-towns"}],
            "body": BODY[:1], "written_date": utcnow().date().isoformat()}, clerk)
        numbered = await self.documents.do_number(document["_id"], document["version"], clerk)
        await self.dispatches.do_dispatch(numbered["_id"], clerk, main=[{"group": "grp-county-govs"},
                                                                        {"group": "grp-towns"}],
                                          idempotency_key="demo-activity")

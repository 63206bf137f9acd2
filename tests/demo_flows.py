"""Driving 发文 flows on the shared demo hierarchy over HTTP, to bring a flow to the step a browser test acts on.

Each test names its own county and gives its documents their own titles, so tests on the shared demo
database never read each other's tasks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.client import ApiClient


@dataclass
class DemoFlows:
    api: ApiClient
    tokens: dict[str, str] = field(default_factory=dict)

    async def token(self, who: str) -> str:
        if who not in self.tokens:
            self.tokens[who] = await self.api.login(who)
        return self.tokens[who]

    async def fawen(self, drafter: str, unit: str, title: str, countersign: list[str] | None = None) -> dict[str, Any]:
        """A 通知 drafted in `unit` and sent for approval; returns the started flow."""
        created = await self.api.post("/api/documents", {
            "doc_type": "通知", "title": title, "issuers": [{"unit_id": unit}], "main_to": [{"unit_id": unit}],
            "body": [{"level": 0, "text": "现将有关事项通知如下。"}], "written_date": "2026-11-23"},
            token=await self.token(drafter))
        assert created.status == 201, created
        started = await self.api.post("/api/instances", {
            "flow": "fawen", "document_id": created.body["id"],
            "variables": {"countersign_units": countersign or []}}, token=await self.token(drafter))
        assert started.status == 201, started
        return {**started.body, "document_id": created.body["id"]}

    async def todo(self, who: str, title: str) -> list[dict[str, Any]]:
        """`who`'s open tasks on documents titled `title` (their own and those they act on for others)."""
        response = await self.api.get("/api/tasks?box=todo&limit=100", token=await self.token(who))
        assert response.status == 200, response
        return [task for task in response.body["items"] if task["title"] == title]

    async def task(self, who: str, title: str) -> dict[str, Any]:
        found = await self.todo(who, title)
        assert len(found) == 1, (who, title, found)
        return found[0]

    async def approve(self, who: str, title: str) -> None:
        task = await self.task(who, title)
        response = await self.api.post(f"/api/tasks/{task['id']}/approve", {"opinion": "同意"},
                                       token=await self.token(who))
        assert response.status == 200, response

    async def instance(self, who: str, instance_id: str) -> dict[str, Any]:
        response = await self.api.get(f"/api/instances/{instance_id}", token=await self.token(who))
        assert response.status == 200, response
        return dict(response.body)

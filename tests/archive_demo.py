"""Issuing a 发文 of a county office on the shared demo hierarchy over HTTP, for the archive's tests: drafted by a
科员, 核稿 and 复核 by the office head, 签发 by the head of the office, sealed by the 收发员, sent to a town.

Each caller names its own office and title (乳源县's offices are used by no other test module).
"""

from __future__ import annotations

from typing import Any

from oa.demo import build_demo_hierarchy
from tests.client import ApiClient

REVIEW_OPINION = "已核，请领导审签"
SIGNOFF_OPINION = "同意印发"


def names() -> dict[str, str]:
    return {person["username"]: person["display_name"] for person in build_demo_hierarchy()["people"]}


async def approve(api: ApiClient, token: str, title: str, opinion: str = "") -> dict[str, Any]:
    todo = await api.get("/api/tasks?box=todo&limit=100", token=token)
    tasks = [task for task in todo.body["items"] if task["title"] == title]
    assert len(tasks) == 1, (title, todo.body)
    done = await api.post(f"/api/tasks/{tasks[0]['id']}/approve", {"opinion": opinion} if opinion else {},
                          token=token)
    assert done.status == 200, done
    return tasks[0]


async def issue(api: ApiClient, office: str, title: str, to: str, attachment: bytes | None = None) -> str:
    """A 通知 of `office` (in its own name) through the whole 发文 flow; returns the issued document's id."""
    tokens = {role: await api.login(f"{office}.{role}1") for role in ("ky", "bgszr", "zyld", "sfy")}
    created = await api.post("/api/documents", {
        "doc_type": "通知", "title": title, "issuers": [{"unit_id": office}], "main_to": [{"unit_id": to}],
        "body": [{"level": 0, "text": "现将有关事项通知如下。"}, {"level": 1, "text": "落实工作责任"},
                 {"level": 0, "text": "各单位要按要求认真落实。"}],
        "written_date": "2026-11-24"}, token=tokens["ky"])
    assert created.status == 201, created
    doc_id = created.body["id"]
    if attachment is not None:
        upload = await api.request("POST", f"/api/documents/{doc_id}/attachments?name=工作安排表.txt", raw=attachment,
                                   token=tokens["ky"], headers={"Content-Type": "text/plain"})
        assert upload.status == 201, upload
    started = await api.post("/api/instances", {"flow": "fawen", "document_id": doc_id,
                                                "variables": {"countersign_units": []}}, token=tokens["ky"])
    assert started.status == 201, started
    await approve(api, tokens["bgszr"], title, REVIEW_OPINION)
    await approve(api, tokens["zyld"], title, SIGNOFF_OPINION)
    await approve(api, tokens["bgszr"], title)
    await approve(api, tokens["sfy"], title)
    document = await api.get(f"/api/documents/{doc_id}", token=tokens["ky"])
    assert document.body["status"] == "issued", document.body
    return str(doc_id)


async def approve_on(api: ApiClient, token: str, document_id: str, opinion: str = "", **variables: Any) -> None:
    """The person's open task on the document, approved (a 收文 step: 拟办, 批办 naming its units, 承办, 办结)."""
    todo = (await api.get("/api/tasks?box=todo&limit=100", token=token)).body["items"]
    task = next(task for task in todo if task["document_id"] == document_id)
    body: dict[str, Any] = {**({"opinion": opinion} if opinion else {}),
                            **({"variables": variables} if variables else {})}
    done = await api.post(f"/api/tasks/{task['id']}/approve", body, token=token)
    assert done.status == 200, done

"""Personal 常用语 (kept per person, in order) and 批示 drawn over a page of the document (a PNG layer kept
with the opinion, checked by the service, shown only to those who see the flow)."""

from __future__ import annotations

import base64
from io import BytesIO

from PIL import Image, ImageDraw

from tests.client import ApiClient
from tests.factories import PASSWORD, small_org
from tests.flow_org import build_office
from web.services import Services


def ink_png(width: int = 720, height: int = 1018) -> str:
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(100, 200), (600, 260), (300, 500)], fill=(192, 0, 0, 255), width=5)
    out = BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


async def test_each_person_keeps_their_own_phrases_in_their_order(services: Services, api: ApiClient) -> None:
    await small_org(services)
    clerk, other = await api.login("clerk", PASSWORD), await api.login("aadmin", PASSWORD)
    assert (await api.get("/api/me/phrases", token=clerk)).body["items"] == []
    first = await api.post("/api/me/phrases", {"text": "请办公室牵头落实"}, token=clerk)
    assert first.status == 201, first
    second = await api.post("/api/me/phrases", {"text": "  请于本周内\n反馈  "}, token=clerk)
    assert [item["text"] for item in second.body["items"]] == ["请办公室牵头落实", "请于本周内 反馈"]
    assert (await api.post("/api/me/phrases", {"text": "请办公室牵头落实"}, token=clerk)).status == 409
    assert (await api.post("/api/me/phrases", {"text": "   "}, token=clerk)).status == 400
    assert (await api.post("/api/me/phrases", {"text": "长" * 101}, token=clerk)).status == 400
    ids = [item["id"] for item in second.body["items"]]
    moved = await api.request("PUT", "/api/me/phrases/order", {"ids": ids[::-1]}, token=clerk)
    assert [item["text"] for item in moved.body["items"]] == ["请于本周内 反馈", "请办公室牵头落实"]
    assert (await api.request("PUT", "/api/me/phrases/order", {"ids": ids[:1]}, token=clerk)).status == 400
    assert (await api.get("/api/me/phrases", token=other)).body["items"] == []  # nobody else's list
    assert (await api.request("DELETE", f"/api/me/phrases/{ids[0]}", token=other)).status == 404
    left = await api.request("DELETE", f"/api/me/phrases/{ids[0]}", token=clerk)
    assert [item["text"] for item in left.body["items"]] == ["请于本周内 反馈"]


async def test_a_pishi_drawn_over_a_page_is_kept_with_the_opinion(services: Services, api: ApiClient) -> None:
    office = await build_office(services, api)
    document = await office.draft(title="关于做好2027年元旦春节期间安全生产工作的通知")
    instance = await office.start(document["id"])
    task = await office.only_task("office")
    path = f"/api/tasks/{task['id']}/approve"
    token = office.tokens["office"]
    for bad, field in [({"page": 99, "image": ink_png()}, "annotation.page"),
                       ({"page": 1, "image": "data:image/png;base64,aGVsbG8="}, "annotation.image"),
                       ({"page": 1, "image": ink_png(40, 40)}, "annotation.image"),
                       ({"page": 0, "image": ink_png()}, "annotation.page"),
                       ({"page": 1}, "annotation")]:
        refused = await api.post(path, {"opinion": "同意", "annotation": bad}, token=token)
        assert refused.status == 400 and refused.body["field"] == field, (bad, refused)
    # Someone who does not hold the task cannot store a drawing through it.
    assert (await api.post(path, {"annotation": {"page": 1, "image": ink_png()}},
                           token=office.tokens["fin"])).status == 404
    done = await api.post(path, {"opinion": "同意，请按此修改", "annotation": {"page": 1, "image": ink_png()}},
                          token=token)
    assert done.status == 200, done
    view = await office.instance(instance["id"])
    entry = next(item for item in view["audit"] if item["action"] == "approved")
    assert entry["opinion"] == "同意，请按此修改" and entry["annotation"]["page"] == 1
    layer = f"/api/instances/{instance['id']}/annotations/{entry['annotation']['sha256']}.png"
    shown = await api.get(layer, token=office.tokens["drafter"])
    assert shown.status == 200 and shown.headers["Content-Type"] == "image/png"
    assert Image.open(BytesIO(shown.body)).size == (720, 1018)
    assert (await api.get(layer, token=office.tokens["town-head"])).status == 404  # not in the flow
    other = f"/api/instances/{instance['id']}/annotations/{'0' * 64}.png"
    assert (await api.get(other, token=office.tokens["drafter"])).status == 404

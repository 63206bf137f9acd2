"""Real crashes: SIGKILL a running `oa serve` (its embedded database and S3 gateway as its children) in the
middle of a seal application, a dispatch to every demo unit, and an approval whose automatic steps number,
render and dispatch; restart it on the same data directory and find nothing missing or doubled.

Each test first proves that the kill landed mid-operation, by reading the embedded database directly
while the request is running (and, for the seal, with the one fault injection point that holds the
render step between the 用印 register and the PDF's record: flows/fault_points.py). The demo is
loaded once; the three tests continue on one data directory, each restart picking up what the kill
before it left. The seal test runs first because only the first process carries the fault point.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from flows.fault_points import AFTER_SEAL_USE
from tests.oa_serve_process import OaServe, alive

DRAFTER, OFFICE_HEAD, LEADER, CLERK = "sg-szfb.ky1", "sg-szfb.bgszr1", "sg-szf.bgszr1", "sg-szfb.sfy1"
CITY_CLERK = "sg-szf.sfy1"  # 韶关市人民政府's 收发员
EVERYONE = [{"level": "city"}, {"level": "county"}, {"level": "town"}]
BODY = [{"level": 0, "text": "现将有关事项通知如下。"}, {"level": 1, "text": "压实责任"},
        {"level": 0, "text": "各地要落实属地管理责任。"}]
# A 发文 flow whose 签发 is its last human step: 编号, 生成正式文件 and 分发 follow automatically.
DIRECT_FAWEN = {
    "key": "fawen_direct", "name": "发文（签发即印发）", "category": "发文",
    "description": "签发后自动编号、生成正式文件、分发。",
    "nodes": [
        {"id": "draft", "name": "拟稿", "kind": "start", "next": "signoff"},
        {"id": "signoff", "name": "签发", "kind": "signoff", "assignee": [{"role": "主要领导", "unit": "own"}],
         "action_label": "签发", "next": "number"},
        {"id": "number", "name": "编号", "kind": "auto", "action": "number", "next": "render"},
        {"id": "render", "name": "生成正式文件", "kind": "auto", "action": "render", "next": "dispatch"},
        {"id": "dispatch", "name": "分发", "kind": "auto", "action": "dispatch", "next": "end"},
        {"id": "end", "name": "办结", "kind": "end"},
    ],
}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OaServe]:
    """One `oa serve --demo` for the module; the first process holds its render step after the seal use."""
    served = OaServe(tmp_path_factory.mktemp("crash") / "var")
    served.start(demo=True, env={AFTER_SEAL_USE: "120"})
    yield served
    served.stop()


def kill_mid_way(service: OaServe, request: Callable[[], Any], half_done: Callable[[], Any]) -> Any:
    """Send `request` and SIGKILL `oa serve` as soon as `half_done()` sees the operation half done; then
    restart it on the same data directory at once. Returns what `half_done` saw."""
    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(request)
        seen = service.wait_for("the operation seen half done", lambda: half_done() or (answer.done() and "done"),
                                every_s=0.02)  # the render's window is well under a second on an idle machine
        assert seen != "done", f"the operation finished before it was seen half done: {answer.result()}"
        holder = service.db.leases.find_one({"_id": "deadlines"})["holder"]
        children = service.kill()
        killed_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)  # as the database hands datetimes back
        with pytest.raises(OSError):  # the connection dropped: the client never heard an answer
            answer.result(60)
    # Whatever the killed process's children still do, the restart has to cope with it.
    service.start()
    left = [pid for pid in children if alive(pid)]
    assert not left, f"the killed service's embedded servers still run after the restart: {left}"
    # The deadline scheduler's lease, held by the killed process, is the restart's: the same holder renews it
    # (its first round comes after the start-up's recovery, however long that takes on a busy machine),
    # rather than a new holder waiting 90 s for the killed one's lease to lapse.
    service.wait_for("the deadline lease renewed by the restart", lambda: service.db.leases.find_one(
        {"_id": "deadlines", "holder": holder, "renewed_at": {"$gt": killed_at}}), limit_s=300)
    return seen


def task_of(service: OaServe, instance_id: str, node: str) -> dict[str, Any]:
    return service.wait_for(f"an active {node} task", lambda: service.db.tasks.find_one(
        {"instance_id": instance_id, "node": node, "status": "active"}))


def approve(service: OaServe, task: dict[str, Any], who: str) -> Any:
    return service.ok("POST", f"/api/tasks/{task['_id']}/approve", {"opinion": "同意"}, service.login(who))


def check_finished(service: OaServe, instance_id: str) -> dict[str, Any]:
    """The flow reaches 办结 after the restart, with no step left pending or failed and no task open."""
    instance = service.wait_for("the flow finished after the restart", lambda: service.db.flow_instances.find_one(
        {"_id": instance_id, "status": "completed"}))
    assert not instance.get("auto_pending") and not instance.get("auto_error"), instance
    assert service.db.tasks.count_documents({"instance_id": instance_id, "status": "active"}) == 0
    return instance


def check_delivered_once(service: OaServe, document_id: str, expected_units: set[str] | None = None) -> dict:
    """One dispatch, delivered; every recipient unit holds exactly one receipt of the document."""
    dispatch = service.wait_for("the dispatch delivered", lambda: service.db.dispatches.find_one(
        {"document_id": document_id, "status": "delivered"}))
    assert service.db.dispatches.count_documents({"document_id": document_id}) == 1
    units = [row["unit_id"] for row in service.db.receipts.find({"document_id": document_id}, {"unit_id": 1})]
    assert len(units) == len(set(units)), "a unit holds two receipts of one document"
    recipients = {entry["unit_id"] for entry in dispatch["recipients"]}
    assert set(units) == recipients and dispatch["total"] == len(recipients)
    if expected_units is not None:
        assert set(units) == expected_units
    return dispatch


def check_sealed_once(service: OaServe, document_id: str, token: str) -> dict[str, Any]:
    """One use per seal in the 用印 register, for the PDF the document shows, which verifies."""
    document = service.db.documents.find_one({"_id": document_id})
    assert document["status"] == "issued" and document["issued_pdf"]["sealed_by"], document.get("issued_pdf")
    uses = list(service.db.seal_uses.find({"document_id": document_id}))
    assert sorted(use["unit_id"] for use in uses) == sorted(document["issued_pdf"]["sealed_by"]), uses
    assert {use["pdf_sha256"] for use in uses} == {document["issued_pdf"]["sha256"]}
    history = service.db.seal_history.count_documents({"change": "used", "detail.document_id": document_id})
    assert history == len(uses), f"{history} 'used' lines in the seals' history for {len(uses)} seal uses"
    verified = service.ok("GET", f"/api/documents/{document_id}/verify", token=token)
    assert verified["valid"] and verified["in_seal_register"], verified
    assert all(issuer["sealed"] for issuer in verified["issuers"]), verified["issuers"]
    return document


def new_fawen(service: OaServe, title: str, main_to: list[dict[str, Any]]) -> tuple[str, str]:
    """A document of 韶关市人民政府 drafted by its office; (its id, the drafter's token)."""
    token = service.login(DRAFTER)
    created = service.ok("POST", "/api/documents", {
        "doc_type": "通知", "title": title, "issuers": [{"unit_id": "sg-szf"}], "main_to": main_to,
        "body": BODY, "written_date": dt.date.today().isoformat()}, token)
    return created["id"], token


def test_seal_application_killed_after_the_seal_use_is_recorded(service: OaServe) -> None:
    document_id, token = new_fawen(service, "关于做好用印中断恢复演练的通知", [{"group": "grp-county-govs"}])
    instance = service.ok("POST", "/api/instances", {"flow": "fawen", "document_id": document_id, "variables": {}},
                          token)
    approve(service, task_of(service, instance["id"], "review"), OFFICE_HEAD)
    approve(service, task_of(service, instance["id"], "signoff"), LEADER)
    approve(service, task_of(service, instance["id"], "recheck"), OFFICE_HEAD)
    seal = task_of(service, instance["id"], "seal")

    def sealed_without_pdf() -> Any:
        uses = service.db.seal_uses.count_documents({"document_id": document_id})
        document = service.db.documents.find_one({"_id": document_id}, {"issued_pdf": 1})
        return uses if uses and not document.get("issued_pdf") else None

    clerk = service.login(CLERK)
    uses_seen = kill_mid_way(service, lambda: service.call("POST", f"/api/tasks/{seal['_id']}/approve", {}, clerk),
                             sealed_without_pdf)
    assert uses_seen >= 1  # the kill landed after the register, before the document noted its PDF

    check_finished(service, instance["id"])
    check_sealed_once(service, document_id, token)
    check_delivered_once(service, document_id)


def test_dispatch_to_every_demo_unit_killed_half_way(service: OaServe) -> None:
    token = service.login(CITY_CLERK)
    created = service.ok("POST", "/api/documents", {
        "doc_type": "通知", "title": "关于开展分发中断恢复演练的通知", "body": BODY[:1],
        "main_to": [{"external": True, "name": "各县（市、区）人民政府，市直各单位"}]}, token)
    service.ok("POST", f"/api/documents/{created['id']}/number", {"version": created["version"]}, token)
    units = {row["_id"] for row in service.db.units.find({"status": "active"}, {"_id": 1})} - {"sg-szf"}
    assert len(units) == 1323  # every demo unit but the sender
    body = {"main": EVERYONE, "idempotency_key": "crash-everyone"}
    # Someone is uploading an attachment to a draft when the service dies: its spool file is left half-written.
    draft = service.ok("POST", "/api/documents", {"doc_type": "通知", "title": "附件上传中断", "body": BODY[:1]}, token)
    spool = service.data_dir / "uploads"
    uploading = socket.create_connection(("127.0.0.1", int(service.base.rsplit(":", 1)[1])))
    uploading.sendall(f"POST /api/documents/{draft['id']}/attachments?name=big.pdf HTTP/1.1\r\nHost: oa\r\n"
                      f"Authorization: Bearer {token}\r\nContent-Length: {8 << 20}\r\n\r\n".encode()
                      + b"%PDF-1.4\n" + b"0" * (1 << 16))
    service.wait_for("the upload spooled", lambda: list(spool.glob("upload-*")))

    def half_delivered() -> int | None:
        count = service.db.receipts.count_documents({"document_id": created["id"]})
        return count if 0 < count < len(units) else None

    seen = kill_mid_way(service, lambda: service.call(
        "POST", f"/api/documents/{created['id']}/dispatch", body, token), half_delivered)
    assert 0 < seen < len(units)
    uploading.close()
    assert list(spool.glob("upload-*")) == [], "the killed upload's spool file is still there"

    dispatch = check_delivered_once(service, created["id"], units)
    # The sender's retry of the request that never got its answer finds the same dispatch, and adds nothing.
    status, replay = service.call("POST", f"/api/documents/{created['id']}/dispatch", body, token)
    assert status in (200, 201) and replay["id"] == dispatch["_id"], replay
    assert service.db.receipts.count_documents({"document_id": created["id"]}) == len(units)
    # Each receiving clerk was told once.
    told = list(service.db.events.aggregate([
        {"$match": {"type": "exchange.received", "data.document_id": created["id"]}},
        {"$group": {"_id": {"user": "$user_id", "receipt": "$data.receipt_id"}, "n": {"$sum": 1}}},
        {"$match": {"n": {"$gt": 1}}}]))
    assert told == []


def test_signoff_killed_between_number_and_render(service: OaServe) -> None:
    admin = service.login("admin")
    service.ok("POST", "/api/flows", DIRECT_FAWEN, admin)
    document_id, token = new_fawen(service, "关于做好签发中断恢复演练的通知", [{"group": "grp-county-govs"}])
    instance = service.ok("POST", "/api/instances", {"flow": "fawen_direct", "document_id": document_id,
                                                     "variables": {}}, token)
    signoff = task_of(service, instance["id"], "signoff")
    code = service.db.units.find_one({"_id": "sg-szf"})["code"]
    counter_id = f"{code}:{dt.datetime.now(dt.UTC).year}"
    before = (service.db.number_counters.find_one({"_id": counter_id}) or {}).get("last", 0)

    def numbered_not_rendered() -> Any:
        document = service.db.documents.find_one({"_id": document_id}, {"content.doc_number": 1, "issued_pdf": 1})
        return document["content"]["doc_number"] if document["content"]["doc_number"] and \
            not document.get("issued_pdf") else None

    leader = service.login(LEADER)
    number = kill_mid_way(service, lambda: service.call("POST", f"/api/tasks/{signoff['_id']}/approve",
                                                        {"opinion": "同意印发"}, leader), numbered_not_rendered)

    check_finished(service, instance["id"])
    document = check_sealed_once(service, document_id, token)
    assert document["content"]["doc_number"] == number
    ledger = list(service.db.doc_numbers.find({"document_id": document_id}))
    assert [entry["text"] for entry in ledger] == [number], ledger
    # The counter moved by one: no number skipped, none given twice.
    assert service.db.number_counters.find_one({"_id": counter_id})["last"] == before + 1 == ledger[0]["seq"]
    assert service.db.doc_numbers.count_documents({"code": code, "year": ledger[0]["year"],
                                                   "seq": ledger[0]["seq"]}) == 1
    check_delivered_once(service, document_id)


def test_what_the_kills_left_behind_is_gone(service: OaServe) -> None:
    """After three kills: one search index directory (the live process's), and pid files naming only the
    live process's embedded servers."""
    assert service.starts == 4 and service.process is not None
    searches = list((service.data_dir / "search").iterdir())
    assert [path.name.split("-")[0] for path in searches] == [str(service.process.pid)], searches
    run = service.data_dir / "run"
    assert sorted(path.name for path in run.iterdir()) == ["endpoints.json", "mongodb.pid", "s3-gateway.pid"]
    named = {json.loads((run / name).read_text())["pid"] for name in ("mongodb.pid", "s3-gateway.pid")}
    assert named == set(service.children())

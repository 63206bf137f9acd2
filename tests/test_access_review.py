"""Who issues, receives and sees, tried the way a careless clerk or a determined one would: voiding an
issued document's number, renumbering after a void, a drafting office merged away, a recall that
would take another sender's route with it, and old documents in shapes the migration did not expect.

Same org as tests/test_who_issues.py (a city over 甲县 with its towns and office, and 乙县).
"""

from __future__ import annotations

from typing import Any

import pytest

from oa.clock import utcnow
from storage.mongo import SCHEMA_VERSION
from tests.city_org import authorise_office, build_city_org
from tests.client import ApiClient
from tests.exchange_org import dispatch, numbered, receipt_action
from tests.factories import PASSWORD
from tests.flow_org import Office
from web.services import Services


@pytest.fixture
async def office(services: Services, api: ApiClient) -> Office:
    return await build_city_org(services, api)


async def current_version(office: Office, document_id: str) -> int:
    return int((await office.services.documents.get(document_id))["version"])


# 1. An issued document stays what its recipients received -----------------------------------------

async def test_an_issued_documents_number_cannot_be_voided_under_its_recipients(office: Office) -> None:
    """Voiding the number of a document already sent put it back to draft: its clerk could rewrite it
    and every recipient would read the new draft as the document they had received."""
    api = office.api
    document = await numbered(office, main_to=[{"unit_id": "town"}])
    await dispatch(office, document["id"])
    path = f"/api/documents/{document['id']}"
    voided = await api.post(f"{path}/number/void", {"version": await current_version(office, document["id"]),
                                                    "reason": "标题有误"}, token=office.tokens["registrar"])
    assert voided.status == 409 and voided.body["code"] == "already_issued", voided
    rewritten = await api.patch(path, {"version": await current_version(office, document["id"]),
                                       "title": "关于另一件事的通知"}, token=office.tokens["drafter"])
    assert rewritten.status == 409
    seen = (await api.get(path, token=office.tokens["town-clerk"])).body
    assert seen["content"]["title"] == document["content"]["title"] and seen["status"] == "issued"
    assert seen["content"]["doc_number"] == document["content"]["doc_number"]


# 2. A consent holds for the text it was given to --------------------------------------------------

async def test_a_co_issuers_consent_does_not_survive_a_void_and_a_rewrite(office: Office) -> None:
    """教育局's 主要领导 agreed to one text; after the number is voided and the draft rewritten, the new
    text must not be numbered in a 联合行文 on the strength of that old consent."""
    api = office.api
    document = await office.draft(issuers=[{"unit_id": "county"}, {"unit_id": "dept-edu"}])
    started = await office.start(document["id"])
    for who in ("office", "edu", "head", "office"):  # 核稿, 会签 (教育局's consent), 签发, 复核, then 编号
        await office.act(who, (await office.only_task(who, started["id"]))["id"], opinion="同意")
    stored = await office.services.documents.get(document["id"])
    assert stored["status"] == "numbered" and "dept-edu" in stored["consents"]
    voided = await api.post(f"/api/documents/{document['id']}/number/void",
                            {"version": stored["version"], "reason": "正文需修改"}, token=office.tokens["registrar"])
    assert voided.status == 200, voided
    assert not (await office.services.documents.get(document["id"])).get("consents")
    rewritten = await api.patch(f"/api/documents/{document['id']}", {
        "version": voided.body["version"], "body": [{"level": 0, "text": "教育局从未同意过的新内容。"}]},
        token=office.tokens["drafter"])
    assert rewritten.status == 200, rewritten
    renumbered = await api.post(f"/api/documents/{document['id']}/number", {"version": rewritten.body["version"]},
                                token=office.tokens["registrar"])
    assert renumbered.status == 409 and renumbered.body["code"] == "joint_issuer_consent_missing", renumbered


# 3. A dissolved unit issues in no one's name ---------------------------------------------------------

async def test_an_office_merged_away_no_longer_numbers_in_its_governments_name(office: Office) -> None:
    api = office.api
    await authorise_office(office)
    created = await api.post("/api/documents", {
        "doc_type": "通知", "title": "关于防汛的通知", "issuers": [{"unit_id": "county"}],
        "main_to": [{"unit_id": "town"}], "body": [{"level": 0, "text": "现将有关事项通知如下。"}]},
        token=office.tokens["co-clerk"])
    assert created.status == 201, created
    unit = (await api.get("/api/units/county-office", token=office.tokens["cityadmin"])).body
    merged = await api.post("/api/units/county-office/merge", {"into": "county", "version": unit["version"]},
                            token=office.tokens["cityadmin"])
    assert merged.status == 200, merged
    refused = await api.post(f"/api/documents/{created.body['id']}/number", {"version": created.body["version"]},
                             token=office.tokens["co-clerk"])
    assert refused.status == 403 and refused.body["code"] == "drafting_unit_dissolved", refused
    assert await office.services.numbers.ledger.count_documents({"code": "甲府"}) == 0


async def test_no_number_is_taken_from_a_dissolved_issuers_sequence(office: Office) -> None:
    api = office.api
    await authorise_office(office)
    created = await api.post("/api/documents", {
        "doc_type": "通知", "title": "关于防汛的通知", "issuers": [{"unit_id": "county"}],
        "main_to": [{"unit_id": "county-b"}], "body": [{"level": 0, "text": "现将有关事项通知如下。"}]},
        token=office.tokens["co-clerk"])
    assert created.status == 201, created
    # 甲县 is merged into 乙县 (机构改革); its office moves there first, keeping its old authorisation.
    for unit_id, parent in (("county-office", "county-b"), ("town", "county-b"), ("town2", "county-b"),
                            ("dept-edu", "county-b"), ("dept-fin", "county-b")):
        unit = (await api.get(f"/api/units/{unit_id}", token=office.tokens["cityadmin"])).body
        moved = await api.post(f"/api/units/{unit_id}/move", {"parent_id": parent, "version": unit["version"]},
                               token=office.tokens["cityadmin"])
        assert moved.status == 200, moved
    county = (await api.get("/api/units/county", token=office.tokens["cityadmin"])).body
    dissolved = await api.post("/api/units/county/dissolve", {"version": county["version"]},
                               token=office.tokens["cityadmin"])
    assert dissolved.status == 200, dissolved
    refused = await api.post(f"/api/documents/{created.body['id']}/number", {"version": created.body["version"]},
                             token=office.tokens["co-clerk"])
    assert refused.status == 409 and refused.body["code"] == "issuer_dissolved", refused
    assert await office.services.numbers.ledger.count_documents({"code": "甲府"}) == 0


# 4. A recall takes back the sender's own receipt, nothing more -------------------------------------

async def test_a_recall_by_the_city_leaves_the_countys_forward_in_the_towns_inbox(office: Office) -> None:
    api = office.api
    await office.services.users.create({
        "username": "city-clerk", "display_name": "市收发", "password": PASSWORD,
        "posts": [{"unit": "city", "title": "收发员", "roles": ["收发员", "科员"]}]})
    city = await api.login("city-clerk", PASSWORD)
    created = await api.post("/api/documents", {
        "doc_type": "通知", "title": "关于安全生产的通知", "main_to": [{"unit_id": "county"}, {"unit_id": "town"}],
        "body": [{"level": 0, "text": "现将有关事项通知如下。"}]}, token=city)
    assert created.status == 201, created
    document = (await api.post(f"/api/documents/{created.body['id']}/number", {"version": 1}, token=city)).body
    sent = await api.post(f"/api/documents/{document['id']}/dispatch", {}, token=city)
    assert sent.status == 201, sent
    county_receipt = f"{sent.body['id']}.county"
    await receipt_action(office, county_receipt, "sign", "registrar")
    forwarded = await receipt_action(office, county_receipt, "forward", "registrar", status=201,
                                     main=[{"unit": "town"}], note="请遵照执行")
    recalled = await api.post(f"/api/dispatches/{sent.body['id']}/recall", {"reason": "重复发送",
                                                                            "unit_ids": ["town"]}, token=city)
    assert recalled.status == 200 and recalled.body["withdrawn"] == ["town"], recalled
    inbox = (await api.get("/api/exchange/inbox", token=office.tokens["town-clerk"])).body
    assert inbox["total"] == 1, inbox
    entry = inbox["items"][0]
    assert entry["id"] == f"{forwarded['id']}.town" and entry["status"] == "pending"
    assert [route["sender_unit_name"] for route in entry["routes"]] == ["甲县人民政府"]
    # Sent again by the city, the town still has one entry, now reached by both.
    again = await api.post(f"/api/documents/{document['id']}/dispatch", {"main": [{"unit": "town"}]}, token=city)
    assert again.status == 201, again
    inbox = (await api.get("/api/exchange/inbox", token=office.tokens["town-clerk"])).body
    assert inbox["total"] == 1, inbox
    assert [route["sender_unit_name"] for route in inbox["items"][0]["routes"]] == ["甲县人民政府", "测试市人民政府"]
    await receipt_action(office, entry["id"], "sign", "town-clerk")
    assert (await api.get(f"/api/receipts/{again.body['id']}.town", token=city)).body["status"] == "signed"


# 5. Migration at start takes whatever old documents hold ------------------------------------------

def odd_document(doc_id: str, content: dict[str, Any]) -> dict[str, Any]:
    now = utcnow()
    return {"_id": doc_id, "schema_version": SCHEMA_VERSION, "version": 1, "status": "draft",
            "drafting_unit_id": "county", "drafting_unit_path": ["county"], "created_by": "x", "created_at": now,
            "updated_by": "x", "updated_at": now, "participants": [],
            "content": {"doc_type": "通知", "title": "旧文", "body": [], "attachments": [], "doc_number": None,
                        **content}}


async def test_the_migration_takes_odd_old_entries_without_failing_the_start(office: Office) -> None:
    services = office.services
    await services.mongo["migrations"].delete_many({})
    await services.documents.documents.insert_many([
        odd_document("doc-00000000000000a1", {"issuers": ["甲县人民政府"], "main_to": ["甲一镇人民政府", None, 7],
                                              "copy_to": [{"unit_id": None, "name": None}]}),
        odd_document("doc-00000000000000a2", {"issuers": None, "main_to": None}),
        odd_document("doc-00000000000000a3", {"issuers": [{"unit_id": None, "name": 12, "code": ["甲府"]}],
                                              "main_to": [{"name": "甲二镇人民政府"}]}),
    ])
    report = await services.documents.migrate_free_text_organs()
    assert report is not None
    first = await services.documents.get("doc-00000000000000a1")
    assert first["content"]["issuers"][0]["unit_id"] == "county"
    assert first["content"]["main_to"] == [{"unit_id": "town", "name": "甲一镇人民政府"}]
    assert first["content"]["copy_to"] == []  # nothing to print: an entry without a name is dropped
    second = await services.documents.get("doc-00000000000000a2")
    assert second["content"]["issuers"] == [] and second["content"]["main_to"] == []
    third = await services.documents.get("doc-00000000000000a3")
    assert third["content"]["issuers"] == [] and third["content"]["main_to"] == [
        {"unit_id": "town2", "name": "甲二镇人民政府"}]
    # The drafting office still reads them (and can fix them) over the API.
    for doc_id in ("doc-00000000000000a1", "doc-00000000000000a2", "doc-00000000000000a3"):
        assert (await office.api.get(f"/api/documents/{doc_id}", token=office.tokens["drafter"])).status == 200


# 6. A unit's saved groups are its own -----------------------------------------------------------------

async def test_a_towns_private_group_is_kept_by_the_town_and_its_admins_not_the_countys_clerks(
        office: Office) -> None:
    api = office.api
    own = await api.post("/api/recipient-groups", {"name": "本镇各村", "unit_id": "town",
                                                   "selectors": [{"unit": "town"}]}, token=office.tokens["town-clerk"])
    assert own.status == 201, own
    # The county's 收发员 sends for the county only: the town's groups are not theirs to delete or add to.
    deleted = await api.request("DELETE", f"/api/recipient-groups/{own.body['id']}", token=office.tokens["registrar"])
    assert deleted.status == 404, deleted
    planted = await api.post("/api/recipient-groups", {"name": "本镇各村（新）", "unit_id": "town",
                                                       "selectors": [{"unit": "town-b"}]},
                             token=office.tokens["registrar"])
    assert planted.status == 403, planted
    listed = (await api.get("/api/recipient-groups", token=office.tokens["town-clerk"])).body["items"]
    assert [group["name"] for group in listed] == ["本镇各村"]
    # An admin over the town keeps its groups, as over its people and units.
    kept = await api.post("/api/recipient-groups", {"name": "本镇各办", "unit_id": "town",
                                                    "selectors": [{"unit": "town"}]}, token=office.tokens["admin"])
    assert kept.status == 201, kept
    removed = await api.request("DELETE", f"/api/recipient-groups/{kept.body['id']}", token=office.tokens["admin"])
    assert removed.status == 204, removed


# 7. The red header is the issuer's own -----------------------------------------------------------------

async def test_a_red_header_names_the_issuing_unit_and_no_other_organ(office: Office) -> None:
    """The 发文机关标志 (mark) prints as the red header: a town writing 甲县人民政府文件 there, or naming
    the county as an 'external' co-issuer, issues in the county's name without its consent."""
    api, town = office.api, office.tokens["town2-clerk"]
    body = {"doc_type": "通知", "title": "关于防汛的通知", "main_to": [{"unit_id": "town"}],
            "body": [{"level": 0, "text": "现将有关事项通知如下。"}]}
    borrowed = await api.post("/api/documents", {**body, "issuers": [{"unit_id": "town2", "mark": "甲县人民政府文件"}]},
                              token=town)
    assert borrowed.status == 403 and borrowed.body["code"] == "issuer_mark_not_own", borrowed
    disguised = await api.post("/api/documents", {**body, "issuers": [
        {"unit_id": "town2"}, {"external": True, "name": "甲县人民政府"}]}, token=town)
    assert disguised.status == 403 and disguised.body["code"] == "external_issuer_on_platform", disguised
    masked = await api.post("/api/documents", {**body, "issuers": [
        {"unit_id": "town2"}, {"external": True, "name": "中共甲二镇委员会", "mark": "甲县人民政府文件"}]}, token=town)
    assert masked.status == 403 and masked.body["code"] == "issuer_mark_not_own", masked
    # Its own name, with or without 文件, and a real outside organ are fine.
    fine = await api.post("/api/documents", {**body, "issuers": [
        {"unit_id": "town2", "mark": "甲二镇人民政府"}, {"external": True, "name": "中共甲二镇委员会",
                                                        "mark": "中共甲二镇委员会文件"}]}, token=town)
    assert fine.status == 201, fine
    assert [issuer["mark"] for issuer in fine.body["content"]["issuers"]] == ["甲二镇人民政府", "中共甲二镇委员会文件"]
    # A mark stored before the rule (or by a unit since renamed) is not printed as it was: numbering
    # takes the unit's own, as it takes the unit's own 机关代字.
    await office.services.documents.documents.update_one(
        {"_id": fine.body["id"]}, {"$set": {"content.issuers.0.mark": "甲县人民政府文件"}})
    numbered_now = await api.post(f"/api/documents/{fine.body['id']}/number", {"version": fine.body["version"]},
                                  token=town)
    assert numbered_now.status == 200, numbered_now
    stored = await office.services.documents.get(fine.body["id"])
    assert stored["content"]["issuers"][0]["mark"] == "甲二镇人民政府文件"


# 8. A 机关代字 numbers one organ's sequence ----------------------------------------------------------

async def test_a_unit_cannot_take_another_organs_code_and_so_its_number_sequence(office: Office) -> None:
    """发文字号 are counted per 机关代字: a town admin giving the town the county's code would number the
    town's documents 甲府〔…〕N号 from the county's own sequence."""
    api = office.api
    town = (await api.get("/api/units/town", token=office.tokens["town-admin"])).body
    taken = await api.patch("/api/units/town", {"version": town["version"], "code": "甲府"},
                            token=office.tokens["town-admin"])
    assert taken.status == 400 and "甲县人民政府" in taken.body["message"], taken
    created = await api.post("/api/units", {"name": "甲县新设局", "type": "部门", "level": "county",
                                            "parent_id": "county", "code": "乙府"}, token=office.tokens["admin"])
    assert created.status == 400 and "乙县人民政府" in created.body["message"], created
    imported = await api.post("/api/import", {"units": [
        {"id": "county-new", "name": "甲县新设局", "type": "部门", "level": "county", "parent": "county",
         "code": "乙府"}]}, token=office.tokens["admin"])
    assert imported.status == 400 and "乙县人民政府" in str(imported.body), imported
    twice = await api.post("/api/import", {"units": [
        {"id": "county-n1", "name": "甲县一局", "type": "部门", "level": "county", "parent": "county", "code": "甲新"},
        {"id": "county-n2", "name": "甲县二局", "type": "部门", "level": "county", "parent": "county",
         "code": "甲新"}]}, token=office.tokens["admin"])
    assert twice.status == 400, twice
    # Its own code kept, or a dissolved organ's code taken over by its successor, is fine.
    kept = await api.patch("/api/units/town2", {"version": (await api.get("/api/units/town2", token=office.tokens[
        "admin"])).body["version"], "code": "甲二镇", "name": "甲二镇人民政府"}, token=office.tokens["admin"])
    assert kept.status == 200, kept
    edu = (await api.get("/api/units/dept-edu", token=office.tokens["admin"])).body
    assert (await api.post("/api/units/dept-edu/dissolve", {"version": edu["version"]},
                           token=office.tokens["admin"])).status == 200
    successor = await api.post("/api/units", {"name": "甲县教育和体育局", "type": "部门", "level": "county",
                                              "parent_id": "county", "code": "甲教"}, token=office.tokens["admin"])
    assert successor.status == 201, successor


# 9. What its sender recalled is not passed on ------------------------------------------------------------

async def test_a_recalled_document_is_not_forwarded_further(office: Office) -> None:
    """The county signed for it, then the sender recalled it (sent by mistake): the county's clerk sees the
    notice and may not spread the document to its towns."""
    api = office.api
    document = await numbered(office, main_to=[{"unit_id": "county-office"}])
    sent = await dispatch(office, document["id"])
    receipt = f"{sent['id']}.county-office"
    await receipt_action(office, receipt, "sign", "co-clerk")
    recalled = await api.post(f"/api/dispatches/{sent['id']}/recall", {"reason": "误发"},
                              token=office.tokens["registrar"])
    assert recalled.status == 200 and recalled.body["noticed"] == ["county-office"], recalled
    await authorise_office(office)
    refused = await api.post(f"/api/receipts/{receipt}/forward", {"main": [{"unit": "town"}]},
                             token=office.tokens["co-clerk"])
    assert refused.status == 409 and refused.body["code"] == "recalled", refused
    assert (await api.get("/api/exchange/inbox", token=office.tokens["town-clerk"])).body["total"] == 0

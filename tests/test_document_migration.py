"""Documents stored with free-text issuers and recipients are migrated when the service starts."""

from __future__ import annotations

from typing import Any

import pytest

from oa.clock import utcnow
from storage.mongo import SCHEMA_VERSION
from tests.factories import small_org
from web.config import Settings
from web.services import Endpoints, Services


def old_document(doc_id: str, unit_id: str, issuers: list[dict[str, Any]], main_to: list[dict[str, Any]],
                 status: str = "draft", doc_number: str | None = None) -> dict[str, Any]:
    """A document in the shape stored before issuers and recipients had to be units or marked external."""
    now = utcnow()
    return {"_id": doc_id, "schema_version": SCHEMA_VERSION, "version": 1, "status": status,
            "drafting_unit_id": unit_id, "drafting_unit_path": [unit_id], "created_by": "x", "created_at": now,
            "updated_by": "x", "updated_at": now, "participants": [],
            "content": {"doc_type": "通知", "title": "旧文", "issuers": issuers, "main_to": main_to,
                        "copy_to": [{"unit_id": None, "name": "县委办公室"}], "body": [{"level": 0, "text": "正文"}],
                        "attachments": [], "note": "", "contact": None, "signers": [], "written_date": None,
                        "printer": None, "printed_date": None, "copy_number": None, "urgency": "",
                        "disclosure": "主动公开", "direction": "下行", "direction_set": False,
                        "doc_number": doc_number}}


async def test_free_text_organs_become_units_or_marked_external_names_at_start(
        services: Services, settings: Settings, endpoints: Endpoints, capsys: pytest.CaptureFixture[str]) -> None:
    await small_org(services)
    documents = services.documents.documents
    await services.mongo["migrations"].delete_many({})
    await documents.insert_many([
        # The county's own name as free text, with its code: the county may issue for itself.
        old_document("doc-0000000000000001", "county-a", [{"unit_id": None, "name": "甲县人民政府", "mark": "",
                                                            "code": "甲府"}],
                     [{"unit_id": None, "name": "甲一镇人民政府"}, {"unit_id": None, "name": "各村（居）委会"}]),
        # A town writing as another county: never becomes that county, stays a marked external name.
        old_document("doc-0000000000000002", "town-a1", [{"unit_id": None, "name": "乙县人民政府", "mark": "",
                                                          "code": "乙府"}], [], status="numbered",
                     doc_number="乙府〔2026〕3号"),
    ])
    await services.numbers.ledger.insert_one({"code": "乙府", "year": 2026, "seq": 3, "text": "乙府〔2026〕3号",
                                              "document_id": "doc-0000000000000002", "status": "used"})
    capsys.readouterr()
    reopened = await Services.open(settings, endpoints)
    try:
        printed = capsys.readouterr().out
        assert "documents changed: 2" in printed and "matched to a platform unit: 2" in printed
        assert "乙县人民政府" in printed.split("kept as external")[1]
        first = await documents.find_one({"_id": "doc-0000000000000001"})
        assert first["content"]["issuers"][0]["unit_id"] == "county-a"
        assert first["content"]["main_to"] == [{"unit_id": "town-a1", "name": "甲一镇人民政府"},
                                               {"external": True, "name": "各村（居）委会"}]
        assert first["content"]["copy_to"] == [{"external": True, "name": "县委办公室"}]
        assert first["version"] == 2
        revision = await services.documents.revision("doc-0000000000000001", 2)
        assert revision["action"] == "migrate"
        second = await documents.find_one({"_id": "doc-0000000000000002"})
        assert second["content"]["issuers"][0] == {"unit_id": None, "external": True, "name": "乙县人民政府",
                                                   "mark": "", "code": ""}
        assert second["content"]["doc_number"] == "乙府〔2026〕3号"  # the number it was given stays
        assert await services.numbers.ledger.count_documents({"text": "乙府〔2026〕3号"}) == 1
    finally:
        await reopened.events.stop()
        await reopened.close()
    # Once only: a second start changes nothing and prints nothing.
    again = await Services.open(settings, endpoints)
    try:
        assert "Migrated" not in capsys.readouterr().out
        assert (await documents.find_one({"_id": "doc-0000000000000001"}))["version"] == 2
    finally:
        await again.events.stop()
        await again.close()

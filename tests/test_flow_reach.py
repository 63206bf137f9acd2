"""转办 and 加签 reach only people the flow may involve: its unit, the units under its unit's parent
organ, and the units it already involves; anyone else gets 403 target_outside_flow."""

from __future__ import annotations

import pytest

from tests.client import ApiClient
from tests.factories import PASSWORD
from tests.flow_org import Office, build_office
from web.services import Services


@pytest.fixture
async def office(services: Services, api: ApiClient) -> Office:
    built = await build_office(services, api)
    # Another county with its own people: beyond the reach of the first county's flows.
    await services.orgs.create({"id": "county2", "name": "乙县人民政府", "type": "政府", "level": "county",
                                "code": "乙府"})
    for username, name, title, role in (("other", "林县长", "县长", "主要领导"),
                                        ("other-office", "蔡主任", "县政府办主任", "办公室主任")):
        user = await services.users.create({"username": username, "display_name": name, "password": PASSWORD,
                                            "posts": [{"unit": "county2", "title": title, "roles": [role]}]})
        built.ids[username] = user["_id"]
        built.tokens[username] = await api.login(username, PASSWORD)
    return built


async def test_transfer_to_another_county_is_refused(office: Office) -> None:
    document = await office.draft()
    await office.start(document["id"])
    review = await office.only_task("office")
    refused = await office.act("office", review["id"], "transfer", status=403, to_user=office.ids["other"])
    assert refused["code"] == "target_outside_flow" and "林县长" in refused["message"]
    assert refused["users"] == [office.ids["other"]]
    assert await office.todo("other") == [] and (await office.only_task("office"))["id"] == review["id"]
    added = await office.act("office", review["id"], "add-signers", status=403,
                             users=[office.ids["deputy"], office.ids["other-office"]], position="before")
    assert added["code"] == "target_outside_flow" and added["users"] == [office.ids["other-office"]]
    await office.act("office", review["id"], "transfer", to_user=office.ids["town-head"])  # under the county


async def test_transfer_to_a_sibling_department_is_allowed(office: Office) -> None:
    # 教育局 runs the flow; its parent organ is the county government, so 财政局 next to it is in reach.
    document = await office.draft(who="edu-office", issuers=[{"unit_id": "dept-edu"}])
    await office.start(document["id"], who="edu-office")
    review = await office.only_task("edu-office")
    assert review["unit_id"] == "dept-edu"
    refused = await office.act("edu-office", review["id"], "transfer", status=403, to_user=office.ids["other"])
    assert refused["code"] == "target_outside_flow"
    await office.act("edu-office", review["id"], "transfer", to_user=office.ids["fin-office"], reason="请财政局核稿")
    assert (await office.only_task("fin-office"))["node"] == "review"


async def test_units_the_flow_involves_are_in_reach(office: Office) -> None:
    # 乙县 is asked to countersign, so its people may be given work in this flow.
    document = await office.draft()
    await office.start(document["id"], countersign_units=["dept-edu", "county2"])
    await office.act("office", (await office.only_task("office"))["id"])
    other = await office.only_task("other")
    await office.act("other", other["id"], "add-signers", users=[office.ids["other-office"]], position="before")
    assert (await office.only_task("other-office"))["node"] == "countersign"

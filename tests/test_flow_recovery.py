"""A process stopped between two steps: the engine resumes from the stored state, nothing lost or doubled."""

from __future__ import annotations

import asyncio
from typing import Any

from flows.actions import FlowService
from flows.auto_steps import AutoSteps
from oa.clock import CHINA
from tests.client import ApiClient
from tests.flow_org import build_office
from web.services import Services


class StopsBeforeNumbering(AutoSteps):
    """Stands in for a process killed after 复核 committed and before 编号 ran."""

    async def run(self, action: str, instance: dict[str, Any]) -> None:
        raise SystemExit("killed") if action == "number" else await super().run(action, instance)


def auto_step_parts(services: Services) -> tuple[Any, ...]:
    return (services.documents, services.blobs, services.dispatches, services.exchange_log, services.seals,
            services.mongo)


def engine_like(services: Services, auto_steps: AutoSteps) -> FlowService:
    """A second process's engine over the same database."""
    current = services.flows.deps
    return FlowService(services.mongo, current.catalog, current.orgs, current.documents, current.delegations,
                       current.calendars, auto_steps, current.urge_interval)


async def test_an_unfinished_automatic_step_is_resumed_exactly_once(services: Services, api: ApiClient) -> None:
    office = await build_office(services, api)
    document = await office.draft()
    started = await office.start(document["id"])
    await office.act("office", (await office.only_task("office"))["id"])
    await office.act("head", (await office.only_task("head"))["id"])
    recheck = await office.only_task("office")

    dying = engine_like(services, StopsBeforeNumbering(*auto_step_parts(services)))
    try:
        await dying.do_approve(recheck["id"], await services.users.get(office.ids["office"]))
    except SystemExit:
        pass
    stored = await services.mongo["flow_instances"].find_one({"_id": started["id"]})
    assert stored["auto_pending"]["node"] == "number" and stored["node"] == "number"
    assert (await services.documents.get(document["id"]))["content"]["doc_number"] is None
    assert await office.todo("registrar") == []

    # Two processes restart at once and both try to finish the step.
    first, second = (engine_like(services, AutoSteps(*auto_step_parts(services))) for _ in range(2))
    await asyncio.gather(first.resume_pending(), second.resume_pending())
    numbered = await services.documents.get(document["id"])
    assert numbered["content"]["doc_number"] == "甲府〔2026〕1号"
    ledger = await services.mongo["doc_numbers"].count_documents({"document_id": document["id"]})
    assert ledger == 1
    seal = await office.only_task("registrar")
    assert seal["node"] == "seal"
    audit = await services.mongo["flow_audit"].count_documents({"instance_id": started["id"],
                                                                "action": "auto:number"})
    assert audit == 1
    # Nothing left to resume.
    assert await first.resume_pending() == 0


async def test_a_failing_automatic_step_is_recorded_and_retried(services: Services, api: ApiClient) -> None:
    office = await build_office(services, api)
    # Through the units' owner, as an admin's edit goes: this process honours its own write at once.
    county = await services.orgs.get("county")
    county = await services.orgs.update("county", {"code": ""}, county["version"], by=office.ids["admin"])
    document = await office.draft()
    started = await office.start(document["id"])
    for who in ("office", "head", "office"):
        await office.act(who, (await office.only_task(who))["id"])
    stuck = await services.mongo["flow_instances"].find_one({"_id": started["id"]})
    assert stuck["auto_pending"]["node"] == "number"
    assert "机关代字" in stuck["auto_error"]["message"]
    await services.orgs.update("county", {"code": "甲府"}, county["version"], by=office.ids["admin"])
    assert await services.flows.resume_pending() == 1
    assert (await office.only_task("registrar"))["node"] == "seal"


async def test_a_document_sent_without_a_date_is_dated_the_day_it_was_signed_off(services: Services,
                                                                                 api: ApiClient) -> None:
    """成文日期 left empty by the drafter: the 发文 goes out dated the day its head signed it off (GB/T 9704), never
    undated with its seal over an empty date line."""
    office = await build_office(services, api)
    document = await office.draft(written_date=None)
    await office.start(document["id"])
    for who in ("office", "head", "office"):
        await office.act(who, (await office.only_task(who))["id"])
    numbered = await services.documents.get(document["id"])
    signed = numbered["signoff"]["at"].astimezone(CHINA).date().isoformat()
    assert numbered["content"]["doc_number"] and numbered["content"]["written_date"] == signed
    # A date the drafter wrote is kept as written.
    dated = await office.draft(title="关于做好冬季防火工作的通知")
    await office.start(dated["id"])
    for who in ("office", "head", "office"):
        await office.act(who, (await office.only_task(who))["id"])
    assert (await services.documents.get(dated["id"]))["content"]["written_date"] == "2026-11-23"

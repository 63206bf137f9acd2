"""The working calendar knows the State Council's holidays and 调休 workdays, units keep their own local days,
and admins are warned in December when next year's official days are not known yet."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flows.calendar_days import calendar_of, december_warning, official_year
from oa.clock import CHINA
from tests.client import ApiClient
from tests.factories import PASSWORD, small_org
from web.services import Services

EVE_OF_NATIONAL_DAY = datetime(2026, 9, 30, 10, 0, tzinfo=CHINA)


def test_a_deadline_across_national_day_skips_the_holidays_and_counts_the_tiaoxiu_saturday() -> None:
    calendar = calendar_of({"official": {"2026": official_year(2026)}})
    # 10月1日–7日 are off; 8日 (Thu), 9日 (Fri) and the 调休 Saturday 10日 are working days.
    due = calendar.add_working_days(EVE_OF_NATIONAL_DAY, 3)
    assert due.astimezone(CHINA) == datetime(2026, 10, 10, 17, 30, tzinfo=CHINA)
    assert calendar_of({}).add_working_days(EVE_OF_NATIONAL_DAY, 3).astimezone(CHINA).date() == date(2026, 10, 5)
    # The 调休 Sunday before it (9月20日) is a working day too.
    assert calendar.is_workday(date(2026, 9, 20)) and not calendar.is_workday(date(2026, 10, 5))


def test_the_warning_comes_in_december_only_when_next_years_days_are_unknown() -> None:
    assert december_warning(date(2026, 11, 30), {}) is None
    warning = december_warning(date(2026, 12, 1), {})
    assert warning and "2027年" in warning
    assert december_warning(date(2026, 12, 1), {"2027": {"holidays": {}}}) is None
    assert december_warning(date(2025, 12, 1), {}) is None  # the package already knows 2026


async def test_the_calendar_is_prefilled_at_start_and_deadlines_count_the_holidays(services: Services) -> None:
    record = await services.calendars.record()
    year = datetime.now(UTC).astimezone(CHINA).year
    assert str(year) in record["official"] or official_year(year) is None
    if official_year(2026) and "2026" not in record["official"]:
        await services.calendars.import_official(2026, "test")
    calendar = await services.calendars.load()
    assert calendar.add_working_days(EVE_OF_NATIONAL_DAY, 3).astimezone(CHINA).date() == date(2026, 10, 10)
    days = await services.calendars.days(2026)
    national = next(item for item in days if item["date"] == "2026-10-01")
    assert national["name"] == "国庆节" and national["source_label"] == "国务院办公厅" and national["off"]
    assert next(item for item in days if item["date"] == "2026-10-10")["kind"] == "workday"
    # A second start adds nothing and overwrites nothing.
    assert await services.calendars.prefill_official(date(2026, 6, 1)) == []


async def test_a_county_keeps_its_own_days_for_its_subtree_only(services: Services, api: ApiClient) -> None:
    org = await small_org(services)
    del org
    aadmin, badmin = await api.login("aadmin", PASSWORD), await api.login("badmin", PASSWORD)
    local = {"unit_id": "county-a", "date": "2026-12-03", "kind": "holiday", "name": "盘王节"}
    refused = await api.post("/api/calendar/local", local, token=badmin)
    assert refused.status == 403, refused
    added = await api.post("/api/calendar/local", local, token=aadmin)
    assert added.status == 201 and added.body["by"]["name"] == "甲县管理员", added
    again = await api.post("/api/calendar/local", local, token=aadmin)
    assert again.status == 409
    bad = await api.post("/api/calendar/local", {**local, "date": "2026-13-03"}, token=aadmin)
    assert bad.status == 400 and bad.body["field"] == "date", bad
    start = datetime(2026, 12, 2, 9, 0, tzinfo=CHINA)  # a Wednesday
    town_a = await services.calendars.load("town-a1")
    town_b = await services.calendars.load("town-b1")
    assert town_a.add_working_days(start, 1).astimezone(CHINA).date() == date(2026, 12, 4)
    assert town_b.add_working_days(start, 1).astimezone(CHINA).date() == date(2026, 12, 3)
    shown = await api.get("/api/calendar/days?year=2026&unit_id=town-a1", token=aadmin)
    entry = next(item for item in shown.body["items"] if item["date"] == "2026-12-03")
    assert entry["source"] == "local" and entry["source_label"] == "本地（甲县人民政府）"
    other = await api.get("/api/calendar/days?year=2026&unit_id=town-b1", token=badmin)
    assert all(item["date"] != "2026-12-03" for item in other.body["items"])
    assert (await api.request("DELETE", "/api/calendar/local/county-a/2026-12-03", token=badmin)).status == 403
    assert (await api.request("DELETE", "/api/calendar/local/county-a/2026-12-03", token=aadmin)).status == 204
    assert (await api.request("DELETE", "/api/calendar/local/county-a/2026-12-03", token=aadmin)).status == 404
    town_a = await services.calendars.load("town-a1")
    assert town_a.add_working_days(start, 1).astimezone(CHINA).date() == date(2026, 12, 3)


async def test_only_a_platform_admin_imports_official_days_and_an_unknown_year_is_refused(
        services: Services, api: ApiClient) -> None:
    await small_org(services)
    sysadmin, aadmin = await api.login("sysadmin", PASSWORD), await api.login("aadmin", PASSWORD)
    assert (await api.post("/api/calendar/official", {"year": 2026}, token=aadmin)).status == 403
    done = await api.post("/api/calendar/official", {"year": 2026}, token=sysadmin)
    assert done.status == 200 and 2026 in done.body["official_years"], done
    unknown = await api.post("/api/calendar/official", {"year": 2031}, token=sysadmin)
    assert unknown.status == 404 and unknown.body["code"] == "holidays_not_published", unknown

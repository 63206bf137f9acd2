"""Which days are off and which are 调休 working days, layer by layer, and where each one came from.

Three layers make a unit's calendar, later ones winning on the same date:
1. 国务院办公厅 — the State Council's public holidays and 调休 workdays for a year, taken from the
   `chinese-calendar` package (republished every year once the State Council announces the next one);
2. 手工 — days a platform administrator typed in for everyone (the calendar's `holidays` and
   `extra_workdays`), each remembered with who added it;
3. 本地 — a unit's own days (a county's ethnic festival), which apply to that unit and every unit below it.

Nothing here touches the database: `flows/calendar.py` stores the layers and calls these functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import chinese_calendar

from flows.worktime import WorkCalendar, calendar_from_record

OFFICIAL = "official"
MANUAL = "manual"
LOCAL = "local"
HOLIDAY = "holiday"
WORKDAY = "workday"
KINDS = (HOLIDAY, WORKDAY)
SOURCE_LABELS = {OFFICIAL: "国务院办公厅", MANUAL: "手工添加", LOCAL: "本地"}
# The package names each holiday in English; a clerk reads it in Chinese.
HOLIDAY_NAMES = {"New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
                 "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
                 "Mid-autumn Festival": "中秋节", "Anti-Fascist 70th Day": "抗战胜利70周年纪念日"}
LIBRARY = f"chinese-calendar {getattr(chinese_calendar, '__version__', '')}".strip()
MAX_NAME = 30


def known_years() -> list[int]:
    """The years whose holidays the installed package knows (announced by the State Council)."""
    return sorted({day.year for day in chinese_calendar.holidays})


def official_year(year: int) -> dict[str, dict[str, str]] | None:
    """The State Council's holidays and 调休 workdays of `year` as {date: name}; None when not yet known."""
    if year not in known_years():
        return None
    holidays = {day.isoformat(): HOLIDAY_NAMES.get(name, name)
                for day, name in chinese_calendar.holidays.items() if day.year == year}
    workdays = {day.isoformat(): HOLIDAY_NAMES.get(name, name)
                for day, name in chinese_calendar.workdays.items() if day.year == year}
    return {"holidays": dict(sorted(holidays.items())), "workdays": dict(sorted(workdays.items()))}


def december_warning(today: date, official: Mapping[str, Any]) -> str | None:
    """In December, say so when next year's official days are neither stored nor known to the package."""
    if today.month != 12:
        return None
    coming = today.year + 1
    if str(coming) in official or coming in known_years():
        return None
    return (f"{coming}年的国务院办公厅节假日安排尚未导入（系统所用的 {LIBRARY} 尚未收录）。"
            f"发布后请升级该软件包并点击“导入国务院办公厅安排”，或先手工添加{coming}年的节假日和调休上班日，"
            f"否则跨年的办理时限会算错。")


def layered_days(record: Mapping[str, Any], path: Iterable[str] = ()) -> dict[str, dict[str, Any]]:
    """Every special day in force for a unit whose path (root first) is `path`: {date: entry}, later layers
    replacing earlier ones on the same date. An entry has kind, name, source and, for local ones, unit_id."""
    days: dict[str, dict[str, Any]] = {}
    for _year, stored in sorted((record.get("official") or {}).items()):
        for kind, key in ((HOLIDAY, "holidays"), (WORKDAY, "workdays")):
            for day, name in stored.get(key, {}).items():
                days[day] = {"date": day, "kind": kind, "name": name, "source": OFFICIAL,
                             "by": stored.get("loaded_by"), "at": stored.get("loaded_at")}
    added_by = record.get("manual_by") or {}
    for kind, key in ((HOLIDAY, "holidays"), (WORKDAY, "extra_workdays")):
        for day in record.get(key) or []:
            days[day] = {"date": day, "kind": kind, "name": None, "source": MANUAL, "by": added_by.get(day)}
    order = {unit_id: n for n, unit_id in enumerate(path)}
    # A unit's own day beats its county's on the same date: apply the nearest unit last.
    local = sorted((entry for entry in record.get("local") or [] if entry.get("unit_id") in order),
                   key=lambda entry: order[entry["unit_id"]])
    for entry in local:
        days[entry["date"]] = {**entry, "source": LOCAL}
    return days


def calendar_of(record: Mapping[str, Any], path: Iterable[str] = ()) -> WorkCalendar:
    """The working calendar of a unit with this path (the platform's alone when the path is empty)."""
    days = layered_days(record, path)
    return calendar_from_record({
        "holidays": sorted(day for day, entry in days.items() if entry["kind"] == HOLIDAY),
        "extra_workdays": sorted(day for day, entry in days.items() if entry["kind"] == WORKDAY),
        "hours": record.get("hours")})


def local_units(record: Mapping[str, Any]) -> set[str]:
    return {entry["unit_id"] for entry in record.get("local") or []}


def check_day(raw: Any) -> date:
    """A YYYY-MM-DD date, through the calendar's own strict parser."""
    return next(iter(calendar_from_record({"holidays": [raw]}).holidays))

"""Working time for deadlines (时限): working hours and working days on a calendar with holidays.

A deadline counts only office hours on working days: Monday to Friday unless a public holiday,
plus the weekend days declared working days (调休). Day arithmetic happens in Beijing time;
every datetime in and out is UTC-aware.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from oa.clock import CHINA

DEFAULT_HOURS = ((time(8, 30), time(12, 0)), (time(14, 0), time(17, 30)))
MAX_SCAN_DAYS = 3660  # a deadline never lies ten years away; stops a calendar of only holidays looping forever


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date] = field(default_factory=frozenset)
    extra_workdays: frozenset[date] = field(default_factory=frozenset)
    hours: tuple[tuple[time, time], ...] = DEFAULT_HOURS

    def is_workday(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def _periods(self, day: date) -> list[tuple[datetime, datetime]]:
        if not self.is_workday(day):
            return []
        return [(datetime.combine(day, start, CHINA), datetime.combine(day, end, CHINA)) for start, end in self.hours]

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The instant `hours` of office time after `start`."""
        remaining = timedelta(hours=hours)
        local = start.astimezone(CHINA)
        day = local.date()
        for _ in range(MAX_SCAN_DAYS):
            for opens, closes in self._periods(day):
                begin = max(opens, local)
                if begin >= closes:
                    continue
                if begin + remaining <= closes:
                    return (begin + remaining).astimezone(UTC)
                remaining -= closes - begin
            day += timedelta(days=1)
        raise ValueError("no working time found within ten years: check the calendar")

    def close_of(self, day: date) -> datetime:
        return datetime.combine(day, self.hours[-1][1], CHINA)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """Close of business on the `days`-th working day after `start`'s day (0: today if still open)."""
        local = start.astimezone(CHINA)
        day = local.date()
        if days == 0:
            while not (self.is_workday(day) and local < self.close_of(day)):
                day += timedelta(days=1)
                local = datetime.combine(day, time(0), CHINA)
            return self.close_of(day).astimezone(UTC)
        counted = 0
        for _ in range(MAX_SCAN_DAYS):
            day += timedelta(days=1)
            if self.is_workday(day):
                counted += 1
                if counted == days:
                    return self.close_of(day).astimezone(UTC)
        raise ValueError("no working day found within ten years: check the calendar")

    def working_hours_between(self, a: datetime, b: datetime) -> float:
        if b <= a:
            return 0.0
        total = timedelta()
        day, end_day = a.astimezone(CHINA).date(), b.astimezone(CHINA).date()
        while day <= end_day:
            for opens, closes in self._periods(day):
                begin, finish = max(opens, a), min(closes, b)
                if finish > begin:
                    total += finish - begin
            day += timedelta(days=1)
        return total.total_seconds() / 3600

    def due_at(self, start: datetime, deadline: dict[str, Any] | None) -> datetime | None:
        """When a deadline given as data ({'hours': 4} or {'days': 2}) falls, counted from `start`."""
        if not deadline:
            return None
        if "hours" in deadline:
            return self.add_working_hours(start, float(deadline["hours"]))
        if "days" in deadline:
            return self.add_working_days(start, int(deadline["days"]))
        raise ValueError(f"a deadline needs 'hours' or 'days' (got {sorted(deadline)})")


def _day(raw: Any, name: str) -> date:
    try:
        return date.fromisoformat(raw)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: {raw!r} is not a date YYYY-MM-DD") from None


def _clock(raw: Any) -> time:
    try:
        return time.fromisoformat(raw)
    except (TypeError, ValueError):
        raise ValueError(f"hours: {raw!r} is not a time HH:MM") from None


def calendar_from_record(record: dict[str, Any] | None) -> WorkCalendar:
    """A calendar from its stored form, with an error that says what is wrong."""
    record = record or {}
    holidays = frozenset(_day(raw, "holidays") for raw in record.get("holidays", []))
    extra = frozenset(_day(raw, "extra_workdays") for raw in record.get("extra_workdays", []))
    if both := sorted(holidays & extra):
        raise ValueError(f"{both[0].isoformat()} is both a holiday and an extra workday")
    raw_hours = record.get("hours")
    if raw_hours is None:
        return WorkCalendar(holidays, extra)
    if not isinstance(raw_hours, list) or not raw_hours:
        raise ValueError("hours must be a non-empty list of [start, end] pairs such as ['08:30', '12:00']")
    periods = []
    for pair in raw_hours:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise ValueError("hours must be a list of [start, end] pairs")
        start, end = _clock(pair[0]), _clock(pair[1])
        if end <= start:
            raise ValueError(f"hours: {pair[0]}–{pair[1]} ends before it starts")
        if periods and start < periods[-1][1]:
            raise ValueError(f"hours: {pair[0]}–{pair[1]} overlaps or comes before the previous period")
        periods.append((start, end))
    return WorkCalendar(holidays, extra, tuple(periods))

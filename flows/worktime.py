"""Working time for deadlines (时限): working hours and working days on a calendar with holidays.

A deadline counts only office hours on working days: Monday to Friday unless a public holiday,
plus the weekend days declared working days (调休). Day arithmetic happens in the calendar's zone
(Beijing); every datetime in and out is UTC-aware. Nothing here reads the database: the stored
calendar record is loaded elsewhere and turned into a `WorkCalendar` by `calendar_from_record`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from oa.clock import CHINA

Period = tuple[time, time]
DEFAULT_HOURS: tuple[Period, ...] = ((time(8, 30), time(12, 0)), (time(14, 0), time(17, 30)))
# A calendar of nothing but holidays would make the scans below loop forever, and no real
# deadline lies ten years away: running out of days means the calendar or the deadline is wrong.
MAX_SCAN_DAYS = 3660
TOO_FAR = "the deadline falls more than ten years away (or the calendar has no working days)"
DEADLINE_UNITS = ("hours", "days")
# Keys a stored deadline may carry for others: the scheduler reads escalate_after itself.
DEADLINE_OTHER_KEYS = ("escalate_after",)
# Strict forms, because date/time.fromisoformat also take "20261001", "0830" or "08:30+08:00".
DATE_FORMAT = re.compile(r"\d{4}-\d{2}-\d{2}")
TIME_FORMAT = re.compile(r"\d{2}:\d{2}")


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are working days, and the office hours (wall-clock times in `tz`) on each of them."""

    holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    hours: tuple[Period, ...] = DEFAULT_HOURS
    tz: tzinfo = CHINA

    def __post_init__(self) -> None:
        check_periods(self.hours)
        if both := sorted(self.holidays & self.extra_workdays):
            raise ValueError(f"{both[0].isoformat()} is both a holiday and an extra workday")

    def is_workday(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The instant `hours` of office time after `start`; nights, lunch and days off do not count."""
        start = utc(start, "start")
        remaining = timedelta(hours=_amount(hours, "hours", MAX_SCAN_DAYS * 24))
        for day in self._workdays(self._local_day(start)):
            for opens, closes in self._periods(day):
                begin = max(opens, start)
                if begin >= closes:
                    continue  # this period is already over when the clock starts
                if begin + remaining <= closes:
                    return begin + remaining
                remaining -= closes - begin
        raise ValueError(TOO_FAR)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """Close of business on the `days`-th working day after the day of `start`.

        The start day is day 0 whatever it is (a holiday, or after hours), so 1 means the next
        working day. With 0 the deadline is close of business today, or of the next working day
        when today is not one or has already closed.
        """
        start = utc(start, "start")
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_SCAN_DAYS:
            raise ValueError(f"days must be a whole number from 0 to {MAX_SCAN_DAYS} (got {days!r})")
        today = self._local_day(start)
        if days == 0 and self.is_workday(today) and start < self._close_of(today):
            return self._close_of(today)
        wanted = max(days, 1)
        for count, day in enumerate(self._workdays(today + timedelta(days=1)), start=1):
            if count == wanted:
                return self._close_of(day)
        raise ValueError(TOO_FAR)

    def working_hours_between(self, a: datetime, b: datetime) -> float:
        """Office hours from `a` to `b`; negative when `b` is earlier (time still left before a deadline)."""
        a, b = utc(a, "a"), utc(b, "b")
        if b < a:
            return -self.working_hours_between(b, a)
        total = timedelta()
        day, last = self._local_day(a), self._local_day(b)
        while day <= last:
            for opens, closes in self._periods(day):
                total += max(timedelta(), min(closes, b) - max(opens, a))
            day += timedelta(days=1)
        return total.total_seconds() / 3600

    def due_at(self, start: datetime, deadline: Mapping[str, Any] | None) -> datetime | None:
        """When a deadline given as data ({'hours': 4} or {'days': 2}) falls; None when there is none."""
        if deadline is None or (isinstance(deadline, Mapping) and not deadline):
            return None
        unit, amount = parse_deadline(deadline)
        if unit == "hours":
            return self.add_working_hours(start, amount)
        return self.add_working_days(start, int(amount))

    def _local_day(self, instant: datetime) -> date:
        return instant.astimezone(self.tz).date()

    def _at(self, day: date, clock: time) -> datetime:
        # Arithmetic then happens in UTC, which stays right even in a zone with daylight saving.
        return datetime.combine(day, clock, self.tz).astimezone(UTC)

    def _periods(self, day: date) -> list[tuple[datetime, datetime]]:
        if not self.is_workday(day):
            return []
        return [(self._at(day, opens), self._at(day, closes)) for opens, closes in self.hours]

    def _close_of(self, day: date) -> datetime:
        return self._at(day, self.hours[-1][1])

    def _workdays(self, first: date) -> Iterator[date]:
        """Working days from `first` on, for at most MAX_SCAN_DAYS calendar days."""
        for offset in range(MAX_SCAN_DAYS):
            day = first + timedelta(days=offset)
            if self.is_workday(day):
                yield day


def utc(value: datetime, name: str) -> datetime:
    """`value` in UTC; a naive datetime is refused, since guessing its zone would shift deadlines by hours."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime (got {value!r})")
    return value.astimezone(UTC)


def _amount(value: Any, name: str, limit: float) -> float:
    # bool is an int to Python, and a huge int cannot go through math.isfinite: check types first.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number of at least 0 (got {value!r})")
    if (isinstance(value, float) and not math.isfinite(value)) or value < 0:
        raise ValueError(f"{name} must be a number of at least 0 (got {value!r})")
    if value > limit:
        raise ValueError(f"{name} {value!r}: {TOO_FAR}")
    return float(value)


def parse_deadline(deadline: Any) -> tuple[str, float]:
    """('hours' or 'days', amount) from a deadline record, or a ValueError naming what is wrong."""
    if not isinstance(deadline, Mapping):
        raise ValueError(f"a deadline must be an object such as {{'hours': 4}} or {{'days': 2}} (got {deadline!r})")
    if unknown := sorted(set(deadline) - {*DEADLINE_UNITS, *DEADLINE_OTHER_KEYS}):
        raise ValueError(f"unknown deadline keys: {', '.join(map(str, unknown))}")
    units = [unit for unit in DEADLINE_UNITS if unit in deadline]
    if len(units) != 1:
        raise ValueError("a deadline has exactly one of 'hours' (working hours) or 'days' (working days)")
    unit = units[0]
    limit = MAX_SCAN_DAYS * 24 if unit == "hours" else MAX_SCAN_DAYS
    amount = _amount(deadline[unit], f"deadline {unit}", limit)
    if unit == "days" and not amount.is_integer():
        raise ValueError(f"deadline days must be a whole number of working days (got {deadline[unit]!r})")
    return unit, amount


def _hm(clock: time) -> str:
    return clock.strftime("%H:%M")


def check_periods(periods: tuple[Period, ...]) -> None:
    """Office hours must be at least one period, each ending after it starts, in order, not overlapping."""
    if not periods:
        raise ValueError("hours must list at least one working period such as ['08:30', '12:00']")
    previous: Period | None = None
    for opens, closes in periods:
        if opens.tzinfo is not None or closes.tzinfo is not None:
            raise ValueError("hours are wall-clock times without a zone; the calendar's tz places them")
        if closes <= opens:
            raise ValueError(f"hours: the period {_hm(opens)}–{_hm(closes)} must end after it starts")
        if previous is not None and opens < previous[1]:
            raise ValueError(f"hours: the period {_hm(opens)}–{_hm(closes)} overlaps or comes before "
                             f"{_hm(previous[0])}–{_hm(previous[1])}; list periods in order of the day")
        previous = (opens, closes)


def _date(raw: Any, where: str) -> date:
    if isinstance(raw, str) and DATE_FORMAT.fullmatch(raw):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass  # the right shape but no such day, e.g. 2026-02-30
    raise ValueError(f"{where}: {raw!r} is not a date YYYY-MM-DD")


def _dates(raw: Any, name: str) -> frozenset[date]:
    if raw is None:
        return frozenset()
    if not isinstance(raw, list | tuple):
        raise ValueError(f"{name} must be a list of dates such as ['2026-10-01'] (got {raw!r})")
    return frozenset(_date(item, f"{name}[{n}]") for n, item in enumerate(raw))


def _clock(raw: Any, where: str) -> time:
    if isinstance(raw, str) and TIME_FORMAT.fullmatch(raw):
        try:
            return time.fromisoformat(raw)
        except ValueError:
            pass  # the right shape but no such time, e.g. 25:00
    raise ValueError(f"{where}: {raw!r} is not a time HH:MM")


def _hours(raw: Any) -> tuple[Period, ...]:
    if not isinstance(raw, list | tuple) or not raw:
        raise ValueError("hours must be a non-empty list of [start, end] pairs such as [['08:30', '12:00']]")
    periods = []
    for n, pair in enumerate(raw):
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise ValueError(f"hours[{n}] must be a [start, end] pair such as ['08:30', '12:00'] (got {pair!r})")
        periods.append((_clock(pair[0], f"hours[{n}]"), _clock(pair[1], f"hours[{n}]")))
    return tuple(periods)


def calendar_from_record(record: Mapping[str, Any] | None) -> WorkCalendar:
    """A calendar from its stored form, or a ValueError that says what is wrong.

    The form is {"holidays": ["2026-10-01", ...], "extra_workdays": [...], "hours": [["08:30", "12:00"], ...]};
    a missing key takes the default. Other fields of a stored record (_id, schema_version,
    updated_at...) are bookkeeping and ignored; request bodies are checked for unknown keys by the web layer.
    """
    if record is None:
        return WorkCalendar()
    if not isinstance(record, Mapping):
        raise ValueError(f"a calendar must be an object with holidays, extra_workdays and hours (got {record!r})")
    holidays = _dates(record.get("holidays"), "holidays")
    extra_workdays = _dates(record.get("extra_workdays"), "extra_workdays")
    hours = DEFAULT_HOURS if record.get("hours") is None else _hours(record["hours"])
    return WorkCalendar(holidays, extra_workdays, hours)

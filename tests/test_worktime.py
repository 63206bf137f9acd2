"""Working-time arithmetic for deadlines; every expected value is worked out by hand in the comments.

Office hours are 08:30–12:00 and 14:00–17:30 Beijing time (3.5 + 3.5 = 7 h a day). The test
calendar has a 国庆 week like 2026's: Thursday Oct 1 to Wednesday Oct 7 off, with Sunday Sep 20
and Saturday Oct 10 made working days (调休). Nov 23 2026 is a Monday, Nov 27 a Friday.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

import pytest

from flows.worktime import DEFAULT_HOURS, MAX_SCAN_DAYS, WorkCalendar, calendar_from_record
from oa.clock import CHINA

NATIONAL_DAY = calendar_from_record({
    "holidays": [f"2026-10-0{day}" for day in range(1, 8)],
    "extra_workdays": ["2026-09-20", "2026-10-10"],
})
PLAIN = WorkCalendar()


def bj(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A Beijing wall-clock time in 2026, as the UTC-aware instant the functions take and return."""
    return datetime(2026, month, day, hour, minute, tzinfo=CHINA).astimezone(UTC)


@pytest.mark.parametrize(("day", "expected"), [
    (date(2026, 11, 23), True),    # Monday
    (date(2026, 11, 27), True),    # Friday
    (date(2026, 11, 28), False),   # Saturday
    (date(2026, 11, 29), False),   # Sunday
    (date(2026, 10, 1), False),    # 国庆, a Thursday
    (date(2026, 10, 3), False),    # a Saturday inside the holiday
    (date(2026, 10, 7), False),    # last holiday, a Wednesday
    (date(2026, 10, 8), True),     # back at work, Thursday
    (date(2026, 10, 10), True),    # 调休 Saturday
    (date(2026, 10, 11), False),   # the Sunday after it is still off
    (date(2026, 9, 20), True),     # 调休 Sunday
    (date(2026, 9, 19), False),    # the Saturday before it is still off
])
def test_is_workday(day: date, expected: bool) -> None:
    assert NATIONAL_DAY.is_workday(day) is expected


HOURS_CASES = [
    (bj(11, 23, 9), 2, bj(11, 23, 11)),              # inside the morning: 09:00 + 2 h
    (bj(11, 23, 11), 2, bj(11, 23, 15)),             # crosses lunch: 1 h to 12:00, 1 h from 14:00
    (bj(11, 23, 12, 30), 1, bj(11, 23, 15)),         # starts in lunch: the clock runs from 14:00
    (bj(11, 23, 12), 0.5, bj(11, 23, 14, 30)),       # starts exactly at 12:00: nothing left before lunch
    (bj(11, 23, 11, 30), 0.5, bj(11, 23, 12)),       # ends exactly at 12:00: stays there, not 14:00
    (bj(11, 23, 7), 1, bj(11, 23, 9, 30)),           # before opening: 08:30 + 1 h
    (bj(11, 23, 18), 0.5, bj(11, 24, 9)),            # after close: Tuesday 08:30 + 0.5 h
    (bj(11, 27, 17), 1, bj(11, 30, 9)),              # Friday: 0.5 h to 17:30, Monday 08:30 + 0.5 h
    (bj(11, 27, 17, 30), 0.5, bj(11, 30, 9)),        # Friday at exactly close: all on Monday
    (bj(11, 28, 10), 1, bj(11, 30, 9, 30)),          # Saturday: Monday 08:30 + 1 h
    (bj(11, 23, 8, 30), 7, bj(11, 23, 17, 30)),      # exactly one working day
    (bj(11, 23, 8, 30), 7.5, bj(11, 24, 9)),         # a day and a half hour
    (bj(11, 23, 10), 0.25, bj(11, 23, 10, 15)),      # fractional: a quarter hour
    (bj(11, 23, 10), 1.75, bj(11, 23, 11, 45)),      # fractional: 1 h 45 min
    (bj(11, 23, 16), 2.5, bj(11, 24, 9, 30)),        # 1.5 h Monday afternoon, 1 h Tuesday from 08:30
    # 20 h from Monday 10:00: Mon 2 + 3.5 = 5.5, Tue 7 → 12.5, Wed 7 → 19.5, Thu 08:30 + 0.5 h.
    (bj(11, 23, 10), 20, bj(11, 26, 9)),
    (bj(11, 23, 10), 0, bj(11, 23, 10)),             # nothing to add inside office hours
    (bj(11, 23, 12, 30), 0, bj(11, 23, 14)),         # nothing to add in lunch: the next working instant
    (bj(11, 27, 17, 30), 0, bj(11, 30, 8, 30)),      # nothing to add at Friday's close: Monday's opening
    (bj(9, 30, 17), 1, bj(10, 8, 9)),                # 0.5 h on Sep 30, the holiday week, Oct 8 08:30 + 0.5
    # From a holiday: Oct 8 gives 3.5 h to 12:00, then 0.5 h from 14:00.
    (bj(10, 3, 10), 4, bj(10, 8, 14, 30)),
    (bj(10, 9, 16, 30), 2, bj(10, 10, 9, 30)),       # 1 h Friday Oct 9, then the 调休 Saturday 08:30 + 1
    (bj(9, 18, 17), 1, bj(9, 20, 9)),                # 0.5 h Friday Sep 18, Sat off, 调休 Sunday 08:30 + 0.5
    # Saturday 07:00 in Beijing is still Friday 23:00 UTC: the day is taken in Beijing, so Monday.
    (bj(11, 28, 7), 1, bj(11, 30, 9, 30)),
    # Monday 01:00 in Beijing is Sunday 17:00 UTC: Monday's office hours count.
    (bj(11, 23, 1), 1, bj(11, 23, 9, 30)),
]


@pytest.mark.parametrize(("start", "hours", "expected"), HOURS_CASES)
def test_add_working_hours(start: datetime, hours: float, expected: datetime) -> None:
    result = NATIONAL_DAY.add_working_hours(start, hours)
    assert result == expected
    assert result.tzinfo is UTC


@pytest.mark.parametrize(("start", "hours", "expected"), HOURS_CASES)
def test_working_hours_between_undoes_add(start: datetime, hours: float, expected: datetime) -> None:
    assert NATIONAL_DAY.working_hours_between(start, expected) == pytest.approx(hours)


def test_any_aware_zone_in_utc_out() -> None:
    beijing_start = datetime(2026, 11, 23, 11, 0, tzinfo=CHINA)
    plus_eight = datetime(2026, 11, 23, 11, 0, tzinfo=timezone(timedelta(hours=8)))
    for start in (beijing_start, plus_eight):
        result = PLAIN.add_working_hours(start, 2)
        assert result == datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # 15:00 in Beijing
        assert result.tzinfo is UTC


@pytest.mark.parametrize(("start", "days", "expected"), [
    (bj(11, 23, 10), 1, bj(11, 24, 17, 30)),         # Monday + 1 → Tuesday close
    (bj(11, 23, 10), 5, bj(11, 30, 17, 30)),         # Monday + 5 → the next Monday
    (bj(11, 27, 10), 1, bj(11, 30, 17, 30)),         # Friday + 1 → Monday
    (bj(11, 23, 18), 1, bj(11, 24, 17, 30)),         # after close the start day is still day 0
    (bj(11, 28, 10), 1, bj(11, 30, 17, 30)),         # from Saturday: the next working day is Monday
    (bj(11, 23, 10), 0, bj(11, 23, 17, 30)),         # 0: today, still open
    (bj(11, 23, 17, 29), 0, bj(11, 23, 17, 30)),     # 0: a minute before close is still today
    (bj(11, 23, 17, 30), 0, bj(11, 24, 17, 30)),     # 0: at close, today is over
    (bj(11, 23, 18), 0, bj(11, 24, 17, 30)),         # 0: after close
    (bj(11, 23, 7), 0, bj(11, 23, 17, 30)),          # 0: before opening is still today
    (bj(11, 28, 10), 0, bj(11, 30, 17, 30)),         # 0: Saturday → Monday
    (bj(9, 30, 10), 1, bj(10, 8, 17, 30)),           # the holiday week does not count
    (bj(9, 30, 10), 3, bj(10, 10, 17, 30)),          # Oct 8, Oct 9, the 调休 Saturday Oct 10
    (bj(10, 3, 10), 2, bj(10, 9, 17, 30)),           # from a holiday (day 0): Oct 8, Oct 9
    (bj(10, 3, 10), 0, bj(10, 8, 17, 30)),           # 0 on a holiday: the next working day
    (bj(10, 9, 10), 1, bj(10, 10, 17, 30)),          # Friday Oct 9 + 1 → 调休 Saturday
    (bj(10, 9, 10), 2, bj(10, 12, 17, 30)),          # Oct 10, then Sunday off, Monday Oct 12
    (bj(9, 18, 10), 1, bj(9, 20, 17, 30)),           # Friday Sep 18 + 1 → 调休 Sunday Sep 20
    # Tuesday 00:30 in Beijing is still Monday in UTC: the start day is Tuesday, so + 1 is Wednesday.
    (bj(11, 24, 0, 30), 1, bj(11, 25, 17, 30)),
])
def test_add_working_days(start: datetime, days: int, expected: datetime) -> None:
    result = NATIONAL_DAY.add_working_days(start, days)
    assert result == expected
    assert result.tzinfo is UTC


@pytest.mark.parametrize(("a", "b", "expected"), [
    (bj(11, 27, 17), bj(11, 30, 9), 1.0),            # 0.5 h Friday + 0.5 h Monday
    (bj(11, 23, 9), bj(11, 23, 15), 4.0),            # 3 h morning + 1 h afternoon
    (bj(11, 23, 12, 15), bj(11, 23, 13, 45), 0.0),   # all in lunch
    (bj(11, 23, 9), bj(11, 23, 9), 0.0),             # the same instant
    (bj(11, 23, 15), bj(11, 23, 9), -4.0),           # reversed: time still left, negative
    (bj(11, 23, 0), bj(11, 30, 0), 35.0),            # a whole plain week: 5 × 7 h
    (bj(11, 28, 0), bj(11, 30, 0), 0.0),             # a weekend
    # Mon Sep 28 to Mon Oct 12: Sep 28, 29, 30 and Oct 8, 9, 10 (调休) are six working days of 7 h.
    (bj(9, 28, 0), bj(10, 12, 0), 42.0),
    (bj(9, 30, 17), bj(10, 8, 9), 1.0),              # across the holiday week
    (bj(10, 9, 17), bj(10, 10, 9), 1.0),             # into the 调休 Saturday
])
def test_working_hours_between(a: datetime, b: datetime, expected: float) -> None:
    assert NATIONAL_DAY.working_hours_between(a, b) == pytest.approx(expected)


@pytest.mark.parametrize(("deadline", "expected"), [
    ({"hours": 4}, bj(11, 23, 16)),                  # 2 h to 12:00, 2 h from 14:00
    ({"hours": 0.5}, bj(11, 23, 10, 30)),
    ({"days": 2}, bj(11, 25, 17, 30)),               # Tuesday, Wednesday
    ({"days": 2.0}, bj(11, 25, 17, 30)),             # a whole float is a whole number of days
    ({"days": 0}, bj(11, 23, 17, 30)),
    ({"hours": 4, "escalate_after": {"hours": 8}}, bj(11, 23, 16)),  # escalate_after is the scheduler's
    (None, None),
    ({}, None),
])
def test_due_at(deadline: dict[str, Any] | None, expected: datetime | None) -> None:
    assert NATIONAL_DAY.due_at(bj(11, 23, 10), deadline) == expected


@pytest.mark.parametrize(("deadline", "message"), [
    ({"hours": 4, "days": 1}, "exactly one of 'hours'"),
    ({"escalate_after": {"hours": 1}}, "exactly one of 'hours'"),
    ({"minutes": 30}, "unknown deadline keys: minutes"),
    ({"hours": -1}, r"deadline hours must be a number of at least 0 \(got -1\)"),
    ({"hours": "4"}, r"deadline hours must be a number of at least 0 \(got '4'\)"),
    ({"hours": True}, "deadline hours must be a number"),
    ({"hours": None}, "deadline hours must be a number"),
    ({"hours": float("nan")}, "deadline hours must be a number"),
    ({"hours": float("inf")}, "deadline hours must be a number"),
    ({"days": 1.5}, r"whole number of working days \(got 1.5\)"),
    ({"days": -2}, "deadline days must be a number of at least 0"),
    ({"hours": 10**9}, "more than ten years"),
    ({"days": 10**400}, "more than ten years"),
    ("4h", "a deadline must be an object"),
    ([{"hours": 4}], "a deadline must be an object"),
])
def test_bad_deadlines_say_what_is_wrong(deadline: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PLAIN.due_at(bj(11, 23, 10), deadline)


@pytest.mark.parametrize("call", [
    lambda: PLAIN.add_working_hours(datetime(2026, 11, 23, 10), 1),
    lambda: PLAIN.add_working_days(datetime(2026, 11, 23, 10), 1),
    lambda: PLAIN.working_hours_between(datetime(2026, 11, 23, 10), bj(11, 23, 11)),
    lambda: PLAIN.due_at(datetime(2026, 11, 23, 10), {"hours": 1}),
])
def test_naive_datetimes_are_refused(call: Any) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


@pytest.mark.parametrize(("days", "message"), [(-1, "from 0 to"), (1.0, "whole number"), (True, "whole number")])
def test_add_working_days_wants_a_whole_number(days: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PLAIN.add_working_days(bj(11, 23, 10), days)


def test_a_calendar_without_working_days_fails_instead_of_looping() -> None:
    first = date(2026, 11, 23)
    every_day_off = WorkCalendar(holidays=frozenset(first + timedelta(days=n) for n in range(MAX_SCAN_DAYS + 7)))
    with pytest.raises(ValueError, match="more than ten years"):
        every_day_off.add_working_hours(bj(11, 23, 10), 1)
    with pytest.raises(ValueError, match="more than ten years"):
        every_day_off.add_working_days(bj(11, 23, 10), 0)


def test_empty_or_missing_record_is_the_default_calendar() -> None:
    for record in (None, {}, {"holidays": None, "extra_workdays": None, "hours": None}):
        calendar = calendar_from_record(record)
        assert calendar == WorkCalendar()
        assert calendar.hours == ((time(8, 30), time(12, 0)), (time(14, 0), time(17, 30))) == DEFAULT_HOURS
        assert calendar.tz is CHINA


def test_a_full_record() -> None:
    calendar = calendar_from_record({
        "holidays": ["2026-10-01", "2026-10-02", "2026-10-01"],  # a repeat is harmless
        "extra_workdays": ["2026-10-10"],
        "hours": [["09:00", "12:00"], ["13:00", "18:00"]],
        "_id": "default", "schema_version": 1,                  # bookkeeping of the stored record
    })
    assert calendar.holidays == {date(2026, 10, 1), date(2026, 10, 2)}
    assert calendar.extra_workdays == {date(2026, 10, 10)}
    assert calendar.hours == ((time(9), time(12)), (time(13), time(18)))
    # Monday 11:00 + 2 h: 1 h to 12:00, lunch until 13:00, 1 h → 14:00.
    assert calendar.add_working_hours(bj(11, 23, 11), 2) == bj(11, 23, 14)
    # Friday Oct 9 17:00 + 2 h: 1 h to 18:00, Saturday Oct 10 09:00 + 1 h.
    assert calendar.add_working_hours(bj(10, 9, 17), 2) == bj(10, 10, 10)
    assert calendar.add_working_days(bj(11, 23, 10), 0) == bj(11, 23, 18)


def test_one_period_and_adjacent_periods() -> None:
    straight = calendar_from_record({"hours": [["09:00", "17:00"]]})
    assert straight.add_working_hours(bj(11, 23, 11), 2) == bj(11, 23, 13)  # no lunch break
    adjacent = calendar_from_record({"hours": [["08:00", "12:00"], ["12:00", "16:00"]]})
    assert adjacent.add_working_hours(bj(11, 23, 11), 2) == bj(11, 23, 13)  # touching periods are fine
    assert adjacent.working_hours_between(bj(11, 23, 0), bj(11, 24, 0)) == pytest.approx(8.0)


@pytest.mark.parametrize(("record", "message"), [
    (["2026-10-01"], "a calendar must be an object"),
    ({"holidays": "2026-10-01"}, "holidays must be a list of dates"),
    ({"holidays": ["2026-13-01"]}, r"holidays\[0\]: '2026-13-01' is not a date YYYY-MM-DD"),
    ({"holidays": ["2026-10-01", "2026-02-30"]}, r"holidays\[1\]: '2026-02-30' is not a date"),
    ({"holidays": ["20261001"]}, r"holidays\[0\]: '20261001' is not a date"),
    ({"holidays": [20261001]}, r"holidays\[0\]: 20261001 is not a date"),
    ({"extra_workdays": ["2026/10/10"]}, r"extra_workdays\[0\]: '2026/10/10' is not a date"),
    ({"holidays": ["2026-10-01"], "extra_workdays": ["2026-10-01"]}, "2026-10-01 is both a holiday and an extra"),
    ({"hours": []}, "hours must be a non-empty list"),
    ({"hours": "08:30-17:30"}, "hours must be a non-empty list"),
    ({"hours": [["08:30"]]}, r"hours\[0\] must be a \[start, end\] pair"),
    ({"hours": ["08:30", "12:00"]}, r"hours\[0\] must be a \[start, end\] pair"),
    ({"hours": [["8h", "12:00"]]}, r"hours\[0\]: '8h' is not a time HH:MM"),
    ({"hours": [["08:30", "12:00"], ["14:00", "25:00"]]}, r"hours\[1\]: '25:00' is not a time"),
    ({"hours": [["8:30", "12:00"]]}, r"hours\[0\]: '8:30' is not a time"),
    ({"hours": [["08:30:00", "12:00"]]}, "is not a time HH:MM"),
    ({"hours": [["12:00", "08:30"]]}, "the period 12:00–08:30 must end after it starts"),
    ({"hours": [["12:00", "12:00"]]}, "the period 12:00–12:00 must end after it starts"),
    ({"hours": [["08:30", "12:00"], ["11:00", "17:00"]]}, "11:00–17:00 overlaps or comes before 08:30–12:00"),
    ({"hours": [["14:00", "17:30"], ["08:30", "12:00"]]}, "08:30–12:00 overlaps or comes before 14:00–17:30"),
])
def test_bad_calendars_say_what_is_wrong(record: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        calendar_from_record(record)


def test_a_calendar_built_directly_is_checked_too() -> None:
    with pytest.raises(ValueError, match="both a holiday and an extra workday"):
        WorkCalendar(holidays=frozenset({date(2026, 10, 10)}), extra_workdays=frozenset({date(2026, 10, 10)}))
    with pytest.raises(ValueError, match="at least one working period"):
        WorkCalendar(hours=())
    with pytest.raises(ValueError, match="without a zone"):
        WorkCalendar(hours=((time(8, 30, tzinfo=UTC), time(12)),))

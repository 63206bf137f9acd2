"""Working-time arithmetic for deadlines, every expected value worked out by hand (Beijing times)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from flows.worktime import WorkCalendar, calendar_from_record
from oa.clock import CHINA

# 2026 国庆: Oct 1 (Thu) – Oct 7 (Wed) off; Saturday Oct 10 a working day.
NATIONAL_DAY = calendar_from_record({"holidays": [f"2026-10-0{day}" for day in range(1, 8)],
                                     "extra_workdays": ["2026-10-10"]})
PLAIN = WorkCalendar()


def bj(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A Beijing wall-clock time as UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=CHINA).astimezone(UTC)


@pytest.mark.parametrize(("start", "hours", "expected"), [
    (bj(11, 23, 9), 2, bj(11, 23, 11)),            # Monday morning, inside the period
    (bj(11, 23, 11), 2, bj(11, 23, 15)),           # crosses lunch: 1 h before 12:00, 1 h from 14:00
    (bj(11, 23, 12, 30), 1, bj(11, 23, 15)),       # starts in lunch
    (bj(11, 23, 7), 1, bj(11, 23, 9, 30)),         # before opening
    (bj(11, 27, 17), 1, bj(11, 30, 9)),            # Friday 17:00 + 1 h → Monday 09:00
    (bj(11, 23, 18), 0.5, bj(11, 24, 9)),          # after close: from next morning
    (bj(11, 23, 8, 30), 7, bj(11, 23, 17, 30)),    # exactly one working day of hours
    (bj(9, 30, 17), 1, bj(10, 8, 9)),              # into the 国庆 week: next working time Oct 8
])
def test_add_working_hours(start: datetime, hours: float, expected: datetime) -> None:
    assert NATIONAL_DAY.add_working_hours(start, hours) == expected


@pytest.mark.parametrize(("start", "days", "expected"), [
    (bj(11, 23, 10), 1, bj(11, 24, 17, 30)),
    (bj(11, 27, 10), 1, bj(11, 30, 17, 30)),       # Friday + 1 → Monday
    (bj(11, 23, 10), 0, bj(11, 23, 17, 30)),       # today, still open
    (bj(11, 23, 18), 0, bj(11, 24, 17, 30)),       # today but closed: tomorrow
    (bj(9, 30, 10), 1, bj(10, 8, 17, 30)),         # the holiday week does not count
    (bj(10, 3, 10), 2, bj(10, 9, 17, 30)),         # from a holiday: Oct 8, Oct 9
    (bj(10, 9, 10), 1, bj(10, 10, 17, 30)),        # the 调休 Saturday is a working day
])
def test_add_working_days(start: datetime, days: int, expected: datetime) -> None:
    assert NATIONAL_DAY.add_working_days(start, days) == expected


def test_workdays_and_hours_between() -> None:
    assert not NATIONAL_DAY.is_workday(date(2026, 10, 1))
    assert NATIONAL_DAY.is_workday(date(2026, 10, 10))
    assert not PLAIN.is_workday(date(2026, 11, 28))
    assert PLAIN.working_hours_between(bj(11, 27, 17), bj(11, 30, 9)) == pytest.approx(1.0)
    assert PLAIN.due_at(bj(11, 23, 9), {"hours": 2}) == bj(11, 23, 11)
    assert PLAIN.due_at(bj(11, 23, 9), None) is None


@pytest.mark.parametrize(("record", "message"), [
    ({"holidays": ["2026-13-01"]}, "is not a date"),
    ({"holidays": ["2026-10-01"], "extra_workdays": ["2026-10-01"]}, "both a holiday and an extra workday"),
    ({"hours": [["12:00", "08:30"]]}, "ends before it starts"),
    ({"hours": [["08:30", "12:00"], ["11:00", "17:00"]]}, "overlaps"),
    ({"hours": []}, "non-empty list"),
    ({"hours": [["8h", "12:00"]]}, "is not a time"),
])
def test_bad_calendars_say_what_is_wrong(record: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        calendar_from_record(record)

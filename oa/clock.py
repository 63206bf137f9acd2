"""Time in one place: UTC-aware datetimes for storage, Asia/Shanghai for display."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """Now, truncated to the millisecond that MongoDB stores, so a value read back compares equal."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC for JSON; stored datetimes may come back naive from some drivers."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")

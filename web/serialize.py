"""JSON views of stored records: dates as ISO 8601 UTC, internal fields (password hashes) never shown."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from oa.clock import iso

HIDDEN_USER_FIELDS = {"password_hash", "password_history"}


def plain(value: Any) -> Any:
    """Stored values as JSON values: datetimes to ISO strings, `_id` to `id`, recursively."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, dict):
        return {("id" if key == "_id" else key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def unit_json(unit: dict[str, Any]) -> dict[str, Any]:
    return plain({key: value for key, value in unit.items() if key != "children_changes"})


def user_json(user: dict[str, Any]) -> dict[str, Any]:
    return plain({key: value for key, value in user.items() if key not in HIDDEN_USER_FIELDS})


def page_json(items: list[dict[str, Any]], total: int, offset: int, limit: int) -> dict[str, Any]:
    return {"items": items, "total": total, "offset": offset, "limit": limit}

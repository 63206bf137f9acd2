"""Each person's notification settings (collection `notify_prefs`, owned here).

A person who never saved any gets the defaults: every kind, no address for e-mail or the
messengers, SMS off, quiet hours 22:00–07:00 holding notifications until morning. Web Push is on
for every device the person subscribed (see webpush.py). Checking values here keeps the web layer
to the envelope of the request. Who saved settings at all is kept in memory (`saved`), so settings for
thousands of people at once are read only for those few.
"""

from __future__ import annotations

import re
from typing import Any

from oa.clock import utcnow
from oa.errors import InvalidInput
from oa.notifications.messages import KINDS
from oa.notifications.rules import parse_clock
from oa.notifications.who_has import PeopleWithRecords
from storage.mongo import SCHEMA_VERSION, Mongo, find_in

DEFAULTS: dict[str, Any] = {"email": "", "wecom_user": "", "dingtalk_user": "", "sms": False, "webpush": True,
                            "kinds": list(KINDS), "quiet_start": "22:00", "quiet_end": "07:00",
                            "quiet_action": "hold"}
EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,}$")
CLOCK = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")
USER_ID = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


def _checked(changes: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in DEFAULTS:
            raise InvalidInput(f"unknown setting '{key}'", field=key)
        if key == "email":
            value = value.strip()
            if value and not EMAIL.match(value):
                raise InvalidInput("电子邮箱格式不正确", field=key)
        elif key in ("wecom_user", "dingtalk_user"):
            value = value.strip()
            if value and not USER_ID.match(value):
                raise InvalidInput("账号只能包含字母、数字和 _ . @ -", field=key)
        elif key == "kinds":
            unknown = [kind for kind in value if kind not in KINDS]
            if unknown:
                raise InvalidInput(f"unknown notification kinds: {', '.join(map(str, unknown))}", field=key)
            value = [kind for kind in KINDS if kind in value]
        elif key in ("quiet_start", "quiet_end"):
            if value and not CLOCK.match(value):
                raise InvalidInput("时间格式应为 HH:MM", field=key)
            if value:
                parse_clock(value)
        elif key == "quiet_action" and value not in ("hold", "drop"):
            raise InvalidInput("quiet_action must be hold or drop", field=key)
        out[key] = value
    return out


class NotifyPrefs:
    COLLECTION = "notify_prefs"

    def __init__(self, mongo: Mongo) -> None:
        self.mongo = mongo
        self.prefs = mongo["notify_prefs"]
        self.saved = PeopleWithRecords(self.prefs, "_id")  # who saved settings (one record each, by person)

    async def of(self, user_id: str) -> dict[str, Any]:
        stored = await self.prefs.find_one({"_id": user_id}) or {}
        return {key: stored.get(key, default) for key, default in DEFAULTS.items()}

    async def of_many(self, user_ids: list[str]) -> dict[str, dict[str, Any]]:
        """Several people's settings in one read (those who never saved any get the defaults)."""
        saved = sorted(await self.saved.among(user_ids))
        stored = {row["_id"]: row for row in await find_in(self.prefs, "_id", saved)} if saved else {}
        return {user_id: {key: stored.get(user_id, {}).get(key, default) for key, default in DEFAULTS.items()}
                for user_id in user_ids}

    async def update(self, user_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        checked = _checked(changes)
        if checked:
            await self.prefs.update_one({"_id": user_id}, {"$set": {**checked, "updated_at": utcnow()},
                                                           "$setOnInsert": {"schema_version": SCHEMA_VERSION}},
                                        upsert=True)
            self.saved.noted(user_id, user_id)
        return await self.of(user_id)

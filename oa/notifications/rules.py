"""Who gets what, where: the decision for one notification and one person, as plain data.

- 特急 goes out at once on every channel the person has, whatever their choices and the hour, and
  even when their app is open (a phone in a pocket shows an open app's page to nobody).
- Otherwise the person's choices decide: the kinds they want outside the app and the channels they
  turned on; nothing goes out while their app is open (the page shows it); in their quiet hours
  (Asia/Shanghai) a notification waits until the quiet hours end, or is dropped if they chose so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from oa.clock import CHINA

CHANNELS = ("webpush", "email", "wecom", "dingtalk", "sms")


@dataclass(frozen=True)
class Decision:
    channel: str
    action: str  # "send", "hold" (until `at`), "skip" (with `why`)
    at: datetime | None = None
    why: str | None = None


def parse_clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def quiet_until(now: datetime, start: str | None, end: str | None) -> datetime | None:
    """When the person's quiet hours end, if `now` lies in them (they may span midnight); else None."""
    if not start or not end or start == end:
        return None
    local = now.astimezone(CHINA)
    begin, finish = parse_clock(start), parse_clock(end)
    clock = local.time().replace(second=0, microsecond=0)
    inside = begin <= clock < finish if begin < finish else clock >= begin or clock < finish
    if not inside:
        return None
    ends = local.replace(hour=finish.hour, minute=finish.minute, second=0, microsecond=0)
    if ends <= local:
        ends += timedelta(days=1)
    return ends


def decide(urgent: bool, kind: str, available: list[str], prefs: dict, now: datetime, app_open: bool
           ) -> list[Decision]:
    """One decision per channel the person can be reached on (`available`, in CHANNELS order)."""
    if urgent:
        return [Decision(channel, "send") for channel in available]
    decisions = []
    wanted = set(prefs.get("kinds") or [])
    until = quiet_until(now, prefs.get("quiet_start"), prefs.get("quiet_end"))
    for channel in available:
        if kind not in wanted:
            decisions.append(Decision(channel, "skip", why="kind_off"))
        elif app_open:
            decisions.append(Decision(channel, "skip", why="app_open"))
        elif until is not None and prefs.get("quiet_action") == "drop":
            decisions.append(Decision(channel, "skip", why="quiet_hours"))
        elif until is not None:
            decisions.append(Decision(channel, "hold", at=until))
        else:
            decisions.append(Decision(channel, "send"))
    return decisions

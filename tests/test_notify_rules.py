"""Who is told what, where: 特急 always; otherwise the person's kinds, an open app and quiet hours (Beijing time);
and the settings and 消息 centre endpoints refusing what they cannot use."""

from __future__ import annotations

from datetime import UTC, datetime

from oa.notifications.rules import decide, quiet_until
from tests.client import ApiClient
from tests.factories import PASSWORD, small_org
from tests.webpush_keys import BrowserKeys
from web.services import Services

PREFS = {"kinds": ["task.created"], "quiet_start": "22:00", "quiet_end": "07:00", "quiet_action": "hold"}
NIGHT = datetime(2026, 11, 30, 15, 30, tzinfo=UTC)  # 23:30 in Beijing
DAY = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


def test_quiet_hours_span_midnight_in_beijing_time() -> None:
    assert quiet_until(NIGHT, "22:00", "07:00") == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)  # 07:00 next morning
    assert quiet_until(DAY, "22:00", "07:00") is None
    assert quiet_until(DAY, "09:00", "12:00") is not None and quiet_until(NIGHT, "09:00", "12:00") is None
    assert quiet_until(NIGHT, "", "") is None


def test_urgent_goes_everywhere_at_once_whatever_the_choices() -> None:
    decisions = decide(True, "task.overdue", ["webpush", "email"], {**PREFS, "kinds": []}, NIGHT, app_open=True)
    assert [(d.channel, d.action) for d in decisions] == [("webpush", "send"), ("email", "send")]


def test_ordinary_notices_follow_kinds_open_app_and_quiet_hours() -> None:
    assert [d.action for d in decide(False, "task.created", ["email"], PREFS, DAY, False)] == ["send"]
    assert [d.why for d in decide(False, "task.urged", ["email"], PREFS, DAY, False)] == ["kind_off"]
    assert [d.why for d in decide(False, "task.created", ["email"], PREFS, DAY, True)] == ["app_open"]
    held = decide(False, "task.created", ["email"], PREFS, NIGHT, False)[0]
    assert held.action == "hold" and held.at is not None and held.at.astimezone(UTC).hour == 23  # 07:00 Beijing
    dropped = decide(False, "task.created", ["email"], {**PREFS, "quiet_action": "drop"}, NIGHT, False)[0]
    assert (dropped.action, dropped.why) == ("skip", "quiet_hours")


async def test_settings_and_reads_refuse_bad_input_by_name(services: Services, api: ApiClient) -> None:
    await small_org(services)
    token = await api.login("clerk", PASSWORD)
    for body, field in [({"email": "not-an-address"}, "email"), ({"quiet_start": "25:00"}, "quiet_start"),
                        ({"kinds": ["task.nonsense"]}, "kinds"), ({"quiet_action": "later"}, "quiet_action"),
                        ({"wecom_user": "有 空格"}, "wecom_user"), ({"sms": "yes"}, "sms"),
                        ({"colour": "red"}, "colour")]:
        response = await api.patch("/api/notifications/settings", body, token=token)
        assert response.status == 400 and field in str(response.body), (body, response)
    assert (await api.post("/api/notifications/read", {"ids": ["someone-else:1"]}, token=token)).status == 404
    assert (await api.post("/api/notifications/read", {}, token=token)).status == 400
    assert (await api.get("/api/notifications", token=None)).status == 401
    bad = {"subscription": {"endpoint": "https://push.example/x", "keys": {"p256dh": "AAAA", "auth": "AAAA"}}}
    assert (await api.post("/api/webpush/subscriptions", bad, token=token)).status == 400
    keys = BrowserKeys.make()
    for endpoint in ("https://10.0.0.8/admin", "http://fcm.googleapis.com/fcm/send/x", "https://evil.example/push"):
        refused = await api.post("/api/webpush/subscriptions", {"subscription": keys.subscription(endpoint)},
                                 token=token)
        assert refused.status == 400 and "OA_WEBPUSH_HOSTS" in refused.body["message"], (endpoint, refused)
    accepted = await api.post("/api/webpush/subscriptions", {
        "subscription": keys.subscription("https://fcm.googleapis.com/fcm/send/abc")}, token=token)
    assert accepted.status == 201, accepted
    key = (await api.get("/api/webpush/key")).body["public_key"]
    assert key == (await api.get("/api/webpush/key")).body["public_key"] and len(key) == 87  # 65 bytes, base64url


def test_a_process_that_sends_nothing_does_not_load_the_http_and_push_libraries() -> None:
    """aiohttp and pywebpush cost about 22 MiB and most of a second: loaded by the first notification sent."""
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys, web.server, web.services, web.app; "
            "print(sorted(m for m in ('aiohttp', 'pywebpush', 'py_vapid', 'http_ece') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent)
    assert out.stdout.strip() == "[]", out

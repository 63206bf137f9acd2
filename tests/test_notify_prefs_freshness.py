"""Who saved notification settings and who subscribed a browser are known in memory, and never stale.

Two service instances share one database, as two `oa serve` replicas do. Settings saved or a browser
subscribed through A are honoured by A's very next notification decision, and by B's within a second
(B learns them from its change stream); so are an unsubscribe and a gone endpoint.
"""

from __future__ import annotations

import asyncio

from tests.waiting import answers_within
from tests.webpush_keys import BrowserKeys
from web.services import Services

CATCH_UP_S = 1.0


async def test_saved_settings_reach_both_processes_and_the_unsaved_keep_the_defaults(
        services: Services, replica: Services) -> None:
    people = ["u-saves", "u-never"]
    # Both processes have loaded who saved settings (nobody yet) before anyone saves.
    assert (await replica.notifications.prefs.of_many(people))["u-saves"]["sms"] is False
    await services.notifications.prefs.update("u-saves", {"sms": True, "quiet_action": "drop"})

    mine = await services.notifications.prefs.of_many(people)
    assert (mine["u-saves"]["sms"], mine["u-saves"]["quiet_action"]) == (True, "drop")
    assert (mine["u-never"]["sms"], mine["u-never"]["quiet_action"]) == (False, "hold")

    async def replica_sms() -> object:
        return (await replica.notifications.prefs.of_many(people))["u-saves"]["sms"]

    await answers_within(CATCH_UP_S, replica_sms, True)
    # A later change of a saved row is read from the database, so it is current at once on both sides.
    await services.notifications.prefs.update("u-saves", {"sms": False})
    assert (await replica.notifications.prefs.of_many(people))["u-saves"]["sms"] is False


async def test_a_subscribed_browser_is_known_to_both_processes_until_it_is_gone(
        services: Services, replica: Services) -> None:
    mine, other = services.notifications.webpush, replica.notifications.webpush
    assert await other.with_any(["u-phone", "u-none"]) == set()
    endpoint = "https://127.0.0.1/push/u-phone-device-1"
    await mine.subscribe("u-phone", BrowserKeys.make().subscription(endpoint), "手机")
    assert await mine.with_any(["u-phone", "u-none"]) == {"u-phone"}
    await answers_within(CATCH_UP_S, lambda: other.with_any(["u-phone", "u-none"]), {"u-phone"})

    # The same browser subscribed by someone else (a shared phone) now belongs to them, on both sides.
    await mine.subscribe("u-none", BrowserKeys.make().subscription(endpoint), "手机")
    assert await mine.with_any(["u-phone", "u-none"]) == {"u-none"}
    await answers_within(CATCH_UP_S, lambda: other.with_any(["u-phone", "u-none"]), {"u-none"})

    assert await mine.unsubscribe("u-none", endpoint)
    assert await mine.with_any(["u-phone", "u-none"]) == set()
    await answers_within(CATCH_UP_S, lambda: other.with_any(["u-phone", "u-none"]), set())


async def test_who_has_records_reloads_to_what_the_database_holds(services: Services) -> None:
    """After a stream reset (changes may have been missed) the ids are read again from the database."""
    webpush = services.notifications.webpush
    await webpush.subscribe("u-a", BrowserKeys.make().subscription("https://127.0.0.1/push/a"), "")
    # Written behind the process's back: only a reload can know it.
    await webpush.subscriptions.insert_one({"_id": "behind", "user_id": "u-b", "endpoint": "https://127.0.0.1/push/b",
                                            "keys": {}})
    await webpush.subscribed.reload()
    assert await webpush.with_any(["u-a", "u-b", "u-c"]) == {"u-a", "u-b"}


async def test_loads_at_once_keep_the_changes_that_arrive_meanwhile(services: Services) -> None:
    """Two loads at once (a first use and a stream reset) both finish, and a change handed over while they
    read is applied after them, not lost."""
    webpush = services.notifications.webpush
    await webpush.subscriptions.insert_one({"_id": "s-1", "user_id": "u-1", "endpoint": "https://127.0.0.1/push/1",
                                            "keys": {}})
    first, second = webpush.subscribed.reload(), webpush.subscribed.reload()
    loading = asyncio.gather(first, second)
    await asyncio.sleep(0)  # the first load is reading now
    record = {"_id": "s-2", "user_id": "u-2", "endpoint": "https://127.0.0.1/push/2", "keys": {}}
    await webpush.subscriptions.insert_one(record)  # another replica subscribes meanwhile…
    webpush.subscribed.apply_change({"operationType": "insert", "documentKey": {"_id": "s-2"},  # …and it streams
                                     "fullDocument": record})
    await loading
    assert await webpush.with_any(["u-1", "u-2", "u-3"]) == {"u-1", "u-2"}

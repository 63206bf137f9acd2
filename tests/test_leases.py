"""The leader lease against the real embedded database, with the clock passed in."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from storage.leases import Lease
from web.services import Services

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
TTL = timedelta(seconds=60)


def lease(services: Services, holder: str, name: str = "deadlines") -> Lease:
    return Lease(services.mongo, name, holder, TTL)


async def test_the_first_holder_gets_it(services: Services) -> None:
    a = lease(services, "a")
    assert await a.acquire_or_renew(T0)
    record = await a.holder_of()
    assert record is not None
    assert (record["holder"], record["acquired_at"], record["expires_at"]) == ("a", T0, T0 + TTL)


async def test_a_second_holder_waits_while_it_is_valid(services: Services) -> None:
    a, b = lease(services, "a"), lease(services, "b")
    assert await a.acquire_or_renew(T0)
    assert not await b.acquire_or_renew(T0)
    assert not await b.acquire_or_renew(T0 + TTL - timedelta(milliseconds=1))
    record = await b.holder_of()
    assert record is not None and record["holder"] == "a"


async def test_a_second_holder_takes_it_once_expired(services: Services) -> None:
    a, b = lease(services, "a"), lease(services, "b")
    assert await a.acquire_or_renew(T0)
    assert await b.acquire_or_renew(T0 + TTL)  # expiry is inclusive: at T0 + ttl it is free
    record = await b.holder_of()
    assert record is not None
    assert (record["holder"], record["acquired_at"], record["expires_at"]) == ("b", T0 + TTL, T0 + 2 * TTL)
    # The old holder comes back too late: it has lost the lease and cannot renew it.
    assert not await a.acquire_or_renew(T0 + TTL + timedelta(seconds=1))


async def test_renewing_extends_and_keeps_acquired_at(services: Services) -> None:
    a, b = lease(services, "a"), lease(services, "b")
    assert await a.acquire_or_renew(T0)
    assert await a.acquire_or_renew(T0 + timedelta(seconds=30))
    record = await a.holder_of()
    assert record is not None
    assert (record["acquired_at"], record["renewed_at"], record["expires_at"]) == (
        T0, T0 + timedelta(seconds=30), T0 + timedelta(seconds=90))
    # Past the first expiry (T0 + 60 s) but before the renewed one (T0 + 90 s): still a's.
    assert not await b.acquire_or_renew(T0 + timedelta(seconds=70))
    # A holder may also renew after its own lease lapsed, if nobody took it meanwhile.
    assert await a.acquire_or_renew(T0 + timedelta(seconds=200))
    record = await a.holder_of()
    assert record is not None and record["acquired_at"] == T0


async def test_release_frees_it_and_only_the_holder_can(services: Services) -> None:
    a, b = lease(services, "a"), lease(services, "b")
    await a.release()  # nothing held: nothing happens
    assert await a.acquire_or_renew(T0)
    await b.release()  # not b's to give up
    assert not await b.acquire_or_renew(T0 + timedelta(seconds=1))
    await a.release()
    assert await a.holder_of() is None
    assert await b.acquire_or_renew(T0 + timedelta(seconds=2))
    record = await b.holder_of()
    assert record is not None and record["holder"] == "b"


async def test_leases_of_different_names_are_independent(services: Services) -> None:
    assert await lease(services, "a", "deadlines").acquire_or_renew(T0)
    assert await lease(services, "b", "reports").acquire_or_renew(T0)
    assert not await lease(services, "b", "deadlines").acquire_or_renew(T0)


async def test_twenty_contenders_at_one_instant_one_wins(services: Services) -> None:
    contenders = [lease(services, f"holder-{n}") for n in range(20)]
    # A fresh lease: every contender's upsert races to insert the record.
    won = await asyncio.gather(*(contender.acquire_or_renew(T0) for contender in contenders))
    assert sum(won) == 1
    winner = contenders[won.index(True)]
    record = await winner.holder_of()
    assert record is not None and record["holder"] == winner.holder
    # At expiry the record exists: the winner renewing and everybody else taking over race on one update.
    won = await asyncio.gather(*(contender.acquire_or_renew(T0 + TTL) for contender in contenders))
    assert sum(won) == 1
    record = await winner.holder_of()
    assert record is not None and record["holder"] == contenders[won.index(True)].holder
    assert record["expires_at"] == T0 + 2 * TTL


async def test_a_holder_id_that_looks_like_a_field_path(services: Services) -> None:
    odd = lease(services, "$holder")
    assert await odd.acquire_or_renew(T0)
    assert await odd.acquire_or_renew(T0 + timedelta(seconds=1))
    record = await odd.holder_of()
    assert record is not None and (record["holder"], record["acquired_at"]) == ("$holder", T0)


async def test_bad_arguments(services: Services) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await lease(services, "a").acquire_or_renew(datetime(2026, 11, 23, 10))
    with pytest.raises(ValueError, match="ttl must be positive"):
        Lease(services.mongo, "deadlines", "a", timedelta(0))
    with pytest.raises(ValueError, match="a name and a holder"):
        Lease(services.mongo, "deadlines", "", TTL)

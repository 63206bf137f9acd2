"""The collector pacer: no automatic full collections, cycles still reclaimed by its rounds."""

from __future__ import annotations

import asyncio
import gc
import time
import weakref

import pytest

from web.collector import NEVER, CollectorPacer, resident_bytes, wait_for_quiet


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def cycle() -> weakref.ref[Node]:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


@pytest.fixture
def pacer():
    pacer = CollectorPacer()
    before = gc.get_threshold()
    pacer.start()
    yield pacer
    pacer.stop()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_automatic_full_collections_are_off_but_rounds_reclaim_new_cycles(pacer: CollectorPacer) -> None:
    assert gc.get_threshold()[2] == NEVER
    full_before = gc.get_stats()[2]["collections"]
    garbage = [cycle() for _ in range(2000)]
    for _ in range(200_000):  # enough allocations for many young collections
        Node()
    assert gc.get_stats()[2]["collections"] == full_before
    pacer.collect_now()
    assert all(ref() is None for ref in garbage)
    assert gc.get_freeze_count() > 0  # survivors are frozen out of the next round


def test_a_round_is_due_sooner_after_much_allocation(pacer: CollectorPacer) -> None:
    pacer.collect_now()
    assert not pacer.due(since_last_s=1.0)
    kept = [Node() for _ in range(pacer.busy_after * 10 * 1000)]  # ~10 young collections per middle one
    assert pacer.due(since_last_s=1.0)
    assert pacer.due(since_last_s=pacer.interval_s)
    del kept


def test_a_round_is_due_sooner_once_the_process_has_grown(pacer: CollectorPacer) -> None:
    pacer.collect_now()
    if resident_bytes() is None:
        pytest.skip("no /proc here to read the process's memory from")
    assert not pacer.due(since_last_s=1.0)
    grown = b"\x01" * (pacer.grown_bytes + 8 * 2**20)  # bytes: memory the young generations do not count
    assert pacer.due(since_last_s=1.0)
    del grown


def test_a_thaw_round_reclaims_cycles_that_were_frozen_while_alive(pacer: CollectorPacer) -> None:
    a, b = Node(), Node()
    a.other, b.other = b, a
    ref = weakref.ref(a)
    pacer.collect_now()  # a and b are alive: frozen
    del a, b
    pacer.collect_now()
    assert ref() is not None  # a plain round does not walk frozen objects
    pacer.collect_now(thaw=True)
    assert ref() is None


async def test_wait_for_quiet_waits_while_the_loop_is_busy() -> None:
    busy_until = time.perf_counter() + 0.4

    async def hog() -> None:
        while time.perf_counter() < busy_until:
            time.sleep(0.03)  # blocks the loop, as a long fan-out does
            await asyncio.sleep(0)

    started = time.perf_counter()
    hogging = asyncio.create_task(hog())
    await wait_for_quiet(0.1)
    assert time.perf_counter() >= busy_until + 0.1 - 0.01
    await hogging
    assert time.perf_counter() - started < 2

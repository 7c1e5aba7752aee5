"""The limiter's pure behaviour: FIFO hand-over, cancellation, the AIMD window, observability."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from glm_transport.governor_limiter import Limiter, SlotWaitTimeout


def test_slots_are_handed_to_waiters_in_arrival_order() -> None:
    limiter = Limiter(1)
    limiter.acquire()
    order: list[int] = []
    threads = []

    def take(i: int) -> None:
        limiter.acquire()
        order.append(i)
        limiter.release()

    for i in range(3):
        thread = threading.Thread(target=take, args=(i,))
        thread.start()
        while limiter.stats().queued < i + 1:
            threading.Event().wait(0.001)
        threads.append(thread)
    limiter.release()
    for thread in threads:
        thread.join(5)
    assert order == [0, 1, 2]
    assert limiter.stats().in_flight == 0


def test_a_cancelled_async_waiter_leaves_the_queue_and_frees_nothing_it_did_not_hold() -> None:
    limiter = Limiter(1)

    async def scenario() -> None:
        await limiter.acquire_async()
        waiter = asyncio.ensure_future(limiter.acquire_async())
        await asyncio.sleep(0)
        assert limiter.stats().queued == 1
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert limiter.stats().queued == 0
        limiter.release()

    asyncio.run(scenario())
    assert limiter.stats().in_flight == 0


def test_a_waiter_cancelled_after_its_slot_was_granted_gives_the_slot_back() -> None:
    limiter = Limiter(1)

    async def scenario() -> None:
        await limiter.acquire_async()
        waiter = asyncio.ensure_future(limiter.acquire_async())
        await asyncio.sleep(0)
        limiter.release()  # granted to the waiter, whose wake-up is still pending
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter

    asyncio.run(scenario())
    assert limiter.stats().in_flight == 0


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_wait_for_a_slot_ends_at_the_deadline_holding_nothing(mode: str) -> None:
    limiter = Limiter(1)
    limiter.acquire()
    start = time.monotonic()
    wait = (
        (lambda: limiter.acquire(start + 0.1))
        if mode == "sync"
        else lambda: asyncio.run(limiter.acquire_async(start + 0.1))
    )
    with pytest.raises(SlotWaitTimeout):
        wait()
    waited = time.monotonic() - start
    assert 0.09 <= waited < 2
    assert (limiter.stats().in_flight, limiter.stats().queued) == (1, 0)
    limiter.release()
    assert limiter.acquire(time.monotonic() + 0.1) > 0  # the slot given back goes to the next caller


def test_threads_and_two_event_loops_share_one_budget() -> None:
    limiter = Limiter(3)
    peak = 0
    lock = threading.Lock()

    def note() -> None:
        nonlocal peak
        with lock:
            peak = max(peak, limiter.in_flight)

    def thread_work() -> None:
        for _ in range(20):
            limiter.acquire()
            note()
            threading.Event().wait(0.001)
            limiter.release()

    async def task_work() -> None:
        for _ in range(20):
            await limiter.acquire_async()
            note()
            await asyncio.sleep(0.001)
            limiter.release()

    async def loop_work() -> None:
        await asyncio.gather(*(task_work() for _ in range(3)))

    workers = [threading.Thread(target=thread_work) for _ in range(3)]
    workers += [threading.Thread(target=asyncio.run, args=(loop_work(),)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(20)
    assert peak == 3
    assert limiter.stats().in_flight == 0
    assert limiter.stats().admitted == 3 * 20 + 2 * 3 * 20


def test_a_burst_of_overloads_leaves_the_window_at_the_requests_that_got_through() -> None:
    limiter = Limiter(None)
    tickets = [limiter.try_acquire() for _ in range(10)]
    assert None not in tickets
    for ticket in tickets[3:]:
        assert ticket is not None
        limiter.on_overload(ticket, 10)
    stats = limiter.stats()
    assert stats.limit == 3  # 10 in flight, 7 refused: the limit is 3, not 0.7^7 x 10
    assert stats.overloads == 7


def test_a_second_overload_under_the_level_believed_safe_cuts_multiplicatively() -> None:
    limiter = Limiter(None)
    first = [limiter.try_acquire() for _ in range(10)]
    assert first[-1] is not None
    limiter.on_overload(first[-1], 10)
    for _ in first:
        limiter.release()
    second = limiter.try_acquire()
    assert second is not None
    limiter.on_overload(second, 9)
    assert limiter.stats().limit == 6  # 0.7 x 9: the limit fell (peak-time throttling)


def test_after_a_cut_the_window_probes_upward_by_one_per_four_windows_of_successes() -> None:
    limiter = Limiter(None)
    ticket = limiter.try_acquire()
    assert ticket is not None
    limiter.on_overload(ticket, 9)
    for _ in range(4 * 8 - 1):
        limiter.on_success()
    assert limiter.stats().limit == 8
    for _ in range(4):
        limiter.on_success()
    assert limiter.stats().limit == 9


def test_slow_start_grows_by_half_per_success_until_the_first_overload_and_stops_at_the_ceiling() -> None:
    limiter = Limiter(20, initial=4, slow_start=True)
    for _ in range(4):
        limiter.on_success()
    assert limiter.stats().limit == 6
    for _ in range(40):
        limiter.on_success()
    assert limiter.stats().limit == 20


def test_stats_show_the_queue_and_the_limit() -> None:
    limiter = Limiter(2)
    limiter.acquire()
    limiter.acquire()
    thread = threading.Thread(target=limiter.acquire)
    thread.start()
    while limiter.stats().queued == 0:
        threading.Event().wait(0.001)
    stats = limiter.stats()
    assert (stats.limit, stats.ceiling, stats.in_flight, stats.queued) == (2, 2, 2, 1)
    limiter.release()
    thread.join(5)
    assert limiter.stats().queued == 0


@pytest.mark.parametrize(
    ("make", "after"),
    [
        (lambda clock: Limiter(None, clock=clock), None),
        (lambda clock: Limiter(30, clock=clock), 30),
        (lambda clock: Limiter(None, initial=4, slow_start=True, clock=clock), 2),
    ],
)
def test_a_minute_without_an_overload_starts_the_window_over(make: Any, after: int | None) -> None:
    now = [0.0]
    limiter = make(lambda: now[0])
    tickets = [limiter.try_acquire() for _ in range(3)]
    assert tickets[-1] is not None
    limiter.on_overload(tickets[-1], 3)
    assert limiter.stats().limit == 2
    for _ in tickets:
        limiter.release()
    now[0] = 59.0
    assert limiter.try_acquire() is not None
    assert limiter.stats().limit == 2
    now[0] = 61.0
    limiter.release()
    assert limiter.stats().limit == after  # no limit, the ceiling, or a slow start from where it was

"""Fleet mode against a real redis-server: one budget across processes, leases freed when a holder dies."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator

import pytest

from glm_transport import GLMClient
from glm_transport.governor import GovernorKey
from glm_transport.governor_redis import RedisLimiter
from glm_transport.testing import LocalGLMServer

from .helpers import CHAT, run_chats
from .redis_server import redis_server

KEY = GovernorKey("http://x/api/paas/v4", "0123456789abcdef", "glm-4-plus")


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


def test_two_limiters_on_one_budget_never_hold_more_than_it_together(redis_url: str) -> None:
    a, b = RedisLimiter(redis_url, KEY, 2), RedisLimiter(redis_url, KEY, 2)
    try:
        first, second = a.acquire(), b.acquire()
        assert a.fleet_in_flight() == 2

        async def third() -> int:
            return await a.acquire_async()

        waiting = asyncio.new_event_loop()
        task = waiting.create_task(third())
        waiting.run_until_complete(asyncio.sleep(0.05))
        assert not task.done()
        b.release(second)
        ticket = waiting.run_until_complete(task)
        waiting.run_until_complete(waiting.shutdown_asyncgens())
        waiting.close()
        assert a.fleet_in_flight() == 2
        a.release(first)
        a.release(ticket)
        assert a.fleet_in_flight() == 0
    finally:
        a.close()
        b.close()


_HOLDER = textwrap.dedent(
    """
    import sys, time
    from glm_transport.governor import GovernorKey
    from glm_transport.governor_redis import RedisLimiter
    key = GovernorKey("http://x/api/paas/v4", "0123456789abcdef", "glm-4-plus")
    RedisLimiter(sys.argv[1], key, 1, lease=0.5).acquire()
    print("held", flush=True)
    time.sleep(60)
    """
)


def test_a_killed_holder_frees_its_slot_when_its_lease_ends(redis_url: str) -> None:
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, redis_url], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "held"
    other = RedisLimiter(redis_url, KEY, 1, lease=0.5)
    try:
        assert other.fleet_in_flight() == 1
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(10)
        holder.stdout.close()
        ticket = other.acquire()  # returns once the dead holder's lease has run out
        assert other.fleet_in_flight() == 1
        other.release(ticket)
    finally:
        other.close()


def test_a_live_holder_keeps_its_slot_past_the_lease_by_renewing_it(redis_url: str) -> None:
    holder = RedisLimiter(redis_url, KEY, 1, lease=0.6)
    try:
        ticket = holder.acquire()
        asyncio.run(asyncio.sleep(1.8))  # three lease times
        assert holder.fleet_in_flight() == 1
        holder.release(ticket)
    finally:
        holder.close()


_WORKER = textwrap.dedent(
    """
    import sys
    from concurrent.futures import ThreadPoolExecutor
    from glm_transport import GLMClient, RetryPolicy
    base_url, redis_url = sys.argv[1], sys.argv[2]
    client = GLMClient(api_key="test-key", base_url=base_url, concurrency_limits={"glm-4-plus": 3},
                       concurrency_redis_url=redis_url, retry_policy=RetryPolicy(max_retries=0))
    chat = {"model": "glm-4-plus", "messages": [{"role": "user", "content": "hi"}]}
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: client.chat(chat), range(16)))
    print("ok", flush=True)
    """
)


def test_processes_sharing_a_redis_budget_never_exceed_it_at_the_server(
    redis_url: str, limited_server: Callable[..., LocalGLMServer]
) -> None:
    server = limited_server(inflight_limit=3, latency=0.02)
    workers = [
        subprocess.Popen([sys.executable, "-c", _WORKER, server.base_url, redis_url], stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outputs = [worker.communicate(timeout=120)[0].strip() for worker in workers]
    assert outputs == ["ok", "ok", "ok"]
    assert server.inflight.rejected == 0
    assert server.inflight.stats()["peak"] == {"glm-4-plus": 3}


def test_fleet_mode_needs_a_known_limit(redis_url: str) -> None:
    client = GLMClient(api_key="k", concurrency_redis_url=redis_url)
    assert client.governor is not None
    with pytest.raises(Exception, match="fleet mode needs a limit"):
        client.governor.limiter("glm-4.6")


def test_fleet_mode_serves_sync_and_async_clients(
    mode: str, redis_url: str, limited_server: Callable[..., LocalGLMServer]
) -> None:
    server = limited_server(inflight_limit=2, latency=0.02)
    results = run_chats(mode, server, 10, concurrency_limits={"glm-4-plus": 2}, concurrency_redis_url=redis_url)
    assert all(not isinstance(r, Exception) for r in results)
    assert server.inflight.rejected == 0
    assert CHAT["model"] in server.inflight.stats()["peak"]

"""Fleet mode: N processes on M machines sharing one key share one in-flight budget through Redis.

A distributed semaphore with leases: the holders of a budget are members of one sorted set, scored by
when their lease ends (Redis's own clock, so machines need not agree on the time). Taking a slot is one
Lua script: drop expired leases, count, add ours if there is room. A heartbeat thread renews the leases
this process holds every third of the lease time; a process that dies stops renewing, and its slots come
free when its leases end. In front of Redis sits a local ``Limiter`` of the same size, so the process's
own waiters queue in FIFO order in memory and only as many as could possibly get a slot poll Redis.

Why hand-written: redis-py's ``Lock`` is a mutex (one holder), not a counting semaphore, and the
packages that offer one (e.g. ``redis-semaphore``-style libraries) hold slots without lease renewal or
lack asyncio; the whole thing is two short Lua scripts.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import os
import random
import threading
import time
import uuid
import weakref
from collections.abc import AsyncIterator
from typing import Any

from .governor_limiter import Limiter, LimiterStats, SlotWaitTimeout

__all__ = ["DEFAULT_LEASE", "ENV_LEASE", "RedisLimiter"]

logger = logging.getLogger("glm_transport")

DEFAULT_LEASE = 10.0  # seconds a slot outlives a holder that stopped renewing it
ENV_LEASE = "GLM_CONCURRENCY_LEASE"

# KEYS[1]: the budget's sorted set. ARGV: limit, lease (ms), token. Returns 1 if the token got a slot.
_TAKE = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
  return 1
end
return 0
"""
# KEYS[1]: the budget. ARGV: lease (ms), tokens... Pushes the held tokens' leases forward.
_RENEW = """
local t = redis.call('TIME')
local until_ = t[1] * 1000 + math.floor(t[2] / 1000) + tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', until_, ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]) * 2)
return 1
"""
_POLL_MIN, _POLL_MAX = 0.005, 0.1


def budget_key(key: Any) -> str:
    """The Redis key of a governor key: endpoint hashed, key fingerprint, model (never the API key)."""
    endpoint = hashlib.sha256(key.endpoint.encode()).hexdigest()[:12]
    return f"glm:inflight:{endpoint}:{key.key_fingerprint}:{key.model}"


class RedisLimiter:
    """A fleet-wide budget of ``limit`` slots for one governor key, with leases of ``lease`` seconds."""

    def __init__(self, url: str, key: Any, limit: int, *, lease: float | None = None) -> None:
        import redis  # the optional [redis] extra

        self.limit = limit
        self.lease = lease if lease is not None else float(os.environ.get(ENV_LEASE) or DEFAULT_LEASE)
        self.name = budget_key(key)
        self._url = url
        self._sync = redis.Redis.from_url(url)
        self._take = self._sync.register_script(_TAKE)
        self._renew = self._sync.register_script(_RENEW)
        self._local = Limiter(limit)
        self._held: dict[int, str] = {}
        self._lock = threading.Lock()
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = weakref.WeakKeyDictionary()
        self._closers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = weakref.WeakKeyDictionary()
        self._stop = threading.Event()
        self._heartbeat = threading.Thread(target=self._beat, name="glm-governor-lease", daemon=True)
        self._heartbeat.start()

    @property
    def _lease_ms(self) -> int:
        return max(1, int(self.lease * 1000))

    # ---- taking and giving back ----------------------------------------------------
    def acquire(self, deadline: float = math.inf) -> int:
        """A slot of this process's share, then of the fleet's budget; ``deadline`` bounds both waits
        (``Limiter.acquire``)."""
        ticket = self._local.acquire(deadline)
        token, delay = uuid.uuid4().hex, _POLL_MIN
        try:
            while not self._take(keys=[self.name], args=[self.limit, self._lease_ms, token]):
                time.sleep(_pause(delay, deadline))
                delay = min(delay * 2, _POLL_MAX)
        except BaseException:
            self._local.release(ticket)
            raise
        with self._lock:
            self._held[ticket] = token
        return ticket

    async def acquire_async(self, deadline: float = math.inf) -> int:
        ticket = await self._local.acquire_async(deadline)
        token, delay = uuid.uuid4().hex, _POLL_MIN
        try:
            take = await self._async_script()
            while not await take(keys=[self.name], args=[self.limit, self._lease_ms, token]):
                await asyncio.sleep(_pause(delay, deadline))
                delay = min(delay * 2, _POLL_MAX)
        except BaseException:
            self._local.release(ticket)
            raise
        with self._lock:
            self._held[ticket] = token
        return ticket

    async def _async_script(self) -> Any:
        loop = asyncio.get_running_loop()
        script = self._async.get(loop)
        if script is None:
            import redis.asyncio

            client = redis.asyncio.Redis.from_url(self._url)
            script = self._async[loop] = client.register_script(_TAKE)
            # Closed when its loop shuts down (asyncio.run finalises async generators), as client.py does.
            closer = _aclose_at_loop_shutdown(client)
            self._closers[loop] = closer
            await closer.__anext__()
        return script

    def release(self, ticket: int = 0) -> None:
        """Give the slot back in Redis, then locally. A failed ZREM leaves the lease to expire."""
        with self._lock:
            token = self._held.pop(ticket, None)
        try:
            if token is not None:
                self._sync.zrem(self.name, token)
        finally:
            self._local.release(ticket)

    def _beat(self) -> None:
        while not self._stop.wait(self.lease / 3):
            with self._lock:
                tokens = list(self._held.values())
            if tokens:
                try:
                    self._renew(keys=[self.name], args=[self._lease_ms, *tokens])
                except Exception as exc:  # Redis away for a beat: the next beat tries again
                    logger.warning("could not renew GLM in-flight leases in Redis: %s", type(exc).__name__)

    def close(self) -> None:
        """Stop renewing leases and close the connection (slots still held expire with their leases)."""
        self._stop.set()
        self._heartbeat.join(self.lease)
        self._sync.close()

    # ---- feedback and observation ----------------------------------------------------
    def on_success(self) -> None:
        self._local.on_success()

    def on_overload(self, ticket: int, in_flight_at_send: int) -> None:
        self._local.on_overload(ticket, in_flight_at_send)

    @property
    def in_flight(self) -> int:
        return self._local.in_flight

    def fleet_in_flight(self) -> int:
        """Slots held across the fleet right now (leases not yet expired)."""
        seconds, micros = self._sync.time()
        now_ms = int(seconds) * 1000 + int(micros) // 1000
        return int(self._sync.zcount(self.name, now_ms, "+inf"))

    def stats(self) -> LimiterStats:
        return self._local.stats()


async def _aclose_at_loop_shutdown(client: Any) -> AsyncIterator[None]:
    try:
        yield
    finally:
        await client.aclose()


def _pause(delay: float, deadline: float) -> float:
    """The jittered pause before polling the budget again; ``SlotWaitTimeout`` once the deadline passed."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise SlotWaitTimeout
    return min(left, delay * (0.5 + random.random()))  # noqa: S311 - jitter, not crypto

"""A deadline that bounds every network operation of a call, not only each attempt.

httpx and httpcore take a read timeout once per response and apply it to each socket read, so a
server that drips one byte a second, or sends only keep-alive comments, or one endless line,
never trips it, and ``total_timeout`` could be overrun without limit (measured: past 20 s for
``total_timeout=3``). No public hook lets a caller shorten a read already under way, so the
owned clients get a thin wrapper around httpcore's network backend: each connect, TLS handshake,
read and write is bounded by ``min(its own timeout, time left to the deadline)``, and an
operation started after the deadline fails at once. The deadline travels with the request, in
the timeout values of its ``timeout`` extension (a ``float`` subclass that httpx passes through
untouched), so nothing is shared between concurrent calls. The cost is one ``time.monotonic()``
per socket operation. A user-supplied httpx client keeps its own backend; there the deadline is
checked per attempt and per chunk only.
"""

from __future__ import annotations

import math
import time
import typing

import httpcore
import httpx

__all__ = [
    "AsyncDeadlineBackend",
    "BoundedTimeout",
    "Deadline",
    "DeadlineBackend",
    "async_transport",
    "bounded_timeouts",
    "sync_transport",
]


class Deadline:
    """When a call must be over (``math.inf``: never); mutable, so a stream can shorten its drain."""

    __slots__ = ("at",)

    def __init__(self, seconds: float | None = None) -> None:
        self.at = math.inf if seconds is None else time.monotonic() + seconds

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def passed(self) -> bool:
        return time.monotonic() >= self.at


class BoundedTimeout(float):
    """A timeout (``inf``: none) carrying the deadline it is bounded by."""

    __slots__ = ("deadline",)
    deadline: Deadline

    def __new__(cls, value: float | None, deadline: Deadline) -> BoundedTimeout:
        bounded = super().__new__(cls, math.inf if value is None else value)
        bounded.deadline = deadline
        return bounded


def bounded_timeouts(timeouts: dict[str, float | None], deadline: Deadline) -> dict[str, typing.Any]:
    """The ``timeout`` extension of one attempt: connect/read/write carry the deadline; the pool
    wait (httpcore's own, not a socket operation) gets the time left as a plain number."""
    left = deadline.remaining()
    pool = timeouts.get("pool")
    if math.isfinite(left):
        pool = left if pool is None else min(pool, left)
    return {
        "connect": BoundedTimeout(timeouts.get("connect"), deadline),
        "read": BoundedTimeout(timeouts.get("read"), deadline),
        "write": BoundedTimeout(timeouts.get("write"), deadline),
        "pool": pool,
    }


def _bound(timeout: float | None, error: type[Exception]) -> float | None:
    if type(timeout) is not BoundedTimeout:
        return timeout
    left = timeout.deadline.at - time.monotonic()
    if left <= 0:
        raise error("the call's deadline has passed")
    value = min(float(timeout), left)
    return None if math.isinf(value) else value


class _Stream(httpcore.NetworkStream):
    __slots__ = ("_inner",)

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bound(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bound(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: typing.Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, _bound(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's sync backend with every operation bounded by the request's deadline."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bound(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_tcp(host, port, bounded, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: typing.Iterable[typing.Any] | None = None
    ) -> httpcore.NetworkStream:
        return _Stream(self._inner.connect_unix_socket(path, _bound(timeout, httpcore.ConnectTimeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _AsyncStream(httpcore.AsyncNetworkStream):
    __slots__ = ("_inner",)

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, _bound(timeout, httpcore.ReadTimeout))

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, _bound(timeout, httpcore.WriteTimeout))

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self, ssl_context: typing.Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        bounded = _bound(timeout, httpcore.ConnectTimeout)
        return _AsyncStream(await self._inner.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class AsyncDeadlineBackend(httpcore.AsyncNetworkBackend):
    """httpcore's async backend with every operation bounded by the request's deadline."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        bounded = _bound(timeout, httpcore.ConnectTimeout)
        return _AsyncStream(await self._inner.connect_tcp(host, port, bounded, local_address, socket_options))

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: typing.Iterable[typing.Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        bounded = _bound(timeout, httpcore.ConnectTimeout)
        return _AsyncStream(await self._inner.connect_unix_socket(path, bounded, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _wrap_pool(transport: httpx.HTTPTransport | httpx.AsyncHTTPTransport, wrapper: typing.Any) -> bool:
    pool = getattr(transport, "_pool", None)
    inner = getattr(pool, "_network_backend", None)
    if inner is None:  # an httpx/httpcore whose internals moved: per-attempt deadlines only
        return False
    pool._network_backend = wrapper(inner)  # type: ignore[union-attr]
    return True


def sync_transport(limits: httpx.Limits) -> tuple[httpx.HTTPTransport, bool]:
    """An httpx transport whose socket operations honour deadlines, and whether the wrap took."""
    transport = httpx.HTTPTransport(limits=limits)
    return transport, _wrap_pool(transport, DeadlineBackend)


def async_transport(limits: httpx.Limits) -> tuple[httpx.AsyncHTTPTransport, bool]:
    """The async ``sync_transport``."""
    transport = httpx.AsyncHTTPTransport(limits=limits)
    return transport, _wrap_pool(transport, AsyncDeadlineBackend)

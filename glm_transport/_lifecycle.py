"""Owned httpx clients across process forks and event loops.

Fork: a pooled keep-alive socket made before ``os.fork()`` is shared by parent and child, which
then read each other's answers (pre-fork servers: gunicorn ``--preload``, Celery prefork,
multiprocessing with ``fork``). Every owner registers here, and in a forked child each one drops
the clients and locks it inherited (without closing them: closing would act on sockets the parent
still uses) and makes fresh ones on next use.

Event loops: an ``httpx.AsyncClient`` belongs to the loop it first ran on. ``LoopClients`` keeps
one per loop, so one model used from several loops in several threads at once gives each loop
its own pool, and each is closed by its own loop (when ``asyncio.run`` finalises async
generators) or by ``aclose()`` on that loop; no loop ever closes another's.
"""

from __future__ import annotations

import asyncio
import os
import threading
import weakref
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import httpx

__all__ = ["LoopClients", "reset_after_fork"]


class _ForkAware(Protocol):
    def _after_fork(self) -> None: ...


_OWNERS: weakref.WeakSet[Any] = weakref.WeakSet()


def reset_after_fork(owner: _ForkAware) -> None:
    """Call ``owner._after_fork()`` in every child forked from now on (while ``owner`` lives)."""
    _OWNERS.add(owner)


def _in_child() -> None:
    for owner in list(_OWNERS):
        owner._after_fork()


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_in_child)


class LoopClients:
    """The ``httpx.AsyncClient`` of each running event loop, made by ``make()`` on first use there."""

    __slots__ = ("__weakref__", "_clients", "_lock", "_make", "last", "last_loop")

    def __init__(self, make: Callable[[], httpx.AsyncClient]) -> None:
        self._make = make
        # id(loop) -> (the loop, weakly; its client; the generator that closes it at loop shutdown)
        self._clients: dict[int, tuple[Callable[[], Any], httpx.AsyncClient, AsyncIterator[None]]] = {}
        self._lock = threading.Lock()
        self.last: httpx.AsyncClient | None = None  # the most recently made (for inspection)
        self.last_loop: asyncio.AbstractEventLoop | None = None

    async def get(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        entry = self._clients.get(id(loop))
        if entry is not None and entry[0]() is loop:
            return entry[1]
        http = self._make()
        closer = _close_at_shutdown(weakref.ref(self), id(loop), http)
        with self._lock:
            self._prune()
            self._clients[id(loop)] = (_ref(loop), http, closer)
            self.last, self.last_loop = http, loop
        await closer.__anext__()
        return http

    def _drop(self, key: int, http: httpx.AsyncClient) -> None:
        with self._lock:
            entry = self._clients.get(key)
            if entry is not None and entry[1] is http:
                del self._clients[key]

    def _prune(self) -> None:
        """Forget the clients of loops that are gone or closed (nothing can close them now)."""
        for key, (loop_ref, _, _) in list(self._clients.items()):
            loop = loop_ref()
            if loop is None or loop.is_closed():
                del self._clients[key]

    async def aclose(self) -> None:
        """Close the running loop's client; other live loops keep theirs."""
        loop = asyncio.get_running_loop()
        with self._lock:
            entry = self._clients.pop(id(loop), None)
            self._prune()
        if entry is not None and entry[0]() is loop:
            await entry[1].aclose()

    def forget(self) -> None:
        """After a fork: the inherited clients belong to the parent's loops and sockets."""
        self._clients = {}
        self._lock = threading.Lock()
        self.last = self.last_loop = None


async def _close_at_shutdown(
    owner: Callable[[], LoopClients | None], key: int, http: httpx.AsyncClient
) -> AsyncIterator[None]:
    # asyncio.run finalises async generators before closing its loop: this one then closes the
    # loop's client, so successive asyncio.run calls leave no socket on a dead loop. It holds its
    # owner weakly: no reference cycle, so a dropped owner is freed (and its clients closed) at once.
    try:
        yield
    finally:
        clients = owner()
        if clients is not None:
            clients._drop(key, http)
        await http.aclose()


def _ref(loop: asyncio.AbstractEventLoop) -> Callable[[], Any]:
    try:
        return weakref.ref(loop)
    except TypeError:  # a loop implementation without weak references
        return lambda: loop

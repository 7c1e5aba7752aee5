"""``ClientPair``: the ``GLMClient`` and ``AsyncGLMClient`` one owner (a model instance) holds.

Each is made on first use from the owner's settings and closed by the owner (``close()`` /
``aclose()``), or when it is garbage-collected (``GLMClient`` closes its own pool then). Never a
module-level cache: an async client cached across event loops is an open bug in a popular adapter,
and ``AsyncGLMClient`` already rebuilds its pool on a new loop. A copy of the owner (``model_copy``,
``deepcopy``, pickling) gets a fresh, empty pair, so two owners never close each other's client.
In a child made by ``os.fork()`` the clients make fresh connections (see ``_lifecycle.py``) and the
pair's lock is renewed, since another thread may have held it at the fork.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._lifecycle import reset_after_fork

if TYPE_CHECKING:  # the clients (and httpx) load when the owner makes its first one
    from .client import AsyncGLMClient, GLMClient

__all__ = ["ClientPair"]


class ClientPair:
    __slots__ = ("__weakref__", "_async", "_lock", "_sync")

    def __init__(self) -> None:
        self._sync: GLMClient | None = None
        self._async: AsyncGLMClient | None = None
        self._lock = threading.Lock()
        reset_after_fork(self)

    def _after_fork(self) -> None:
        self._lock = threading.Lock()

    def __copy__(self) -> ClientPair:
        return ClientPair()

    def __deepcopy__(self, memo: dict[int, Any]) -> ClientPair:
        return ClientPair()

    def __reduce__(self) -> tuple[type[ClientPair], tuple[()]]:
        return ClientPair, ()

    def sync(self, make: Callable[[], GLMClient]) -> GLMClient:
        """The sync client, made by ``make()`` on first use (once, even under threads)."""
        client = self._sync
        if client is None:
            with self._lock:
                client = self._sync
                if client is None:
                    client = self._sync = make()
        return client

    def async_(self, make: Callable[[], AsyncGLMClient]) -> AsyncGLMClient:
        """The async client, made by ``make()`` on first use."""
        client = self._async
        if client is None:
            with self._lock:
                client = self._async
                if client is None:
                    client = self._async = make()
        return client

    def close(self) -> None:
        """Close the sync client (the async one needs ``await aclose()``)."""
        client, self._sync = self._sync, None
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        """Close both clients."""
        self.close()
        client, self._async = self._async, None
        if client is not None:
            await client.aclose()

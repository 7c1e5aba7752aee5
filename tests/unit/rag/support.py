"""Helpers shared by the rag tests: ``Runner`` (sync or async calls of one method) and ``bodies``."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from glm_transport.testing import LocalGLMServer

T = TypeVar("T")


class Runner:
    """``run(obj.method, *args)`` calls ``obj.method`` (sync) or awaits ``obj.amethod`` (async).

    The async side uses one event loop for the whole test, as an application would; objects
    handed to ``own`` are closed at the end: ``aclose`` on the loop (async mode), then ``close``.
    """

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.loop = asyncio.new_event_loop() if mode == "async" else None
        self._owned: list[Any] = []

    def __call__(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self.loop is None:
            return method(*args, **kwargs)
        twin = getattr(method.__self__, "a" + method.__name__)  # type: ignore[attr-defined]
        return self.loop.run_until_complete(twin(*args, **kwargs))

    def wait(self, awaitable: Any) -> Any:
        """Await ``awaitable`` on this runner's loop (async mode only)."""
        assert self.loop is not None
        return self.loop.run_until_complete(awaitable)

    def own(self, obj: T) -> T:
        self._owned.append(obj)
        return obj

    def close(self) -> None:
        # Both: an object used from async code may also have made its sync client (LlamaIndex's
        # ``from_documents`` embeds synchronously, ``aquery`` then goes async), and some adapters'
        # ``aclose`` only closes the async one.
        for obj in self._owned:
            aclose = getattr(obj, "aclose", None)
            if self.loop is not None and aclose is not None and inspect.iscoroutinefunction(aclose):
                self.loop.run_until_complete(aclose())
            if callable(getattr(obj, "close", None)):
                obj.close()
        if self.loop is not None:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()


def bodies(server: LocalGLMServer, path: str) -> list[Any]:
    """The JSON bodies the server received on ``path`` (e.g. ``/rerank``), in order."""
    return [r.json for r in server.requests if r.path.endswith(path)]

"""The local server's per-model limit on requests in flight: above it, 429 with code 1302 (wire notes §13.7).

A request is in flight from the moment its head is read until its answer (a whole stream included) is
written. Requests without a model (files, batches, polls) are not counted: batch traffic is outside the
concurrency limits (wire notes §13.2).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from ._errors import ApiError

__all__ = ["InFlight"]


class InFlight:
    """Counts per model; ``limit`` is one figure for every model or a mapping (``"*"`` for the rest)."""

    def __init__(self, limit: int | Mapping[str, int] | None = None) -> None:
        self._lock = threading.Lock()
        self.limit = limit
        self.current: dict[str, int] = {}
        self.peak: dict[str, int] = {}
        self.rejected = 0
        self.admitted = 0

    def limit_of(self, model: str) -> int | None:
        if self.limit is None or isinstance(self.limit, int):
            return self.limit
        return self.limit.get(model, self.limit.get("*"))

    def enter(self, body: Any, path: str) -> str | None:
        """Count a request in; raise the 1302 ``ApiError`` when its model is at the limit.

        Returns the model to pass to ``leave`` (``None``: not counted)."""
        if not isinstance(body, dict) or not isinstance(body.get("model"), str):
            return None
        if "/files" in path or "/batches" in path or "/async-result" in path:
            return None
        model: str = body["model"]
        limit = self.limit_of(model)
        with self._lock:
            now = self.current.get(model, 0)
            if limit is not None and now >= limit:
                self.rejected += 1
                raise ApiError(429, "1302")
            self.current[model] = now + 1
            self.admitted += 1
            self.peak[model] = max(self.peak.get(model, 0), now + 1)
        return model

    def leave(self, model: str | None) -> None:
        if model is None:
            return
        with self._lock:
            self.current[model] -= 1

    def reset(self) -> None:
        with self._lock:
            self.peak.clear()
            self.rejected = 0
            self.admitted = 0

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "current": dict(self.current),
                "peak": dict(self.peak),
                "rejected": self.rejected,
                "admitted": self.admitted,
            }

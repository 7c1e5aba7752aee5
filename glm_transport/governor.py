"""The in-flight governor: GLM's per-model concurrency limits, kept by the client instead of learned from 1302s.

GLM counts requests in flight per account and model and answers 429 with code 1302 above the limit, which
depends on the account's tier (docs/wire-notes.md §13.7, §9.4). One ``Limiter`` per (endpoint, key
fingerprint, model) is shared by every client in the process, so ten ``ChatGLM`` instances on one key queue
for one budget. The key itself is never stored: only the first 16 hex digits of its SHA-256.

Modes (``concurrency_tier=`` or ``GLM_CONCURRENCY_TIER``), argued in docs/scale.md:

- ``"auto"`` (the default): no cap until the first 1302 for that key and model, then AIMD around the
  in-flight count that drew it. Costs nothing to an account under its limit, and a storm happens once.
- ``"V0"`` … ``"V3"``: the tier's published figure caps the five models it names (AIMD below it);
  other models behave as in ``"auto"``.
- ``"adaptive"``: the limit is unknown and bursts are large: slow start from 4, then AIMD.
- ``"off"``: no governor.

``concurrency_limits={"glm-4-plus": 80, "*": 20}`` fixes a cap per model (``"*"``: every other model).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import SecretStr

from ._lifecycle import reset_after_fork
from .errors import GLMConfigurationError
from .governor_limiter import Limiter, LimiterStats

__all__ = [
    "DEFAULT_MODE",
    "ENV_REDIS_URL",
    "ENV_TIER",
    "MODES",
    "TIER_LIMITS",
    "Governor",
    "GovernorKey",
    "governor_stats",
    "reset_governors",
]

ENV_TIER = "GLM_CONCURRENCY_TIER"
ENV_REDIS_URL = "GLM_CONCURRENCY_REDIS_URL"
DEFAULT_MODE = "auto"
TIERS = ("V0", "V1", "V2", "V3")
MODES = (DEFAULT_MODE, "adaptive", "off", *TIERS)
ADAPTIVE_START = 4

# Requests in flight per model and tier (docs/wire-notes.md §13.7, the GLM-4 model page).
TIER_LIMITS: dict[str, tuple[int, int, int, int]] = {
    "glm-4-plus": (50, 100, 300, 500),
    "glm-4-air-250414": (30, 40, 50, 60),
    "glm-4-airx": (5, 30, 40, 50),
    "glm-4-flashx-250414": (100, 150, 200, 300),
    "glm-4-flash-250414": (200, 1000, 2000, 3000),
}
# Paths that are not model calls: batch traffic is outside the concurrency limits (wire notes §13.2).
UNGOVERNED_PREFIXES = ("/files", "/batches", "/async-result")


@dataclass(frozen=True)
class GovernorKey:
    """Whose budget: the API endpoint, a fingerprint of the key (never the key), the model."""

    endpoint: str
    key_fingerprint: str
    model: str


def fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def _resolve_mode(tier: str | None) -> str:
    raw = tier if tier is not None else os.environ.get(ENV_TIER) or DEFAULT_MODE
    for mode in MODES:
        if raw.strip().lower() == mode.lower():
            return mode
    raise GLMConfigurationError(f"concurrency_tier must be one of {', '.join(MODES)}; got {raw!r}")


def _check_limits(limits: Mapping[str, int] | None) -> dict[str, int]:
    checked: dict[str, int] = {}
    for model, value in (limits or {}).items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise GLMConfigurationError(f"concurrency_limits[{model!r}] must be a positive integer, got {value!r}")
        checked[model.lower()] = value
    return checked


class _Registry:
    """The process-wide limiters; a lock makes the first-use race safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.limiters: dict[GovernorKey, Any] = {}
        reset_after_fork(self)

    def _after_fork(self) -> None:
        """A forked child starts with no limiters: the parent's requests in flight are not the
        child's to release (it would wait for them forever), and a lock another thread held at
        the fork would never be released either."""
        self._lock = threading.Lock()
        self.limiters = {}

    def get(self, key: GovernorKey, make: Any) -> Any:
        with self._lock:
            limiter = self.limiters.get(key)
            if limiter is None:
                limiter = self.limiters[key] = make()
            return limiter


_REGISTRY = _Registry()


@dataclass
class Governor:
    """One client's view of the process-wide limiters (built by the client from its arguments)."""

    mode: str
    endpoint: str
    key_fingerprint: str
    limits: dict[str, int] = field(default_factory=dict)
    redis_url: str | None = field(default=None, repr=False)  # may hold a password

    @classmethod
    def resolve(
        cls,
        *,
        endpoint: str,
        secret: str,
        concurrency_tier: str | None = None,
        concurrency_limits: Mapping[str, int] | None = None,
        concurrency_redis_url: str | SecretStr | None = None,
    ) -> Governor | None:
        """The governor for these settings (``None`` when ``"off"`` and no explicit limits)."""
        mode = _resolve_mode(concurrency_tier)
        limits = _check_limits(concurrency_limits)
        if isinstance(concurrency_redis_url, SecretStr):
            concurrency_redis_url = concurrency_redis_url.get_secret_value()
        redis_url = concurrency_redis_url or os.environ.get(ENV_REDIS_URL) or None
        if mode == "off" and not limits:
            return None
        return cls(mode, endpoint, fingerprint(secret), limits, redis_url)

    def ceiling(self, model: str) -> int | None:
        """The fixed cap for ``model``: an override, else the tier's figure, else none."""
        name = model.lower()
        if name in self.limits:
            return self.limits[name]
        if "*" in self.limits:
            return self.limits["*"]
        if self.mode in TIERS and name in TIER_LIMITS:
            return TIER_LIMITS[name][TIERS.index(self.mode)]
        return None

    def limiter(self, model: str) -> Any:
        """The shared limiter of this endpoint, key and model (a ``Limiter`` or a fleet limiter)."""
        key = GovernorKey(self.endpoint, self.key_fingerprint, model.lower())
        ceiling = self.ceiling(model)
        if self.redis_url is not None:
            from .governor_redis import RedisLimiter  # the optional [redis] extra

            if ceiling is None:
                raise GLMConfigurationError(
                    f"fleet mode needs a limit for {model!r}: set concurrency_tier or concurrency_limits"
                )
            return _REGISTRY.get(key, lambda: RedisLimiter(self.redis_url, key, ceiling))
        if self.mode == "off" and ceiling is None:
            return None
        if ceiling is None and self.mode == "adaptive":
            return _REGISTRY.get(key, lambda: Limiter(None, initial=ADAPTIVE_START, slow_start=True))
        return _REGISTRY.get(key, lambda: Limiter(ceiling))

    def limiter_for(self, model: str | None) -> Any:
        """The limiter a request for ``model`` queues on, or ``None`` for requests without a model."""
        return None if model is None else self.limiter(model)

    def stats(self, model: str) -> LimiterStats:
        """Current limit, in-flight count and queue length for ``model`` on this key."""
        limiter = self.limiter(model)
        return limiter.stats() if limiter is not None else LimiterStats(None, None, 0, 0, 0, 0)


def governed_model(path: str, body: Mapping[str, Any]) -> str | None:
    """The model whose budget a POST of ``body`` to ``path`` (after the base URL) takes a slot of;
    ``None`` for file, batch and poll requests and bodies without a model."""
    model = None if path.startswith(UNGOVERNED_PREFIXES) else body.get("model")
    return model if isinstance(model, str) else None


def model_of(request: httpx.Request, endpoint: str) -> str | None:
    """``governed_model`` of a request built elsewhere (an upload, a GET, a task submission)."""
    if request.method != "POST":
        return None
    path = str(request.url)[len(endpoint) :]
    if path.startswith(UNGOVERNED_PREFIXES):
        return None
    content = request.content
    if not content.startswith(b"{"):
        return None
    try:
        data = json.loads(content)
    except ValueError:
        return None
    return governed_model(path, data) if isinstance(data, dict) else None


def governor_stats() -> dict[GovernorKey, LimiterStats]:
    """Every limiter in this process with its current limit, in-flight count and queue length."""
    with _REGISTRY._lock:
        items = list(_REGISTRY.limiters.items())
    return {key: limiter.stats() for key, limiter in items}


def reset_governors() -> None:
    """Forget every limiter (tests and benchmarks; requests in flight keep their own slots)."""
    with _REGISTRY._lock:
        limiters = list(_REGISTRY.limiters.values())
        _REGISTRY.limiters.clear()
    for limiter in limiters:
        close = getattr(limiter, "close", None)
        if close is not None:
            close()

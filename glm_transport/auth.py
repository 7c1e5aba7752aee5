"""Authorization header: the raw key as a bearer token, or a short-lived JWT (wire notes §2)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from pydantic import SecretStr

from .errors import GLMConfigurationError

__all__ = ["GLMAuth", "make_jwt"]

# The official SDKs sign for 210 s and reuse a token for 180 s (wire notes §2.2).
JWT_TTL_SECONDS = 210.0
JWT_REFRESH_BEFORE_SECONDS = 30.0


def make_jwt(api_key: str, *, now: float, ttl: float = JWT_TTL_SECONDS) -> str:
    """A JWT for an ``id.secret`` key: HS256, header ``sign_type: SIGN``, times in milliseconds."""
    import jwt  # only JWT users pay for importing PyJWT (about 50 ms)

    key_id, sep, secret = api_key.partition(".")
    if not sep or not key_id or not secret or "." in secret:
        raise GLMConfigurationError("use_jwt needs an API key of the form '<id>.<secret>'.")
    now_ms = int(now * 1000)
    payload = {"api_key": key_id, "exp": now_ms + int(ttl * 1000), "timestamp": now_ms}
    return jwt.encode(payload, secret.encode(), algorithm="HS256", headers={"sign_type": "SIGN"})


class GLMAuth:
    """Makes the ``Authorization`` value; a JWT is cached on this object and refreshed before expiry."""

    __slots__ = ("_api_key", "_clock", "_expires", "_lock", "_token", "use_jwt")

    def __init__(self, api_key: SecretStr, *, use_jwt: bool = False, clock: Callable[[], float] = time.time) -> None:
        self._api_key = api_key
        self.use_jwt = use_jwt
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires = 0.0
        if use_jwt:  # fail on a malformed key now, not at the first request
            make_jwt(api_key.get_secret_value(), now=clock())

    def __repr__(self) -> str:
        return f"GLMAuth(api_key=SecretStr('**********'), use_jwt={self.use_jwt})"

    def header_value(self) -> str:
        if not self.use_jwt:
            return "Bearer " + self._api_key.get_secret_value()
        now = self._clock()
        with self._lock:
            if self._token is None or now >= self._expires - JWT_REFRESH_BEFORE_SECONDS:
                self._token = make_jwt(self._api_key.get_secret_value(), now=now)
                self._expires = now + JWT_TTL_SECONDS
            return "Bearer " + self._token

    def secrets(self) -> tuple[str, ...]:
        """What must never appear in a message: the key and the cached JWT."""
        return (self._api_key.get_secret_value(), self._token or "")

    def after_fork(self) -> None:
        """In a forked child: a lock another thread held at the fork would never be released."""
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        """Forget a cached JWT (after a 401) so the next request signs a fresh one."""
        with self._lock:
            self._token = None

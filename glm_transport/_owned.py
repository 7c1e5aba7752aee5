"""The httpx clients a GLM client makes for itself: a deadline-bounded pool, the environment's proxy,
and requests sent on the pool's transport directly.

``httpx.Client.send`` runs, per request, an auth-flow generator, the redirect loop, the event hooks,
a timer around the response stream and the cookie jar (``extract_cookies`` builds a ``urllib``
request for every response). An owned client needs none of them: authentication is our header, GLM
answers with no redirect we follow and no cookie we send back, and nobody can register a hook on a
client they never see. Sending on its transport skips about 80 µs of CPU per call, more than the
rest of our per-call work together (``bench/transport.py``: 0.42 ms per call through ``send``, 0.33 ms
on the transport, same server and run). A user's own httpx client always goes through its ``send``,
hooks, auth and mounts included.

Proxies: ``httpx.Client(transport=...)`` ignores ``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY`` and
``NO_PROXY``, so the transport is given the environment's proxy for the base URL here, as a plain
``httpx.Client()`` would pick it.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

__all__ = ["OwnedAsyncClient", "OwnedClient", "environment_proxy"]


def environment_proxy(base_url: str) -> str | None:
    """The proxy URL the environment names for ``base_url`` (``None``: connect directly)."""
    url = httpx.URL(base_url)
    proxies = urllib.request.getproxies_environment()
    if proxies.get("no") and urllib.request.proxy_bypass(url.host):  # NO_PROXY
        return None
    return proxies.get(url.scheme) or proxies.get("all")


def _bounded_transport(kind: type[Any], backend: type[Any], base_url: str, limits: httpx.Limits) -> tuple[Any, bool]:
    """A transport of ``kind`` whose pool's socket operations are bounded by the call's deadline
    (``_deadline_io.py``), and whether that took (False when httpx/httpcore internals moved: then
    deadlines hold per attempt only)."""
    transport = kind(limits=limits, proxy=environment_proxy(base_url))
    pool = getattr(transport, "_pool", None)
    inner = getattr(pool, "_network_backend", None)
    if inner is None:
        return transport, False
    pool._network_backend = backend(inner)  # type: ignore[union-attr]
    return transport, True


class OwnedClient(httpx.Client):
    """An ``httpx.Client`` of ours; ``send_direct`` sends on its transport (module docstring)."""

    def __init__(self, base_url: str, timeout: httpx.Timeout, limits: httpx.Limits) -> None:
        from ._deadline_io import DeadlineBackend  # with httpcore, which the transport loads anyway

        transport, self.bounded = _bounded_transport(httpx.HTTPTransport, DeadlineBackend, base_url, limits)
        super().__init__(timeout=timeout, limits=limits, transport=transport)
        handle = transport.handle_request

        def send_direct(request: httpx.Request, *, stream: bool = True) -> httpx.Response:
            response: httpx.Response = handle(request)
            response.request = request
            return response

        self.send_direct: Callable[..., httpx.Response] = send_direct


class OwnedAsyncClient(httpx.AsyncClient):
    """The async ``OwnedClient``."""

    def __init__(self, base_url: str, timeout: httpx.Timeout, limits: httpx.Limits) -> None:
        from ._deadline_io import AsyncDeadlineBackend

        transport, self.bounded = _bounded_transport(httpx.AsyncHTTPTransport, AsyncDeadlineBackend, base_url, limits)
        super().__init__(timeout=timeout, limits=limits, transport=transport)
        handle = transport.handle_async_request

        async def send_direct(request: httpx.Request, *, stream: bool = True) -> httpx.Response:
            response: httpx.Response = await handle(request)
            response.request = request
            return response

        self.send_direct: Callable[..., Awaitable[httpx.Response]] = send_direct

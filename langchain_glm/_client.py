"""The connection settings ``ChatGLM`` and ``GLMEmbeddings`` share, and the client pair each
instance owns: one ``GLMClient`` and one ``AsyncGLMClient``, made on first use and closed by
their owner (``close()``/``aclose()``), or when the owner is garbage-collected.

Clients never live at module level: an async client cached across event loops is an open bug
in a popular adapter. The transport rebuilds its ``httpx.AsyncClient`` when used from another
loop; clients passed in by the user are used and never closed.
"""

from __future__ import annotations

from typing import Any

import httpx
from langchain_core.utils import from_env, secret_from_env
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr
from typing_extensions import Self

from glm_transport import AsyncGLMClient, ClientPair, GLMClient
from glm_transport.config import API_KEY_ENV_VARS, BASE_URL_ENV_VAR

__all__ = ["GLMConnection"]


class GLMConnection(BaseModel):
    """Where and how to reach GLM; shared by the chat model and the embeddings."""

    api_key: SecretStr | None = Field(default_factory=secret_from_env(list(API_KEY_ENV_VARS), default=None))
    """GLM API key; read from ``ZHIPUAI_API_KEY``, then ``ZAI_API_KEY``, when not given."""
    base_url: str | None = Field(default_factory=from_env(BASE_URL_ENV_VAR, default=None))
    """API base URL or one of ``china``, ``international``, ``china-coding``,
    ``international-coding``; read from ``ZHIPUAI_BASE_URL``; default: the China endpoint."""
    timeout: float | httpx.Timeout | None = None
    """Seconds (connect, read between stream chunks, write); default 300 s, connect 8 s."""
    max_retries: int = 2
    """Retries by the transport's one retry layer (429/overload/5xx/connection errors)."""
    total_timeout: float | None = None
    """Seconds for a whole call, retries and streaming included (``None``: no overall bound)."""
    default_headers: dict[str, str] | None = None
    use_jwt: bool = False
    """Sign a short-lived JWT with an ``id.secret`` key instead of sending the key."""
    max_concurrency: int = 8
    """Bound on concurrent requests the async client sends for one batched call."""
    concurrency_tier: str | None = None
    """In-flight governor: ``auto`` (default), ``V0``-``V3``, ``adaptive`` or ``off``; else
    ``GLM_CONCURRENCY_TIER`` (docs/scale.md)."""
    concurrency_limits: dict[str, int] | None = None
    """Requests in flight per model, e.g. ``{"glm-4-plus": 80, "*": 20}``; wins over the tier."""
    concurrency_redis_url: SecretStr | None = None
    """Share the in-flight budget across processes through Redis (the ``[redis]`` extra); secret, as
    the URL may hold a password."""
    http_client: httpx.Client | None = Field(default=None, exclude=True)
    """An ``httpx.Client`` to send with; used, never closed."""
    http_async_client: httpx.AsyncClient | None = Field(default=None, exclude=True)
    """An ``httpx.AsyncClient`` to send with; used, never closed."""

    _clients: ClientPair = PrivateAttr(default_factory=ClientPair)

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True)

    def __copy__(self) -> Self:
        # BaseModel.__copy__ (model_copy) copies private attributes shallowly: without this the
        # copy would share, and could close, the original's clients.
        copied = super().__copy__()
        copied._clients = ClientPair()
        return copied

    def client_kwargs(self) -> dict[str, Any]:
        return {
            "api_key": self.api_key,
            "base_url": self.base_url,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "total_timeout": self.total_timeout,
            "default_headers": self.default_headers,
            "use_jwt": self.use_jwt,
            "concurrency_tier": self.concurrency_tier,
            "concurrency_limits": self.concurrency_limits,
            "concurrency_redis_url": self.concurrency_redis_url,
        }

    @property
    def client(self) -> GLMClient:
        """The ``GLMClient`` this instance owns (made on first use)."""
        return self._clients.sync(lambda: GLMClient(http_client=self.http_client, **self.client_kwargs()))

    @property
    def async_client(self) -> AsyncGLMClient:
        """The ``AsyncGLMClient`` this instance owns (made on first use)."""
        return self._clients.async_(
            lambda: AsyncGLMClient(
                http_client=self.http_async_client, max_concurrency=self.max_concurrency, **self.client_kwargs()
            )
        )

    def close(self) -> None:
        """Close the sync client's connections (a client passed in is left open)."""
        self._clients.close()

    async def aclose(self) -> None:
        """Close both clients' connections."""
        await self._clients.aclose()

"""The connection settings ``GLM``, ``GLMEmbedding`` and ``GLMRerank`` share, and the client pair
each instance owns (``glm_transport.ClientPair``: made on first use, closed by ``close()`` /
``aclose()`` or when the owner is garbage-collected, never cached at module level)."""

from __future__ import annotations

from typing import Any

from llama_index.core.bridge.pydantic import BaseModel, Field, PrivateAttr, SecretStr

from glm_transport import AsyncGLMClient, ClientPair, GLMClient
from glm_transport.config import DEFAULT_MAX_RETRIES, resolve_api_key, resolve_base_url

__all__ = ["GLMConnection"]


class GLMConnection(BaseModel):
    """Where and how to reach GLM. The key and URL are resolved at construction, so a missing key
    or a bad URL fails there with the transport's ``GLMConfigurationError``, not at the first call."""

    api_key: SecretStr | None = Field(
        default=None, exclude=True, repr=False, description="GLM API key; else ZHIPUAI_API_KEY, then ZAI_API_KEY."
    )
    base_url: str | None = Field(default=None, description="Endpoint URL or name; else ZHIPUAI_BASE_URL.")
    timeout: float | None = Field(default=None, description="Seconds; None: 300 s, 8 s to connect.")
    max_retries: int = Field(default=DEFAULT_MAX_RETRIES, ge=0, description="Retries after the first attempt.")
    total_timeout: float | None = Field(
        default=None, gt=0, description="Seconds for a whole call, retries and streaming included."
    )
    default_headers: dict[str, str] | None = Field(default=None, description="Extra HTTP headers.")
    concurrency_tier: str | None = Field(
        default=None, description="In-flight governor: auto (default), V0-V3, adaptive, off; else GLM_CONCURRENCY_TIER."
    )
    concurrency_limits: dict[str, int] | None = Field(
        default=None, description='Requests in flight per model, e.g. {"glm-4-plus": 80, "*": 20}.'
    )
    concurrency_redis_url: SecretStr | None = Field(
        default=None, exclude=True, repr=False, description="Redis URL sharing the in-flight budget ([redis] extra)."
    )

    _clients: ClientPair = PrivateAttr(default_factory=ClientPair)

    def __init__(self, **kwargs: Any) -> None:
        kwargs["api_key"] = resolve_api_key(kwargs.get("api_key"))
        kwargs["base_url"] = resolve_base_url(kwargs.get("base_url"))
        super().__init__(**kwargs)

    def _client_options(self) -> dict[str, Any]:
        return {
            "api_key": self.api_key,
            "base_url": self.base_url,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "total_timeout": self.total_timeout,
            "default_headers": self.default_headers,
            "concurrency_tier": self.concurrency_tier,
            "concurrency_limits": self.concurrency_limits,
            "concurrency_redis_url": self.concurrency_redis_url,
        }

    def _async_client_options(self) -> dict[str, Any]:
        return self._client_options()

    @property
    def client(self) -> GLMClient:
        """The ``GLMClient`` this instance owns, made on first use."""
        return self._clients.sync(lambda: GLMClient(**self._client_options()))

    @property
    def async_client(self) -> AsyncGLMClient:
        """The ``AsyncGLMClient`` this instance owns; its connection pool follows the running loop."""
        return self._clients.async_(lambda: AsyncGLMClient(**self._async_client_options()))

    def close(self) -> None:
        """Close the sync client's connections."""
        self._clients.close()

    async def aclose(self) -> None:
        """Close both clients' connections."""
        await self._clients.aclose()

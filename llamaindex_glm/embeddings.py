"""``GLMEmbedding``: GLM embedding models (embedding-3, embedding-2) as a LlamaIndex ``BaseEmbedding``."""

from __future__ import annotations

import asyncio
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from llama_index.core.bridge.pydantic import Field, PrivateAttr, field_validator

from glm_transport.catalog import EMBEDDING_MAX_BATCH
from glm_transport.options import capped_batch_size

from ._client import GLMConnection

__all__ = ["GLMEmbedding"]


class GLMEmbedding(GLMConnection, BaseEmbedding):
    """GLM embeddings over ``POST /embeddings`` (wire notes §7).

    Setup:
        Set ``ZHIPUAI_API_KEY`` (or ``ZAI_API_KEY``); embeddings are documented on the China
        endpoint (``open.bigmodel.cn``), the default.

    Instantiate:
        ``GLMEmbedding(model_name="embedding-3", dimensions=1024)``

    Embed:
        ``get_query_embedding(text)``, ``get_text_embedding_batch(texts)`` and their ``a*`` twins.
        A batch of up to ``embed_batch_size`` (at most 64, the API's limit) texts is one request;
        async batches run concurrently, at most ``max_concurrency`` at a time.
    """

    model_name: str = Field(default="embedding-3", description="embedding-3 or embedding-2.")
    embed_batch_size: int = Field(
        default=EMBEDDING_MAX_BATCH, description="Texts per request; above 64 (GLM's limit) is capped with a warning."
    )
    dimensions: int | None = Field(
        default=None, description="embedding-3: 256, 512, 1024 or 2048 (default 2048); embedding-2: 1024."
    )
    _limit: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = PrivateAttr(default=None)

    def __init__(self, model_name: str | None = None, /, **kwargs: Any) -> None:
        # ``model=`` (as the dedicated ZhipuAIEmbedding spelled it) is an alias of ``model_name``.
        if model_name is not None:
            kwargs["model_name"] = model_name
        super().__init__(**kwargs)

    @field_validator("embed_batch_size")
    @classmethod
    def _cap_batch_size(cls, value: int) -> int:
        return capped_batch_size(value, "embed_batch_size")

    @classmethod
    def class_name(cls) -> str:
        return "GLMEmbedding"

    def _options(self) -> dict[str, Any]:
        return {"model": self.model_name, "dimensions": self.dimensions, "batch_size": self.embed_batch_size}

    def _semaphore(self) -> asyncio.Semaphore:
        # One bound per event loop: core gathers every batch of a call at once.
        loop = asyncio.get_running_loop()
        if self._limit is None or self._limit[0] is not loop:
            self._limit = (loop, asyncio.Semaphore(self.max_concurrency))
        return self._limit[1]

    def _get_query_embedding(self, query: str) -> Embedding:
        return self.client.embed([query], **self._options())[0]

    async def _aget_query_embedding(self, query: str) -> Embedding:
        return (await self._aget_text_embeddings([query]))[0]

    def _get_text_embedding(self, text: str) -> Embedding:
        return self.client.embed([text], **self._options())[0]

    async def _aget_text_embedding(self, text: str) -> Embedding:
        return (await self._aget_text_embeddings([text]))[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return self.client.embed(texts, **self._options())

    async def _aget_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        async with self._semaphore():
            return await self.async_client.embed(texts, **self._options())

"""``GLMEmbeddings``: GLM's ``embedding-3``/``embedding-2`` for LangChain (wire notes §7)."""

from __future__ import annotations

from typing import Any

from langchain_core.embeddings import Embeddings
from pydantic import field_validator

from glm_transport.catalog import EMBEDDING_MAX_BATCH
from glm_transport.options import capped_batch_size

from ._client import GLMConnection
from ._errors import mapped_errors

__all__ = ["GLMEmbeddings"]


class GLMEmbeddings(GLMConnection, Embeddings):
    """GLM text embeddings.

    Setup:
        Set ``ZHIPUAI_API_KEY`` (or ``ZAI_API_KEY``); ``ZHIPUAI_BASE_URL`` picks the endpoint.

    Instantiate:
        .. code-block:: python

            from langchain_glm import GLMEmbeddings

            embeddings = GLMEmbeddings(model="embedding-3", dimensions=1024)

    Embed:
        .. code-block:: python

            vectors = embeddings.embed_documents(["first text", "second text"])
            query = embeddings.embed_query("a question")

    Async:
        ``aembed_documents``/``aembed_query`` send the batches concurrently, at most
        ``max_concurrency`` at a time.

    Batches hold at most 64 texts (GLM's limit; ``batch_size`` can lower it, a larger one is capped). Inputs GLM rejects
    (non-strings, empty strings, unsupported ``dimensions``) raise ``GLMInvalidRequestError``
    before any request is sent.
    """

    model: str = "embedding-3"
    dimensions: int | None = None
    """``embedding-3``: 256, 512, 1024 or 2048 (default 2048); ``embedding-2`` is fixed at 1024."""
    batch_size: int = EMBEDDING_MAX_BATCH
    """Texts per request; above 64 (GLM's limit) is capped with a warning."""

    @field_validator("batch_size")
    @classmethod
    def _cap_batch_size(cls, value: int) -> int:
        return capped_batch_size(value, "batch_size")

    def _options(self) -> dict[str, Any]:
        return {"model": self.model, "dimensions": self.dimensions, "batch_size": self.batch_size}

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """One vector per text, in order; ``[]`` for ``[]``."""
        if not texts:
            return []
        with mapped_errors():
            return self.client.embed(texts, **self._options())

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        with mapped_errors():
            return await self.async_client.embed(texts, **self._options())

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    async def aembed_query(self, text: str) -> list[float]:
        return (await self.aembed_documents([text]))[0]

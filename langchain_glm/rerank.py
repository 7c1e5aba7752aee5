"""``GLMRerank``: GLM's rerank endpoint as a LangChain document compressor (wire notes §8)."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.callbacks import Callbacks
from langchain_core.documents import Document
from langchain_core.documents.compressor import BaseDocumentCompressor
from pydantic import Field

from glm_transport.types import RerankResponse

from ._client import GLMConnection
from ._errors import mapped_errors

__all__ = ["GLMRerank"]


def reranked_documents(documents: Sequence[Document], response: RerankResponse) -> list[Document]:
    """Copies of ``documents`` in the response's order, each with its ``relevance_score``.

    The inputs are not modified: the same retrieved documents may feed other steps.
    """
    out = []
    for result in response.results:
        document = documents[result.index]
        out.append(
            Document(
                page_content=document.page_content,
                metadata={**document.metadata, "relevance_score": result.relevance_score},
                id=document.id,
            )
        )
    return out


class GLMRerank(GLMConnection, BaseDocumentCompressor):
    """Rerank documents with GLM's ``rerank`` model.

    More than 128 documents are sent in several requests (concurrently on the async path) and
    merged by score; every returned document carries ``metadata["relevance_score"]``.

    Setup:
        ``pip install "glm-integrations[langchain]"`` and set ``ZHIPUAI_API_KEY``.

    Instantiate:
        .. code-block:: python

            from langchain_glm import GLMRerank

            reranker = GLMRerank(top_n=3)

    Invoke:
        .. code-block:: python

            best = reranker.compress_documents(documents, "What is GLM?")
            best[0].metadata["relevance_score"]

    In a retriever:
        .. code-block:: python

            from langchain_classic.retrievers import ContextualCompressionRetriever

            retriever = ContextualCompressionRetriever(base_compressor=reranker, base_retriever=base)

    Async:
        .. code-block:: python

            best = await reranker.acompress_documents(documents, "What is GLM?")
    """

    model: str = "rerank"
    """The rerank model id."""
    top_n: int | None = Field(default=3, ge=0)
    """How many documents to keep, best first; ``None`` or 0 keeps all."""

    def compress_documents(
        self,
        documents: Sequence[Document],
        query: str,
        callbacks: Callbacks | None = None,
    ) -> Sequence[Document]:
        """The ``top_n`` documents most relevant to ``query``, best first."""
        if not documents:
            return []
        texts = [document.page_content for document in documents]
        with mapped_errors():
            response = self.client.rerank(query, texts, model=self.model, top_n=self.top_n)
        return reranked_documents(documents, response)

    async def acompress_documents(
        self,
        documents: Sequence[Document],
        query: str,
        callbacks: Callbacks | None = None,
    ) -> Sequence[Document]:
        """The async ``compress_documents``: batches of 128 go concurrently."""
        if not documents:
            return []
        texts = [document.page_content for document in documents]
        with mapped_errors():
            response = await self.async_client.rerank(query, texts, model=self.model, top_n=self.top_n)
        return reranked_documents(documents, response)

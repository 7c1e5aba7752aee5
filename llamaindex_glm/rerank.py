"""``GLMRerank``: GLM's rerank endpoint as a LlamaIndex node postprocessor (wire notes §8)."""

from __future__ import annotations

from typing import Any

from llama_index.core.bridge.pydantic import Field
from llama_index.core.callbacks import CBEventType, EventPayload
from llama_index.core.instrumentation.events.rerank import ReRankEndEvent, ReRankStartEvent
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import MetadataMode, NodeWithScore, QueryBundle
from llama_index_instrumentation import get_dispatcher

from glm_transport.types import RerankResponse

from ._client import GLMConnection

__all__ = ["GLMRerank"]

dispatcher = get_dispatcher(__name__)


def reranked_nodes(
    nodes: list[NodeWithScore], response: RerankResponse, keep_retrieval_score: bool
) -> list[NodeWithScore]:
    """New ``NodeWithScore`` objects in the response's order, scored by GLM.

    The inputs keep their retrieval scores; with ``keep_retrieval_score`` the node's metadata also
    records it as ``retrieval_score``.
    """
    out = []
    for result in response.results:
        original = nodes[result.index]
        if keep_retrieval_score:
            original.node.metadata["retrieval_score"] = original.score
        out.append(NodeWithScore(node=original.node, score=result.relevance_score))
    return out


class GLMRerank(GLMConnection, BaseNodePostprocessor):
    """Rerank retrieved nodes with GLM's ``rerank`` model.

    More than 128 nodes are sent in several requests (concurrently on the async path) and merged
    by score. The query engine's async path (``aquery``) uses the async client natively.

    Setup:
        ``pip install "glm-integrations[llamaindex]"`` and set ``ZHIPUAI_API_KEY``.

    Instantiate:
        .. code-block:: python

            from llamaindex_glm import GLMRerank

            rerank = GLMRerank(top_n=3)

    In a query engine:
        .. code-block:: python

            engine = index.as_query_engine(similarity_top_k=10, node_postprocessors=[rerank])

    Direct:
        .. code-block:: python

            best = rerank.postprocess_nodes(nodes, query_str="What is GLM?")
            best = await rerank.apostprocess_nodes(nodes, query_str="What is GLM?")
    """

    model: str = Field(default="rerank", description="The rerank model id.")
    top_n: int | None = Field(default=2, ge=0, description="Nodes to keep, best first; None or 0 keeps all.")
    keep_retrieval_score: bool = Field(default=False, description="Keep the retrieval score in node metadata.")
    metadata_mode: MetadataMode = Field(default=MetadataMode.EMBED, description="Which metadata the reranker sees.")

    @classmethod
    def class_name(cls) -> str:
        return "GLMRerank"

    def _texts(self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None) -> tuple[str, list[str]]:
        if query_bundle is None:
            raise ValueError("GLMRerank needs the query: pass query_str or a query bundle")
        dispatcher.event(
            ReRankStartEvent(query=query_bundle, nodes=nodes, top_n=self.top_n or len(nodes), model_name=self.model)
        )
        return query_bundle.query_str, [n.node.get_content(metadata_mode=self.metadata_mode) for n in nodes]

    def _payload(self, nodes: list[NodeWithScore], query: str) -> dict[str, Any]:
        return {
            EventPayload.NODES: nodes,
            EventPayload.MODEL_NAME: self.model,
            EventPayload.QUERY_STR: query,
            EventPayload.TOP_K: self.top_n,
        }

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        query, texts = self._texts(nodes, query_bundle)
        if not nodes:
            return []
        with self.callback_manager.event(CBEventType.RERANKING, payload=self._payload(nodes, query)) as event:
            response = self.client.rerank(query, texts, model=self.model, top_n=self.top_n)
            new_nodes = reranked_nodes(nodes, response, self.keep_retrieval_score)
            event.on_end(payload={EventPayload.NODES: new_nodes})
        dispatcher.event(ReRankEndEvent(nodes=new_nodes))
        return new_nodes

    async def _apostprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        query, texts = self._texts(nodes, query_bundle)
        if not nodes:
            return []
        with self.callback_manager.event(CBEventType.RERANKING, payload=self._payload(nodes, query)) as event:
            response = await self.async_client.rerank(query, texts, model=self.model, top_n=self.top_n)
            new_nodes = reranked_nodes(nodes, response, self.keep_retrieval_score)
            event.on_end(payload={EventPayload.NODES: new_nodes})
        dispatcher.event(ReRankEndEvent(nodes=new_nodes))
        return new_nodes

"""``llamaindex_glm.rerank.GLMRerank`` against the local server, sync and async."""

from __future__ import annotations

from typing import Any

import pytest
from llama_index.core import Settings, VectorStoreIndex
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.instrumentation.events.rerank import ReRankEndEvent, ReRankStartEvent
from llama_index.core.llms import MockLLM
from llama_index.core.schema import NodeWithScore, TextNode

from glm_transport import GLMConfigurationError, GLMInvalidRequestError
from glm_transport.testing import LocalGLMServer
from llamaindex_glm.rerank import GLMRerank

from .support import Runner, bodies

QUERY = "alpha bravo charlie delta echo foxtrot golf hotel india juliet"
TEXTS = {"de": "Berlin is the capital of Germany.", "fr": "Paris is the capital of France.", "wine": "France has wine."}


def nodes() -> list[NodeWithScore]:
    return [NodeWithScore(node=TextNode(id_=key, text=text), score=0.5) for key, text in TEXTS.items()]


def many_nodes(n: int, ranked: dict[int, int]) -> list[NodeWithScore]:
    words = QUERY.split()
    return [
        NodeWithScore(node=TextNode(id_=str(i), text=" ".join(words[: ranked[i]]) if i in ranked else f"filler {i}"))
        for i in range(n)
    ]


@pytest.fixture
def offline_tokenizer(monkeypatch: pytest.MonkeyPatch) -> None:
    # The response synthesizer counts tokens; never let that fetch a tokenizer.
    monkeypatch.setattr(Settings, "_tokenizer", str.split)


def test_nodes_come_back_best_first_with_glm_scores(run: Runner, glm_env: LocalGLMServer) -> None:
    reranker = run.own(GLMRerank(top_n=2))
    given = nodes()
    best = run(reranker.postprocess_nodes, given, query_str="What is the capital of France?")
    assert [n.node.node_id for n in best] == ["fr", "de"]
    assert best[0].score is not None
    assert best[1].score is not None
    assert best[0].score > best[1].score > 0
    assert [n.score for n in given] == [0.5, 0.5, 0.5]  # the inputs keep their retrieval scores
    [body] = bodies(glm_env, "/rerank")
    assert body["documents"] == list(TEXTS.values())
    assert body["top_n"] == 2


def test_300_nodes_are_reranked_in_3_requests_and_merged(run: Runner, glm_env: LocalGLMServer) -> None:
    reranker = run.own(GLMRerank(top_n=3))
    best = run(reranker.postprocess_nodes, many_nodes(300, {299: 10, 5: 9, 150: 8}), query_str=QUERY)
    assert [n.node.node_id for n in best] == ["299", "5", "150"]
    # The async batches go concurrently, so they may arrive in any order.
    assert sorted(len(b["documents"]) for b in bodies(glm_env, "/rerank")) == [44, 128, 128]


def test_top_n_none_keeps_every_node(run: Runner, glm_env: LocalGLMServer) -> None:
    reranker = run.own(GLMRerank(top_n=None))
    ranked = run(reranker.postprocess_nodes, many_nodes(200, {42: 2}), query_str=QUERY)
    assert len(ranked) == 200
    assert ranked[0].node.node_id == "42"
    assert "top_n" not in bodies(glm_env, "/rerank")[0]


def test_keep_retrieval_score_records_it_in_metadata(run: Runner, glm_env: LocalGLMServer) -> None:
    reranker = run.own(GLMRerank(top_n=1, keep_retrieval_score=True))
    [best] = run(reranker.postprocess_nodes, nodes(), query_str="capital of France")
    assert best.node.metadata["retrieval_score"] == 0.5


def test_no_nodes_sends_nothing_and_no_query_is_an_error(run: Runner, glm_env: LocalGLMServer) -> None:
    reranker = run.own(GLMRerank())
    assert run(reranker.postprocess_nodes, [], query_str="anything") == []
    with pytest.raises(ValueError, match="needs the query"):
        run(reranker.postprocess_nodes, nodes())
    assert glm_env.requests == []


def test_a_node_over_4096_characters_fails_before_sending(run: Runner, glm_env: LocalGLMServer) -> None:
    reranker = run.own(GLMRerank())
    long = NodeWithScore(node=TextNode(text="x" * 5000))
    with pytest.raises(GLMInvalidRequestError):
        run(reranker.postprocess_nodes, [*nodes(), long], query_str="query")
    assert glm_env.requests == []


def test_in_a_query_engine(run: Runner, glm_env: LocalGLMServer, offline_tokenizer: None) -> None:
    index = VectorStoreIndex([n.node for n in nodes()], embed_model=MockEmbedding(embed_dim=8))
    reranker = run.own(GLMRerank(top_n=1))
    engine = index.as_query_engine(llm=MockLLM(), similarity_top_k=3, node_postprocessors=[reranker])
    response = run(engine.query, "What is the capital of France?")
    [source] = response.source_nodes
    assert source.node.node_id == "fr"
    assert source.score is not None
    assert source.score > 0.5
    [body] = bodies(glm_env, "/rerank")
    assert sorted(body["documents"]) == sorted(TEXTS.values())
    # ``aquery`` reaches the native ``_apostprocess_nodes``: the sync client is never made.
    assert (reranker._clients._sync is None) == (run.mode == "async")


class _Collect(BaseEventHandler):
    events: list[Any] = []  # noqa: RUF012 (a pydantic field, copied per instance)

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        self.events.append(event)


def test_rerank_start_and_end_events_are_dispatched(run: Runner, glm_env: LocalGLMServer) -> None:
    handler = _Collect()
    root = get_dispatcher()
    root.add_event_handler(handler)
    try:
        run(run.own(GLMRerank(top_n=1)).postprocess_nodes, nodes(), query_str="France")
    finally:
        root.event_handlers.remove(handler)
    start, end = (e for e in handler.events if isinstance(e, ReRankStartEvent | ReRankEndEvent))
    assert isinstance(start, ReRankStartEvent)
    assert start.model_name == "rerank"
    assert start.top_n == 1
    assert isinstance(end, ReRankEndEvent)
    assert [n.node.node_id for n in end.nodes] == ["fr"]


def test_a_missing_key_fails_at_construction() -> None:
    with pytest.raises(GLMConfigurationError, match="ZHIPUAI_API_KEY or ZAI_API_KEY"):
        GLMRerank()


def test_settings_are_forwarded(glm_server: LocalGLMServer) -> None:
    reranker = GLMRerank(api_key="k", base_url=glm_server.base_url, timeout=3, max_retries=5, top_n=4)
    client = reranker.client
    assert client.base_url == glm_server.base_url
    assert client.timeout.read == 3
    assert client.max_retries == 5
    assert "api_key" not in reranker.model_dump()
    assert GLMRerank.class_name() == "GLMRerank"
    reranker.close()

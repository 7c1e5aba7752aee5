"""``langchain_glm.rerank.GLMRerank`` against the local server, each behaviour sync and async."""

from __future__ import annotations

import pytest
from langchain_classic.retrievers import ContextualCompressionRetriever
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.exceptions import ModelRateLimitError
from langchain_core.retrievers import BaseRetriever

from glm_transport import GLMAuthenticationError, GLMConfigurationError, GLMInvalidRequestError, GLMRateLimitError
from glm_transport.testing import LocalGLMServer, Reply
from langchain_glm.rerank import GLMRerank

from .support import Runner, bodies

QUERY = "alpha bravo charlie delta echo foxtrot golf hotel india juliet"
DOCS = [
    Document("Berlin is the capital of Germany.", metadata={"source": "de.txt"}, id="de"),
    Document("Paris is the capital of France.", metadata={"source": "fr.txt"}, id="fr"),
    Document("France is known for its wine.", metadata={"source": "wine.txt"}, id="wine"),
]


def many_documents(n: int, ranked: dict[int, int]) -> list[Document]:
    """Filler documents; document ``i`` in ``ranked`` shares ``ranked[i]`` words with ``QUERY``."""
    words = QUERY.split()
    return [
        Document(" ".join(words[: ranked[i]]) if i in ranked else f"filler text {i}", metadata={"i": i})
        for i in range(n)
    ]


class FixedRetriever(BaseRetriever):
    """Returns the same documents for every query: the stage before the reranker."""

    documents: list[Document]

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return list(self.documents)


def test_documents_come_back_best_first_with_their_scores(run: Runner, glm_env: LocalGLMServer) -> None:
    reranker = run.own(GLMRerank(top_n=2))
    best = run(reranker.compress_documents, DOCS, "What is the capital of France?")
    assert [d.id for d in best] == ["fr", "de"]
    assert [d.metadata["source"] for d in best] == ["fr.txt", "de.txt"]
    assert best[0].metadata["relevance_score"] > best[1].metadata["relevance_score"] > 0
    assert all("relevance_score" not in d.metadata for d in DOCS)  # the inputs are untouched
    [body] = bodies(glm_env, "/rerank")
    assert body["model"] == "rerank"
    assert body["top_n"] == 2
    assert body["documents"] == [d.page_content for d in DOCS]
    assert body["query"] == "What is the capital of France?"


def test_300_documents_are_reranked_in_3_requests_and_merged(run: Runner, glm_env: LocalGLMServer) -> None:
    documents = many_documents(300, {299: 10, 5: 9, 150: 8, 200: 7})
    reranker = run.own(GLMRerank(top_n=4))
    best = run(reranker.compress_documents, documents, QUERY)
    assert [d.metadata["i"] for d in best] == [299, 5, 150, 200]
    # The async batches go concurrently, so they may arrive in any order.
    assert sorted(len(b["documents"]) for b in bodies(glm_env, "/rerank")) == [44, 128, 128]


@pytest.mark.parametrize("top_n", [None, 0])
def test_top_n_none_or_0_keeps_every_document(run: Runner, glm_env: LocalGLMServer, top_n: int | None) -> None:
    documents = many_documents(300, {7: 3})
    reranker = run.own(GLMRerank(top_n=top_n))
    ranked = run(reranker.compress_documents, documents, QUERY)
    assert sorted(d.metadata["i"] for d in ranked) == list(range(300))
    assert ranked[0].metadata["i"] == 7
    scores = [d.metadata["relevance_score"] for d in ranked]
    assert scores == sorted(scores, reverse=True)


def test_no_documents_sends_no_request(run: Runner, glm_env: LocalGLMServer) -> None:
    reranker = run.own(GLMRerank())
    assert list(run(reranker.compress_documents, [], "anything")) == []
    assert glm_env.requests == []


def test_in_a_contextual_compression_retriever(run: Runner, glm_env: LocalGLMServer) -> None:
    reranker = run.own(GLMRerank(top_n=1))
    retriever = ContextualCompressionRetriever(base_compressor=reranker, base_retriever=FixedRetriever(documents=DOCS))
    [best] = run(retriever.invoke, "capital of France")
    assert best.id == "fr"
    assert best.metadata["relevance_score"] > 0.5
    assert len(glm_env.requests) == 1
    # ``ainvoke`` reaches the native ``acompress_documents``, not the sync client in a thread.
    assert (reranker._clients._sync is None) == (run.mode == "async")


def test_a_document_over_4096_characters_fails_before_sending(run: Runner, glm_env: LocalGLMServer) -> None:
    reranker = run.own(GLMRerank())
    with pytest.raises(GLMInvalidRequestError, match="4097 characters"):
        run(reranker.compress_documents, [*DOCS, Document("x" * 4097)], "query")
    assert glm_env.requests == []


def test_max_retries_is_forwarded_to_the_one_retry_layer(run: Runner, glm_env: LocalGLMServer) -> None:
    glm_env.fail_times(5, Reply.status(429, "1302", headers={"Retry-After": "0"}))
    reranker = run.own(GLMRerank(max_retries=1))
    with pytest.raises(GLMRateLimitError) as info:
        run(reranker.compress_documents, DOCS, "query")
    assert isinstance(info.value, ModelRateLimitError)  # langchain-core's error family catches it too
    assert len(glm_env.requests) == 2


def test_explicit_settings_win_over_the_environment(run: Runner, glm_server: LocalGLMServer) -> None:
    reranker = run.own(GLMRerank(api_key="wrong-key", base_url=glm_server.base_url, timeout=7))
    client = reranker.client if run.mode == "sync" else reranker.async_client
    assert client.timeout.read == 7
    with pytest.raises(GLMAuthenticationError) as info:
        run(reranker.compress_documents, DOCS, "query")
    assert "wrong-key" not in str(info.value)
    assert "wrong-key" not in repr(reranker)


def test_zai_api_key_is_the_fallback(run: Runner, glm_server: LocalGLMServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZAI_API_KEY", "test-key")
    reranker = run.own(GLMRerank(base_url=glm_server.base_url))
    assert len(run(reranker.compress_documents, DOCS, "France")) == 3


def test_a_missing_key_fails_at_construction_naming_both_variables() -> None:
    with pytest.raises(GLMConfigurationError, match="ZHIPUAI_API_KEY or ZAI_API_KEY"):
        GLMRerank()


def test_each_instance_makes_its_own_clients_lazily(run: Runner, glm_env: LocalGLMServer) -> None:
    first, second = run.own(GLMRerank()), run.own(GLMRerank())
    assert first._clients._sync is None
    assert first._clients._async is None
    run(first.compress_documents, DOCS, "France")
    used, unused = ("_sync", "_async") if run.mode == "sync" else ("_async", "_sync")
    assert getattr(first._clients, used) is not None
    assert getattr(first._clients, unused) is None  # the async path never falls back to the sync client
    run(second.compress_documents, DOCS, "France")
    assert getattr(first._clients, used) is not getattr(second._clients, used)
    assert first.client is first.client

"""Embeddings, rerank, tokenizer and web search endpoints (wire notes §7, §8, §8b)."""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest

from glm_transport.testing._embed import rerank_scores


def post(client: httpx.Client, path: str, body: dict[str, Any]) -> httpx.Response:
    return client.post(path, json=body)


def vectors(client: httpx.Client, texts: list[str] | str, **fields: Any) -> list[list[float]]:
    r = post(client, "/embeddings", {"model": "embedding-3", "input": texts, **fields})
    assert r.status_code == 200, r.text
    return [d["embedding"] for d in r.json()["data"]]


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


# ---- embeddings ---------------------------------------------------------------------------
def test_embedding_response_shape(client: httpx.Client) -> None:
    r = post(client, "/embeddings", {"model": "embedding-3", "input": ["a cat", "a dog"], "dimensions": 256})
    body = r.json()
    assert set(body) == {"model", "object", "data", "usage"}
    assert body["object"] == "list" and body["model"] == "embedding-3"
    assert [(d["index"], d["object"], len(d["embedding"])) for d in body["data"]] == [
        (0, "embedding", 256),
        (1, "embedding", 256),
    ]
    assert set(body["usage"]) == {"prompt_tokens", "completion_tokens", "total_tokens"}
    assert body["usage"]["total_tokens"] == body["usage"]["prompt_tokens"] > 0


@pytest.mark.parametrize(
    ("model", "dimensions", "size"),
    [
        ("embedding-3", None, 2048),
        ("embedding-3", 256, 256),
        ("embedding-3", 512, 512),
        ("embedding-3", 1024, 1024),
        ("embedding-2", None, 1024),
        ("embedding-2", 1024, 1024),
    ],
)
def test_embedding_dimensions(client: httpx.Client, model: str, dimensions: int | None, size: int) -> None:
    body: dict[str, Any] = {"model": model, "input": "hello"}
    if dimensions is not None:
        body["dimensions"] = dimensions
    (vector,) = [d["embedding"] for d in post(client, "/embeddings", body).json()["data"]]
    assert len(vector) == size
    assert math.isclose(math.sqrt(sum(v * v for v in vector)), 1.0, abs_tol=1e-3)


def test_embeddings_are_deterministic_and_similar_texts_are_close(client: httpx.Client) -> None:
    texts = ["The cat sat on the mat", "A cat on a mat", "Quantum field theory lecture notes"]
    first = vectors(client, texts, dimensions=512)
    assert vectors(client, texts, dimensions=512) == first
    assert vectors(client, texts[0], dimensions=512)[0] == first[0]
    assert cosine(first[0], first[1]) > 0.5 > cosine(first[0], first[2])


def test_rag_style_retrieval_finds_the_right_chunk(client: httpx.Client) -> None:
    docs = [
        "Paris is the capital of France and home of the Eiffel Tower.",
        "The mitochondria is the powerhouse of the cell.",
        "Python is a programming language created by Guido van Rossum.",
    ]
    doc_vectors = vectors(client, docs)
    (query,) = vectors(client, "Who created the Python programming language?")
    best = max(range(len(docs)), key=lambda i: cosine(query, doc_vectors[i]))
    assert best == 2


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"model": "embedding-3", "input": []}, "1214"),
        ({"model": "embedding-3", "input": ""}, "1214"),
        ({"model": "embedding-3", "input": ["ok", ""]}, "1214"),
        ({"model": "embedding-3", "input": ["x"] * 65}, "1214"),
        ({"model": "embedding-3", "input": ["ok", 3]}, "1214"),
        ({"model": "embedding-3", "input": [[1, 2, 3]]}, "1214"),
        ({"model": "embedding-3", "input": "x" * 20000}, "1214"),
        ({"model": "embedding-3"}, "1213"),
        ({"model": "embedding-3", "input": "x", "dimensions": 300}, "1214"),
        ({"model": "embedding-2", "input": "x", "dimensions": 512}, "1214"),
        ({"model": "glm-4.7", "input": "x"}, "1212"),
        ({"model": "text-embedding-3-small", "input": "x"}, "1211"),
        ({"input": "x"}, "1213"),
    ],
)
def test_embedding_limits(client: httpx.Client, body: dict[str, Any], code: str) -> None:
    r = post(client, "/embeddings", body)
    assert (r.status_code, r.json()["error"]["code"]) == (400, code)


def test_sixty_four_inputs_are_fine(client: httpx.Client) -> None:
    assert len(vectors(client, [f"text {i}" for i in range(64)], dimensions=256)) == 64


# ---- rerank -------------------------------------------------------------------------------
def test_rerank_orders_by_word_overlap(client: httpx.Client) -> None:
    docs = ["bananas are yellow", "the capital of France is Paris", "Paris France travel", "Paris"]
    r = post(client, "/rerank", {"model": "rerank", "query": "capital of France Paris", "documents": docs})
    body = r.json()
    assert set(body) == {"created", "id", "request_id", "results", "usage"}
    assert [x["index"] for x in body["results"]] == [1, 2, 3, 0]
    scores = [x["relevance_score"] for x in body["results"]]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < s < 1 for s in scores)
    assert all(set(x) == {"index", "relevance_score"} for x in body["results"])
    assert set(body["usage"]) == {"prompt_tokens", "total_tokens"}


def test_rerank_top_n_and_documents(client: httpx.Client) -> None:
    docs = ["alpha", "beta gamma", "gamma"]
    body = {"model": "rerank", "query": "gamma", "documents": docs, "top_n": 2, "return_documents": True}
    results = post(client, "/rerank", body).json()["results"]
    assert [(x["index"], x["document"]) for x in results] == [(1, "beta gamma"), (2, "gamma")]


def test_rerank_ties_keep_document_order() -> None:
    scores = rerank_scores("zebra", ["one", "two", "three"])
    assert scores == sorted(scores, reverse=True)
    assert len(set(scores)) == 3


def test_rerank_request_id_is_echoed(client: httpx.Client) -> None:
    body = {"model": "rerank", "query": "q", "documents": ["q"], "request_id": "rid-1"}
    assert post(client, "/rerank", body).json()["request_id"] == "rid-1"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"model": "rerank", "documents": ["a"]}, "1213"),
        ({"model": "rerank", "query": "q"}, "1213"),
        ({"model": "rerank", "query": "q", "documents": []}, "1214"),
        ({"model": "rerank", "query": "q", "documents": ["a"] * 129}, "1214"),
        ({"model": "rerank", "query": "q" * 4097, "documents": ["a"]}, "1214"),
        ({"model": "rerank", "query": "q", "documents": ["a" * 4097]}, "1214"),
        ({"model": "rerank", "query": "q", "documents": ["a"], "top_n": -1}, "1214"),
        ({"model": "embedding-3", "query": "q", "documents": ["a"]}, "1212"),
    ],
)
def test_rerank_limits(client: httpx.Client, body: dict[str, Any], code: str) -> None:
    r = post(client, "/rerank", body)
    assert (r.status_code, r.json()["error"]["code"]) == (400, code)


# ---- tokenizer and web search -------------------------------------------------------------
def test_tokenizer_matches_chat_prompt_tokens(client: httpx.Client) -> None:
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "How far is the moon?"}]
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}}}}]
    r = post(client, "/tokenizer", {"model": "glm-4.6", "messages": messages, "tools": tools})
    body = r.json()
    assert set(body) == {"id", "created", "request_id", "usage"}
    usage = body["usage"]
    assert usage["image_tokens"] == usage["video_tokens"] == 0
    chat = post(client, "/chat/completions", {"model": "glm-4.6", "messages": messages, "tools": tools}).json()
    assert usage["prompt_tokens"] == usage["total_tokens"] == chat["usage"]["prompt_tokens"]


def test_tokenizer_validates(client: httpx.Client) -> None:
    r = post(client, "/tokenizer", {"model": "glm-4.6", "messages": []})
    assert (r.status_code, r.json()["error"]["code"]) == (400, "1214")


def test_web_search_results(client: httpx.Client) -> None:
    body = {"search_engine": "search-prime", "search_query": "GLM 4.7 release", "count": 5}
    r = post(client, "/web_search", body)
    data = r.json()
    assert {"id", "created", "search_result"} <= set(data)
    results = data["search_result"]
    assert len(results) == 5
    assert [x["refer"] for x in results] == [f"ref_{i}" for i in range(1, 6)]
    assert post(client, "/web_search", body).json()["search_result"] == results
    filtered = post(client, "/web_search", {**body, "search_domain_filter": "docs.z.ai"}).json()
    assert all(x["link"].startswith("https://docs.z.ai/") for x in filtered["search_result"])
    assert len(post(client, "/web_search", {**body, "count": None}).json()["search_result"]) == 10


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"search_query": "x"}, "1213"),
        ({"search_engine": "search_std"}, "1213"),
        ({"search_engine": "search_std", "search_query": "x", "count": 0}, "1214"),
        ({"search_engine": "search_std", "search_query": "x", "count": 51}, "1214"),
        ({"search_engine": "search_std", "search_query": "x", "search_recency_filter": "oneHour"}, "1214"),
    ],
)
def test_web_search_limits(client: httpx.Client, body: dict[str, Any], code: str) -> None:
    r = post(client, "/web_search", body)
    assert (r.status_code, r.json()["error"]["code"]) == (400, code)

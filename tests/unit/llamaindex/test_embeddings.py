"""``GLMEmbedding`` over a real socket: batching (at most 64 texts a request), async concurrency
with a bound, dimensions, and configuration."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable

import pytest

from glm_transport import GLMBadRequestError, GLMConfigurationError, GLMInvalidRequestError
from glm_transport.testing import LocalGLMServer, Reply
from llamaindex_glm import GLMEmbedding

from .conftest import with_peak_connections

TEXTS = [f"document number {i} about llamas and alpacas" for i in range(150)]


def embedding_requests(server: LocalGLMServer) -> list[list[str]]:
    return [r.json["input"] for r in server.requests if r.path.endswith("/embeddings")]


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


def test_defaults(make_embedding: Callable[..., GLMEmbedding]) -> None:
    embedding = make_embedding()
    assert embedding.model_name == "embedding-3"
    assert embedding.embed_batch_size == 64
    assert GLMEmbedding(model="embedding-2", api_key="k").model_name == "embedding-2"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_query_and_text_embeddings(
    make_embedding: Callable[..., GLMEmbedding], glm_server: LocalGLMServer, mode: str
) -> None:
    embedding = make_embedding(dimensions=256)

    async def both() -> tuple[list[float], list[float]]:
        try:
            return await embedding.aget_query_embedding("llamas"), await embedding.aget_text_embedding("llamas")
        finally:
            await embedding.aclose()

    if mode == "sync":
        query, text = embedding.get_query_embedding("llamas"), embedding.get_text_embedding("llamas")
    else:
        query, text = asyncio.run(both())
    assert len(query) == len(text) == 256
    assert query == text
    bodies = [r.json for r in glm_server.requests]
    assert bodies[0]["model"] == "embedding-3"
    assert bodies[0]["dimensions"] == 256
    assert bodies[0]["input"] == ["llamas"]


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(("batch_size", "sizes"), [(64, [64, 64, 22]), (50, [50, 50, 50])])
def test_batches_of_at_most_64(
    make_embedding: Callable[..., GLMEmbedding],
    glm_server: LocalGLMServer,
    mode: str,
    batch_size: int,
    sizes: list[int],
) -> None:
    embedding = make_embedding(embed_batch_size=batch_size)

    async def run() -> list[list[float]]:
        try:
            return await embedding.aget_text_embedding_batch(TEXTS)
        finally:
            await embedding.aclose()

    vectors = embedding.get_text_embedding_batch(TEXTS) if mode == "sync" else asyncio.run(run())
    batches = embedding_requests(glm_server)
    assert sorted(len(b) for b in batches) == sorted(sizes)
    assert sorted(t for b in batches for t in b) == sorted(TEXTS)
    assert len(vectors) == len(TEXTS)
    # In input order: each vector is its own text's.
    assert cosine(vectors[7], embedding.get_text_embedding(TEXTS[7])) == pytest.approx(1.0)
    assert cosine(vectors[7], vectors[8]) < 0.999


async def test_async_batches_run_concurrently_with_a_bound(
    make_embedding: Callable[..., GLMEmbedding], glm_server: LocalGLMServer
) -> None:
    # Eight batches, each held 0.2 s by the server, at most three at a time: the server never sees
    # more than three connections, and does see three at once.
    embedding = make_embedding(embed_batch_size=8, max_concurrency=3)
    glm_server.fail_times(8, Reply.slow(0.2))
    try:
        vectors, peak = await with_peak_connections(glm_server, embedding.aget_text_embedding_batch(TEXTS[:64]))
    finally:
        await embedding.aclose()
    assert len(vectors) == 64
    assert len(embedding_requests(glm_server)) == 8
    assert peak == 3


def test_similar_texts_are_close(make_embedding: Callable[..., GLMEmbedding]) -> None:
    embedding = make_embedding()
    llama, alpaca, rocket = embedding.get_text_embedding_batch(
        ["llamas live in the Andes", "the Andes are home to llamas", "rocket engines burn fuel"]
    )
    assert cosine(llama, alpaca) > cosine(llama, rocket)


def test_errors_are_the_transports(make_embedding: Callable[..., GLMEmbedding], glm_server: LocalGLMServer) -> None:
    with pytest.raises(GLMInvalidRequestError, match="dimensions"):
        make_embedding(dimensions=300).get_text_embedding("x")
    assert glm_server.requests == []
    glm_server.enqueue(Reply.status(400, "1214", "input too long"))
    with pytest.raises(GLMBadRequestError) as info:
        make_embedding().get_text_embedding("x")
    assert info.value.code == "1214"
    with pytest.raises(GLMConfigurationError):
        GLMEmbedding()


def test_the_key_never_leaks(make_embedding: Callable[..., GLMEmbedding]) -> None:
    embedding = make_embedding()
    texts = (repr(embedding), str(embedding), embedding.to_json(), json.dumps(embedding.to_dict()))
    for text in (*texts, json.dumps(embedding.to_payload())):
        assert "test-key" not in text

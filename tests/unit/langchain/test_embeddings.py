"""``GLMEmbeddings``: batches of at most 64 (configurable down), async batches concurrent within a
bound, ``dimensions``, empty input, and input GLM rejects refused before sending."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import pytest
from langchain_core.exceptions import ModelInvalidRequestError

from glm_transport import GLMInvalidRequestError
from glm_transport.testing import LocalGLMServer, Reply
from langchain_glm import GLMEmbeddings

from .conftest import SYNC_ASYNC, Models


def embed(models: Models, embeddings: GLMEmbeddings, kind: str, texts: list[Any]) -> list[list[float]]:
    if kind == "sync":
        return embeddings.embed_documents(texts)
    return models.run(lambda: embeddings.aembed_documents(texts))


def query(models: Models, embeddings: GLMEmbeddings, kind: str, text: str) -> list[float]:
    if kind == "sync":
        return embeddings.embed_query(text)
    return models.run(lambda: embeddings.aembed_query(text))


def embedding_bodies(server: LocalGLMServer) -> list[dict[str, Any]]:
    return [r.json for r in server.requests if r.path.endswith("/embeddings")]


TEXTS = [f"text number {i}" for i in range(150)]


@pytest.mark.parametrize("kind", SYNC_ASYNC)
def test_documents_go_in_batches_of_at_most_64_and_keep_their_order(
    models: Models, glm_server: LocalGLMServer, kind: str
) -> None:
    embeddings = models.embeddings(dimensions=256)
    vectors = embed(models, embeddings, kind, TEXTS)
    bodies = embedding_bodies(glm_server)
    assert sorted(len(body["input"]) for body in bodies) == [22, 64, 64]
    assert sorted(text for body in bodies for text in body["input"]) == sorted(TEXTS)
    assert len(vectors) == len(TEXTS)
    assert all(len(vector) == 256 for vector in vectors)
    # Each text gets its own vector, in input order: embedding one text alone gives the same one.
    assert vectors[100] == pytest.approx(embeddings.embed_query(TEXTS[100]))


@pytest.mark.parametrize("kind", SYNC_ASYNC)
def test_batch_size_can_be_lowered(models: Models, glm_server: LocalGLMServer, kind: str) -> None:
    embed(models, models.embeddings(batch_size=10), kind, TEXTS[:25])
    assert sorted(len(body["input"]) for body in embedding_bodies(glm_server)) == [5, 10, 10]


def test_async_batches_are_sent_concurrently_within_the_bound(models: Models, glm_server: LocalGLMServer) -> None:
    embeddings = models.embeddings(batch_size=1, max_concurrency=3)
    glm_server.enqueue(*[Reply.slow(0.3)] * 9)
    seen: list[int] = []

    async def go() -> list[list[float]]:
        task = asyncio.ensure_future(embeddings.aembed_documents([f"t{i}" for i in range(9)]))
        while not task.done():
            seen.append(glm_server.open_connections)
            await asyncio.sleep(0.02)
        return await task

    assert len(models.run(go)) == 9
    assert len(embedding_bodies(glm_server)) == 9
    assert max(seen) == 3  # three at a time: concurrent, and never more than the bound


@pytest.mark.parametrize("kind", SYNC_ASYNC)
@pytest.mark.parametrize("dimensions", [256, 512, 1024, 2048])
def test_dimensions_are_sent_for_embedding_3(
    models: Models, glm_server: LocalGLMServer, kind: str, dimensions: int
) -> None:
    vector = query(models, models.embeddings(model="embedding-3", dimensions=dimensions), kind, "hello")
    assert len(vector) == dimensions
    assert math.isclose(math.fsum(v * v for v in vector), 1.0, rel_tol=1e-4)
    assert embedding_bodies(glm_server)[0]["dimensions"] == dimensions


@pytest.mark.parametrize("kind", SYNC_ASYNC)
def test_embedding_2_has_1024_dimensions(models: Models, glm_server: LocalGLMServer, kind: str) -> None:
    assert len(query(models, models.embeddings(model="embedding-2"), kind, "hello")) == 1024
    assert "dimensions" not in embedding_bodies(glm_server)[0]


@pytest.mark.parametrize("kind", SYNC_ASYNC)
def test_an_empty_list_gives_an_empty_list_without_a_request(
    models: Models, glm_server: LocalGLMServer, kind: str
) -> None:
    assert embed(models, models.embeddings(), kind, []) == []
    assert embedding_bodies(glm_server) == []


@pytest.mark.parametrize("kind", SYNC_ASYNC)
@pytest.mark.parametrize(
    ("fields", "texts", "match"),
    [
        ({}, ["ok", ""], "empty"),
        ({}, ["ok", 42], "str"),
        ({"dimensions": 300}, ["ok"], "dimensions"),
        ({"model": "embedding-2", "dimensions": 256}, ["ok"], "dimensions"),
    ],
    ids=["empty string", "not a string", "unsupported dimensions", "dimensions on embedding-2"],
)
def test_input_glm_rejects_fails_before_sending(
    models: Models, glm_server: LocalGLMServer, kind: str, fields: dict[str, Any], texts: list[Any], match: str
) -> None:
    with pytest.raises(GLMInvalidRequestError, match=match) as caught:
        embed(models, models.embeddings(**fields), kind, texts)
    assert isinstance(caught.value, ModelInvalidRequestError)
    assert embedding_bodies(glm_server) == []


@pytest.mark.parametrize("kind", SYNC_ASYNC)
def test_query_and_document_of_the_same_text_match(models: Models, kind: str) -> None:
    embeddings = models.embeddings(dimensions=512)
    [document] = embed(models, embeddings, kind, ["the same text"])
    assert query(models, embeddings, kind, "the same text") == pytest.approx(document)

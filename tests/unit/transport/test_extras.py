"""Rerank, tokenizer and web search (wire notes §8, §8b) over real HTTP on loopback, each behaviour
once for sync and async (the ``driver`` fixture), plus the pure merge of rerank batches."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from glm_transport import (
    GLMAuthenticationError,
    GLMBadRequestError,
    GLMConnectionError,
    GLMContentFilterError,
    GLMInvalidRequestError,
    GLMQuotaExceededError,
    GLMRateLimitError,
    GLMResponseValidationError,
    GLMTimeoutError,
)
from glm_transport._base import merge_rerank
from glm_transport.testing import LocalGLMServer, Reply
from glm_transport.types import RerankResponse, RerankResult, RerankUsage

from .drivers import Driver

MakeDriver = Callable[..., Driver]
MESSAGES = [{"role": "user", "content": "How many tokens is this sentence?"}]
TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}}]
DOCS = ["Paris is the capital of France.", "Berlin is in Germany.", "France exports wine."]
# One call per endpoint, for the behaviours all three share.
CALLS: dict[str, tuple[str, tuple[Any, ...], dict[str, Any]]] = {
    "rerank": ("rerank", ("capital of France", DOCS), {}),
    "tokenize": ("tokenize", (MESSAGES,), {"model": "glm-4.6"}),
    "web_search": ("web_search", ("GLM release notes",), {}),
}
NO_WAIT_429 = Reply.status(429, "1302", headers={"Retry-After": "0"})


def sent_to(server: LocalGLMServer, path: str) -> list[Any]:
    return [r for r in server.requests if r.path.endswith(path)]


def many_documents(n: int, ranked: dict[int, int]) -> list[str]:
    """``n`` filler documents; document ``i`` in ``ranked`` shares ``ranked[i]`` words with ``QUERY``."""
    return [" ".join(QUERY.split()[: ranked[i]]) + f" doc{i}" if i in ranked else f"filler text {i}" for i in range(n)]


QUERY = "alpha bravo charlie delta echo foxtrot golf hotel india juliet"


# ---- rerank -------------------------------------------------------------------------------


def test_rerank_sends_the_documented_body_and_parses_scores(driver: Driver, glm_server: LocalGLMServer) -> None:
    response = driver.call("rerank", "capital of France", DOCS, top_n=2, return_documents=True)
    [sent] = glm_server.requests
    assert sent.path == "/api/paas/v4/rerank"
    assert sent.headers["authorization"] == "Bearer test-key"
    assert set(sent.json) == {"model", "query", "documents", "top_n", "return_documents", "request_id"}
    assert sent.json["model"] == "rerank"
    assert sent.json["documents"] == DOCS
    assert sent.json["top_n"] == 2
    assert [r.index for r in response.results] == [0, 2]
    assert response.results[0].relevance_score > response.results[1].relevance_score
    assert response.results[0].document == DOCS[0]
    assert response.usage is not None
    assert response.usage.total_tokens > 0
    assert response.request_id == sent.json["request_id"]


def test_rerank_leaves_unset_options_out_of_the_body(driver: Driver, glm_server: LocalGLMServer) -> None:
    response = driver.call("rerank", "capital of France", DOCS)
    assert set(glm_server.requests[0].json) == {"model", "query", "documents", "request_id"}
    assert sorted(r.index for r in response.results) == [0, 1, 2]
    assert all(r.document is None for r in response.results)


@pytest.mark.parametrize(
    ("query", "documents", "kwargs", "match"),
    [
        ("", DOCS, {}, "non-empty"),
        ("q" * 4097, DOCS, {}, "4097 characters"),
        ("query", "one string", {}, "not a string"),
        ("query", ["ok", 3], {}, "document 1 is not a string"),
        ("query", ["ok", "d" * 4097], {}, "document 1 is 4097 characters"),
        ("query", [*(["ok"] * 200), "d" * 4097], {}, "document 72 is 4097"),  # in the second batch
        ("query", DOCS, {"top_n": -1}, "top_n"),
    ],
    ids=["empty-query", "long-query", "string-documents", "not-a-string", "long-document", "second-batch", "top_n"],
)
def test_bad_rerank_input_fails_before_sending(
    driver: Driver, glm_server: LocalGLMServer, query: str, documents: Any, kwargs: dict[str, Any], match: str
) -> None:
    with pytest.raises(GLMInvalidRequestError, match=match):
        driver.call("rerank", query, documents, **kwargs)
    assert glm_server.requests == []


def test_a_rejected_rerank_is_a_bad_request_and_not_retried(driver: Driver, glm_server: LocalGLMServer) -> None:
    # An empty document passes the client's checks; the API rejects it with a 400.
    with pytest.raises(GLMBadRequestError) as info:
        driver.call("rerank", "query", ["fine", ""])
    assert info.value.status_code == 400
    assert len(glm_server.requests) == 1
    assert driver.active_connections() == 0


def test_more_than_128_documents_go_in_batches_merged_by_score(driver: Driver, glm_server: LocalGLMServer) -> None:
    documents = many_documents(300, {299: 10, 5: 9, 150: 8, 200: 7, 130: 6})
    response = driver.call("rerank", QUERY, documents, top_n=5)
    sent = sent_to(glm_server, "/rerank")
    # Async batches go concurrently and may arrive in any order; each is a contiguous slice.
    batches = sorted((r.json["documents"] for r in sent), key=lambda batch: documents.index(batch[0]))
    assert batches == [documents[:128], documents[128:256], documents[256:]]
    assert [r.json["top_n"] for r in sent] == [5, 5, 5]
    assert len({r.json["request_id"] for r in sent}) == 3
    assert [r.index for r in response.results] == [299, 5, 150, 200, 130]
    # Usage is summed over the batches: more than any single batch reports.
    assert response.usage is not None
    assert response.usage.total_tokens == response.usage.prompt_tokens
    single = driver.call("rerank", QUERY, documents[:128])
    assert single.usage is not None
    assert response.usage.total_tokens > single.usage.total_tokens


def test_all_of_300_documents_come_back_once_best_first(driver: Driver, glm_server: LocalGLMServer) -> None:
    documents = many_documents(300, {299: 10, 5: 9, 150: 8})
    response = driver.call("rerank", QUERY, documents)
    assert sorted(r.index for r in response.results) == list(range(300))
    assert [r.index for r in response.results[:3]] == [299, 5, 150]
    scores = [r.relevance_score for r in response.results]
    assert scores == sorted(scores, reverse=True)
    assert len(sent_to(glm_server, "/rerank")) == 3
    assert all("top_n" not in r.json for r in glm_server.requests)


def test_top_n_smaller_than_the_last_batch_is_capped_per_batch(driver: Driver, glm_server: LocalGLMServer) -> None:
    documents = many_documents(130, {129: 3})
    response = driver.call("rerank", QUERY, documents, top_n=100)
    assert sorted(r.json["top_n"] for r in glm_server.requests) == [2, 100]
    assert len(response.results) == 100
    assert response.results[0].index == 129


def test_no_documents_sends_nothing(driver: Driver, glm_server: LocalGLMServer) -> None:
    assert driver.call("rerank", QUERY, []).results == []
    assert glm_server.requests == []


def test_async_rerank_sends_its_batches_concurrently(driver: Driver, glm_server: LocalGLMServer) -> None:
    # Held answers keep every request in flight until the others arrive. Concurrent batches need a
    # connection each; sequential ones reuse one kept-alive connection.
    glm_server.fail_times(3, Reply.slow(0.2, before="headers"))
    response = driver.call("rerank", QUERY, many_documents(300, {7: 2}), top_n=1)
    assert response.results[0].index == 7
    assert len(glm_server.requests) == 3
    assert glm_server.open_connections == (3 if driver.mode == "async" else 1)


def test_a_batch_that_fails_once_is_retried_alone(driver: Driver, glm_server: LocalGLMServer) -> None:
    glm_server.fail_times(1, NO_WAIT_429)
    documents = many_documents(300, {299: 10, 5: 9, 150: 8})
    response = driver.call("rerank", QUERY, documents, top_n=3)
    sent = sent_to(glm_server, "/rerank")
    assert len(sent) == 4  # three batches, one of them twice, each attempt under its own id
    assert len({r.json["request_id"] for r in sent}) == 4
    assert [r.index for r in response.results] == [299, 5, 150]


# ---- tokenizer ----------------------------------------------------------------------------


def test_tokenize_sends_messages_and_tools_and_parses_usage(driver: Driver, glm_server: LocalGLMServer) -> None:
    plain = driver.call("tokenize", MESSAGES, model="glm-4.6")
    with_tools = driver.call("tokenize", MESSAGES, model="glm-4.6", tools=TOOLS)
    first, second = glm_server.requests
    assert first.path == "/api/paas/v4/tokenizer"
    assert set(first.json) == {"model", "messages", "request_id"}
    assert first.json["model"] == "glm-4.6"
    assert first.json["messages"] == MESSAGES
    assert second.json["tools"] == TOOLS
    assert plain.usage.prompt_tokens == plain.usage.total_tokens > 0
    assert with_tools.usage.prompt_tokens > plain.usage.prompt_tokens
    assert plain.request_id == first.json["request_id"]


def test_tokenize_without_messages_fails_before_sending(driver: Driver, glm_server: LocalGLMServer) -> None:
    with pytest.raises(GLMInvalidRequestError, match="at least one message"):
        driver.call("tokenize", [], model="glm-4.6")
    assert glm_server.requests == []


def test_a_rejected_tokenize_is_a_bad_request(driver: Driver, glm_server: LocalGLMServer) -> None:
    with pytest.raises(GLMBadRequestError):
        driver.call("tokenize", [{"role": "wizard", "content": "hi"}], model="glm-4.6")
    assert len(glm_server.requests) == 1


# ---- web search ---------------------------------------------------------------------------


def test_web_search_sends_the_documented_body_and_parses_results(driver: Driver, glm_server: LocalGLMServer) -> None:
    response = driver.call(
        "web_search", "GLM release notes", count=3, search_domain_filter="z.ai", search_recency_filter="oneMonth"
    )
    [sent] = glm_server.requests
    assert sent.path == "/api/paas/v4/web_search"
    assert sent.json == {
        "search_query": "GLM release notes",
        "search_engine": "search_std",  # BigModel's default engine; the local URL is not z.ai
        "count": 3,
        "search_domain_filter": "z.ai",
        "search_recency_filter": "oneMonth",
        "request_id": sent.json["request_id"],
    }
    assert len(response.search_result) == 3
    first = response.search_result[0]
    assert first.link == "https://z.ai/glm-release-notes/1"
    assert first.title
    assert first.content
    assert first.media
    assert first.refer == "ref_1"
    assert first.publish_date == "2026-01-01"


def test_web_search_engine_is_passed_through(driver: Driver, glm_server: LocalGLMServer) -> None:
    driver.call("web_search", "GLM", search_engine="search_pro")
    assert glm_server.requests[0].json["search_engine"] == "search_pro"
    assert "count" not in glm_server.requests[0].json


@pytest.mark.parametrize(
    ("query", "count", "match"),
    [
        ("", None, "non-empty query"),
        ("   ", None, "non-empty query"),
        ("q", 0, "from 1 to 50"),
        ("q", 51, "from 1 to 50"),
    ],
)
def test_bad_web_search_input_fails_before_sending(
    driver: Driver, glm_server: LocalGLMServer, query: str, count: int | None, match: str
) -> None:
    with pytest.raises(GLMInvalidRequestError, match=match):
        driver.call("web_search", query, count=count)
    assert glm_server.requests == []


def test_a_rejected_web_search_is_a_bad_request(driver: Driver, glm_server: LocalGLMServer) -> None:
    with pytest.raises(GLMBadRequestError):
        driver.call("web_search", "GLM", search_recency_filter="lastCentury")
    assert len(glm_server.requests) == 1


# ---- shared behaviour of the three endpoints (the same faults as chat in test_client.py) ----

RETRIED = [
    Reply.status(429, "1302", headers={"Retry-After": "0"}),
    Reply.status(503, "1305", headers={}),
    Reply.status(500, "500"),
    Reply.disconnect(),
    Reply.http200_error("1305"),
]
NOT_RETRIED = [
    (Reply.status(400, "1214"), GLMBadRequestError),
    (Reply.status(401, "1002"), GLMAuthenticationError),
    (Reply.status(400, "1301"), GLMContentFilterError),
    (Reply.status(429, "1113"), GLMQuotaExceededError),
]


@pytest.mark.parametrize("endpoint", CALLS)
@pytest.mark.parametrize("fault", RETRIED, ids=lambda f: f"{type(f).__name__}-{getattr(f, 'status_code', '')}")
def test_retryable_failures_are_retried_with_a_fresh_request_id_per_attempt(
    driver: Driver, glm_server: LocalGLMServer, endpoint: str, fault: Reply
) -> None:
    method, args, kwargs = CALLS[endpoint]
    glm_server.fail_times(2, fault)
    assert driver.call(method, *args, **kwargs).id
    assert len(glm_server.requests) == 3
    assert len({r.json["request_id"] for r in glm_server.requests}) == 3
    assert driver.active_connections() == 0


@pytest.mark.parametrize("endpoint", CALLS)
@pytest.mark.parametrize(("fault", "error"), NOT_RETRIED, ids=lambda v: getattr(v, "code", None) or v.__name__)
def test_non_retryable_failures_are_raised_after_one_attempt(
    driver: Driver, glm_server: LocalGLMServer, endpoint: str, fault: Reply, error: type[Exception]
) -> None:
    method, args, kwargs = CALLS[endpoint]
    glm_server.enqueue(fault)
    with pytest.raises(error):
        driver.call(method, *args, **kwargs)
    assert len(glm_server.requests) == 1
    assert driver.active_connections() == 0


@pytest.mark.parametrize("endpoint", CALLS)
def test_a_persistent_429_stops_after_max_retries(
    make_driver: MakeDriver, glm_server: LocalGLMServer, endpoint: str
) -> None:
    method, args, kwargs = CALLS[endpoint]
    driver = make_driver(max_retries=1)
    glm_server.fail_times(10, NO_WAIT_429)
    with pytest.raises(GLMRateLimitError) as info:
        driver.call(method, *args, **kwargs)
    assert info.value.code == "1302"
    assert len(glm_server.requests) == 2


@pytest.mark.parametrize("endpoint", CALLS)
def test_a_read_timeout_before_the_answer_is_retried(
    make_driver: MakeDriver, glm_server: LocalGLMServer, endpoint: str
) -> None:
    method, args, kwargs = CALLS[endpoint]
    driver = make_driver(timeout=httpx.Timeout(5.0, read=0.3))
    glm_server.enqueue(Reply.slow(2.0, before="headers"))
    assert driver.call(method, *args, **kwargs).id
    assert len(glm_server.requests) == 2


@pytest.mark.parametrize("endpoint", CALLS)
def test_a_timeout_on_every_attempt_is_a_typed_timeout(
    make_driver: MakeDriver, glm_server: LocalGLMServer, endpoint: str
) -> None:
    method, args, kwargs = CALLS[endpoint]
    driver = make_driver(timeout=httpx.Timeout(5.0, read=0.2), max_retries=1)
    glm_server.fail_times(2, Reply.slow(2.0, before="headers"))
    with pytest.raises(GLMTimeoutError):
        driver.call(method, *args, **kwargs)
    assert len(glm_server.requests) == 2


@pytest.mark.parametrize("endpoint", CALLS)
def test_connection_refused_is_a_retryable_connection_error(make_driver: MakeDriver, endpoint: str) -> None:
    method, args, kwargs = CALLS[endpoint]
    driver = make_driver(base_url="http://127.0.0.1:9/api/paas/v4", max_retries=1)
    with pytest.raises(GLMConnectionError) as info:
        driver.call(method, *args, **kwargs)
    assert info.value.retryable


@pytest.mark.parametrize("endpoint", CALLS)
def test_a_wrong_key_is_an_authentication_error_without_retry(
    make_driver: MakeDriver, glm_server: LocalGLMServer, endpoint: str
) -> None:
    method, args, kwargs = CALLS[endpoint]
    driver = make_driver(api_key="wrong-key")
    with pytest.raises(GLMAuthenticationError) as info:
        driver.call(method, *args, **kwargs)
    assert info.value.status_code == 401
    assert "wrong-key" not in str(info.value)
    assert len(glm_server.requests) == 1


@pytest.mark.parametrize("endpoint", CALLS)
def test_jwt_auth_is_accepted(make_driver: MakeDriver, glm_server: LocalGLMServer, endpoint: str) -> None:
    method, args, kwargs = CALLS[endpoint]
    glm_server.api_key = "0123abcd.s3cr3tvalue"
    driver = make_driver(api_key="0123abcd.s3cr3tvalue", use_jwt=True)
    assert driver.call(method, *args, **kwargs).id
    token = glm_server.requests[0].headers["authorization"].removeprefix("Bearer ")
    assert token.count(".") == 2
    assert "s3cr3tvalue" not in token


@pytest.mark.parametrize("endpoint", CALLS)
@pytest.mark.parametrize(
    "reply",
    [
        Reply.json(200, {"search_result": "not a list", "results": None, "usage": 3}),
        Reply.raw(200, b"<html>proxy login</html>", content_type="text/html"),
    ],
    ids=["wrong JSON shape", "HTML page"],
)
def test_a_2xx_body_of_the_wrong_shape_is_a_validation_error(
    driver: Driver, glm_server: LocalGLMServer, endpoint: str, reply: Reply
) -> None:
    method, args, kwargs = CALLS[endpoint]
    glm_server.enqueue(reply)
    with pytest.raises(GLMResponseValidationError):
        driver.call(method, *args, **kwargs)
    assert len(glm_server.requests) == 1


# ---- merge_rerank (pure) ------------------------------------------------------------------


def _response(*results: tuple[int, float], tokens: int = 0) -> RerankResponse:
    return RerankResponse(
        id="task",
        results=[RerankResult(index=i, relevance_score=s) for i, s in results],
        usage=RerankUsage(prompt_tokens=tokens, total_tokens=tokens),
    )


MERGE_CASES = [
    pytest.param([], None, [], 0, id="no-parts"),
    pytest.param(
        [(slice(0, 3), _response((2, 0.9), (0, 0.5), (1, 0.1), tokens=4))], None, [2, 0, 1], 4, id="one-batch"
    ),
    pytest.param(
        [
            (slice(0, 2), _response((1, 0.8), (0, 0.2), tokens=3)),
            (slice(2, 4), _response((0, 0.9), (1, 0.1), tokens=5)),
        ],
        None,
        [2, 1, 0, 3],
        8,
        id="indices-shift-by-batch-start",
    ),
    pytest.param(
        [(slice(0, 2), _response((1, 0.8), (0, 0.2))), (slice(2, 4), _response((0, 0.9), (1, 0.1)))],
        2,
        [2, 1],
        0,
        id="top_n-after-merge",
    ),
    pytest.param(
        [(slice(0, 2), _response((1, 0.5), (0, 0.5))), (slice(2, 3), _response((0, 0.5)))],
        0,
        [0, 1, 2],
        0,
        id="ties-by-index-and-top_n-0-keeps-all",
    ),
    pytest.param(
        [
            (slice(0, 128), _response((127, 0.3))),
            (slice(128, 256), _response((0, 0.7))),
            (slice(256, 300), _response((43, 0.5))),
        ],
        10,
        [128, 299, 127],
        0,
        id="three-batches-fewer-than-top_n",
    ),
]


@pytest.mark.parametrize(("parts", "top_n", "indices", "tokens"), MERGE_CASES)
def test_merge_rerank(
    parts: list[tuple[slice, RerankResponse]], top_n: int | None, indices: list[int], tokens: int
) -> None:
    merged = merge_rerank(parts, top_n)
    assert [r.index for r in merged.results] == indices
    scores = [r.relevance_score for r in merged.results]
    assert scores == sorted(scores, reverse=True)
    if parts:
        assert merged.usage is not None
        assert merged.usage.total_tokens == tokens
        assert merged.id == "task"


def test_merge_rerank_does_not_modify_its_inputs() -> None:
    part = _response((1, 0.5), (0, 0.4))
    merge_rerank([(slice(10, 12), part)], None)
    assert [r.index for r in part.results] == [1, 0]

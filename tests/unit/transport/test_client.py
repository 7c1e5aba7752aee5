"""The clients over real HTTP on loopback, each behaviour once for sync and async."""

from __future__ import annotations

import asyncio
import json
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from glm_transport import (
    AsyncGLMClient,
    ChatStreamParser,
    GLMAuthenticationError,
    GLMBadRequestError,
    GLMClient,
    GLMConfigurationError,
    GLMConnectionError,
    GLMContentFilterError,
    GLMInvalidRequestError,
    GLMQuotaExceededError,
    GLMRateLimitError,
    GLMResponseValidationError,
    GLMServerError,
    GLMStreamError,
    GLMTimeoutError,
    StreamAccumulator,
)
from glm_transport.testing import LocalGLMServer, Reply

from .drivers import Driver

FIXTURES = Path(__file__).parents[2] / "fixtures"
HELLO = {"model": "glm-4.7", "messages": [{"role": "user", "content": "hello there"}]}
MakeDriver = Callable[..., Driver]


def chat_requests(server: LocalGLMServer) -> list[Any]:
    return [r for r in server.requests if r.path.endswith("/chat/completions")]


def test_chat_sends_auth_json_and_a_request_id(driver: Driver, glm_server: LocalGLMServer) -> None:
    completion = driver.call("chat", {**HELLO, "temperature": 0})
    assert completion.message.content == "Hello! You said: hello there"
    assert completion.message.reasoning_content
    assert completion.finish_reason == "stop"
    assert completion.usage is not None and completion.usage.total_tokens > 0
    [sent] = glm_server.requests
    assert sent.headers["authorization"] == "Bearer test-key"
    assert sent.headers["content-type"].startswith("application/json")
    assert sent.json["do_sample"] is False and "temperature" not in sent.json
    assert len(sent.json["request_id"]) == 32
    assert completion.request_id == sent.json["request_id"]


def test_stream_yields_typed_chunks_that_accumulate_to_the_answer(driver: Driver) -> None:
    chunks = driver.stream({**HELLO, "model": "glm-4.5"})
    acc = StreamAccumulator()
    for chunk in chunks:
        acc.feed(chunk)
    final = acc.finish()
    assert final.message.content == "\nHello! You said: hello there"
    assert final.message.reasoning_content and final.usage is not None
    assert chunks[-1].finish_reason == "stop"


@pytest.mark.parametrize(
    "fixture", ["glm-4.5_stream_reasoning.sse", "glm-4.6_stream_separate_usage.sse", "glm-4.7_stream_tool_call.sse"]
)
@pytest.mark.parametrize("split", [(1,), (3, 7, 11), (64,)], ids=["bytewise", "odd", "64"])
def test_golden_streams_over_http_at_odd_boundaries(
    driver: Driver, glm_server: LocalGLMServer, fixture: str, split: tuple[int, ...]
) -> None:
    raw = (FIXTURES / fixture).read_bytes()
    sizes = list(split) * (len(raw) // sum(split) + 1)
    glm_server.enqueue(Reply.raw(200, raw, split=sizes))
    received = driver.stream(HELLO)
    parser = ChatStreamParser()
    expected = parser.feed(raw)
    parser.finish()
    assert [c.raw for c in received] == [c.raw for c in expected]


RETRIED = [
    (Reply.status(429, "1302", headers={"Retry-After": "0"}), "chat"),
    (Reply.status(503, "1305", headers={}), "chat"),
    (Reply.status(500, "500"), "chat"),
    (Reply.disconnect(), "chat"),
    (Reply.status(429, "1302", headers={"Retry-After": "0"}), "stream"),
    (Reply.disconnect(), "stream"),
    (Reply.http200_error("1305"), "stream"),
    (Reply.in_band_error(after_events=0, code="1234"), "stream"),
]


@pytest.mark.parametrize(("fault", "kind"), RETRIED, ids=[f"{type(f).__name__}-{k}" for f, k in RETRIED])
def test_retryable_failures_are_retried_with_a_fresh_request_id_per_attempt(
    driver: Driver, glm_server: LocalGLMServer, fault: Reply, kind: str
) -> None:
    # GLM answers a repeated request_id with 1231 when the first attempt did reach it.
    glm_server.fail_times(2, fault)
    result = (
        driver.call("chat", HELLO).message.content
        if kind == "chat"
        else "".join(c.content or "" for c in driver.stream(HELLO))
    )
    assert "Hello! You said" in result
    sent = chat_requests(glm_server)
    assert len(sent) == 3
    assert len({r.json["request_id"] for r in sent}) == 3
    assert driver.active_connections() == 0


def test_a_request_id_the_caller_passed_is_kept_on_every_attempt(driver: Driver, glm_server: LocalGLMServer) -> None:
    glm_server.fail_times(2, Reply.status(503, "1305", headers={}))
    driver.call("chat", {**HELLO, "request_id": "caller-chosen-id"})
    assert [r.json["request_id"] for r in chat_requests(glm_server)] == ["caller-chosen-id"] * 3


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Reply.status(400, "1214"), GLMBadRequestError),
        (Reply.status(401, "1002"), GLMAuthenticationError),
        (Reply.status(400, "1301"), GLMContentFilterError),
        (Reply.status(429, "1113"), GLMQuotaExceededError),
    ],
)
@pytest.mark.parametrize("kind", ["chat", "stream"])
def test_non_retryable_failures_are_raised_after_one_attempt(
    driver: Driver, glm_server: LocalGLMServer, fault: Reply, error: type[Exception], kind: str
) -> None:
    glm_server.enqueue(fault)
    with pytest.raises(error):
        driver.call("chat", HELLO) if kind == "chat" else driver.stream(HELLO)
    assert len(chat_requests(glm_server)) == 1


def test_a_persistent_429_makes_exactly_max_retries_plus_one_attempts(
    make_driver: MakeDriver, glm_server: LocalGLMServer
) -> None:
    driver = make_driver(max_retries=2)
    glm_server.fail_times(10, Reply.status(429, "1302", headers={"Retry-After": "0"}))
    with pytest.raises(GLMRateLimitError) as info:
        driver.call("chat", HELLO)
    assert len(chat_requests(glm_server)) == 3
    assert info.value.code == "1302" and info.value.status_code == 429


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Reply.disconnect_mid_stream(after_events=3), GLMStreamError),
        (Reply.malformed_event(after_events=2), GLMStreamError),
        (Reply.in_band_error(after_events=2, code="1234"), GLMServerError),
    ],
)
def test_a_stream_is_never_retried_after_its_first_event(
    driver: Driver, glm_server: LocalGLMServer, fault: Reply, error: type[Exception]
) -> None:
    glm_server.fail_times(5, fault)
    with pytest.raises(error):
        driver.stream(HELLO)
    assert len(chat_requests(glm_server)) == 1
    assert driver.active_connections() == 0


def test_breaking_out_of_a_stream_releases_the_connection(driver: Driver, glm_server: LocalGLMServer) -> None:
    glm_server.enqueue(Reply.chat("word " * 200, chunks=200))
    assert len(driver.stream(HELLO, limit=3)) == 3
    assert driver.active_connections() == 0
    assert glm_server.wait_for_idle(2.0)


def test_no_connection_stays_busy_after_errors(driver: Driver, glm_server: LocalGLMServer) -> None:
    for fault in (Reply.status(400, "1214"), Reply.disconnect_mid_stream(1), Reply.malformed_event(1)):
        glm_server.enqueue(fault)
        with pytest.raises((GLMBadRequestError, GLMStreamError)):
            driver.stream(HELLO)
    assert driver.active_connections() == 0
    driver.close()
    assert glm_server.wait_for_idle(2.0)


def test_read_timeout_between_chunks_is_a_typed_timeout_and_not_retried(
    make_driver: MakeDriver, glm_server: LocalGLMServer
) -> None:
    driver = make_driver(timeout=httpx.Timeout(5.0, read=0.3))
    glm_server.enqueue(Reply.slow(2.0, before="between_events", after_events=2))
    with pytest.raises(GLMTimeoutError, match="after 2 stream events"):
        driver.stream(HELLO)
    assert len(chat_requests(glm_server)) == 1


def test_read_timeout_before_the_answer_is_retried(make_driver: MakeDriver, glm_server: LocalGLMServer) -> None:
    driver = make_driver(timeout=httpx.Timeout(5.0, read=0.3))
    glm_server.enqueue(Reply.slow(2.0, before="headers"))
    assert "Hello" in driver.call("chat", HELLO).message.text
    assert len(chat_requests(glm_server)) == 2


def test_connection_refused_is_a_retryable_connection_error(make_driver: MakeDriver) -> None:
    driver = make_driver(base_url="http://127.0.0.1:9/api/paas/v4", max_retries=1)
    with pytest.raises(GLMConnectionError) as info:
        driver.call("chat", HELLO)
    assert info.value.retryable


@pytest.mark.parametrize(
    "reply",
    [Reply.json(200, {"unexpected": True}), Reply.raw(200, b"<html>proxy login</html>", content_type="text/html")],
    ids=["wrong JSON shape", "HTML page"],
)
def test_a_2xx_body_of_the_wrong_shape_is_a_typed_error(
    driver: Driver, glm_server: LocalGLMServer, reply: Reply
) -> None:
    glm_server.enqueue(reply)
    with pytest.raises(GLMResponseValidationError):
        driver.call("chat", HELLO)


def test_a_stream_answered_by_a_proxy_page_says_it_is_not_an_event_stream(
    driver: Driver, glm_server: LocalGLMServer
) -> None:
    glm_server.enqueue(Reply.raw(200, b"<html>proxy login</html>", content_type="text/html"))
    with pytest.raises(GLMResponseValidationError, match="not an event stream|expected an event stream") as info:
        driver.stream(HELLO)
    assert "text/html" in str(info.value) and "proxy login" in str(info.value)
    assert len(glm_server.requests) == 1


@pytest.mark.parametrize("kind", ["chat", "stream"])
def test_sensitive_finish_raises_only_when_asked(
    make_driver: MakeDriver, glm_server: LocalGLMServer, kind: str
) -> None:
    relaxed, strict = make_driver(), make_driver(raise_on_sensitive=True)
    glm_server.enqueue(Reply.finish("sensitive", content="partial"), Reply.finish("sensitive", content="partial"))
    if kind == "chat":
        assert relaxed.call("chat", HELLO).finish_reason == "sensitive"
        with pytest.raises(GLMContentFilterError):
            strict.call("chat", HELLO)
    else:
        assert relaxed.stream(HELLO)[-1].finish_reason == "sensitive"
        with pytest.raises(GLMContentFilterError):
            strict.stream(HELLO)


def test_bad_input_fails_before_any_request(driver: Driver, glm_server: LocalGLMServer) -> None:
    with pytest.raises(GLMInvalidRequestError, match="stop sequence"):
        driver.call("chat", {**HELLO, "stop": ["a", "b"]})
    with pytest.raises(GLMInvalidRequestError, match="empty"):
        driver.call("embed", ["ok", ""])
    assert glm_server.requests == []


def test_embeddings_are_batched_at_64_and_kept_in_order(driver: Driver, glm_server: LocalGLMServer) -> None:
    texts = [f"text number {i}" for i in range(130)]
    vectors = driver.call("embed", texts, dimensions=256)
    sent = [r.json for r in glm_server.requests]
    # The async client sends the batches concurrently, so they may arrive in any order.
    assert sorted(len(body["input"]) for body in sent) == [2, 64, 64]
    assert sorted(t for body in sent for t in body["input"]) == sorted(texts)
    assert all(body["dimensions"] == 256 and body["model"] == "embedding-3" for body in sent)
    assert len(vectors) == 130 and all(len(v) == 256 for v in vectors)
    assert driver.call("embed", [texts[129]], dimensions=256)[0] == vectors[129]
    assert driver.call("embed", [texts[0]], dimensions=256)[0] == vectors[0]
    assert driver.call("embed", []) == []
    assert len(glm_server.requests) == 5


def test_missing_key_is_a_clear_error_before_any_request(glm_server: LocalGLMServer) -> None:
    for cls in (GLMClient, AsyncGLMClient):
        with pytest.raises(GLMConfigurationError, match="ZHIPUAI_API_KEY or ZAI_API_KEY"):
            cls(base_url=glm_server.base_url)
    assert glm_server.requests == []


def test_jwt_auth_is_accepted_by_the_server(make_driver: MakeDriver, glm_server: LocalGLMServer) -> None:
    glm_server.api_key = "0123abcd.s3cr3tvalue"
    driver = make_driver(api_key="0123abcd.s3cr3tvalue", use_jwt=True)
    assert driver.call("chat", HELLO).message.content
    token = glm_server.requests[0].headers["authorization"].removeprefix("Bearer ")
    assert token.count(".") == 2 and "s3cr3tvalue" not in token


def test_the_key_never_appears_in_an_error_or_traceback(make_driver: MakeDriver, glm_server: LocalGLMServer) -> None:
    key = "sk-leak-check-0123456789"
    driver = make_driver(api_key=key)
    with pytest.raises(GLMAuthenticationError) as info:
        driver.call("chat", HELLO)
    text = "".join(traceback.format_exception(info.value)) + repr(info.value) + str(info.value.body)
    assert key not in text


def test_one_sync_client_serves_sixteen_threads(glm_server: LocalGLMServer) -> None:
    client = GLMClient(api_key="test-key", base_url=glm_server.base_url)
    results: list[str] = []
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            text = "".join(
                c.content or ""
                for c in client.stream_chat({**HELLO, "messages": [{"role": "user", "content": f"n{i}"}]})
            )
            results.append(client.chat(HELLO).message.text + text)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    client.close()
    assert errors == [] and len(results) == 16


def test_one_async_client_survives_successive_event_loops(glm_server: LocalGLMServer) -> None:
    client = AsyncGLMClient(api_key="test-key", base_url=glm_server.base_url)

    async def once() -> str:
        stream = await client.stream_chat(HELLO)
        text = "".join([c.content or "" async for c in stream])
        return (await client.chat(HELLO)).message.text + text

    assert "Hello" in asyncio.run(once())
    assert "Hello" in asyncio.run(once())
    asyncio.run(client.aclose())


def test_user_supplied_async_client_is_used_and_not_closed(glm_server: LocalGLMServer) -> None:
    async def run() -> None:
        async with httpx.AsyncClient() as http:
            client = AsyncGLMClient(api_key="test-key", base_url=glm_server.base_url, http_client=http)
            assert (await client.chat(HELLO)).message.content
            await client.aclose()
            assert not http.is_closed

    asyncio.run(run())


def test_web_search_results_come_back_on_the_completion(driver: Driver) -> None:
    tools = [
        {"type": "web_search", "web_search": {"enable": True, "search_engine": "search_std", "search_result": True}}
    ]
    completion = driver.call("chat", {**HELLO, "model": "glm-4-plus", "tools": tools})
    assert completion.web_search and completion.web_search[0].link
    assert json.loads(completion.model_dump_json())["web_search"][0]["refer"]


@pytest.mark.parametrize(
    ("reply", "kind"),
    [(Reply.slow(3.0, before="headers"), "chat"), (Reply.slow(3.0, before="between_events", after_events=2), "stream")],
    ids=["slow answer", "stalled stream"],
)
def test_the_overall_timeout_bounds_the_whole_call_including_retries(
    make_driver: MakeDriver, glm_server: LocalGLMServer, reply: Reply, kind: str
) -> None:
    import time

    driver = make_driver(timeout=httpx.Timeout(10.0), total_timeout=0.6, max_retries=5)
    glm_server.fail_times(5, reply)
    start = time.monotonic()
    with pytest.raises(GLMTimeoutError):
        driver.call("chat", HELLO) if kind == "chat" else driver.stream(HELLO)
    assert time.monotonic() - start < 2.0
    assert len(chat_requests(glm_server)) == 1


def test_user_supplied_sync_client_is_used_and_not_closed(glm_server: LocalGLMServer) -> None:
    with httpx.Client(headers={"X-Proxy-Tag": "mine"}) as http:
        with GLMClient(api_key="test-key", base_url=glm_server.base_url, http_client=http) as client:
            assert client.chat(HELLO).message.content
        assert not http.is_closed
        assert glm_server.requests[0].headers["x-proxy-tag"] == "mine"


def test_extra_headers_are_sent_on_every_call_but_cannot_replace_auth(
    make_driver: MakeDriver, glm_server: LocalGLMServer
) -> None:
    driver = make_driver(default_headers={"X-App": "demo", "Authorization": "Bearer spoofed"})
    driver.call("chat", HELLO)
    driver.call("embed", ["x"])
    assert len(glm_server.requests) == 2
    for recorded in glm_server.requests:
        assert recorded.headers["x-app"] == "demo"
        assert recorded.headers["authorization"] == "Bearer test-key"


def test_a_client_dropped_without_close_releases_its_connections(glm_server: LocalGLMServer) -> None:
    import gc
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        assert GLMClient(api_key="test-key", base_url=glm_server.base_url).chat(HELLO).message.content
        gc.collect()
    assert glm_server.wait_for_idle() and glm_server.open_connections == 0

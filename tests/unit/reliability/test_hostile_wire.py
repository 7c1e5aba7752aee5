"""A hostile wire yields only typed errors, and deadlines hold against it: each case over real
sockets from ``tests/hostile.py``, sync and async. No test measures time: a deadline that did not
hold would let the call run on to the server's complete answer (or make the server see the client
stay), which the assertions catch; every wait is bounded by the server's ``MAX_SECONDS``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from glm_transport import (
    AsyncGLMClient,
    GLMAuthenticationError,
    GLMClient,
    GLMConfigurationError,
    GLMError,
    GLMIncompleteResponseError,
    GLMInterruptedError,
    GLMRateLimitError,
    GLMResponseValidationError,
    GLMStreamError,
    GLMTimeoutError,
    RetryPolicy,
    StreamAccumulator,
)
from tests.hostile import HostileServer, chunk_event, chunked, head, json_answer, sse, sse_answer

HELLO = {"model": "glm-4.7", "messages": [{"role": "user", "content": "hi"}]}
STREAM_HEAD = head()
CHUNKED_STREAM_HEAD = head(transfer_encoding="chunked")
FAST_RETRY = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.02)


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with HostileServer() as hostile:
        yield hostile


Run = Callable[..., Any]


def _collect_stream(client: GLMClient) -> Callable[..., list[Any]]:
    return lambda request: list(client.stream_chat(request))


async def _acall(method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    async with AsyncGLMClient(**kwargs) as client:
        if method == "stream":
            return [chunk async for chunk in await client.stream_chat(*args)]
        return await getattr(client, method)(*args)


@pytest.fixture(params=["sync", "async"])
def run(request: pytest.FixtureRequest, server: HostileServer) -> Run:
    """``run(method, *args, **client_kwargs)``: one call on a fresh client of the parametrized kind;
    ``method`` ``"stream"`` collects the chunks of ``stream_chat``."""

    def call(method: str, *args: Any, **kwargs: Any) -> Any:
        kwargs = {"api_key": "k", "base_url": server.base_url, "retry_policy": FAST_RETRY, **kwargs}
        if request.param == "async":
            return asyncio.run(_acall(method, args, kwargs))
        kwargs.pop("max_concurrency", None)  # the sync client sends batches one after another
        with GLMClient(**kwargs) as client:
            return list(client.stream_chat(*args)) if method == "stream" else getattr(client, method)(*args)

    return call


def text(chunks: list[Any]) -> str:
    return "".join(chunk.content or "" for chunk in chunks)


# ---------------------------------------------------------------- 1-4: deadlines


def test_the_deadline_holds_against_a_non_stream_body_dripped_a_byte_at_a_time(run: Run, server: HostileServer) -> None:
    answer = json_answer("x" * 200)
    split = answer.index(b"\r\n\r\n") + 4
    server.play(("send", answer[:split]), ("drip", answer[split:], 0.05))  # about 15 s to the end
    with pytest.raises(GLMTimeoutError, match="overall timeout of 0.5s"):
        run("chat", HELLO, total_timeout=0.5)
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(("repeat", b": keep-alive\n\n", 0.05), id="keep-alive comments only"),
        pytest.param(("repeat", b"data: " + b"x" * 4096, 0.01), id="one endless data line"),
        pytest.param(("drip", sse_answer() * 20, 0.05), id="events dripped a byte at a time"),
    ],
)
def test_the_deadline_holds_before_the_first_event(run: Run, server: HostileServer, body: tuple[Any, ...]) -> None:
    server.play(("send", STREAM_HEAD), body)
    with pytest.raises(GLMTimeoutError, match="overall timeout"):
        run("stream", HELLO, total_timeout=0.5)
    assert len(server.requests) == 1  # the deadline is not retried


def test_the_deadline_holds_while_waiting_for_the_status_line(run: Run, server: HostileServer) -> None:
    server.play(("sleep", 15), ("send", json_answer()))
    with pytest.raises(GLMTimeoutError, match="overall timeout"):
        run("chat", HELLO, total_timeout=0.5)


def test_the_deadline_holds_between_events_after_the_first(run: Run, server: HostileServer) -> None:
    server.play(("send", STREAM_HEAD + sse(chunk_event("Hel"))), ("sleep", 15), ("send", sse_answer("lo")))
    with pytest.raises(GLMTimeoutError, match="overall timeout"):
        run("stream", HELLO, total_timeout=0.5, timeout=30)


@pytest.mark.parametrize("method", ["embeddings", "rerank"])
def test_the_deadline_bounds_every_batch_of_a_call_together(run: Run, server: HostileServer, method: str) -> None:
    # Each batch alone is well inside the deadline; all of them together are not.
    server.default = [("sleep", 0.4), ("send", _batch_answer(method))]
    args = (["text"] * 640,) if method == "embeddings" else ("q", ["doc"] * 640)
    with pytest.raises(GLMTimeoutError, match="overall timeout"):
        run(method, *args, total_timeout=1.0, max_concurrency=1)
    assert len(server.requests) < 10


def _batch_answer(method: str) -> bytes:
    if method == "embeddings":
        data = [{"object": "embedding", "index": i, "embedding": [0.1]} for i in range(64)]
        body = json.dumps({"model": "embedding-3", "data": data}).encode()
    else:
        body = json.dumps({"results": [{"index": 0, "relevance_score": 0.5}]}).encode()
    return head(content_type="application/json", content_length=len(body)) + body


def test_a_retry_sleep_longer_than_the_deadline_gives_up_at_once(run: Run, server: HostileServer) -> None:
    server.play(("send", _status(429, "1302", retry_after="5")))
    with pytest.raises(GLMRateLimitError):
        run("chat", HELLO, total_timeout=1.0)
    assert len(server.requests) == 1


def test_reading_stops_at_done_when_the_server_holds_the_body_open(run: Run, server: HostileServer) -> None:
    server.play(("send", STREAM_HEAD + sse_answer("complete")), ("sleep", 15))
    assert text(run("stream", HELLO, timeout=30)) == "complete"


def test_a_stream_that_ends_properly_leaves_its_connection_for_the_next_call(server: HostileServer) -> None:
    body = chunked(sse_answer("one")) + chunked(b"")
    server.default = [("send", CHUNKED_STREAM_HEAD + body)]
    with GLMClient(api_key="k", base_url=server.base_url) as client:
        assert [text(list(client.stream_chat(HELLO))) for _ in range(3)] == ["one"] * 3
    assert server.connections == 1


# ---------------------------------------------------------------- 7-8: shapes and sizes


WRONG_SHAPES = [
    ({"choices": [{"delta": "x"}]}, "delta is str"),
    ({"choices": [{"delta": {"tool_calls": "x"}}]}, "tool_calls is str"),
    ({"choices": [{"delta": {"tool_calls": [{"index": 0, "function": "f"}]}}]}, "function is str"),
    ({"choices": [{"delta": {"tool_calls": [{"index": 0, "function": {"arguments": 5}}]}}]}, "arguments is int"),
    ({"choices": [{"delta": {"content": "a"}}], "usage": "lots"}, "usage is str"),
    ({"choices": [{"delta": {"content": "a"}}], "usage": {"prompt_tokens": "many"}}, "usage.prompt_tokens"),
    ({"choices": [{"delta": {"content": "a"}}], "web_search": 5}, "web_search is int"),
    ({"choices": [{"delta": {"reasoning_content": 5}}]}, "reasoning_content is int"),
    ({"choices": [{"delta": {"content": 5}}]}, "content is int"),
    ({"choices": [{"delta": {"content": "a"}, "finish_reason": 3}]}, "finish_reason is int"),
]


@pytest.mark.parametrize(("event", "what"), WRONG_SHAPES, ids=[what for _, what in WRONG_SHAPES])
def test_a_wrong_shaped_event_is_a_typed_error_naming_the_field(
    run: Run, server: HostileServer, event: dict[str, Any], what: str
) -> None:
    server.play(("send", STREAM_HEAD + sse(event) + sse_answer()))
    with pytest.raises(GLMResponseValidationError, match=what.replace("(", r"\(")):
        run("stream", HELLO)


def test_an_endless_line_is_cut_at_the_line_cap_with_a_typed_error(run: Run, server: HostileServer) -> None:
    server.play(("send", STREAM_HEAD + b"data: "), ("repeat", b"x" * 65536, 0.0005))
    with pytest.raises(GLMStreamError, match="longer than 8388608 bytes"):
        run("stream", HELLO)


def test_an_html_page_answering_a_stream_is_reported_with_its_content_type(run: Run, server: HostileServer) -> None:
    page = b"<html><body>Please log in</body></html>"
    server.play(("send", head(content_type="text/html; charset=utf-8", content_length=len(page)) + page))
    with pytest.raises(GLMResponseValidationError, match="text/html") as info:
        run("stream", HELLO)
    assert "Please log in" in str(info.value) and "truncated" not in str(info.value)


# ---------------------------------------------------------------- 9: Retry-After


def _status(status: int, code: str, **headers: str) -> bytes:
    body = json.dumps({"error": {"code": code, "message": "slow down"}}).encode()
    return head(status, "application/json", content_length=len(body), **headers) + body


@pytest.mark.parametrize(
    "headers",
    [
        {"retry_after_ms": "nan"},
        {"retry_after": "nan"},
        {"retry_after": "-5"},
        {"retry_after": "Wed, 21 Oct 2015 07:28:00 GMT"},
        {"retry_after": "soon, maybe"},
        {"retry_after_ms": "-1", "retry_after": "garbage"},
    ],
    ids=lambda headers: ",".join(headers.values()),
)
def test_an_unusable_retry_after_falls_back_to_the_backoff(
    run: Run, server: HostileServer, headers: dict[str, str]
) -> None:
    server.play(("send", _status(429, "1302", **headers)))
    server.play(("send", json_answer("after the backoff")))
    assert run("chat", HELLO).message.content == "after the backoff"
    assert len(server.requests) == 2


@pytest.mark.parametrize("headers", [{"retry_after": "86400"}, {"retry_after_ms": "inf"}, {"retry_after": "1e999"}])
def test_a_retry_after_longer_than_the_cap_gives_up_at_once(
    run: Run, server: HostileServer, headers: dict[str, str]
) -> None:
    server.play(("send", _status(429, "1302", **headers)))
    with pytest.raises(GLMRateLimitError):
        run("chat", HELLO)
    assert len(server.requests) == 1


# ---------------------------------------------------------------- 10: secrets


@pytest.mark.parametrize("key", ["abc\ndef", "abc\x00def", "abc\rdef", "abc\u00e9def"])
def test_a_key_with_a_control_character_is_refused_at_construction_without_showing_it(
    run: Run, server: HostileServer, key: str
) -> None:
    with pytest.raises(GLMConfigurationError, match="control character") as info:
        run("chat", HELLO, api_key=key)
    assert "abc" not in str(info.value) and not server.requests


def test_a_401_body_echoing_the_authorization_header_is_redacted(run: Run, server: HostileServer) -> None:
    key = "sk-secret-4242.abcdefghij"
    body = json.dumps({"error": {"code": "1002", "message": f"bad header: Authorization: Bearer {key}"}}).encode()
    server.play(("send", head(401, "application/json", content_length=len(body)) + body))
    with pytest.raises(GLMAuthenticationError) as info:
        run("chat", HELLO, api_key=key)
    assert key not in str(info.value) and key not in repr(info.value.body) and "[redacted]" in str(info.value)


# ---------------------------------------------------------------- 11-12: failures that arrive whole


def test_finish_reason_network_error_is_a_retryable_error_carrying_what_arrived(
    run: Run, server: HostileServer
) -> None:
    server.default = [("send", json_answer("Half an ans", finish="network_error"))]
    with pytest.raises(GLMInterruptedError) as info:
        run("chat", HELLO)
    assert info.value.retryable and info.value.partial.message.content == "Half an ans"
    assert len(server.requests) == 3  # retried as a failure of the whole call


def test_finish_reason_network_error_in_a_stream_is_raised_after_what_arrived(run: Run, server: HostileServer) -> None:
    events = sse(chunk_event("Half")) + sse(chunk_event("", "network_error")) + sse("[DONE]")
    server.play(("send", STREAM_HEAD + events))
    with pytest.raises(GLMInterruptedError):
        run("stream", HELLO)
    assert len(server.requests) == 1  # a stream is never retried after its first event


def test_a_2xx_body_cut_after_the_headers_is_not_retried(run: Run, server: HostileServer) -> None:
    server.default = [
        ("send", head(content_type="application/json", content_length=500) + b'{"id": "c1", '),
        ("close",),
    ]
    with pytest.raises(GLMIncompleteResponseError, match="cut after its headers"):
        run("chat", HELLO)
    assert len(server.requests) == 1


def test_an_error_status_whose_body_is_cut_is_classified_by_its_status(run: Run, server: HostileServer) -> None:
    server.play(("send", head(503, "application/json", content_length=300) + b'{"err'), ("close",))
    server.play(("send", json_answer("recovered")))
    assert run("chat", HELLO).message.content == "recovered"
    assert len(server.requests) == 2


# ---------------------------------------------------------------- 13: tool calls


def test_a_new_call_id_at_a_reused_index_starts_a_new_call(run: Run, server: HostileServer) -> None:
    def call(call_id: str | None, name: str | None, arguments: str) -> dict[str, Any]:
        fragment: dict[str, Any] = {"index": 0, "function": {"arguments": arguments}}
        if call_id:
            fragment["id"], fragment["function"]["name"] = call_id, name
        return chunk_event(tool_calls=[fragment])

    events = [call("a", "f", '{"a":'), call(None, None, "1}"), call("b", "g", '{"c":3}'), chunk_event("", "tool_calls")]
    server.play(("send", STREAM_HEAD + b"".join(sse(e) for e in events) + sse("[DONE]")))
    accumulator = StreamAccumulator()
    for chunk in run("stream", HELLO):
        accumulator.feed(chunk)
    calls = [(c["id"], c["function"]["name"], c["function"]["arguments"]) for c in accumulator.tool_calls]
    assert calls == [("a", "f", '{"a":1}'), ("b", "g", '{"c":3}')]


def test_every_error_above_is_a_glm_error() -> None:
    for error in (GLMIncompleteResponseError, GLMInterruptedError, GLMResponseValidationError, GLMStreamError):
        assert issubclass(error, GLMError)

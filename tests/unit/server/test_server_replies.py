"""Scripted replies and random faults, observed with plain httpx."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from glm_transport.testing import LocalGLMServer, RawReply, Reply, StatusReply
from glm_transport.testing._faults import fault_replies

from .helpers import chat, fixture_text, function_tool, new_client, request, sse_chunks, sse_data, streamed_text

ALL_REPLIES: list[Reply] = [
    Reply.chat("Hi", reasoning="hmm", tool_calls=[{"name": "f", "arguments": {"a": 1}}], usage={"total_tokens": 1}),
    Reply.chat(chunks=5),
    Reply.status(429),
    Reply.status(400, "1214", "bad", headers={}),
    Reply.json(200, {"x": [1, 2]}, {"X-A": "b"}),
    Reply.raw(200, b"data: \xff\n\n", {"X-B": "c"}, split=[1, 2]),
    Reply.http200_error(),
    Reply.disconnect(),
    Reply.disconnect_mid_stream(4),
    Reply.malformed_event(1),
    Reply.in_band_error(2, "1301", "blocked"),
    Reply.slow(0.5, before="between_events", after_events=2),
    Reply.finish("sensitive"),
]


@pytest.mark.parametrize("reply", ALL_REPLIES, ids=[type(r).__name__ for r in ALL_REPLIES])
def test_replies_round_trip_through_json(reply: Reply) -> None:
    data = json.loads(json.dumps(reply.to_json()))
    assert Reply.from_json(data) == reply


def test_from_json_accepts_status_and_rejects_unknowns() -> None:
    assert Reply.from_json({"kind": "status", "status": 503, "code": "500"}) == Reply.status(503, "500")
    assert Reply.status(503).headers == {}  # GLM is not known to send Retry-After (wire notes §6.4)
    assert Reply.from_json({"kind": "status", "status": 400, "code": "1214"}).to_json() == {
        "kind": "status",
        "status_code": 400,
        "code": "1214",
        "message": "Input cannot be empty",
        "headers": {},
    }
    with pytest.raises(ValueError, match="kind"):
        Reply.from_json({"kind": "nope"})
    with pytest.raises(ValueError, match="field"):
        Reply.from_json({"kind": "disconnect", "x": 1})
    with pytest.raises(ValueError, match="before"):
        Reply.slow(1, before="never")


def test_status_reply(glm_server: LocalGLMServer, client: httpx.Client) -> None:
    glm_server.enqueue(Reply.status(429), Reply.status(500, "1234", "boom"), Reply.status(400, "1214"))
    first = client.post("/chat/completions", json=chat())
    assert first.status_code == 429
    assert "retry-after" not in first.headers
    assert first.json()["error"]["code"] == "1302"
    second = client.post("/embeddings", json={})
    assert (second.status_code, second.json()) == (500, {"error": {"code": "1234", "message": "boom"}})
    third = client.post("/chat/completions", json=chat())
    assert third.status_code == 400
    assert "retry-after" not in third.headers
    assert client.post("/chat/completions", json=chat()).status_code == 200


def test_fail_times_then_normal(glm_server: LocalGLMServer, client: httpx.Client) -> None:
    glm_server.fail_times(2, Reply.status(503, "500"))
    codes = [client.post("/chat/completions", json=chat()).status_code for _ in range(3)]
    assert codes == [503, 503, 200]
    assert len(glm_server.requests) == 3


def test_json_and_http200_error(glm_server: LocalGLMServer, client: httpx.Client) -> None:
    glm_server.enqueue(Reply.json(202, {"custom": True}, {"X-Thing": "1"}), Reply.http200_error())
    r = client.post("/chat/completions", json=chat())
    assert (r.status_code, r.json(), r.headers["x-thing"]) == (202, {"custom": True}, "1")
    r = client.post("/chat/completions", json=chat(stream=True))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == {"error": {"code": "1305", "message": "The service may be temporarily overloaded"}}


@pytest.mark.parametrize("chunked", [None, False])
@pytest.mark.parametrize("split", [[1], [7, 1, 13], [3] * 400])
def test_raw_split_replays_exact_bytes(
    glm_server: LocalGLMServer, client: httpx.Client, split: list[int], chunked: bool | None
) -> None:
    golden = fixture_text("glm-4.7_stream_tool_call.sse").encode()
    reply = Reply.raw(200, golden, split=split, chunked=chunked)
    assert isinstance(reply, RawReply) and b"".join(reply.pieces()) == golden
    glm_server.enqueue(reply)
    with client.stream("POST", "/chat/completions", json=chat(stream=True)) as r:
        assert r.headers["content-type"] == "text/event-stream"
        assert ("transfer-encoding" in r.headers) is (chunked is None)
        assert r.read() == golden


def test_disconnect_before_any_byte(glm_server: LocalGLMServer, client: httpx.Client) -> None:
    glm_server.enqueue(Reply.disconnect())
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        client.post("/chat/completions", json=chat())
    assert client.post("/chat/completions", json=chat()).status_code == 200


def test_disconnect_mid_stream(glm_server: LocalGLMServer, client: httpx.Client) -> None:
    glm_server.enqueue(Reply.disconnect_mid_stream(after_events=3))
    lines: list[str] = []
    with client.stream("POST", "/chat/completions", json=chat(stream=True)) as r:
        assert r.status_code == 200
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            lines.extend(line for line in r.iter_lines() if line)
    assert len(lines) == 3
    assert "[DONE]" not in "".join(lines)


def test_disconnect_mid_body_for_plain_answers(glm_server: LocalGLMServer, client: httpx.Client) -> None:
    glm_server.enqueue(Reply.disconnect_mid_stream())
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        client.post("/chat/completions", json=chat())


def test_malformed_event(glm_server: LocalGLMServer, client: httpx.Client) -> None:
    glm_server.enqueue(Reply.malformed_event(after_events=2))
    data = sse_data(client.post("/chat/completions", json=chat(stream=True)).content)
    assert len(data) == 4
    json.loads(data[0])
    json.loads(data[1])
    assert data[2:] == ["{not json", "[DONE]"]


@pytest.mark.parametrize("after", [0, 2])
def test_in_band_error(glm_server: LocalGLMServer, client: httpx.Client, after: int) -> None:
    glm_server.enqueue(Reply.in_band_error(after_events=after, code="1234", message="Network error"))
    data = sse_data(client.post("/chat/completions", json=chat(stream=True)).content)
    assert len(data) == after + 1
    assert json.loads(data[-1]) == {"error": {"code": "1234", "message": "Network error"}}


def test_slow_before_headers_times_out_a_short_read(glm_server: LocalGLMServer) -> None:
    glm_server.enqueue(Reply.slow(0.5))
    with new_client(timeout=httpx.Timeout(5.0, read=0.1)) as c, pytest.raises(httpx.ReadTimeout):
        c.post(glm_server.base_url + "/chat/completions", json=chat(), headers={"Authorization": "Bearer test-key"})


@pytest.mark.parametrize("before", ["headers", "body"])
def test_slow_delays_the_answer(glm_server: LocalGLMServer, client: httpx.Client, before: str) -> None:
    glm_server.enqueue(Reply.slow(0.2, before=before))
    start = time.monotonic()
    assert client.post("/chat/completions", json=chat()).status_code == 200
    assert time.monotonic() - start >= 0.2


def test_slow_between_events_stalls_mid_stream(glm_server: LocalGLMServer, client: httpx.Client) -> None:
    glm_server.enqueue(Reply.slow(0.3, before="between_events", after_events=2))
    stamps: list[float] = []
    with client.stream("POST", "/chat/completions", json=chat(stream=True)) as r:
        start = time.monotonic()
        stamps.extend(time.monotonic() - start for line in r.iter_lines() if line)
    assert stamps[1] < 0.2 <= stamps[2]


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("reason", ["sensitive", "network_error", "length"])
def test_finish_reason_with_partial_content(
    glm_server: LocalGLMServer, client: httpx.Client, reason: str, stream: bool
) -> None:
    body = chat("one two three four five six", model="glm-4-plus", stream=stream)
    full = client.post("/chat/completions", json={**body, "stream": False}).json()["choices"][0]["message"]["content"]
    glm_server.enqueue(Reply.finish(reason))
    r = client.post("/chat/completions", json=body)
    if stream:
        chunks = sse_chunks(r.content)
        content, finish = streamed_text(chunks, "content"), chunks[-1]["choices"][0]["finish_reason"]
    else:
        choice = r.json()["choices"][0]
        content, finish = choice["message"]["content"], choice["finish_reason"]
    assert finish == reason
    assert full.startswith(content) and 0 < len(content) < len(full)


def test_chat_override(glm_server: LocalGLMServer, client: httpx.Client) -> None:
    calls = [{"name": "lookup", "arguments": {"q": "x"}}, {"name": "other", "arguments": '{"n":1}', "id": "call_9"}]
    usage = {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}
    glm_server.enqueue(Reply.chat("Done.", reasoning="Because.", tool_calls=calls, usage=usage))
    choice = client.post("/chat/completions", json=chat(model="glm-4-plus")).json()
    message = choice["choices"][0]["message"]
    assert (message["content"], message["reasoning_content"]) == ("Done.", "Because.")
    assert [(c["function"]["name"], c["function"]["arguments"]) for c in message["tool_calls"]] == [
        ("lookup", '{"q":"x"}'),
        ("other", '{"n":1}'),
    ]
    assert message["tool_calls"][1]["id"] == "call_9"
    assert choice["choices"][0]["finish_reason"] == "tool_calls"
    assert choice["usage"] == usage


def test_chat_override_drops_model_tool_calls_and_streams_in_n_chunks(
    glm_server: LocalGLMServer, client: httpx.Client
) -> None:
    tools = [function_tool("get_weather", {"city": {"type": "string"}})]
    glm_server.enqueue(Reply.chat("x" * 100, chunks=7))
    chunks = sse_chunks(client.post("/chat/completions", json=chat("Paris?", tools=tools, stream=True)).content)
    contents = [c["choices"][0]["delta"]["content"] for c in chunks if "content" in c["choices"][0].get("delta", {})]
    assert len(contents) == 8  # seven pieces plus the finish chunk's ""
    assert "".join(contents) == "x" * 100
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert "[DONE]" not in contents


def test_a_two_thousand_chunk_stream(glm_server: LocalGLMServer, client: httpx.Client) -> None:
    glm_server.enqueue(Reply.chat("word " * 2000, chunks=2000))
    start = time.monotonic()
    chunks = sse_chunks(client.post("/chat/completions", json=chat(model="glm-4-plus", stream=True)).content)
    assert len(chunks) == 2001
    assert time.monotonic() - start < 2.0


def test_queue_is_fifo_across_endpoints_and_reset_clears(glm_server: LocalGLMServer, client: httpx.Client) -> None:
    glm_server.enqueue(Reply.status(500, "500"), Reply.status(429))
    assert client.post("/embeddings", json={"model": "embedding-3", "input": "x"}).status_code == 500
    glm_server.reset()
    assert glm_server.requests == []
    assert client.post("/chat/completions", json=chat()).status_code == 200
    assert [r.path for r in glm_server.requests] == ["/api/paas/v4/chat/completions"]


def test_requests_are_recorded(glm_server: LocalGLMServer, client: httpx.Client) -> None:
    client.post("/chat/completions", json=chat("Hey"), headers={"X-Trace": "t1"})
    client.post("/chat/completions", content=b"not json")
    first, second = glm_server.requests
    assert (first.method, first.path, first.headers["x-trace"]) == ("POST", "/api/paas/v4/chat/completions", "t1")
    assert first.headers["authorization"] == "Bearer test-key"
    assert first.json == chat("Hey")
    assert json.loads(first.body) == first.json
    assert (second.body, second.json) == (b"not json", None)


# ---- random faults ------------------------------------------------------------------------
def outcome(client: httpx.Client, body: dict[str, Any]) -> str:
    try:
        r = client.post("/chat/completions", json=body)
        if r.status_code != 200:
            return str(r.status_code)
        if body.get("stream"):
            data = sse_data(r.content)
            if "{not json" in data:
                return "malformed"
        return "ok"
    except httpx.ReadTimeout:
        return "slow"
    except (httpx.RemoteProtocolError, httpx.ReadError):
        return "cut"


def run_faults(seed: int, stream: bool, n: int = 24) -> list[str]:
    with LocalGLMServer(fault_rate=1.0, seed=seed, slow_seconds=0.3) as server:
        timeout = httpx.Timeout(5.0, read=0.1)
        headers = {"Authorization": "Bearer test-key"}
        with new_client(base_url=server.base_url, timeout=timeout, headers=headers) as c:
            outcomes = [outcome(c, chat(stream=stream)) for _ in range(n)]
        stats = request("GET", server.url + "/_control/stats")
        assert stats.status_code == 200  # the control endpoint is never faulted
    return outcomes


def test_random_faults_are_seeded_and_cover_every_kind() -> None:
    streamed = run_faults(seed=2, stream=True)
    assert set(streamed) == {"429", "503", "cut", "slow", "malformed"}
    assert run_faults(seed=2, stream=True) == streamed
    plain = run_faults(seed=2, stream=False, n=12)
    assert set(plain) <= {"429", "503", "cut", "slow"}
    assert "ok" not in plain


def test_fault_rate_zero_never_faults(client: httpx.Client) -> None:
    assert {outcome(client, chat(stream=True)) for _ in range(10)} == {"ok"}


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_sent_only_when_a_test_asks(
    glm_server: LocalGLMServer, client: httpx.Client, status: int
) -> None:
    glm_server.enqueue(Reply.status(status), Reply.status(status, headers={"Retry-After": "0"}))
    plain, asked = (client.post("/chat/completions", json=chat()) for _ in range(2))
    assert plain.status_code == asked.status_code == status
    assert "retry-after" not in plain.headers
    assert asked.headers["retry-after"] == "0"


def test_random_faults_carry_no_retry_after_unless_configured() -> None:
    for streaming in (False, True):
        statuses = [r for r in fault_replies(1.0, streaming) if isinstance(r, StatusReply)]
        assert statuses and all(r.headers == {} for r in statuses)
    asked = [r for r in fault_replies(1.0, False, retry_after=2.0) if isinstance(r, StatusReply)]
    assert all(r.headers == {"Retry-After": "2"} for r in asked)


@pytest.mark.parametrize("stream", [False, True])
def test_a_sensitive_finish_carries_content_filter(
    glm_server: LocalGLMServer, client: httpx.Client, stream: bool
) -> None:
    glm_server.enqueue(Reply.finish("sensitive", content="partial"), Reply.finish("length"))
    blocked, cut = (client.post("/chat/completions", json=chat(stream=stream)) for _ in range(2))
    if stream:
        blocked_last, cut_last = sse_chunks(blocked.content)[-1], sse_chunks(cut.content)[-1]
    else:
        blocked_last, cut_last = blocked.json(), cut.json()
    assert blocked_last["choices"][0]["finish_reason"] == "sensitive"
    assert blocked_last["content_filter"] == [{"role": "assistant", "level": 1}]
    assert "content_filter" not in cut_last

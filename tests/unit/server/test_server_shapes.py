"""The local server's output has the shape of the captured GLM payloads in tests/fixtures."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from glm_transport.testing import LocalGLMServer, Reply

from .helpers import (
    by_kind,
    chat,
    fixture_text,
    function_tool,
    kind_of,
    new_client,
    shape,
    sse_chunks,
    sse_data,
    without,
)

WEATHER = function_tool("get_weather", {"city": {"type": "string"}}, required=["city"])
ORDER = ["reasoning", "content", "tool_call", "finish", "usage_only"]


def post_stream(client: httpx.Client, body: dict[str, Any]) -> bytes:
    r = client.post("/chat/completions", json={**body, "stream": True})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    assert r.headers["transfer-encoding"] == "chunked"
    return r.content


def assert_same_kinds(ours: list[dict[str, Any]], golden: list[dict[str, Any]], *extras: str) -> None:
    """Every chunk kind of the capture appears, with the same shape, in the same order."""
    mine, theirs = by_kind(ours), by_kind(golden)
    assert set(theirs) <= set(mine)
    for kind, chunk in theirs.items():
        assert shape(without(mine[kind], *extras)) == shape(without(chunk, *extras)), kind
    kinds = [kind_of(c) for c in ours]
    ranks = [ORDER.index(k) for k in kinds]
    assert ranks == sorted(ranks), kinds


def test_reasoning_stream_matches_glm45_capture(client: httpx.Client) -> None:
    golden = sse_chunks(fixture_text("glm-4.5_stream_reasoning.sse"))
    ours = sse_chunks(post_stream(client, chat("Hi", model="glm-4.5")))
    # 2025 captures have no "object" (wire notes §12.7); reasoning_tokens is in the 2026 ones (Ex4).
    assert_same_kinds(ours, golden, "object", "completion_tokens_details")
    for chunk in ours[:-1]:
        assert "finish_reason" not in chunk["choices"][0]
        assert chunk["choices"][0]["delta"]["role"] == "assistant"
    finish = ours[-1]["choices"][0]
    assert finish == {"index": 0, "finish_reason": "stop", "delta": {"role": "assistant", "content": ""}}
    assert set(ours[-1]["usage"]) >= set(golden[-1]["usage"])


def test_separate_usage_stream_matches_glm46_capture() -> None:
    golden = sse_chunks(fixture_text("glm-4.6_stream_separate_usage.sse"))
    with LocalGLMServer(stream_usage="separate") as server, new_client() as client:
        body = chat("Hello", model="glm-4.6", thinking={"type": "disabled"}, stream=True)
        r = client.post(server.base_url + "/chat/completions", json=body, headers={"Authorization": "Bearer test-key"})
    ours = sse_chunks(r.content)
    assert_same_kinds(ours, golden)
    assert [kind_of(c) for c in ours[-2:]] == ["finish", "usage_only"]
    assert "usage" not in ours[-2]


def test_tool_call_stream_matches_glm47_capture(client: httpx.Client) -> None:
    golden = sse_chunks(fixture_text("glm-4.7_stream_tool_call.sse"))
    ours = sse_chunks(post_stream(client, chat("Weather in Paris?", tools=[WEATHER])))
    assert_same_kinds(ours, golden)
    call = by_kind(ours)["tool_call"]["choices"][0]["delta"]["tool_calls"][0]
    assert json.loads(call["function"]["arguments"]) == {"city": "Paris"}
    assert ours[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_tool_call_answer_matches_glm47_capture(client: httpx.Client) -> None:
    golden = json.loads(fixture_text("glm-4.7_tool_call.json"))
    r = client.post("/chat/completions", json=chat("Weather in Paris?", tools=[WEATHER]))
    ours = r.json()
    assert r.headers["content-type"].startswith("application/json")
    assert int(r.headers["content-length"]) == len(r.content)
    # request_id is in the documented template (Ex1) but not in this capture.
    assert shape(without(ours, "request_id")) == shape(golden)
    assert isinstance(ours["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"], str)


@pytest.mark.parametrize(
    ("case", "reply"),
    [
        ("http_429", Reply.status(429, "1302")),
        ("http_200_on_stream", Reply.http200_error()),
    ],
)
def test_scripted_error_bodies_match_capture(
    client: httpx.Client, glm_server: LocalGLMServer, case: str, reply: Reply
) -> None:
    golden = json.loads(fixture_text("errors.json"))[case]
    glm_server.enqueue(reply)
    r = client.post("/chat/completions", json=chat(stream=True))
    assert r.json() == golden


def test_real_error_bodies_match_capture(client: httpx.Client) -> None:
    golden = json.loads(fixture_text("errors.json"))
    r = client.post("/chat/completions", json=chat(), headers={"Authorization": "Bearer wrong"})
    assert (r.status_code, r.json()) == (401, golden["http_401"])
    r = client.post("/embeddings", json={"model": "embedding-3", "input": ""})
    assert (r.status_code, r.json()) == (400, golden["http_400"])


def test_stream_framing_is_data_lines_and_blank_lines(client: httpx.Client) -> None:
    raw = post_stream(client, chat("Hi", model="glm-4-plus"))
    data = sse_data(raw)
    assert data[-1] == "[DONE]"
    assert raw.endswith(b"data: [DONE]\n\n")
    assert all(json.loads(d)["object"] == "chat.completion.chunk" for d in data[:-1])

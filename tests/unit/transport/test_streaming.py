"""The stream parser and accumulator against the captured payloads of wire notes §10 (golden fixtures),
fed at every split point, plus the error and truncation cases of wire notes §5.5."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from glm_transport import (
    ChatStreamParser,
    GLMOverloadedError,
    GLMResponseValidationError,
    GLMServerError,
    GLMStreamError,
    StreamAccumulator,
)
from glm_transport.types import ChatCompletion, ChatCompletionChunk

FIXTURES = Path(__file__).parents[2] / "fixtures"


def parse(pieces: list[bytes]) -> list[ChatCompletionChunk]:
    parser = ChatStreamParser("req-1")
    chunks = [chunk for piece in pieces for chunk in parser.feed(piece)]
    parser.finish()
    return chunks


def accumulate(chunks: list[ChatCompletionChunk]) -> ChatCompletion:
    acc = StreamAccumulator()
    for chunk in chunks:
        acc.feed(chunk)
    return acc.finish("req-1")


GOLDEN = {
    "glm-4.5_stream_reasoning.sse": {
        "content": "\n\nHi!",
        "reasoning": "The user",
        "finish": "stop",
        "usage": (6042, 39, 6081, 43, 0),
        "tool_calls": [],
    },
    "glm-4.6_stream_separate_usage.sse": {
        "content": "Hello",
        "reasoning": "",
        "finish": "stop",
        "usage": (9, 1024, 1033, 7, 0),
        "tool_calls": [],
    },
    "glm-4.7_stream_tool_call.sse": {
        "content": "I found the files.",
        "reasoning": "Analyzing...",
        "finish": "tool_calls",
        "usage": (15563, 95, 15658, 42, 65),
        "tool_calls": [("call_aeba6bac", "find-files", '{"listAll":true}')],
    },
}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_streams_parse_exactly_at_every_split_point(name: str) -> None:
    raw = (FIXTURES / name).read_bytes()
    expected = GOLDEN[name]
    whole = accumulate(parse([raw]))
    for split in range(1, len(raw), 7):
        assert accumulate(parse([raw[:split], raw[split:]])).model_dump() == whole.model_dump()
    for crlf in (raw.replace(b"\n", b"\r\n"),):
        assert accumulate(parse([crlf])).model_dump() == whole.model_dump()
    message = whole.message
    assert message.content == expected["content"]
    assert (message.reasoning_content or "") == expected["reasoning"]
    assert whole.finish_reason == expected["finish"]
    usage = whole.usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == expected["usage"][:3]
    assert (usage.cached_tokens, usage.reasoning_tokens) == expected["usage"][3:]
    calls = [(c.id, c.function.name, c.function.arguments) for c in message.tool_calls or [] if c.function]
    assert calls == expected["tool_calls"]


def test_golden_non_stream_tool_call_parses_with_unknown_fields_kept() -> None:
    body = json.loads((FIXTURES / "glm-4.7_tool_call.json").read_text())
    completion = ChatCompletion.model_validate(body)
    call = (completion.message.tool_calls or [])[0]
    assert call.function is not None
    assert (call.id, call.function.name, json.loads(str(call.function.arguments))) == (
        "call_-7682507267639338722",
        "get_weather",
        {"city": "Paris"},
    )
    assert completion.message.reasoning_content == "User wants weather."
    assert completion.usage is not None and completion.usage.reasoning_tokens == 56
    assert completion.object == "chat.completion"
    assert completion.model_dump()["choices"][0]["message"]["tool_calls"][0]["index"] == 0


def _event(payload: object) -> bytes:
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


def _chunk(**delta: object) -> dict[str, object]:
    return {
        "id": "1",
        "created": 1,
        "model": "glm-4.7",
        "choices": [{"index": 0, "delta": {"role": "assistant", **delta}}],
    }


def test_tool_stream_fragments_accumulate_by_index() -> None:
    # Spec Ex5: first fragment carries id and name, later ones only index and argument pieces.
    stream = b"".join(
        [
            _event(
                _chunk(
                    tool_calls=[
                        {
                            "index": 0,
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": ""},
                        }
                    ]
                )
            ),
            _event(
                _chunk(
                    tool_calls=[
                        {
                            "index": 1,
                            "id": "call_2",
                            "type": "function",
                            "function": {"name": "get_time", "arguments": "{}"},
                        }
                    ]
                )
            ),
            _event(_chunk(tool_calls=[{"index": 0, "function": {"arguments": '{"location":"Bei'}}])),
            _event(_chunk(tool_calls=[{"index": 0, "function": {"arguments": 'jing"}'}}])),
            b"data: [DONE]\n\n",
        ]
    )
    calls = accumulate(parse([stream])).message.tool_calls or []
    assert [(c.id, c.function and c.function.name, c.function and c.function.arguments) for c in calls] == [
        ("call_1", "get_weather", '{"location":"Beijing"}'),
        ("call_2", "get_time", "{}"),
    ]


def test_fragments_without_index_follow_their_id_or_the_last_call() -> None:
    acc = StreamAccumulator()
    for piece in (
        {"id": "a", "function": {"name": "f", "arguments": "{"}},
        {"function": {"arguments": "}"}},
        {"id": "b", "function": {"name": "g", "arguments": "{}"}},
    ):
        acc.feed(ChatCompletionChunk(tool_calls=[piece]))
    assert [(c["id"], c["function"]["arguments"]) for c in acc.tool_calls] == [("a", "{}"), ("b", "{}")]


@pytest.mark.parametrize(
    ("stream", "error", "code"),
    [
        (b'data: {"error":{"code":"1234","message":"Network error"}}\n\n', GLMServerError, "1234"),
        (b'event: error\ndata: {"error":{"code":1305,"message":"busy"}}\n\n', GLMOverloadedError, "1305"),
        (
            b'  {"error":{"code":"1305","message":"The service may be temporarily overloaded"}}',
            GLMOverloadedError,
            "1305",
        ),
    ],
    ids=["in-band error event", "event: error with an int code", "bare JSON error body with HTTP 200"],
)
def test_errors_inside_a_stream_raise_the_classified_error(stream: bytes, error: type[Exception], code: str) -> None:
    with pytest.raises(error) as info:
        parse([stream[:5], stream[5:]])
    assert getattr(info.value, "code", None) == code
    assert info.value.request_id == "req-1"  # type: ignore[attr-defined]


def test_a_malformed_event_raises_a_stream_error_naming_it() -> None:
    stream = _event(_chunk(content="a")) + b"data: {not json\n\n" + b"data: [DONE]\n\n"
    with pytest.raises(GLMStreamError, match="malformed stream event after 1 events"):
        parse([stream])


@pytest.mark.parametrize(
    "stream",
    [
        b"",
        _event(_chunk(content="a")),
        _event(_chunk(content="a")) + b'data: {"choices":[{"index":0,"finish_reason":"stop","delta":{}}]}\n\n',
        _event(_chunk(content="a")) + b"data: [DO",
    ],
    ids=["empty body", "cut after content", "cut after finish chunk", "cut inside [DONE]"],
)
def test_a_stream_that_ends_before_done_is_an_error_not_a_silent_truncation(stream: bytes) -> None:
    with pytest.raises(GLMStreamError, match="before \\[DONE\\]"):
        parse([stream])


def test_a_json_body_that_is_not_an_error_is_a_validation_error() -> None:
    with pytest.raises(GLMResponseValidationError):
        parse([b'{"choices": []}'])


def test_events_after_done_are_ignored() -> None:
    chunks = parse([_event(_chunk(content="a")) + b"data: [DONE]\n\n" + _event(_chunk(content="b"))])
    assert [c.content for c in chunks] == ["a"]


def test_content_as_a_list_of_text_parts_is_joined() -> None:
    # GLM-4V may send content as parts (wire notes §5.2).
    chunks = parse(
        [_event(_chunk(content=[{"type": "text", "text": "a"}, {"type": "text", "text": "b"}])) + b"data: [DONE]\n\n"]
    )
    assert chunks[0].content == "ab"


def test_web_search_results_and_unknown_fields_survive_in_the_chunk() -> None:
    payload = {
        **_chunk(content="x"),
        "web_search": [{"title": "T", "link": "https://e.x", "refer": "ref_1"}],
        "new_field": 1,
    }
    chunk = parse([_event(payload) + b"data: [DONE]\n\n"])[0]
    assert chunk.web_search is not None and chunk.web_search[0].link == "https://e.x"
    assert chunk.raw["new_field"] == 1

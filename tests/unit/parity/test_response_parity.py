"""Each adapter surfaces everything a GLM answer says, invoke and stream alike, sync and async.

One table of scripted answers; each is sent whole (``Reply.json``) to non-streaming calls and as
an exact SSE stream (``Reply.raw``, tags split across chunks where a model would split them) to
streaming calls. What each adapter shows is read into one neutral ``Surface`` and compared with
the row's expectation, so both adapters and all four modes are held to the same reading.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from langchain_core.messages import AIMessage
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, ThinkingBlock

from glm_transport.dialect import server_call
from glm_transport.testing import LocalGLMServer, Reply
from langchain_glm import ChatGLM
from llamaindex_glm import GLM

from .drivers import ADAPTERS, MODES, Logical, call

USAGE = {"prompt_tokens": 20, "completion_tokens": 10, "total_tokens": 30}
DETAILED = {
    **USAGE,
    "prompt_tokens_details": {"cached_tokens": 8},
    "completion_tokens_details": {"reasoning_tokens": 4},
}
WEATHER_CALL = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'}}
ADD_CALL = {"id": "call_2", "type": "function", "function": {"name": "add", "arguments": '{"a":1,"b":2}'}}
MCP = [
    {
        "id": "mcp_1",
        "type": "mcp",
        "mcp": {"id": "mcp_1", "type": "mcp_list_tools", "server_label": "search", "tools": [{"name": "webSearch"}]},
    },
    {
        "id": "mcp_2",
        "type": "mcp",
        "mcp": {
            "id": "mcp_2",
            "type": "mcp_call",
            "server_label": "search",
            "name": "webSearch",
            "arguments": '{"q":"GLM"}',
            "output": "GLM-4.7 was released.",
        },
    },
]
WEB = [{"title": "GLM", "link": "https://example.com/glm", "content": "GLM news"}]


@dataclass
class Answer:
    """A scripted GLM answer: the pieces its stream sends, and the whole it adds up to."""

    content: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)  # whole calls
    call_deltas: list[dict[str, Any]] | None = None  # how a stream sends them, if not whole
    finish: str = "stop"
    usage: dict[str, Any] = field(default_factory=lambda: dict(USAGE))
    extra: dict[str, Any] = field(default_factory=dict)  # web_search, content_filter

    def body(self) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": "".join(self.content) or None}
        if self.reasoning:
            message["reasoning_content"] = "".join(self.reasoning)
        if self.calls:
            message["tool_calls"] = [{**c, "index": n} for n, c in enumerate(self.calls)]
        choice = {"index": 0, "message": message, "finish_reason": self.finish}
        return {
            "id": "resp-1",
            "created": 1,
            "model": "glm-4.7",
            "choices": [choice],
            "usage": self.usage,
            **self.extra,
        }

    def sse(self) -> bytes:
        deltas: list[dict[str, Any]] = [{"reasoning_content": r} for r in self.reasoning]
        deltas += [{"content": c} for c in self.content]
        calls = self.call_deltas
        if calls is None:
            calls = [{**c, "index": n} for n, c in enumerate(self.calls)]
        deltas += [{"tool_calls": [delta]} for delta in calls]
        chunks = [self._chunk({"role": "assistant", **delta}) for delta in deltas]
        last = self._chunk({"role": "assistant", "content": ""}, finish_reason=self.finish)
        chunks.append({**last, "usage": self.usage, **self.extra})
        return b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + b"data: [DONE]\n\n"

    @staticmethod
    def _chunk(delta: dict[str, Any], **choice: Any) -> dict[str, Any]:
        return {"id": "resp-1", "created": 1, "model": "glm-4.7", "choices": [{"index": 0, "delta": delta, **choice}]}


@dataclass
class Surface:
    """What an adapter showed, in neutral terms."""

    text: str = ""
    reasoning: str = ""
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    server: list[str] = field(default_factory=list)
    finish: str | None = "stop"
    content_filter: list[dict[str, Any]] | None = None
    web_search: int = 0
    usage: tuple[int, int, int, int] = (20, 10, 0, 0)


ANSWERS: dict[str, tuple[Answer, Surface]] = {
    "plain": (Answer(content=["\n", "Hello", " world"]), Surface(text="Hello world")),
    "reasoning": (
        Answer(reasoning=["Let me", " think"], content=["\n", "42"]),
        Surface(text="42", reasoning="Let me think"),
    ),
    "inline think and box markers": (
        Answer(content=["<thi", "nk>\nweigh it", "</th", "ink>\n\n<|begin_of", "_box|>42<|end_of_box|>"]),
        Surface(text="42", reasoning="weigh it"),
    ),
    "a tool call": (
        Answer(calls=[WEATHER_CALL], finish="tool_calls"),
        Surface(calls=[("get_weather", {"city": "Oslo"})], finish="tool_calls"),
    ),
    "a tool call streamed in fragments": (
        Answer(
            calls=[WEATHER_CALL],
            call_deltas=[
                {"index": 0, "id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": ""}},
                {"index": 0, "function": {"arguments": '{"city":'}},
                {"index": 0, "function": {"arguments": '"Oslo"}'}},
            ],
            finish="tool_calls",
        ),
        Surface(calls=[("get_weather", {"city": "Oslo"})], finish="tool_calls"),
    ),
    "two calls, the second reusing index 0 with a new id": (
        Answer(
            calls=[ADD_CALL, WEATHER_CALL],
            call_deltas=[{**ADD_CALL, "index": 0}, {**WEATHER_CALL, "index": 0}],
            finish="tool_calls",
        ),
        Surface(calls=[("add", {"a": 1, "b": 2}), ("get_weather", {"city": "Oslo"})], finish="tool_calls"),
    ),
    "a call cut at max_tokens": (
        Answer(
            calls=[{**WEATHER_CALL, "function": {"name": "get_weather", "arguments": '{"city": "Os'}}],
            finish="length",
        ),
        Surface(invalid=["get_weather"], finish="length"),
    ),
    "a call with unparsable arguments": (
        Answer(
            calls=[{**WEATHER_CALL, "function": {"name": "get_weather", "arguments": "{city: Oslo"}}],
            finish="tool_calls",
        ),
        Surface(invalid=["get_weather"], finish="tool_calls"),
    ),
    "MCP calls GLM ran": (
        Answer(content=["Found it."], calls=MCP),
        Surface(text="Found it.", server=["mcp_list_tools", "mcp_call"]),
    ),
    "content_filter": (
        Answer(content=["I cannot"], finish="sensitive", extra={"content_filter": [{"role": "assistant", "level": 1}]}),
        Surface(text="I cannot", finish="sensitive", content_filter=[{"role": "assistant", "level": 1}]),
    ),
    "web_search results": (
        Answer(content=["GLM news."], extra={"web_search": WEB}),
        Surface(text="GLM news.", web_search=1),
    ),
    "usage with cached and reasoning tokens": (
        Answer(reasoning=["r"], content=["ok"], usage=DETAILED),
        Surface(text="ok", reasoning="r", usage=(20, 10, 8, 4)),
    ),
    # finish network_error raises GLMInterruptedError in both adapters: tests/unit/reliability/test_adapters_hostile.py
    "finish model_context_window_exceeded": (
        Answer(content=["par"], finish="model_context_window_exceeded"),
        Surface(text="par", finish="model_context_window_exceeded"),
    ),
    "finish length": (Answer(content=["par"], finish="length"), Surface(text="par", finish="length")),
}


def langchain_surface(message: AIMessage) -> Surface:
    usage = message.usage_metadata or {}
    cached = usage.get("input_token_details", {}).get("cache_read", 0)  # type: ignore[union-attr]
    reasoning_tokens = usage.get("output_token_details", {}).get("reasoning", 0)  # type: ignore[union-attr]
    server = [server_call(raw).kind for raw in message.additional_kwargs.get("server_tool_calls", [])]
    blocks = [block["type"] for block in message.content_blocks]
    assert blocks.count("server_tool_call") == len(server)  # standard blocks, never tool_call blocks
    return Surface(
        text=str(message.content),
        reasoning=message.additional_kwargs.get("reasoning_content", ""),
        calls=[(c["name"], c["args"]) for c in message.tool_calls],
        invalid=[c["name"] or "" for c in message.invalid_tool_calls],
        server=server,
        finish=message.response_metadata.get("finish_reason"),
        content_filter=message.response_metadata.get("content_filter"),
        web_search=len(message.response_metadata.get("web_search", [])),
        usage=(usage.get("input_tokens", 0), usage.get("output_tokens", 0), cached, reasoning_tokens),
    )


def llamaindex_surface(response: ChatResponse) -> Surface:
    extra = response.additional_kwargs
    message = response.message
    invalid = [c["name"] for c in message.additional_kwargs.get("invalid_tool_calls", [])]
    llm = GLM(api_key="k")
    if invalid:
        with pytest.raises(ValueError, match="cannot be run"):
            llm.get_tool_calls_from_response(response, error_on_no_tool_call=False)
        calls = []
    else:
        calls = [(s.tool_name, s.tool_kwargs) for s in llm.get_tool_calls_from_response(response, False)]
    thinking = [b.content or "" for b in message.blocks if isinstance(b, ThinkingBlock)]
    return Surface(
        text=message.content or "",
        reasoning="".join(thinking),
        calls=calls,
        invalid=invalid,
        server=[server_call(raw).kind for raw in message.additional_kwargs.get("server_tool_calls", [])],
        finish=extra.get("finish_reason"),
        content_filter=extra.get("content_filter"),
        web_search=len(extra.get("web_search", [])),
        usage=(
            extra.get("prompt_tokens", 0),
            extra.get("completion_tokens", 0),
            extra.get("cached_tokens", 0),
            extra.get("reasoning_tokens", 0),
        ),
    )


def surface(adapter: str, server: LocalGLMServer, mode: str, answer: Answer, logical: Logical) -> Surface:
    if mode.endswith("stream"):
        server.enqueue(Reply.raw(200, answer.sse(), split=(7, 13)))
    else:
        server.enqueue(Reply.json(200, answer.body()))
    shown = call(adapter, server, mode, logical)
    return langchain_surface(shown) if adapter == "langchain" else llamaindex_surface(shown)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("adapter", ADAPTERS)
@pytest.mark.parametrize("case", list(ANSWERS))
def test_each_adapter_surfaces_all_of_the_answer(
    glm_server: LocalGLMServer, case: str, adapter: str, mode: str
) -> None:
    answer, expected = ANSWERS[case]
    assert surface(adapter, glm_server, mode, answer, Logical()) == expected


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("adapter", ADAPTERS)
def test_parallel_tool_calls_false_keeps_the_first_call(glm_server: LocalGLMServer, adapter: str, mode: str) -> None:
    answer = Answer(calls=[ADD_CALL, WEATHER_CALL], finish="tool_calls")
    logical = Logical(call={"parallel_tool_calls": False})
    assert surface(adapter, glm_server, mode, answer, logical).calls == [("add", {"a": 1, "b": 2})]


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_no_streamed_delta_carries_the_leading_newlines(glm_server: LocalGLMServer, adapter: str) -> None:
    """The text deltas themselves, not only the added-up answer, start where chat() starts."""
    glm_server.enqueue(Reply.raw(200, Answer(content=["\n", "\n", "Hi"]).sse()))
    if adapter == "llamaindex":
        llm = GLM(api_key=glm_server.api_key, base_url=glm_server.base_url, model="glm-4.7")
        deltas = [r.delta or "" for r in llm.stream_chat([ChatMessage(role="user", content="hi")])]
        llm.close()
    else:
        chat = ChatGLM(api_key=glm_server.api_key, base_url=glm_server.base_url, model="glm-4.7")
        deltas = [chunk.text for chunk in chat.stream("hi")]
        chat.close()
    assert [delta for delta in deltas if delta] == ["Hi"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("adapter", ADAPTERS)
def test_the_servers_own_moderation_stop_is_surfaced(glm_server: LocalGLMServer, adapter: str, mode: str) -> None:
    """Not only a scripted body: the local server's ``sensitive`` finish, as it renders it."""
    glm_server.enqueue(Reply.finish("sensitive"))
    shown = call(adapter, glm_server, mode, Logical())
    read = langchain_surface(shown) if adapter == "langchain" else llamaindex_surface(shown)
    assert read.finish == "sensitive"
    assert read.content_filter and all("level" in entry for entry in read.content_filter)

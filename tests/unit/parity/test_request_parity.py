"""Both adapters send the same GLM request body for the same logical request (real sockets; the
local server records what arrives). Each row is one GLM rule, written once in
``glm_transport.dialect``; a row that differs between the adapters is a rule written twice."""

from __future__ import annotations

from typing import Any

import pytest

from glm_transport.testing import LocalGLMServer

from .drivers import Logical, call

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
ADD = {
    "type": "function",
    "function": {
        "name": "add",
        "description": "Add two integers.",
        "parameters": {
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
            "required": ["a", "b"],
        },
    },
}
WEB_SEARCH = {"type": "web_search", "web_search": {"search_result": True}}
SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}}
HISTORY = (
    ("user", "Add 1 and 2, then tell me the weather in Oslo."),
    ("assistant", "", "I need two tools.", [("call_1", "add", {"a": 1, "b": 2})]),
    ("tool", "call_1", "3"),
)
PRESERVED = (
    ("user", "Pick a number."),
    ("assistant", "7", "Something prime.", []),
    ("user", "Why?"),
)
IMAGE = "https://example.com/cat.png"

CASES: dict[str, Logical] = {
    "plain": Logical(),
    "thinking on": Logical(fields={"thinking": True}),
    "thinking off": Logical(fields={"thinking": False}),
    "preserved thinking": Logical(messages=PRESERVED, fields={"preserve_thinking": True}),
    "preserved thinking, thinking off": Logical(
        messages=PRESERVED, fields={"thinking": False, "preserve_thinking": True}
    ),
    "reasoning dropped without preserve": Logical(messages=PRESERVED, fields={"thinking": True}),
    "clear_thinking false": Logical(messages=PRESERVED, fields={"thinking": {"clear_thinking": False}}),
    "reasoning effort": Logical(fields={"reasoning_effort": "low"}),
    "sampling": Logical(fields={"temperature": 0.3, "top_p": 0.8, "max_tokens": 256}),
    "greedy": Logical(fields={"temperature": 0}),
    "stop": Logical(call={"stop": ["END"]}),
    "json mode": Logical(call={"response_format": {"type": "json_object"}}),
    "json schema": Logical(
        messages=(("system", "Extract the person."), ("user", "Ada, 36.")),
        call={"response_format": {"type": "json_schema", "json_schema": {"name": "Person", "schema": SCHEMA}}},
    ),
    "structured output as a forced tool": Logical(
        tools=[{"type": "function", "function": {"name": "Person", "parameters": SCHEMA}}], tool_choice="Person"
    ),
    "tools, no choice": Logical(tools=[WEATHER, ADD]),
    "tool_choice auto": Logical(tools=[WEATHER, ADD], tool_choice="auto"),
    "tool_choice none": Logical(tools=[WEATHER, ADD, WEB_SEARCH], tool_choice="none"),
    "tool_choice any": Logical(tools=[WEATHER, ADD], tool_choice="any"),
    "tool_choice required": Logical(tools=[WEATHER, ADD, WEB_SEARCH], tool_choice="required"),
    "tool_choice required, one tool": Logical(tools=[WEATHER], tool_choice="required"),
    "tool_choice by name": Logical(tools=[WEATHER, ADD], tool_choice="add"),
    "tool_choice as a dict": Logical(
        tools=[WEATHER, ADD, WEB_SEARCH], tool_choice={"type": "function", "function": {"name": "get_weather"}}
    ),
    "forced, with a system message": Logical(
        messages=(("system", "Be brief."), ("user", "Weather in Oslo?")), tools=[WEATHER, ADD], tool_choice="any"
    ),
    "web search default engine": Logical(tools=[WEB_SEARCH]),
    "parallel_tool_calls false": Logical(tools=[WEATHER, ADD], call={"parallel_tool_calls": False}),
    "tool history": Logical(messages=HISTORY, tools=[WEATHER, ADD]),
    "image": Logical(messages=(("image", "What is this?", IMAGE),), fields={"model": "glm-4.6v"}),
    "extra documented field": Logical(call={"user_id": "user-0001", "watermark_enabled": False}),
}


def sent(adapter: str, server: LocalGLMServer, mode: str, logical: Logical) -> dict[str, Any]:
    server.reset()
    call(adapter, server, mode, logical)
    [request] = [r for r in server.requests if r.path.endswith("/chat/completions")]
    body = dict(request.json)
    body.pop("request_id")  # one per call, by the transport
    return body


@pytest.mark.parametrize("mode", ["invoke", "stream"])
@pytest.mark.parametrize("case", list(CASES))
def test_both_adapters_send_the_same_glm_request(glm_server: LocalGLMServer, case: str, mode: str) -> None:
    logical = CASES[case]
    assert sent("langchain", glm_server, mode, logical) == sent("llamaindex", glm_server, mode, logical)


@pytest.mark.parametrize("adapter", ["langchain", "llamaindex"])
def test_the_shared_rules_are_the_ones_sent(glm_server: LocalGLMServer, adapter: str) -> None:
    """What some rows above send, spelled out, so agreement is on the right body."""
    forced = sent(adapter, glm_server, "invoke", CASES["tool_choice any"])
    assert forced["tool_choice"] == "auto"
    assert forced["messages"][0]["content"].startswith("You must answer by calling one or more of the tools")
    none = sent(adapter, glm_server, "invoke", CASES["tool_choice none"])
    assert [tool["type"] for tool in none["tools"]] == ["web_search"]
    kept = sent(adapter, glm_server, "invoke", CASES["preserved thinking, thinking off"])
    assert kept["thinking"] == {"type": "disabled", "clear_thinking": False}
    assert kept["messages"][1]["reasoning_content"] == "Something prime."
    dropped = sent(adapter, glm_server, "invoke", CASES["reasoning dropped without preserve"])
    assert "reasoning_content" not in dropped["messages"][1]
    web = sent(adapter, glm_server, "invoke", CASES["web search default engine"])
    assert web["tools"][0]["web_search"] == {"search_result": True, "search_engine": "search_std", "enable": True}
    history = sent(adapter, glm_server, "invoke", CASES["tool history"])
    assert history["messages"][1]["content"] is None  # the key is there beside the tool calls
    greedy = sent(adapter, glm_server, "invoke", CASES["greedy"])
    assert greedy["do_sample"] is False and "temperature" not in greedy
    parallel = sent(adapter, glm_server, "stream", CASES["parallel_tool_calls false"])
    assert "parallel_tool_calls" not in parallel and parallel["tool_stream"] is True


@pytest.mark.parametrize("adapter", ["langchain", "llamaindex"])
@pytest.mark.parametrize(
    ("option", "error"),
    [
        ({"n": 2}, "one choice"),
        ({"presence_penalty": 0.5}, "presence penalty"),
        ({"logprobs": True}, "log probabilities"),
        ({"strict": True}, "strict"),
    ],
)
def test_an_undocumented_field_is_refused_before_sending(
    glm_server: LocalGLMServer, adapter: str, option: dict[str, Any], error: str
) -> None:
    with pytest.raises(Exception, match=error) as raised:
        call(adapter, glm_server, "invoke", Logical(call=option))
    assert "InvalidRequest" in type(raised.value).__name__
    assert not [r for r in glm_server.requests if r.path.endswith("/chat/completions")]

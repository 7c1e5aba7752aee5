"""``bind_tools``: every tool form, GLM's built-in tools, ``tool_choice`` mapped to what GLM accepts
(only ``"auto"``, wire notes §3.1/§3.5; the rest emulated), tool calls on invoke and streamed."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from glm_transport import GLMInvalidRequestError
from glm_transport.testing import LocalGLMServer
from langchain_glm import ChatGLM

from .conftest import MODES, STREAM_MODES, Models, chat_bodies, last_body


@tool
def get_weather(city: str) -> str:
    """The current weather in a city."""
    return f"Sunny in {city}"


class GetTime(BaseModel):
    """The local time in a city."""

    city: str = Field(description="City name")


def add(a: int, b: int) -> int:
    """Add two integers.

    Args:
        a: first number
        b: second number
    """
    return a + b


OPENAI_DICT = {
    "type": "function",
    "function": {
        "name": "lookup",
        "description": "Look a word up.",
        "parameters": {"type": "object", "properties": {"word": {"type": "string"}}, "required": ["word"]},
    },
}
WEB_SEARCH = {"type": "web_search", "web_search": {"search_engine": "search_pro", "search_result": True}}
RETRIEVAL = {"type": "retrieval", "retrieval": {"knowledge_id": "kb-42"}}


def names(body: dict[str, Any]) -> list[str]:
    return [t["function"]["name"] if t["type"] == "function" else t["type"] for t in body.get("tools", [])]


@pytest.mark.parametrize("mode", MODES)
def test_every_tool_form_becomes_a_glm_function(
    chat: ChatGLM, models: Models, glm_server: LocalGLMServer, mode: str
) -> None:
    bound = chat.bind_tools([get_weather, GetTime, add, OPENAI_DICT, WEB_SEARCH, RETRIEVAL])
    models.call(bound, mode, "call get_weather")
    tools = last_body(glm_server)["tools"]
    assert names(last_body(glm_server)) == ["get_weather", "GetTime", "add", "lookup", "web_search", "retrieval"]
    assert tools[0]["function"]["parameters"]["properties"] == {"city": {"type": "string"}}
    assert tools[1]["function"]["description"] == "The local time in a city."
    assert tools[2]["function"]["parameters"]["required"] == ["a", "b"]
    # GLM's built-ins go as given, web search switched on (GLM's "enable" defaults to off)
    assert tools[4] == {"type": "web_search", "web_search": {**WEB_SEARCH["web_search"], "enable": True}}
    assert tools[5] == RETRIEVAL
    assert all("strict" not in t.get("function", {}) for t in tools)


@pytest.mark.parametrize("mode", MODES)
def test_a_tool_call_comes_back_parsed(chat: ChatGLM, models: Models, mode: str) -> None:
    answer = models.call(chat.bind_tools([get_weather]), mode, "What's the weather in Paris?")
    assert len(answer.tool_calls) == 1
    call = answer.tool_calls[0]
    assert (call["name"], call["args"]) == ("get_weather", {"city": "Paris"})
    assert call["id"] and call["id"].startswith("call_")
    assert answer.response_metadata["finish_reason"] == "tool_calls"


@pytest.mark.parametrize("mode", STREAM_MODES)
@pytest.mark.parametrize("tool_stream", [False, True])
def test_streamed_tool_call_chunks_add_up_to_the_call(models: Models, mode: str, tool_stream: bool) -> None:
    chat = models.chat(tool_stream=tool_stream)
    chunks = models.chunks(chat.bind_tools([GetTime]), mode, "time in Lima?")
    with_calls = [c for c in chunks if isinstance(c, AIMessageChunk) and c.tool_call_chunks]
    assert with_calls
    assert {c.tool_call_chunks[0]["index"] for c in with_calls} == {0}
    if tool_stream:
        assert len(with_calls) > 1  # arguments arrive in fragments (wire notes §5.4)
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    assert isinstance(total, AIMessageChunk)
    assert [(c["name"], c["args"]) for c in total.tool_calls] == [("GetTime", {"city": "Lima"})]


@pytest.mark.parametrize(
    ("tool_choice", "offered", "sent_choice", "instruction"),
    [
        # One rule for both adapters (glm_transport.dialect): "auto" is sent with function tools;
        # a choice governs function tools only, so GLM's built-in web_search always stays.
        (None, ["get_weather", "GetTime", "web_search"], "auto", False),
        ("auto", ["get_weather", "GetTime", "web_search"], "auto", False),
        ("none", ["web_search"], None, False),
        (False, ["web_search"], None, False),
        ("get_weather", ["get_weather", "web_search"], "auto", True),
        ({"type": "function", "function": {"name": "GetTime"}}, ["GetTime", "web_search"], "auto", True),
        ("any", ["get_weather", "GetTime", "web_search"], "auto", True),
        ("required", ["get_weather", "GetTime", "web_search"], "auto", True),
        (True, ["get_weather", "GetTime", "web_search"], "auto", True),
    ],
)
def test_tool_choice_maps_to_what_glm_accepts(
    chat: ChatGLM,
    glm_server: LocalGLMServer,
    tool_choice: Any,
    offered: list[str],
    sent_choice: str | None,
    instruction: bool,
) -> None:
    chat.bind_tools([get_weather, GetTime, WEB_SEARCH], tool_choice=tool_choice).invoke("Weather in Oslo?")
    body = last_body(glm_server)
    assert names(body) == offered
    assert body.get("tool_choice") == sent_choice  # GLM documents "auto" only
    system = body["messages"][0]
    assert (system["role"] == "system" and "must answer by calling" in system["content"]) is instruction


@pytest.mark.parametrize("tool_choice", ["any", "required", True, "GetTime"])
@pytest.mark.parametrize("mode", MODES)
def test_forcing_one_tool_offers_it_alone_so_glm_calls_it(
    chat: ChatGLM, models: Models, glm_server: LocalGLMServer, tool_choice: Any, mode: str
) -> None:
    tools = [GetTime] if tool_choice != "GetTime" else [get_weather, GetTime]
    answer = models.call(chat.bind_tools(tools, tool_choice=tool_choice), mode, "Hello!")
    assert names(last_body(glm_server)) == ["GetTime"]
    assert [call["name"] for call in answer.tool_calls] == ["GetTime"]


def test_forcing_adds_to_an_existing_system_message(chat: ChatGLM, glm_server: LocalGLMServer) -> None:
    chat.bind_tools([get_weather, GetTime], tool_choice="any").invoke([("system", "Be brief."), ("human", "hi")])
    messages = last_body(glm_server)["messages"]
    assert [m["role"] for m in messages] == ["system", "user"]
    assert messages[0]["content"].startswith("Be brief.\n\nYou must answer by calling")


def test_an_unbound_tool_choice_fails_at_bind_time(chat: ChatGLM) -> None:
    with pytest.raises(GLMInvalidRequestError, match="names no bound tool"):
        chat.bind_tools([get_weather], tool_choice="send_email")


def test_forcing_without_a_function_tool_fails(chat: ChatGLM) -> None:
    with pytest.raises(GLMInvalidRequestError, match="needs at least one function tool"):
        chat.bind_tools([WEB_SEARCH], tool_choice="any")


@pytest.mark.parametrize("mode", MODES)
def test_a_two_round_tool_loop_is_accepted(
    chat: ChatGLM, models: Models, glm_server: LocalGLMServer, mode: str
) -> None:
    bound = chat.bind_tools([get_weather, add])
    history: list[Any] = [HumanMessage("Call get_weather for Paris.")]
    first = models.call(bound, mode, history)
    history += [
        first,
        ToolMessage(get_weather.invoke(first.tool_calls[0]["args"]), tool_call_id=first.tool_calls[0]["id"]),
    ]
    history += [HumanMessage("Now call add with 2 and 3.")]
    second = models.call(bound, mode, history)
    assert second.tool_calls[0]["name"] == "add"
    history += [second, ToolMessage("5", tool_call_id=second.tool_calls[0]["id"])]
    final = models.call(bound, mode, history)
    assert final.text == "Tool add returned: 5."
    wire = last_body(glm_server)["messages"]
    assert [m["role"] for m in wire] == ["user", "assistant", "tool", "user", "assistant", "tool"]
    assert wire[1]["tool_calls"][0]["id"] == wire[2]["tool_call_id"]
    assert len(chat_bodies(glm_server)) == 3


def test_malformed_tool_arguments_become_invalid_tool_calls(chat: ChatGLM, glm_server: LocalGLMServer) -> None:
    from glm_transport.testing import Reply

    glm_server.enqueue(Reply.chat("", tool_calls=[{"name": "get_weather", "arguments": "{not json"}]))
    answer = chat.bind_tools([get_weather]).invoke("weather?")
    assert answer.tool_calls == []
    assert answer.invalid_tool_calls[0]["name"] == "get_weather"
    assert answer.invalid_tool_calls[0]["args"] == "{not json"

"""ChatGLM inside prebuilt agents: LangChain's ``create_agent`` and LangGraph's ReAct agent run
multi-round tool loops and multi-turn conversations, sync, async and streaming."""

from __future__ import annotations

import sys
import warnings
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver

from glm_transport.testing import LocalGLMServer, Reply

from .conftest import Models, chat_bodies

AGENT_MODES = ("invoke", "ainvoke", "stream", "astream")


@tool
def get_weather(city: str) -> str:
    """The current weather in a city."""
    return f"Sunny, 21 C in {city}"


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def make_agent(kind: str, model: Any, **kwargs: Any) -> Any:
    if kind == "create_agent":
        return create_agent(model, [get_weather, add], system_prompt="Use the tools.", **kwargs)
    from langgraph.prebuilt import create_react_agent

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # superseded by create_agent, still supported
        return create_react_agent(model, [get_weather, add], prompt="Use the tools.", **kwargs)


def run_agent(models: Models, agent: Any, mode: str, text: str, config: dict[str, Any] | None = None) -> Any:
    """The final state's messages, and for stream modes also the token chunks seen."""
    state = {"messages": [("human", text)]}
    if mode == "invoke":
        return agent.invoke(state, config)["messages"], []
    if mode == "ainvoke":
        return models.run(lambda: agent.ainvoke(state, config))["messages"], []
    tokens: list[AIMessageChunk] = []
    values: dict[str, Any] = {}
    if mode == "stream":
        for stream_mode, item in agent.stream(state, config, stream_mode=["messages", "values"]):
            if stream_mode == "messages" and isinstance(item[0], AIMessageChunk):
                tokens.append(item[0])
            elif stream_mode == "values":
                values = item
        return values["messages"], tokens

    async def collect() -> Any:
        nonlocal values
        async for stream_mode, item in agent.astream(state, config, stream_mode=["messages", "values"]):
            if stream_mode == "messages" and isinstance(item[0], AIMessageChunk):
                tokens.append(item[0])
            elif stream_mode == "values":
                values = item
        return values["messages"]

    return models.run(collect), tokens


def kinds(messages: list[BaseMessage]) -> list[str]:
    return [type(message).__name__ for message in messages]


@pytest.mark.parametrize("mode", AGENT_MODES)
@pytest.mark.parametrize("kind", ["create_agent", "create_react_agent"])
def test_agent_runs_a_two_round_tool_loop(models: Models, glm_server: LocalGLMServer, mode: str, kind: str) -> None:
    glm_server.enqueue(
        Reply.chat("", tool_calls=[{"name": "get_weather", "arguments": {"city": "Paris"}}]),
        Reply.chat("", tool_calls=[{"name": "add", "arguments": {"a": 2, "b": 3}}]),
    )
    agent = make_agent(kind, models.chat(model="glm-4.7"))
    messages, tokens = run_agent(models, agent, mode, "Weather in Paris, then add 2 and 3.")
    assert kinds(messages) == ["HumanMessage", "AIMessage", "ToolMessage", "AIMessage", "ToolMessage", "AIMessage"]
    tool_results = [m.content for m in messages if isinstance(m, ToolMessage)]
    assert tool_results == ["Sunny, 21 C in Paris", "5"]
    assert messages[-1].text == "Tool add returned: 5."
    bodies = chat_bodies(glm_server)
    assert len(bodies) == 3
    last = bodies[-1]["messages"]
    assert [m["role"] for m in last] == ["system", "user", "assistant", "tool", "assistant", "tool"]
    assert last[2]["tool_calls"][0]["id"] == last[3]["tool_call_id"]
    # LangGraph streams tokens from an async run through contextvars, which asyncio tasks inherit only
    # on Python 3.11+ (LangGraph's docs: on 3.10 pass the config by hand), so 3.10 sees none there.
    if mode == "stream" or (mode == "astream" and sys.version_info >= (3, 11)):
        assert "".join(chunk.text for chunk in tokens).endswith("Tool add returned: 5.")
        assert any(chunk.tool_call_chunks for chunk in tokens)


@pytest.mark.parametrize("mode", AGENT_MODES)
@pytest.mark.parametrize("kind", ["create_agent", "create_react_agent"])
def test_agent_keeps_a_multi_turn_conversation_with_tools(
    models: Models, glm_server: LocalGLMServer, mode: str, kind: str
) -> None:
    agent = make_agent(kind, models.chat(model="glm-4.7"), checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": f"{kind}-{mode}"}}
    run_agent(models, agent, mode, "What is the weather? Call get_weather for Rome.", config)
    messages, _ = run_agent(models, agent, mode, "Now call add with 4 and 5.", config)
    calls = [call["name"] for m in messages if isinstance(m, AIMessage) for call in m.tool_calls]
    assert calls == ["get_weather", "add"]
    assert messages[-1].text == "Tool add returned: 9."
    # The second turn carried the whole first turn, reasoning-free tool history included.
    second_turn = chat_bodies(glm_server)[2]["messages"]
    assert [m["role"] for m in second_turn] == ["system", "user", "assistant", "tool", "assistant", "user"]


@pytest.mark.parametrize("mode", ["invoke", "astream"])
def test_agent_with_preserved_thinking_resends_reasoning(models: Models, glm_server: LocalGLMServer, mode: str) -> None:
    agent = make_agent("create_agent", models.chat(model="glm-4.7", preserve_thinking=True))
    run_agent(models, agent, mode, "Call get_weather for Oslo.")
    final_request = chat_bodies(glm_server)[-1]
    assistant = next(m for m in final_request["messages"] if m["role"] == "assistant")
    assert assistant["reasoning_content"].startswith("The user asks")
    assert final_request["thinking"]["clear_thinking"] is False

"""Client-side MCP tools in GLM agents, end to end: a real MCP server (``mcp_server.py``, stdio) started
by the test, its tools loaded with ``langchain-mcp-adapters`` into ``create_agent`` and with
``llama-index-tools-mcp`` into a ``FunctionAgent``, both driving our models against the local GLM server."""

from __future__ import annotations

import sys
from pathlib import Path

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, ToolMessage
from langchain_mcp_adapters.client import MultiServerMCPClient
from llama_index.core.agent.workflow import AgentOutput, FunctionAgent, ToolCallResult
from llama_index.tools.mcp import BasicMCPClient, McpToolSpec

from glm_transport.testing import LocalGLMServer
from langchain_glm import ChatGLM
from llamaindex_glm import GLM
from tests.unit.rag.support import bodies

SERVER = str(Path(__file__).with_name("mcp_server.py"))
QUESTION = "How long is the warranty of the Aurora X2?"


async def test_a_langchain_agent_calls_a_tool_of_a_real_mcp_server(glm_env: LocalGLMServer) -> None:
    client = MultiServerMCPClient({"desk": {"command": sys.executable, "args": [SERVER], "transport": "stdio"}})
    tools = await client.get_tools()
    llm = ChatGLM(model="glm-4.7")
    try:
        agent = create_agent(llm, tools=tools)
        result = await agent.ainvoke({"messages": [{"role": "user", "content": QUESTION}]})
    finally:
        await llm.aclose()
    messages = result["messages"]
    [call] = next(m for m in messages if isinstance(m, AIMessage) and m.tool_calls).tool_calls
    assert call["name"] == "lookup_warranty"
    [tool_message] = [m for m in messages if isinstance(m, ToolMessage)]
    assert f"The warranty for {call['args']['product']} is" in str(tool_message.content)
    assert "Tool lookup_warranty returned: The warranty for" in messages[-1].text
    first, second = bodies(glm_env, "/chat/completions")
    schema = first["tools"][0]["function"]
    assert schema["name"] == "lookup_warranty" and "product" in schema["parameters"]["properties"]
    assert second["messages"][-1]["role"] == "tool"


async def test_a_llamaindex_function_agent_calls_a_tool_of_a_real_mcp_server(glm_env: LocalGLMServer) -> None:
    spec = McpToolSpec(client=BasicMCPClient(sys.executable, args=[SERVER]))
    tools = await spec.to_tool_list_async()
    llm = GLM(model="glm-4.7")
    try:
        handler = FunctionAgent(tools=tools, llm=llm).run(user_msg=QUESTION)
        results = [event async for event in handler.stream_events() if isinstance(event, ToolCallResult)]
        output = await handler
    finally:
        await llm.aclose()
        llm.close()
    [result] = results
    assert result.tool_name == "lookup_warranty"
    assert "The warranty for" in str(result.tool_output.content)
    assert isinstance(output, AgentOutput)
    assert "Tool lookup_warranty returned:" in str(output.response.content)
    first, second = bodies(glm_env, "/chat/completions")
    assert first["tools"][0]["function"]["name"] == "lookup_warranty"
    assert second["messages"][-1]["role"] == "tool"

"""GLM's server-side ``mcp`` tool: the typed declaration, its secret headers (sent to GLM, shown
nowhere else), both adapters offering it, and the ``mcp_list_tools`` / ``mcp_call`` entries the local
server answers with, in whole replies and in streams."""

from __future__ import annotations

import json
import logging
import pickle

import pytest
from langchain_core.load import dumpd, dumps
from llama_index.core.base.llms.types import ChatMessage

from glm_transport import GLMInvalidRequestError
from glm_transport.mcp import MCPServerTool, mcp_tool
from glm_transport.testing import LocalGLMServer
from langchain_glm import ChatGLM
from llamaindex_glm import GLM
from tests.unit.rag.support import Runner, bodies

from .conftest import Mode

TOKEN = "Bearer sk-mcp-0123456789"


def declaration() -> MCPServerTool:
    return mcp_tool(
        "docs-search",
        "https://mcp.example.com/mcp",
        transport="sse",
        allowed_tools=["search_docs"],
        headers={"Authorization": TOKEN},
    )


def test_the_declaration_becomes_the_wire_tool() -> None:
    assert declaration().to_wire() == {
        "type": "mcp",
        "mcp": {
            "server_label": "docs-search",
            "transport_type": "sse",
            "server_url": "https://mcp.example.com/mcp",
            "allowed_tools": ["search_docs"],
            "headers": {"Authorization": TOKEN},
        },
    }
    assert mcp_tool("search-prime").to_wire() == {
        "type": "mcp",
        "mcp": {"server_label": "search-prime", "transport_type": "streamable-http"},
    }


def test_header_values_never_show(caplog: pytest.LogCaptureFixture) -> None:
    tool = declaration()
    logging.getLogger("test").warning("declared %s / %r", tool, tool)
    shown = [repr(tool), str(tool), tool.model_dump_json(), json.dumps(tool.model_dump(mode="json")), caplog.text]
    for text in shown:
        assert "sk-mcp-0123456789" not in text
    assert "Authorization" in repr(tool)  # the header names are not secret
    # A pickle keeps the value (a copy in another process must still work), like pydantic's SecretStr.
    assert pickle.loads(pickle.dumps(tool)).to_wire() == tool.to_wire()  # noqa: S301 - our own bytes


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"server_label": ""}, "server_label"),
        ({"server_label": "x", "server_url": "ftp://x"}, "server_url must be an http"),
        ({"server_label": "x", "transport": "websocket"}, "transport"),
        ({"server_label": "x", "allowed_tools": [""]}, "allowed_tools"),
    ],
)
def test_a_bad_declaration_is_refused_naming_the_field(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(GLMInvalidRequestError, match=message):
        mcp_tool(**kwargs)  # type: ignore[arg-type]


def test_both_adapters_send_the_declaration_with_its_headers(run: Runner, glm_env: LocalGLMServer) -> None:
    bound = run.own(ChatGLM(model="glm-4.7")).bind_tools([declaration()])
    run(bound.invoke, "Find the install guide")
    run(
        run.own(GLM(model="glm-4.7")).chat,
        [ChatMessage(role="user", content="Find the install guide")],
        tools=[declaration()],
    )

    for body in bodies(glm_env, "/chat/completions"):
        assert body["tools"] == [declaration().to_wire()]
    # LangChain keeps the declaration itself in the bound arguments: tracing shows no secret.
    assert "sk-mcp" not in dumps(bound) and "sk-mcp" not in json.dumps(dumpd(bound), default=str)


def test_the_answer_carries_the_mcp_list_and_call_entries(mode: Mode) -> None:
    request = {"model": "glm-4.7", "messages": [{"role": "user", "content": "install guide"}], "tools": [declaration()]}
    completion = mode(mode.client.chat(request))

    [listed, called] = completion.choices[0].message.tool_calls
    assert (listed.type, listed.mcp["type"], listed.mcp["server_label"]) == ("mcp", "mcp_list_tools", "docs-search")
    assert [tool["name"] for tool in listed.mcp["tools"]] == ["search_docs"]
    assert (called.mcp["type"], called.mcp["name"]) == ("mcp_call", "search_docs")
    assert json.loads(called.mcp["arguments"]) == {"query": "install guide"}
    assert called.mcp["output"] == "search_docs found: install guide"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.choices[0].message.content


def test_a_stream_carries_the_mcp_entries_before_the_text(mode: Mode) -> None:
    request = {"model": "glm-4.7", "messages": [{"role": "user", "content": "install guide"}], "tools": [declaration()]}

    async def collect_async() -> list[object]:
        return [chunk async for chunk in await mode.client.stream_chat(request)]  # type: ignore[union-attr,misc]

    chunks = mode(collect_async()) if mode.loop else list(mode.client.stream_chat(request))  # type: ignore[arg-type]
    entries = [call for chunk in chunks for call in chunk.tool_calls or ()]  # type: ignore[attr-defined]
    assert [e["mcp"]["type"] for e in entries] == ["mcp_list_tools", "mcp_call"]
    assert [e["index"] for e in entries] == [0, 1]
    with_entries = [i for i, chunk in enumerate(chunks) if chunk.tool_calls]  # type: ignore[attr-defined]
    first_text = next(i for i, chunk in enumerate(chunks) if chunk.content)  # type: ignore[attr-defined]
    assert with_entries == [0, 1] and first_text > 1


def test_the_server_refuses_an_mcp_tool_without_a_label(glm_server: LocalGLMServer) -> None:
    from glm_transport import GLMBadRequestError, GLMClient

    client = GLMClient(api_key=glm_server.api_key, base_url=glm_server.base_url)
    with client, pytest.raises(GLMBadRequestError, match="server_label"):
        client.chat(
            {
                "model": "glm-4.7",
                "messages": [{"role": "user", "content": "hi"}],
                "tools": [{"type": "mcp", "mcp": {"server_url": "https://x"}}],
            }
        )

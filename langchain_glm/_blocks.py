"""Standard content blocks for GLM messages: what ``AIMessage.content_blocks``,
``output_version="v1"`` and ``stream_events`` show. Registered with langchain-core for the
provider name ``zhipuai`` (the ``model_provider`` of every message ``ChatGLM`` makes).

Tool calls GLM ran itself (web_search, retrieval, MCP; ``additional_kwargs["server_tool_calls"]``)
become ``server_tool_call`` and ``server_tool_result`` blocks, never ``tool_call`` blocks, so no
agent runs them again; they come whole, with the last chunk of a stream.

Streamed blocks carry fixed indices by kind: reasoning 0, text 1, the tool call with wire
index ``i`` at ``2 + i``. langchain-core merges streamed blocks by ``index``, so distinct
indices keep a reasoning block from being merged into the text or the tool call after it (a
popular provider package numbers reasoning and the first tool call both 0, and merges them).
"""

from __future__ import annotations

from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.messages import content as types
from langchain_core.messages.block_translators import register_translator

from glm_transport.dialect import server_call

from ._convert import PROVIDER

__all__ = ["REASONING_INDEX", "TEXT_INDEX", "TOOL_CALL_INDEX_BASE", "translate_content", "translate_content_chunk"]

REASONING_INDEX = 0
TEXT_INDEX = 1
TOOL_CALL_INDEX_BASE = 2


def _reasoning(message: AIMessage) -> str:
    reasoning = message.additional_kwargs.get("reasoning_content")
    return reasoning if isinstance(reasoning, str) else ""


def _finished_calls(message: AIMessage) -> list[types.ContentBlock]:
    blocks: list[types.ContentBlock] = [
        types.ToolCall(type="tool_call", id=call.get("id"), name=call["name"], args=call["args"])
        for call in message.tool_calls
    ]
    blocks += [
        types.InvalidToolCall(
            type="invalid_tool_call",
            id=call.get("id"),
            name=call.get("name"),
            args=call.get("args"),
            error=call.get("error"),
        )
        for call in message.invalid_tool_calls
    ]
    return blocks


def _server_blocks(message: AIMessage) -> list[types.ContentBlock]:
    blocks: list[types.ContentBlock] = []
    for raw in message.additional_kwargs.get("server_tool_calls") or ():
        call = server_call(raw)
        extras: dict[str, object] = {"kind": call.kind}
        if call.server_label:
            extras["server_label"] = call.server_label
        blocks.append(
            types.ServerToolCall(type="server_tool_call", id=call.id, name=call.name, args=call.args, extras=extras)
        )
        if call.output is not None or call.error:
            blocks.append(
                types.ServerToolResult(
                    type="server_tool_result",
                    tool_call_id=call.id,
                    status="error" if call.error else "success",
                    output=call.error if call.error else call.output,
                )
            )
    return blocks


def translate_content(message: AIMessage) -> list[types.ContentBlock]:
    """Reasoning, text, then tool calls of a whole message."""
    if not isinstance(message.content, str):
        raise NotImplementedError  # not ours (e.g. v1 content written by hand): core's parsing
    blocks: list[types.ContentBlock] = []
    if reasoning := _reasoning(message):
        blocks.append(types.ReasoningContentBlock(type="reasoning", reasoning=reasoning))
    blocks += _server_blocks(message)
    if message.content:
        blocks.append(types.TextContentBlock(type="text", text=message.content))
    return blocks + _finished_calls(message)


def translate_content_chunk(chunk: AIMessageChunk) -> list[types.ContentBlock]:
    """The blocks of one streamed chunk, indexed by kind (see the module docstring)."""
    if not isinstance(chunk.content, str):
        raise NotImplementedError
    blocks: list[types.ContentBlock] = []
    if reasoning := _reasoning(chunk):
        blocks.append(types.ReasoningContentBlock(type="reasoning", reasoning=reasoning, index=REASONING_INDEX))
    if chunk.content:
        blocks.append(types.TextContentBlock(type="text", text=chunk.content, index=TEXT_INDEX))
    if chunk.chunk_position == "last":
        return blocks + _server_blocks(chunk) + _finished_calls(chunk)
    for call in chunk.tool_call_chunks:
        blocks.append(
            types.ToolCallChunk(
                type="tool_call_chunk",
                id=call.get("id"),
                name=call.get("name"),
                args=call.get("args"),
                index=TOOL_CALL_INDEX_BASE + (call.get("index") or 0),
            )
        )
    return blocks


register_translator(PROVIDER, translate_content, translate_content_chunk)

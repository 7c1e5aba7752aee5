"""One logical call, made through either adapter in any mode, against the local GLM server.

``Logical`` describes a call in framework-neutral terms (messages as tuples, tools as OpenAI-style
dicts, options as GLM-level names); ``langchain_call`` and ``llamaindex_call`` make it with each
framework's own types, and return the framework's answer (a streamed one added up).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from glm_transport.testing import LocalGLMServer
from langchain_glm import ChatGLM
from llamaindex_glm import GLM

MODES = ("invoke", "ainvoke", "stream", "astream")
ADAPTERS = ("langchain", "llamaindex")


@dataclass
class Logical:
    """A call as both frameworks can express it.

    ``messages``: ``("system"|"user", text)``, ``("image", text, url)``,
    ``("assistant", text, reasoning, [(id, name, args), ...])``, ``("tool", call_id, text)``.
    ``fields``: model constructor fields common to both (``thinking``, ``temperature``, ...).
    ``tools``: OpenAI-style dicts (GLM built-ins as they are); ``call``: per-call options.
    """

    messages: Sequence[tuple[Any, ...]] = (("user", "What is the weather in Oslo?"),)
    fields: dict[str, Any] = field(default_factory=dict)
    tools: list[dict[str, Any]] | None = None
    tool_choice: Any = None
    call: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------- LangChain


def _lc_messages(messages: Sequence[tuple[Any, ...]]) -> list[BaseMessage]:
    out: list[BaseMessage] = []
    for kind, *rest in messages:
        if kind == "system":
            out.append(SystemMessage(rest[0]))
        elif kind == "user":
            out.append(HumanMessage(rest[0]))
        elif kind == "image":
            content = [{"type": "text", "text": rest[0]}, {"type": "image_url", "image_url": {"url": rest[1]}}]
            out.append(HumanMessage(content=content))  # type: ignore[arg-type]
        elif kind == "assistant":
            text, reasoning, calls = rest
            out.append(
                AIMessage(
                    content=text,
                    additional_kwargs={"reasoning_content": reasoning} if reasoning else {},
                    tool_calls=[{"id": i, "name": n, "args": a, "type": "tool_call"} for i, n, a in calls],
                )
            )
        else:
            out.append(ToolMessage(rest[1], tool_call_id=rest[0]))
    return out


def langchain_call(server: LocalGLMServer, mode: str, logical: Logical) -> AIMessage:
    chat = ChatGLM(api_key=server.api_key, base_url=server.base_url, **{"model": "glm-4.7", **logical.fields})
    runnable: Any = chat
    if logical.tools is not None:
        runnable = chat.bind_tools(logical.tools, tool_choice=logical.tool_choice)
    messages = _lc_messages(logical.messages)
    try:
        if mode == "invoke":
            return runnable.invoke(messages, **logical.call)  # type: ignore[no-any-return]
        if mode == "stream":
            return _added(list(runnable.stream(messages, **logical.call)))

        async def go() -> AIMessage:
            try:
                if mode == "ainvoke":
                    return await runnable.ainvoke(messages, **logical.call)  # type: ignore[no-any-return]
                return _added([chunk async for chunk in runnable.astream(messages, **logical.call)])
            finally:
                await chat.aclose()

        return asyncio.run(go())
    finally:
        chat.close()


def _added(chunks: list[AIMessageChunk]) -> AIMessage:
    assert chunks, "the stream yielded nothing"
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    return total


# ---------------------------------------------------------------- LlamaIndex


def _li_messages(messages: Sequence[tuple[Any, ...]]) -> list[ChatMessage]:
    out: list[ChatMessage] = []
    for kind, *rest in messages:
        if kind in ("system", "user"):
            out.append(ChatMessage(role=kind, content=rest[0]))
        elif kind == "image":
            out.append(ChatMessage(role=MessageRole.USER, blocks=[TextBlock(text=rest[0]), ImageBlock(url=rest[1])]))
        elif kind == "assistant":
            text, reasoning, calls = rest
            blocks: list[Any] = [ThinkingBlock(content=reasoning)] if reasoning else []
            blocks.append(TextBlock(text=text))
            blocks += [ToolCallBlock(tool_call_id=i, tool_name=n, tool_kwargs=a) for i, n, a in calls]
            out.append(ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks))
        else:
            out.append(ChatMessage(role=MessageRole.TOOL, content=rest[1], additional_kwargs={"tool_call_id": rest[0]}))
    return out


def llamaindex_call(server: LocalGLMServer, mode: str, logical: Logical) -> ChatResponse:
    llm = GLM(api_key=server.api_key, base_url=server.base_url, **{"model": "glm-4.7", **logical.fields})
    kwargs = dict(logical.call)
    if logical.tools is not None:
        kwargs["tools"] = logical.tools
        if logical.tool_choice is not None:
            kwargs["tool_choice"] = logical.tool_choice
    messages = _li_messages(logical.messages)
    try:
        if mode == "invoke":
            return llm.chat(messages, **kwargs)
        if mode == "stream":
            return list(llm.stream_chat(messages, **kwargs))[-1]

        async def go() -> ChatResponse:
            try:
                if mode == "ainvoke":
                    return await llm.achat(messages, **kwargs)
                return [r async for r in await llm.astream_chat(messages, **kwargs)][-1]
            finally:
                await llm.aclose()

        return asyncio.run(go())
    finally:
        llm.close()


def call(adapter: str, server: LocalGLMServer, mode: str, logical: Logical) -> Any:
    return (langchain_call if adapter == "langchain" else llamaindex_call)(server, mode, logical)

"""Pure conversions between LangChain types and the GLM dialect (docs/wire-notes.md §3-§5).

Request side: LangChain messages and tools to wire dicts; every GLM rule about the rest of the
request (thinking, ``tool_choice``, JSON modes, built-in tools, undocumented fields) is applied
by ``glm_transport.dialect.build_chat_request``. Response side: the dialect's reading of an
answer (``interpret_completion``) or a stream (``StreamInterpreter``) as an ``AIMessage`` or
``AIMessageChunk``s. No I/O, no clients.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    InvalidToolCall,
    SystemMessage,
    ToolCall,
    ToolCallChunk,
    ToolMessage,
)
from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails, UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool

from glm_transport.catalog import ModelInfo, get_model_info
from glm_transport.dialect import (
    BUILTIN_TOOLS,
    DEFAULT_RULES,
    FunctionCall,
    Interpretation,
    InvalidCall,
    ResponseRules,
    ServerCall,
    StreamInterpreter,
    build_chat_request,
    interpret_completion,
    is_mcp_tool,
)

if TYPE_CHECKING:
    from glm_transport.types import ChatCompletion, ChatCompletionChunk, Usage

from ._documents import file_part
from ._errors import GLMInvalidRequestError
from ._fast import ai_result, text_chunk

__all__ = [
    "PROVIDER",
    "StreamConverter",
    "chat_request",
    "to_chat_result",
    "to_wire_messages",
    "to_wire_tool",
    "usage_metadata",
]

PROVIDER = "zhipuai"
_ROLES = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "human": "user",
    "assistant": "assistant",
    "ai": "assistant",
}
# Per-call kwargs LangChain itself may pass down; never request fields.
_NOT_SENT = frozenset(("stream", "ls_structured_output_format", "structured_output_format"))


def _invalid(message: str) -> GLMInvalidRequestError:
    return GLMInvalidRequestError(message)


# ---------------------------------------------------------------- messages → wire


def to_wire_messages(messages: Sequence[BaseMessage], info: ModelInfo) -> list[dict[str, Any]]:
    """LangChain messages as GLM messages (wire notes §3.2); raises for what GLM cannot take.

    Assistant turns carry their reasoning; the dialect keeps it only with preserved thinking.
    """
    return [_to_wire(message, info) for message in messages]


def _to_wire(message: BaseMessage, info: ModelInfo) -> dict[str, Any]:
    if isinstance(message, HumanMessage):
        return {"role": "user", "content": _user_content(message.content, info)}
    if isinstance(message, AIMessage):
        return _assistant(message)
    if isinstance(message, SystemMessage):
        return {"role": "system", "content": _text(message.content, "system")}
    if isinstance(message, ToolMessage):
        return {"role": "tool", "content": _tool_content(message.content), "tool_call_id": message.tool_call_id}
    if isinstance(message, ChatMessage):
        role = _ROLES.get(message.role.lower())
        if role == "user":
            return {"role": "user", "content": _user_content(message.content, info)}
        if role is not None:
            return {"role": role, "content": _text(message.content, role)}
        raise _invalid(
            f"ChatMessage role {message.role!r} has no GLM equivalent; GLM takes system, user, "
            "assistant and tool messages (use ToolMessage for tool results)"
        )
    raise _invalid(
        f"GLM cannot take a {type(message).__name__}: it takes system, human, AI and tool messages "
        "(wire notes §3.2; for function results use ToolMessage with the call's tool_call_id)"
    )


def _joined(content: str | list[Any], other: Callable[[dict[str, Any]], str]) -> str:
    """The text of ``content``; ``other(block)`` stands for each block that is not text."""
    if isinstance(content, str):
        return content
    parts = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif block.get("type") == "text":
            parts.append(block.get("text", ""))
        else:
            parts.append(other(block))
    return "".join(parts)


def _text(content: str | list[Any], role: str) -> str:
    """System, user-as-text and assistant content: text blocks only (an assistant's others are dropped)."""

    def other(block: dict[str, Any]) -> str:
        if role == "assistant":
            return ""
        raise _invalid(f"GLM {role} messages take text only, got a {block.get('type')!r} content block")

    return _joined(content, other)


def _user_content(content: str | list[Any], info: ModelInfo) -> str | list[dict[str, Any]]:
    if isinstance(content, str):
        return content
    parts = [_user_part(block, info) for block in content]
    if all(part["type"] == "text" for part in parts):
        # Text-only models take a string only (wire notes §3.2), so plain text never goes as parts.
        return "\n".join(part["text"] for part in parts)
    if info.known and not info.vision:
        kinds = sorted({part["type"] for part in parts if part["type"] != "text"})
        raise _invalid(
            f"{info.id!r} is a text-only model and cannot take {', '.join(kinds)} content; use a vision "
            "model such as 'glm-4.6v', 'glm-4.5v' or 'glm-5v-turbo'"
        )
    return parts


def _user_part(block: str | dict[str, Any], info: ModelInfo) -> dict[str, Any]:
    if isinstance(block, str):
        return {"type": "text", "text": block}
    kind = block.get("type")
    if kind == "text":
        return {"type": "text", "text": block.get("text", "")}
    if kind in ("image", "image_url"):
        return {"type": "image_url", "image_url": {"url": _media_url(block, "image")}}
    if kind in ("video", "video_url"):
        return {"type": "video_url", "video_url": {"url": _media_url(block, "video")}}
    if kind in ("file", "file_url"):
        return file_part(block, info)
    raise _invalid(f"GLM cannot take {kind!r} content blocks; it takes text, image, video and file URLs")


def _media_url(block: Mapping[str, Any], what: str, *, allow_base64: bool = True) -> str:
    """A URL or bare base64 from a v1 block, a legacy ``source_type`` block, or an OpenAI-style part."""
    nested = block.get(f"{what}_url")
    url = nested.get("url") if isinstance(nested, Mapping) else nested
    if url is None:
        url = block.get("url")
    if url is None and block.get("source_type") == "url":
        url = block.get("data")
    data = block.get("base64")
    if data is None and block.get("source_type") == "base64":
        data = block.get("data")
    if isinstance(url, str) and url.startswith("data:"):
        url, data = None, url
    if isinstance(url, str) and url:
        return url
    if isinstance(data, str) and data:
        if not allow_base64:
            raise _invalid(f"GLM takes {what} content by URL only (wire notes §3.4), not base64")
        # The official SDK sends bare base64 (wire notes §3.4): drop any data-URL prefix.
        return data.split(",", 1)[1] if data.startswith("data:") else data
    raise _invalid(f"a {what} content block needs a URL or base64 data (file ids are not supported by GLM)")


def _tool_content(content: str | list[Any]) -> str:
    """Tool content is a string on the wire (wire notes §3.2): non-text blocks go as JSON."""
    return _joined(content, lambda block: json.dumps(block, ensure_ascii=False, default=str))


def _assistant(message: AIMessage) -> dict[str, Any]:
    text = _text(message.content, "assistant")
    wire: dict[str, Any] = {"role": "assistant", "content": text}
    calls = [
        {
            "id": call.get("id") or "",
            "type": "function",
            "function": {"name": call["name"], "arguments": json.dumps(call["args"], ensure_ascii=False)},
        }
        for call in message.tool_calls
    ]
    calls += [
        {
            "id": call.get("id") or "",
            "type": "function",
            "function": {"name": call.get("name") or "", "arguments": call.get("args") or ""},
        }
        for call in message.invalid_tool_calls
    ]
    if calls:
        wire["tool_calls"] = calls
        if not text:
            wire["content"] = None  # wire notes §3.2: null content with tool calls
    reasoning = reasoning_of(message)
    if reasoning:
        wire["reasoning_content"] = reasoning
    return wire


def reasoning_of(message: AIMessage) -> str:
    """The reasoning text of an AI message: ``additional_kwargs`` or ``reasoning`` blocks (v1)."""
    reasoning = message.additional_kwargs.get("reasoning_content")
    if isinstance(reasoning, str):
        return reasoning
    if isinstance(message.content, list):
        return "".join(
            block.get("reasoning", "")
            for block in message.content
            if isinstance(block, dict) and block.get("type") == "reasoning"
        )
    return ""


# ---------------------------------------------------------------- tools and the request


def to_wire_tool(tool: Any) -> dict[str, Any]:
    """A function tool (tool, pydantic model, function, OpenAI dict) or a GLM built-in as is."""
    if is_mcp_tool(tool):
        return cast(dict[str, Any], tool)  # a declaration, revealed by the transport when the body is built
    if isinstance(tool, Mapping) and tool.get("type") in BUILTIN_TOOLS:
        return dict(tool)
    function = dict(convert_to_openai_tool(tool)["function"])
    if function.pop("strict", None):
        raise _invalid("a tool with strict=True: GLM has no strict tool mode (wire notes §3.3)")
    return {"type": "function", "function": function}


def chat_request(
    settings: Mapping[str, Any], messages: Sequence[BaseMessage], *, stream: bool
) -> tuple[dict[str, Any], ResponseRules]:
    """The GLM request and its response rules, from the model's settings merged with the call's kwargs.

    ``settings`` holds the request fields (``None`` means unset) plus ``preserve_thinking``,
    ``base_url`` and the other options ``build_chat_request`` reads.
    """
    options = {key: value for key, value in settings.items() if key not in _NOT_SENT}
    info = get_model_info(options["model"])
    return build_chat_request(options, to_wire_messages(messages, info), stream=stream)


# ---------------------------------------------------------------- wire → messages


def usage_metadata(usage: Usage | None) -> UsageMetadata | None:
    if usage is None:
        return None
    result = UsageMetadata(
        input_tokens=usage.prompt_tokens,
        output_tokens=usage.completion_tokens,
        total_tokens=usage.total_tokens or usage.prompt_tokens + usage.completion_tokens,
    )
    if usage.prompt_tokens_details is not None:
        result["input_token_details"] = InputTokenDetails(cache_read=usage.prompt_tokens_details.cached_tokens)
    if usage.completion_tokens_details is not None:
        result["output_token_details"] = OutputTokenDetails(reasoning=usage.completion_tokens_details.reasoning_tokens)
    return result


def _metadata(
    model: str,
    finish_reason: str | None,
    id_: str,
    request_id: str | None,
    web: list[dict[str, Any]] | None,
    content_filter: list[dict[str, Any]] | None,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "model_provider": PROVIDER,
        "model_name": model,
        "finish_reason": finish_reason,
        "id": id_,
        "request_id": request_id,
    }
    if web:
        metadata["web_search"] = web
    if content_filter:
        metadata["content_filter"] = content_filter
    return metadata


def _calls(
    calls: Iterable[FunctionCall], invalid: Iterable[InvalidCall]
) -> tuple[list[ToolCall], list[InvalidToolCall]]:
    return (
        [ToolCall(type="tool_call", name=call.name, args=call.args, id=call.id or None) for call in calls],
        [
            InvalidToolCall(type="invalid_tool_call", name=call.name, args=call.args, id=call.id, error=call.error)
            for call in invalid
        ],
    )


def _additional(reasoning: str, server: list[ServerCall]) -> dict[str, Any]:
    additional: dict[str, Any] = {}
    if reasoning:
        additional["reasoning_content"] = reasoning
    if server:
        # GLM ran these (web_search, retrieval, MCP): kept apart from tool_calls so no agent runs them.
        additional["server_tool_calls"] = [call.raw for call in server]
    return additional


def _message(read: Interpretation) -> AIMessage:
    tool_calls, invalid = _calls(read.calls, read.invalid_calls)
    return AIMessage(
        content=read.text,
        additional_kwargs=_additional(read.reasoning, read.server_calls),
        tool_calls=tool_calls,
        invalid_tool_calls=invalid,
        usage_metadata=usage_metadata(read.usage),
        response_metadata=_response_metadata(read),
        id=read.id or None,
    )


def _response_metadata(read: Interpretation) -> dict[str, Any]:
    return _metadata(read.model, read.finish_reason, read.id, read.request_id, read.web_search, read.content_filter)


def to_chat_result(completion: ChatCompletion, rules: ResponseRules = DEFAULT_RULES) -> ChatResult:
    """A non-streaming answer (wire notes §4) as a ``ChatResult`` with one ``AIMessage``."""
    read = interpret_completion(completion, rules)
    llm_output: dict[str, Any] = {"model_name": completion.model, "id": completion.id}
    if completion.usage is not None:
        llm_output["token_usage"] = completion.usage.model_dump(exclude_none=True)
    if not (read.calls or read.invalid_calls):  # built without validation (_fast.py)
        return ai_result(
            read.text,
            _additional(read.reasoning, read.server_calls),
            usage_metadata(read.usage),
            _response_metadata(read),
            read.id or None,
            llm_output,
        )
    message = _message(read)
    return ChatResult(generations=[ChatGeneration(message=message)], llm_output=llm_output)


class StreamConverter:
    """Stream chunks (wire notes §5) to ``ChatGenerationChunk``s: ``convert(chunk)`` per chunk, then
    ``finish()``.

    Text, reasoning and function-call fragments go out as they arrive, read by the dialect's
    ``StreamInterpreter`` (inline ``<think>`` split out, leading newlines dropped, fragments put
    in call slots). The last chunk carries what is known only at the end, once, so merged
    metadata never repeats: finish reason, usage, web search results, content filter, server-side
    tool calls, and the calls that must not run (an answer cut short, unparsable arguments),
    which leave ``tool_calls`` for ``invalid_tool_calls``. Chunks with nothing new are dropped.
    """

    __slots__ = ("_feed", "interpreter", "request_id")

    def __init__(self, request_id: str | None = None, rules: ResponseRules = DEFAULT_RULES) -> None:
        self.request_id = request_id
        self.interpreter = StreamInterpreter(rules)
        self._feed = self.interpreter.feed

    def convert(self, chunk: ChatCompletionChunk) -> ChatGenerationChunk | None:
        content, reasoning, fragments = self._feed(chunk)
        return self._chunk(content, reasoning, fragments) if content or reasoning or fragments else None

    def _chunk(self, content: str, reasoning: str, fragments: list[dict[str, Any]]) -> ChatGenerationChunk:
        message_id = self.interpreter.id or None
        if not (reasoning or fragments):  # the common text token, built without validation (_fast.py)
            return text_chunk(content, message_id, {"model_provider": PROVIDER})
        message = AIMessageChunk(
            content=content,
            additional_kwargs={"reasoning_content": reasoning} if reasoning else {},
            tool_call_chunks=[
                ToolCallChunk(
                    type="tool_call_chunk",
                    name=fragment["name"],
                    args=fragment["arguments"],
                    id=fragment["id"],
                    index=fragment["index"],
                )
                for fragment in fragments
            ],
            response_metadata={"model_provider": PROVIDER},
            id=message_id,
        )
        return ChatGenerationChunk(message=message)

    def finish(self) -> ChatGenerationChunk:
        """The last chunk: text held back at the end (a possible tag start), usage, finish reason,
        ids, web search results, content filter, server-side tool calls, and the calls that must
        not run."""
        read = self.interpreter
        content, reasoning = read.flush()
        _, invalid, server = read.calls()
        metadata = _metadata(
            read.model, read.finish_reason, read.id, self.request_id, read.web_search, read.content_filter
        )
        if invalid:
            metadata["invalid_tool_calls"] = {call.id or call.name: call.error for call in invalid}
        message = AIMessageChunk(
            content=content,
            additional_kwargs=_additional(reasoning, server),
            tool_call_chunks=[
                ToolCallChunk(type="tool_call_chunk", name=None, args=_NOT_RUNNABLE, id=None, index=call.position)
                for call in invalid
            ],
            usage_metadata=usage_metadata(read.usage),
            response_metadata=metadata,
            id=read.id or None,
            chunk_position="last",
        )
        info = {"finish_reason": read.finish_reason, "model_name": read.model}
        return ChatGenerationChunk(message=message, generation_info=info)


# langchain-core re-parses the summed ``tool_call_chunks`` of a stream with a lenient partial
# JSON parser, so a call cut at max_tokens (``{"city": "Os``) would come out runnable. This tail,
# added to such a call's arguments, makes that parser fail from any state it can be in: ``x``
# ends a pending escape, the closing run hits a mismatched bracket outside a string, and the
# quote ends a string the call was cut in before the second run. The call lands in
# ``invalid_tool_calls``; ``response_metadata["invalid_tool_calls"]`` says why.
_NOT_RUNNABLE = "x" + "]}" * 64 + '"' + "]}" * 64

"""Pure conversions between LangChain and the GLM wire (spec §3, §4, §5). No I/O, no clients.

Request side: messages, tools, ``tool_choice`` and ``response_format`` to a ``ChatCompletionRequest``;
input GLM cannot take fails here, before any request. Response side: a ``ChatCompletion`` to an
``AIMessage``, and stream chunks to ``AIMessageChunk``s through ``StreamConverter``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

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
from glm_transport.mcp import MCPServerTool
from glm_transport.types import ChatCompletion, ChatCompletionChunk, Usage, WebSearchResult

from ._documents import file_part
from ._errors import GLMInvalidRequestError

__all__ = [
    "PROVIDER",
    "StreamConverter",
    "apply_tool_choice",
    "chat_request",
    "estimate_tokens",
    "to_chat_result",
    "to_wire_messages",
    "to_wire_tool",
    "usage_metadata",
]

PROVIDER = "zhipuai"
BUILTIN_TOOLS = frozenset(("web_search", "retrieval", "mcp"))
_FORCE = frozenset(("any", "required"))
_ROLES = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "human": "user",
    "assistant": "assistant",
    "ai": "assistant",
}
# Per-call kwargs LangChain itself may pass down; never request fields.
_NOT_SENT = frozenset(("stream", "ls_structured_output_format", "structured_output_format", "preserve_thinking"))


def _invalid(message: str) -> GLMInvalidRequestError:
    return GLMInvalidRequestError(message)


# ---------------------------------------------------------------- messages → wire


def to_wire_messages(
    messages: Sequence[BaseMessage], info: ModelInfo, *, preserve_thinking: bool = False
) -> list[dict[str, Any]]:
    """LangChain messages as GLM messages (spec §3.2); raises for what GLM cannot take."""
    return [_to_wire(message, info, preserve_thinking) for message in messages]


def _to_wire(message: BaseMessage, info: ModelInfo, preserve_thinking: bool) -> dict[str, Any]:
    if isinstance(message, HumanMessage):
        return {"role": "user", "content": _user_content(message.content, info)}
    if isinstance(message, AIMessage):
        return _assistant(message, preserve_thinking)
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
        "(spec §3.2; for function results use ToolMessage with the call's tool_call_id)"
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
        # Text-only models take a string only (spec §3.2), so plain text never goes as parts.
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
            raise _invalid(f"GLM takes {what} content by URL only (spec §3.4), not base64")
        # The official SDK sends bare base64 (spec §3.4): drop any data-URL prefix.
        return data.split(",", 1)[1] if data.startswith("data:") else data
    raise _invalid(f"a {what} content block needs a URL or base64 data (file ids are not supported by GLM)")


def _tool_content(content: str | list[Any]) -> str:
    """Tool content is a string on the wire (spec §3.2): non-text blocks go as JSON."""
    return _joined(content, lambda block: json.dumps(block, ensure_ascii=False, default=str))


def _assistant(message: AIMessage, preserve_thinking: bool) -> dict[str, Any]:
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
            wire["content"] = None  # spec §3.2: null content with tool calls
    if preserve_thinking:
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


# ---------------------------------------------------------------- tools, choices, formats


def to_wire_tool(tool: Any) -> dict[str, Any]:
    """A function tool (tool, pydantic model, function, OpenAI dict) or a GLM built-in as is."""
    if isinstance(tool, MCPServerTool):
        return tool  # type: ignore[return-value]  # revealed by the transport when the body is built
    if isinstance(tool, Mapping) and tool.get("type") in BUILTIN_TOOLS:
        return dict(tool)
    function = dict(convert_to_openai_tool(tool)["function"])
    function.pop("strict", None)  # GLM documents no strict mode (spec §3.3)
    return {"type": "function", "function": function}


def _name_of(tool_choice: Any) -> str | None:
    if isinstance(tool_choice, str):
        return tool_choice
    if isinstance(tool_choice, Mapping):
        function = tool_choice.get("function")
        name = function.get("name") if isinstance(function, Mapping) else tool_choice.get("name")
        return name if isinstance(name, str) else None
    return None


def apply_tool_choice(
    tools: list[dict[str, Any]], tool_choice: Any
) -> tuple[list[dict[str, Any]], str | None, str | None]:
    """``(tools to offer, tool_choice to send, instruction to add)`` for a LangChain ``tool_choice``.

    GLM documents only ``"auto"`` (spec §3.1, §3.5), so the others are emulated: ``"none"``
    offers no tools; ``"any"``/``"required"``/``True`` offers the one function tool alone, or all
    of them with a system instruction to call one (the model may still answer in text); a tool
    name offers that tool alone.
    """
    if tool_choice is None:
        return tools, None, None
    if tool_choice == "auto":
        return tools, "auto", None
    if tool_choice == "none" or tool_choice is False:
        return [], None, None
    functions = [tool for tool in tools if tool.get("type") == "function"]
    names = [tool["function"]["name"] for tool in functions]
    if tool_choice is True or (isinstance(tool_choice, str) and tool_choice in _FORCE):
        if not functions:
            raise _invalid(f"tool_choice={tool_choice!r} needs at least one function tool")
        if len(functions) == 1:
            return functions, None, None
        instruction = (
            "You must answer by calling one or more of the provided tools "
            f"({', '.join(names)}); do not answer with text alone."
        )
        return tools, None, instruction
    name = _name_of(tool_choice)
    chosen = [tool for tool in functions if tool["function"]["name"] == name]
    if not chosen:
        raise _invalid(f"tool_choice {tool_choice!r} names no bound tool; the tools are {names}")
    return chosen, None, None


def json_schema_instruction(schema: Mapping[str, Any]) -> str:
    """The system instruction that emulates a JSON-schema response format (GLM has only json_object)."""
    return (
        "Answer with a single JSON object and nothing else. It must conform to this JSON Schema:\n"
        f"```json\n{json.dumps(schema, ensure_ascii=False)}\n```"
    )


def _response_format(fmt: Any) -> tuple[dict[str, Any] | None, str | None]:
    if fmt is None:
        return None, None
    if not isinstance(fmt, Mapping):
        raise _invalid("response_format must be a dict such as {'type': 'json_object'}")
    if fmt.get("type") != "json_schema":
        return dict(fmt), None
    spec = fmt.get("json_schema")
    schema = spec.get("schema", spec) if isinstance(spec, Mapping) else fmt.get("schema")
    if not isinstance(schema, Mapping):
        raise _invalid("a json_schema response_format needs {'json_schema': {'schema': {...}}}")
    return {"type": "json_object"}, json_schema_instruction(schema)


def _thinking(thinking: Any, preserve: bool) -> dict[str, Any] | None:
    if thinking is None:
        value: dict[str, Any] | None = None
    elif isinstance(thinking, bool):
        value = {"type": "enabled" if thinking else "disabled"}
    elif isinstance(thinking, Mapping):
        value = dict(thinking)
        value.setdefault("type", "enabled")
    else:
        raise _invalid("thinking must be True, False or {'type': 'enabled'|'disabled', 'clear_thinking': bool}")
    if preserve:
        # Preserved thinking: GLM keeps earlier turns' reasoning, which we send back (spec §3.1).
        value = {"type": "enabled", **(value or {}), "clear_thinking": False}
    return value


def _add_instructions(messages: list[dict[str, Any]], instructions: list[str]) -> list[dict[str, Any]]:
    text = "\n\n".join(instructions)
    if messages and messages[0]["role"] == "system":
        first = messages[0]
        return [{**first, "content": f"{first['content']}\n\n{text}"}, *messages[1:]]
    return [{"role": "system", "content": text}, *messages]


def chat_request(settings: Mapping[str, Any], messages: Sequence[BaseMessage], *, stream: bool) -> dict[str, Any]:
    """A ``ChatCompletionRequest`` from the model's settings merged with the call's kwargs.

    ``settings`` holds the request fields (``None`` means unset) plus ``preserve_thinking``,
    ``model_kwargs`` and ``extra_body``; unknown keys are sent as given.
    """
    params = {key: value for key, value in settings.items() if value is not None and key not in _NOT_SENT}
    extra = {**params.pop("model_kwargs", {}), **params.pop("extra_body", {})}
    model = params["model"]
    info = get_model_info(model)
    raw_thinking = params.get("thinking")
    # clear_thinking=False is GLM's preserved thinking: it needs the earlier reasoning resent (spec §3.1).
    preserve = bool(settings.get("preserve_thinking")) or (
        isinstance(raw_thinking, Mapping) and raw_thinking.get("clear_thinking") is False
    )
    wire = to_wire_messages(messages, info, preserve_thinking=preserve)
    instructions = []
    thinking = _thinking(params.pop("thinking", None), preserve)
    if thinking is not None:
        params["thinking"] = thinking
    fmt, instruction = _response_format(params.pop("response_format", None))
    if fmt is not None:
        params["response_format"] = fmt
    if instruction:
        instructions.append(instruction)
    tools = params.pop("tools", None)
    if tools or "tool_choice" in params:
        offered, choice, instruction = apply_tool_choice(list(tools or ()), params.pop("tool_choice", None))
        if offered:
            params["tools"] = offered
            if choice:
                params["tool_choice"] = choice
        if instruction:
            instructions.append(instruction)
    if not params.get("stop"):
        params.pop("stop", None)
    if not stream or not params.get("tool_stream"):
        params.pop("tool_stream", None)
    if instructions:
        wire = _add_instructions(wire, instructions)
    return {**params, **extra, "messages": wire}


# ---------------------------------------------------------------- tokens (offline estimate)


def _tokens(text: str) -> int:
    ascii_chars = sum(1 for char in text if char < "\x80")
    # About four characters per token in English, 1.5 per token in Chinese text.
    return math.ceil(ascii_chars / 4 + (len(text) - ascii_chars) / 1.5)


def estimate_tokens(messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]] | None = None) -> int:
    """An offline estimate of the prompt tokens of wire messages (no tokenizer download)."""
    total = 0
    for message in messages:
        content = message.get("content")
        if isinstance(content, list):
            content = "".join(part.get("text", "") for part in content if part.get("type") == "text")
        total += 4 + _tokens(content or "") + _tokens(message.get("reasoning_content") or "")
        for call in message.get("tool_calls") or ():
            total += _tokens(call["function"]["name"]) + _tokens(str(call["function"]["arguments"]))
    if tools:
        total += _tokens(json.dumps(list(tools), ensure_ascii=False))
    return total


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


def _web_search(results: list[WebSearchResult]) -> list[dict[str, Any]]:
    return [result.model_dump(exclude_none=True) for result in results]


def _metadata(
    model: str, finish_reason: str | None, id_: str, request_id: str | None, web: list[WebSearchResult] | None
) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "model_provider": PROVIDER,
        "model_name": model,
        "finish_reason": finish_reason,
        "id": id_,
        "request_id": request_id,
    }
    if web:
        metadata["web_search"] = _web_search(web)
    return metadata


def _parse_calls(calls: Sequence[Any]) -> tuple[list[ToolCall], list[InvalidToolCall], list[dict[str, Any]]]:
    """Function calls as LangChain tool calls; calls of GLM's built-in tools are kept apart."""
    parsed: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    server: list[dict[str, Any]] = []
    for call in calls:
        if call.type != "function" or call.function is None:
            server.append(call.model_dump(exclude_none=True))
            continue
        name, arguments = call.function.name, call.function.arguments
        try:
            args = json.loads(arguments) if isinstance(arguments, str) and arguments.strip() else arguments or {}
        except ValueError as exc:
            invalid.append(
                InvalidToolCall(type="invalid_tool_call", name=name, args=str(arguments), id=call.id, error=str(exc))
            )
            continue
        if not isinstance(args, dict):
            error = "arguments are not a JSON object"
            invalid.append(
                InvalidToolCall(type="invalid_tool_call", name=name, args=str(arguments), id=call.id, error=error)
            )
            continue
        parsed.append(ToolCall(type="tool_call", name=name, args=args, id=call.id or None))
    return parsed, invalid, server


def to_chat_result(completion: ChatCompletion) -> ChatResult:
    """A non-streaming answer (spec §4) as a ``ChatResult`` with one ``AIMessage``."""
    wire = completion.message
    tool_calls, invalid, server = _parse_calls(wire.tool_calls or ())
    additional: dict[str, Any] = {}
    if wire.reasoning_content:
        additional["reasoning_content"] = wire.reasoning_content
    if server:
        additional["server_tool_calls"] = server
    metadata = _metadata(
        completion.model, completion.finish_reason, completion.id, completion.request_id, completion.web_search
    )
    if completion.content_filter:
        metadata["content_filter"] = [item.model_dump(exclude_none=True) for item in completion.content_filter]
    message = AIMessage(
        content=wire.text.lstrip("\n"),
        additional_kwargs=additional,
        tool_calls=tool_calls,
        invalid_tool_calls=invalid,
        usage_metadata=usage_metadata(completion.usage),
        response_metadata=metadata,
        id=completion.id or None,
    )
    llm_output: dict[str, Any] = {"model_name": completion.model, "id": completion.id}
    if completion.usage is not None:
        llm_output["token_usage"] = completion.usage.model_dump(exclude_none=True)
    return ChatResult(generations=[ChatGeneration(message=message)], llm_output=llm_output)


class StreamConverter:
    """Stream chunks (spec §5) to ``ChatGenerationChunk``s: ``convert(chunk)`` per chunk, then ``finish()``.

    Text, reasoning and tool-call fragments go out as they arrive (the answer's leading newlines
    dropped, as in ``to_chat_result``); finish reason, usage (from
    whichever chunk carries it, spec §5.3), web search results and ids go out once, on the last
    chunk, so merged metadata never repeats. Chunks with nothing new are dropped.
    """

    __slots__ = ("_calls", "_text", "finish_reason", "id", "model", "request_id", "usage", "web_search")

    def __init__(self, request_id: str | None = None) -> None:
        self.request_id = request_id
        self.id = ""
        self.model = ""
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self.web_search: list[WebSearchResult] | None = None
        self._calls: dict[str, int] = {}
        self._text = False

    def convert(self, chunk: ChatCompletionChunk) -> ChatGenerationChunk | None:
        if chunk.finish_reason is not None:
            self.finish_reason = chunk.finish_reason
        if chunk.usage is not None:
            self.usage = chunk.usage
        if chunk.web_search:
            self.web_search = chunk.web_search
        if not self.id:
            self.id, self.model = chunk.id, chunk.model
        content, reasoning, calls = chunk.content, chunk.reasoning_content, chunk.tool_calls
        if content and not self._text:
            content = content.lstrip("\n")  # GLM's answer often starts with "\n" (spec §4, §5.2)
            self._text = bool(content)
        if not (content or reasoning or calls):
            return None
        if not (reasoning or calls):  # the common text token: fewer fields to validate (~2 µs a chunk)
            message = AIMessageChunk(
                content=content, response_metadata={"model_provider": PROVIDER}, id=self.id or None
            )
        else:
            message = AIMessageChunk(
                content=content or "",
                additional_kwargs={"reasoning_content": reasoning} if reasoning else {},
                tool_call_chunks=self._tool_call_chunks(calls) if calls else [],
                response_metadata={"model_provider": PROVIDER},
                id=self.id or None,
            )
        return ChatGenerationChunk(message=message)

    def _tool_call_chunks(self, calls: list[dict[str, Any]]) -> list[ToolCallChunk]:
        chunks = []
        for delta in calls:
            if delta.get("type", "function") != "function":
                continue  # GLM's own tools (web_search, retrieval) run server-side
            function = delta.get("function") or {}
            arguments = function.get("arguments")
            if arguments is not None and not isinstance(arguments, str):
                arguments = json.dumps(arguments, ensure_ascii=False)
            chunks.append(
                ToolCallChunk(
                    type="tool_call_chunk",
                    name=function.get("name") or None,
                    args=arguments,
                    id=delta.get("id") or None,
                    index=self._index(delta),
                )
            )
        return chunks

    def _index(self, delta: dict[str, Any]) -> int:
        """The call's ``index``; for a fragment without one (undocumented, spec §12.8), the call
        with its id, a new call for a new id, else the last call."""
        index = delta.get("index")
        call_id = delta.get("id") or ""
        if not isinstance(index, int):
            if call_id in self._calls:
                return self._calls[call_id]
            last = max(self._calls.values(), default=-1)
            index = last + 1 if call_id or last < 0 else last
        if call_id:
            self._calls[call_id] = index
        return index

    def finish(self) -> ChatGenerationChunk:
        """The last chunk: usage, finish reason, ids, web search results."""
        return ChatGenerationChunk(
            message=AIMessageChunk(
                content="",
                usage_metadata=usage_metadata(self.usage),
                response_metadata=_metadata(self.model, self.finish_reason, self.id, self.request_id, self.web_search),
                id=self.id or None,
                chunk_position="last",
            ),
            generation_info={"finish_reason": self.finish_reason, "model_name": self.model},
        )

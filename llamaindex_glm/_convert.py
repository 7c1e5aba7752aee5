"""Pure conversions between LlamaIndex and the GLM wire format (spec §3, §4, §5).

LlamaIndex messages, blocks and tools become request dicts; a ``ChatCompletion`` or the chunks of
a stream become ``ChatResponse`` objects. Nothing here does I/O, so the sync and async methods of
``GLM`` share all of it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from llama_index.core.base.llms.types import (
    AudioBlock,
    CachePoint,
    ChatMessage,
    ChatResponse,
    CitableBlock,
    CitationBlock,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)
from llama_index.core.bridge.pydantic import BaseModel
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.llms.utils import parse_partial_json
from llama_index.core.tools import BaseTool

from glm_transport import ChatCompletion, ChatCompletionChunk, StreamAccumulator, Usage
from glm_transport.catalog import ModelInfo
from glm_transport.errors import GLMInvalidRequestError
from glm_transport.mcp import MCPServerTool

from ._documents import document_block_part

__all__ = [
    "StreamState",
    "completion_to_response",
    "narrow_tools",
    "response_kwargs",
    "thinking_param",
    "to_wire_messages",
    "tool_selections",
    "tool_spec",
    "with_instruction",
]

_ASSISTANT = MessageRole.ASSISTANT
_ROLES = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "assistant": "assistant",
    "model": "assistant",
    "chatbot": "assistant",
    "tool": "tool",
    "function": "tool",
}
_FORCING = ("required", "any")

# ------------------------------------------------------------------ request side


def to_wire_messages(
    messages: Sequence[ChatMessage], info: ModelInfo, *, preserve_thinking: bool = False
) -> list[dict[str, Any]]:
    """LlamaIndex messages as GLM ``messages`` (spec §3.2).

    Tool results carry the ``tool_call_id`` from their ``additional_kwargs``; one without it gets
    the id of the matching call of the assistant turn before it (the n-th result after a turn gets
    its n-th call), so a history never reaches GLM without ids. Thinking blocks of assistant turns
    are sent back as ``reasoning_content`` only with ``preserve_thinking`` (spec §3.1 Preserved
    Thinking).
    """
    out: list[dict[str, Any]] = []
    call_ids: list[str] = []
    results = 0
    for message in messages:
        role = _ROLES.get(message.role.value)
        if role is None:
            raise GLMInvalidRequestError(f"GLM has no message role {message.role.value!r}")
        if role == "assistant":
            wire = _assistant(message, preserve_thinking)
            call_ids = [call["id"] for call in wire.get("tool_calls", ())]
            results = 0
        elif role == "tool":
            call_id = message.additional_kwargs.get("tool_call_id") or (
                call_ids[results] if results < len(call_ids) else ""
            )
            results += 1
            if not call_id:
                raise GLMInvalidRequestError(
                    "a tool message has no tool_call_id (set additional_kwargs['tool_call_id']) "
                    "and no assistant tool call precedes it"
                )
            wire = {"role": "tool", "content": _text_only(message, "tool"), "tool_call_id": str(call_id)}
        elif role == "user":
            wire = {"role": "user", "content": _user_content(message, info)}
        else:
            wire = {"role": "system", "content": _text_only(message, "system")}
        out.append(wire)
    return out


def _texts(blocks: Iterable[Any]) -> list[str]:
    texts: list[str] = []
    for block in blocks:
        if isinstance(block, TextBlock):
            texts.append(block.text)
        elif isinstance(block, (CitableBlock, CitationBlock)):
            texts.extend(_texts(block.nested_blocks))
    return texts


def _text_only(message: ChatMessage, role: str) -> str:
    for block in message.blocks:
        if not isinstance(block, (TextBlock, CitableBlock, CitationBlock, CachePoint, ThinkingBlock, ToolCallBlock)):
            raise GLMInvalidRequestError(
                f"GLM takes only text in {role} messages, got a {type(block).__name__} (spec §3.2)"
            )
    return "\n".join(_texts(message.blocks))


def _user_content(message: ChatMessage, info: ModelInfo) -> str | list[dict[str, Any]]:
    blocks = message.blocks
    if all(isinstance(block, (TextBlock, CachePoint)) for block in blocks):
        return "\n".join(_texts(blocks))
    parts: list[dict[str, Any]] = []
    for block in blocks:
        if isinstance(block, TextBlock):
            parts.append({"type": "text", "text": block.text})
        elif isinstance(block, (CitableBlock, CitationBlock)):
            parts.extend({"type": "text", "text": text} for text in _texts([block]))
        elif isinstance(block, CachePoint):
            continue  # GLM caches prefixes implicitly (spec §9.4)
        else:
            parts.append(_media_part(block, info))
    return parts


def _media_part(block: Any, info: ModelInfo) -> dict[str, Any]:
    kind = type(block).__name__
    if isinstance(block, AudioBlock):
        data = block.resolve_audio(as_base64=True).read().decode("ascii")
        return {"type": "input_audio", "input_audio": {"data": data, "format": block.format or "wav"}}
    if isinstance(block, DocumentBlock):
        return document_block_part(block, info)
    if info.known and not info.vision:
        raise GLMInvalidRequestError(
            f"model {info.id!r} is text-only and cannot take {kind} input; use a vision model such as 'glm-4.6v'"
        )
    if isinstance(block, ImageBlock):
        return {"type": "image_url", "image_url": {"url": _image_url(block)}}
    if isinstance(block, VideoBlock) and block.url is not None:
        return {"type": "video_url", "video_url": {"url": str(block.url)}}
    raise GLMInvalidRequestError(f"GLM cannot take a {kind} in this form; videos and documents go by URL (spec §3.4)")


def _image_url(block: ImageBlock) -> str:
    """An http(s) URL as given, anything else as bare base64, as the official SDK sends it (spec §3.4)."""
    if block.image is None and block.path is None and block.url is not None:
        url = str(block.url)
        if not url.startswith("data:"):
            return url
    data: bytes = block.resolve_image(as_base64=True).read()
    return data.decode("ascii")


def _assistant(message: ChatMessage, preserve_thinking: bool) -> dict[str, Any]:
    calls: list[dict[str, Any]] = []
    reasoning: list[str] = []
    for block in message.blocks:
        if isinstance(block, ToolCallBlock):
            calls.append(_wire_call(block.tool_call_id, block.tool_name, block.tool_kwargs, len(calls)))
        elif isinstance(block, ThinkingBlock) and block.content:
            reasoning.append(block.content)
    if not calls:
        for legacy in message.additional_kwargs.get("tool_calls") or ():
            function = _get(legacy, "function")
            calls.append(
                _wire_call(_get(legacy, "id"), _get(function, "name"), _get(function, "arguments"), len(calls))
            )
    wire: dict[str, Any] = {"role": "assistant"}
    text = "\n".join(_texts(message.blocks))
    if text or not calls:
        wire["content"] = text
    if calls:
        wire["tool_calls"] = calls
    if preserve_thinking and reasoning:
        wire["reasoning_content"] = "".join(reasoning)
    return wire


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, Mapping) else getattr(obj, key, None)


def _wire_call(call_id: Any, name: Any, arguments: Any, position: int) -> dict[str, Any]:
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments or {}, ensure_ascii=False)
    return {
        "id": str(call_id or f"call_{position}"),
        "type": "function",
        "function": {"name": str(name or ""), "arguments": arguments},
    }


def tool_spec(tool: BaseTool | Mapping[str, Any]) -> dict[str, Any]:
    """A LlamaIndex tool as a GLM function tool (spec §3.3); a dict (e.g. a built-in tool) as given."""
    if isinstance(tool, MCPServerTool):
        return tool  # type: ignore[return-value]  # revealed by the transport when the body is built
    if isinstance(tool, Mapping):
        return dict(tool)
    return tool.metadata.to_openai_tool(skip_length_check=True)


def _choice_name(tool_choice: Any) -> str | None:
    if tool_choice is None or isinstance(tool_choice, str):
        return tool_choice
    if isinstance(tool_choice, Mapping):
        function = tool_choice.get("function")
        name = function.get("name") if isinstance(function, Mapping) else tool_choice.get("name")
        if isinstance(name, str):
            return name
        if tool_choice.get("type") in ("auto", "none", *_FORCING):
            return str(tool_choice["type"])
    raise ValueError(f"unsupported tool_choice {tool_choice!r}")


def narrow_tools(
    specs: list[dict[str, Any]], tool_choice: Any = None, tool_required: bool = False
) -> tuple[list[dict[str, Any]], str | None]:
    """The tools to offer and an instruction to add, for a ``tool_choice`` GLM cannot send.

    GLM accepts only ``tool_choice="auto"`` (spec §3.1, §3.5), so the other choices are emulated:
    ``"none"`` offers no function tool; a tool name (or ``{"function": {"name": ...}}``) offers
    only that tool and tells the model to call it; ``"required"``/``tool_required`` keeps the
    tools and tells the model it must call one. The model is asked, not forced.
    """
    choice = _choice_name(tool_choice)
    functions = [spec for spec in specs if spec.get("type") == "function"]
    if choice == "none":
        return [spec for spec in specs if spec.get("type") != "function"], None
    if choice not in (None, "auto", *_FORCING):
        chosen = [spec for spec in functions if spec["function"]["name"] == choice]
        if not chosen:
            offered = ", ".join(spec["function"]["name"] for spec in functions) or "none"
            raise ValueError(f"tool_choice names {choice!r}, which is not among the tools offered ({offered})")
        others = [spec for spec in specs if spec.get("type") != "function"]
        return [*chosen, *others], f"Answer by calling the tool `{choice}`; do not reply in plain text."
    if functions and (tool_required or choice in _FORCING):
        if len(functions) == 1:
            name = functions[0]["function"]["name"]
            return specs, f"Answer by calling the tool `{name}`; do not reply in plain text."
        names = ", ".join(f"`{spec['function']['name']}`" for spec in functions)
        return specs, f"Answer by calling one or more of the tools {names}; do not reply in plain text."
    return specs, None


def with_instruction(messages: Sequence[ChatMessage], instruction: str | None) -> list[ChatMessage]:
    """``messages`` with ``instruction`` added to the leading system message (or a new one first).

    It goes first rather than last because the model reads the last turn as the one to answer.
    """
    out = list(messages)
    if not instruction:
        return out
    if out and out[0].role == MessageRole.SYSTEM and all(isinstance(b, TextBlock) for b in out[0].blocks):
        text = out[0].content or ""
        out[0] = ChatMessage(role=MessageRole.SYSTEM, content=f"{text}\n\n{instruction}" if text else instruction)
    else:
        out.insert(0, ChatMessage(role=MessageRole.SYSTEM, content=instruction))
    return out


def thinking_param(thinking: bool | Mapping[str, Any] | None, preserve: bool) -> dict[str, Any] | None:
    """``thinking`` as the wire object (spec §3.1): ``True``/``False`` switch it; a dict is sent as
    given; ``preserve`` adds ``clear_thinking: false`` unless the dict already says."""
    if thinking is None:
        param: dict[str, Any] | None = None
    elif isinstance(thinking, bool):
        param = {"type": "enabled" if thinking else "disabled"}
    else:
        param = dict(thinking)
        param.setdefault("type", "enabled")
    if preserve and (param is None or param["type"] == "enabled"):
        param = {"type": "enabled", **(param or {})}
        param.setdefault("clear_thinking", False)
    return param


# ------------------------------------------------------------------ response side


def response_kwargs(
    usage: Usage | None, finish_reason: str | None, request_id: str | None, model: str
) -> dict[str, Any]:
    """What ``ChatResponse.additional_kwargs`` carries: token counts where LlamaIndex's token
    counting looks for them, plus GLM's cached and reasoning tokens, finish reason and request id."""
    out: dict[str, Any] = {"finish_reason": finish_reason, "request_id": request_id, "model": model}
    if usage is not None:
        out["prompt_tokens"] = usage.prompt_tokens
        out["completion_tokens"] = usage.completion_tokens
        out["total_tokens"] = usage.total_tokens
        out["cached_tokens"] = usage.cached_tokens
        out["reasoning_tokens"] = usage.reasoning_tokens
    return out


def _arguments(arguments: Any) -> dict[str, Any] | str:
    """Complete JSON arguments as a dict; a fragment still streaming stays a string."""
    if isinstance(arguments, dict):
        return arguments
    if not arguments:
        return {}
    try:
        value = json.loads(arguments)
    except ValueError:
        return str(arguments)
    return value if isinstance(value, dict) else str(arguments)


def _tool_blocks(calls: Iterable[Any]) -> list[ToolCallBlock]:
    """Function calls as blocks; built-in tool calls (web_search, retrieval, mcp) run on GLM's side
    and stay in ``raw``."""
    blocks = []
    for call in calls:
        if _get(call, "type") not in (None, "function"):
            continue
        function = _get(call, "function")
        blocks.append(
            ToolCallBlock(
                tool_call_id=_get(call, "id") or None,
                tool_name=_get(function, "name") or "",
                tool_kwargs=_arguments(_get(function, "arguments")),
            )
        )
    return blocks


def _legacy_calls(calls: Iterable[Any]) -> list[dict[str, Any]]:
    """Function calls as OpenAI-style dicts for ``message.additional_kwargs["tool_calls"]``, where
    parts of llama-index-core still look (the streaming structured-output parser, chat engines).
    Copies, so later stream fragments do not change earlier snapshots."""
    out = []
    for call in calls:
        if _get(call, "type") not in (None, "function"):
            continue
        function = _get(call, "function")
        arguments = _get(function, "arguments")
        out.append(
            {
                "id": _get(call, "id") or "",
                "type": "function",
                "function": {
                    "name": _get(function, "name") or "",
                    "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments or {}),
                },
            }
        )
    return out


_new = object.__new__
_set = object.__setattr__
_M = TypeVar("_M", bound=BaseModel)


def _construct(cls: type[_M], fields: dict[str, Any]) -> _M:
    """A model from fields we built ourselves (all of them given), as pydantic's
    ``model_construct`` makes it but without its per-field loop.

    A stream makes a message, a text block and a response per chunk; validating them (and
    ``ChatMessage``'s own ``__init__`` and validators for ``content=`` and legacy image kwargs)
    would cost more than the rest of the chunk's conversion.
    """
    obj = _new(cls)
    _set(obj, "__dict__", fields)
    _set(obj, "__pydantic_fields_set__", set(fields))
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


def _message(blocks: list[Any], calls: list[dict[str, Any]]) -> ChatMessage:
    extra = {"tool_calls": calls} if calls else {}
    return _construct(ChatMessage, {"role": _ASSISTANT, "additional_kwargs": extra, "blocks": blocks})


def _response(message: ChatMessage, delta: str | None, raw: Any, extra: dict[str, Any]) -> ChatResponse:
    fields = {"message": message, "raw": raw, "delta": delta, "logprobs": None, "additional_kwargs": extra}
    return _construct(ChatResponse, fields)


def _text(text: str) -> TextBlock:
    return _construct(TextBlock, {"block_type": "text", "text": text})


def _split_think_tags(content: str) -> tuple[str | None, str]:
    """GLM-Z1 and GLM-4.5V put reasoning inside ``<think>`` tags in the content (spec §4)."""
    head = content.lstrip()
    if head.startswith("<think>") and "</think>" in head:
        reasoning, _, rest = head[len("<think>") :].partition("</think>")
        return reasoning.strip(), rest.lstrip("\n")
    return None, content


def completion_to_response(completion: ChatCompletion) -> ChatResponse:
    """A non-streaming answer as a ``ChatResponse``: thinking, text and tool-call blocks; ``raw`` is
    the wire JSON (``raw["usage"]`` is what ``TokenCountingHandler`` reads)."""
    message = completion.message
    reasoning = message.reasoning_content
    text = message.text
    if not reasoning:
        reasoning, text = _split_think_tags(text)
    usage = completion.usage
    blocks: list[Any] = []
    if reasoning:
        tokens = usage.reasoning_tokens if usage is not None else 0
        blocks.append(ThinkingBlock(content=reasoning, num_tokens=tokens or None))
    blocks.append(_text(text))
    calls = message.tool_calls or ()
    blocks.extend(_tool_blocks(calls))
    extra = response_kwargs(usage, completion.finish_reason, completion.request_id, completion.model)
    if completion.web_search:
        extra["web_search"] = [result.model_dump(exclude_none=True) for result in completion.web_search]
    return _response(_message(blocks, _legacy_calls(calls)), None, completion.model_dump(exclude_none=True), extra)


class StreamState:
    """Chunks in, cumulative ``ChatResponse`` snapshots out, one per chunk (nothing is dropped,
    so the first reasoning delta reaches ``additional_kwargs["thinking_delta"]``).

    The transport's ``StreamAccumulator`` merges tool-call fragments, usage and the finish reason;
    the text and reasoning are also kept here as growing strings, so each snapshot costs a
    string append and a few small objects rather than a join over every earlier delta.
    """

    __slots__ = ("_calls", "_thinking_block", "_tool_blocks", "accumulator", "reasoning", "request_id", "text")

    def __init__(self, request_id: str | None = None) -> None:
        self.accumulator = StreamAccumulator()
        self.request_id = request_id
        self.text = ""
        self.reasoning = ""
        self._thinking_block: ThinkingBlock | None = None
        self._tool_blocks: list[ToolCallBlock] = []
        self._calls: list[dict[str, Any]] = []

    def feed(self, chunk: ChatCompletionChunk) -> ChatResponse:
        acc = self.accumulator
        acc.feed(chunk)
        delta = chunk.content or ""
        if delta:
            self.text += delta
        extra: dict[str, Any] = {}
        reasoning = chunk.reasoning_content
        if reasoning:
            self.reasoning += reasoning
            self._thinking_block = ThinkingBlock(content=self.reasoning)
            extra["thinking_delta"] = reasoning
        if chunk.tool_calls:
            self._tool_blocks = _tool_blocks(acc.tool_calls)
            self._calls = _legacy_calls(acc.tool_calls)
        if chunk.usage is not None or chunk.finish_reason:
            extra.update(response_kwargs(acc.usage, acc.finish_reason, self.request_id, acc.model))
            if acc.web_search:
                extra["web_search"] = [result.model_dump(exclude_none=True) for result in acc.web_search]
            if self._thinking_block is not None and acc.usage is not None and acc.usage.reasoning_tokens:
                self._thinking_block = ThinkingBlock(content=self.reasoning, num_tokens=acc.usage.reasoning_tokens)
        text_block = _text(self.text)
        if self._thinking_block is None:
            blocks: list[Any] = [text_block, *self._tool_blocks]
        else:
            blocks = [self._thinking_block, text_block, *self._tool_blocks]
        return _response(_message(blocks, self._calls), delta, chunk.raw, extra)


def tool_selections(response: ChatResponse) -> list[ToolSelection]:
    """The function calls of a full or partial (streamed) response; partial JSON is parsed as far as it goes."""
    blocks = [block for block in response.message.blocks if isinstance(block, ToolCallBlock)]
    if not blocks:
        blocks = _tool_blocks(response.message.additional_kwargs.get("tool_calls") or ())
    selections = []
    for block in blocks:
        kwargs = block.tool_kwargs
        if isinstance(kwargs, str):
            try:
                kwargs = parse_partial_json(kwargs) if kwargs.strip() else {}
            except (ValueError, TypeError):
                kwargs = {}
        selections.append(
            ToolSelection(tool_id=block.tool_call_id or "", tool_name=block.tool_name, tool_kwargs=kwargs)
        )
    return selections

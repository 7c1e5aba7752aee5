"""Pure conversions between LlamaIndex types and the GLM dialect (docs/wire-notes.md §3-§5).

LlamaIndex messages, blocks and tools become wire dicts (the rest of the request is built by
``glm_transport.dialect.build_chat_request``); the dialect's reading of an answer
(``interpret_completion``) or a stream (``StreamInterpreter``) becomes ``ChatResponse`` objects.
Nothing here does I/O, so the sync and async methods of ``GLM`` share all of it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

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

from glm_transport.catalog import ModelInfo
from glm_transport.dialect import (
    DEFAULT_RULES,
    FunctionCall,
    InvalidCall,
    ResponseRules,
    ServerCall,
    StreamInterpreter,
    interpret_completion,
    is_mcp_tool,
    server_call,
)
from glm_transport.errors import GLMInvalidRequestError

from ._documents import document_block_part

if TYPE_CHECKING:
    from glm_transport import ChatCompletion, ChatCompletionChunk, Usage

__all__ = [
    "StreamState",
    "completion_to_response",
    "response_kwargs",
    "to_wire_messages",
    "tool_selections",
    "tool_spec",
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
# ------------------------------------------------------------------ request side


def to_wire_messages(messages: Sequence[ChatMessage], info: ModelInfo) -> list[dict[str, Any]]:
    """LlamaIndex messages as GLM ``messages`` (wire notes §3.2).

    Tool results carry the ``tool_call_id`` from their ``additional_kwargs``; one without it gets
    the id of the matching call of the assistant turn before it (the n-th result after a turn gets
    its n-th call), so a history never reaches GLM without ids. Thinking blocks of assistant turns
    go as ``reasoning_content``; the dialect keeps them only with preserved thinking.
    """
    out: list[dict[str, Any]] = []
    call_ids: list[str] = []
    results = 0
    for message in messages:
        role = _ROLES.get(message.role.value)
        if role is None:
            raise GLMInvalidRequestError(f"GLM has no message role {message.role.value!r}")
        if role == "assistant":
            wire = _assistant(message)
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
                f"GLM takes only text in {role} messages, got a {type(block).__name__} (wire notes §3.2)"
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
            continue  # GLM caches prefixes implicitly (wire notes §9.4)
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
    raise GLMInvalidRequestError(
        f"GLM cannot take a {kind} in this form; videos and documents go by URL (wire notes §3.4)"
    )


def _image_url(block: ImageBlock) -> str:
    """An http(s) URL as given, anything else as bare base64, as the official SDK sends it (wire notes §3.4)."""
    if block.image is None and block.path is None and block.url is not None:
        url = str(block.url)
        if not url.startswith("data:"):
            return url
    data: bytes = block.resolve_image(as_base64=True).read()
    return data.decode("ascii")


def _assistant(message: ChatMessage) -> dict[str, Any]:
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
    text = "\n".join(_texts(message.blocks))
    # Wire notes §3.2: content may be null beside tool calls, but the key is always there.
    wire: dict[str, Any] = {"role": "assistant", "content": text if text or not calls else None}
    if calls:
        wire["tool_calls"] = calls
    if reasoning:
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
    """A LlamaIndex tool as a GLM function tool (wire notes §3.3); a dict (e.g. a built-in tool) as given."""
    if is_mcp_tool(tool):
        return tool  # type: ignore[return-value]  # revealed by the transport when the body is built
    if isinstance(tool, Mapping):
        return dict(tool)
    return tool.metadata.to_openai_tool(skip_length_check=True)


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


def _legacy(call_id: str, name: str, arguments: Any) -> dict[str, Any]:
    """A call as an OpenAI-style dict for ``message.additional_kwargs["tool_calls"]``, where parts
    of llama-index-core still look (the streaming structured-output parser, chat engines)."""
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments or {}, ensure_ascii=False)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def _message_kwargs(
    legacy: list[dict[str, Any]], server: Sequence[ServerCall], invalid: Sequence[InvalidCall]
) -> dict[str, Any]:
    """``message.additional_kwargs``: function calls (legacy form), calls GLM ran itself (never a
    ``ToolSelection``), and calls that must not run, with the reason."""
    extra: dict[str, Any] = {}
    if legacy:
        extra["tool_calls"] = legacy
    if server:
        extra["server_tool_calls"] = [call.raw for call in server]
    if invalid:
        extra["invalid_tool_calls"] = [
            {"id": call.id, "name": call.name, "args": call.args, "error": call.error} for call in invalid
        ]
    return extra


def _runnable(calls: Sequence[FunctionCall]) -> tuple[list[ToolCallBlock], list[dict[str, Any]]]:
    blocks = [ToolCallBlock(tool_call_id=call.id or None, tool_name=call.name, tool_kwargs=call.args) for call in calls]
    return blocks, [_legacy(call.id, call.name, call.args) for call in calls]


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


def _message(blocks: list[Any], extra: dict[str, Any]) -> ChatMessage:
    return _construct(ChatMessage, {"role": _ASSISTANT, "additional_kwargs": extra, "blocks": blocks})


def _response(message: ChatMessage, delta: str | None, raw: Any, extra: dict[str, Any]) -> ChatResponse:
    fields = {"message": message, "raw": raw, "delta": delta, "logprobs": None, "additional_kwargs": extra}
    return _construct(ChatResponse, fields)


def _text(text: str) -> TextBlock:
    return _construct(TextBlock, {"block_type": "text", "text": text})


def _ending_kwargs(
    usage: Usage | None,
    finish_reason: str | None,
    request_id: str | None,
    model: str,
    web_search: list[dict[str, Any]] | None,
    content_filter: list[dict[str, Any]] | None,
) -> dict[str, Any]:
    extra = response_kwargs(usage, finish_reason, request_id, model)
    if web_search:
        extra["web_search"] = web_search
    if content_filter:
        extra["content_filter"] = content_filter
    return extra


def completion_to_response(completion: ChatCompletion, rules: ResponseRules = DEFAULT_RULES) -> ChatResponse:
    """A non-streaming answer as a ``ChatResponse``: thinking, text and tool-call blocks; ``raw`` is
    the wire JSON (``raw["usage"]`` is what ``TokenCountingHandler`` reads)."""
    read = interpret_completion(completion, rules)
    usage = read.usage
    blocks: list[Any] = []
    if read.reasoning:
        tokens = usage.reasoning_tokens if usage is not None else 0
        blocks.append(ThinkingBlock(content=read.reasoning, num_tokens=tokens or None))
    blocks.append(_text(read.text))
    tool_blocks, legacy = _runnable(read.calls)
    blocks.extend(tool_blocks)
    extra = _ending_kwargs(usage, read.finish_reason, read.request_id, read.model, read.web_search, read.content_filter)
    message = _message(blocks, _message_kwargs(legacy, read.server_calls, read.invalid_calls))
    return _response(message, None, completion.model_dump(exclude_none=True), extra)


class StreamState:
    """Chunks in, cumulative ``ChatResponse`` snapshots out, one per chunk (nothing is dropped,
    so the first reasoning delta reaches ``additional_kwargs["thinking_delta"]``), then ``close()``
    for text held back at the end.

    The dialect's ``StreamInterpreter`` reads the chunks (inline ``<think>``, call slots, finish
    reason, usage, content filter); text and reasoning are also kept here as growing strings, so
    each snapshot costs a string append and a few small objects. Until the finish reason, tool
    calls are partial (their arguments a string while incomplete); from then on only runnable
    calls are ``ToolCallBlock``s.
    """

    __slots__ = (
        "_blocks",
        "_ending",
        "_feed",
        "_kwargs",
        "_thinking_block",
        "interpreter",
        "reasoning",
        "request_id",
        "text",
    )

    def __init__(self, request_id: str | None = None, rules: ResponseRules = DEFAULT_RULES) -> None:
        self.interpreter = StreamInterpreter(rules)
        self._feed = self.interpreter.feed
        self.request_id = request_id
        self.text = ""
        self.reasoning = ""
        self._thinking_block: ThinkingBlock | None = None
        self._blocks: list[ToolCallBlock] = []
        self._kwargs: dict[str, Any] = {}
        self._ending: dict[str, Any] | None = None

    def feed(self, chunk: ChatCompletionChunk) -> ChatResponse:
        delta, reasoning, _ = self._feed(chunk)
        ending = chunk.finish_reason is not None or chunk.usage is not None
        if chunk.tool_calls or (ending and chunk.finish_reason is not None):
            self._calls()
        return self._snapshot(delta, reasoning, chunk.raw, ending)

    def close(self) -> ChatResponse | None:
        """A last snapshot for text held back at the end of the stream, if any."""
        delta, reasoning = self.interpreter.flush()
        if not (delta or reasoning):
            return None
        return self._snapshot(delta, reasoning, {}, False)

    def _snapshot(self, delta: str, reasoning: str, raw: Any, ending: bool) -> ChatResponse:
        if delta:
            self.text += delta
        extra: dict[str, Any] = {}
        if reasoning:
            self.reasoning += reasoning
            self._thinking_block = ThinkingBlock(content=self.reasoning)
            extra["thinking_delta"] = reasoning
        read = self.interpreter
        if ending:
            self._ending = _ending_kwargs(
                read.usage, read.finish_reason, self.request_id, read.model, read.web_search, read.content_filter
            )
            if self._thinking_block is not None and read.usage is not None and read.usage.reasoning_tokens:
                self._thinking_block = ThinkingBlock(content=self.reasoning, num_tokens=read.usage.reasoning_tokens)
        if self._ending is not None:
            extra.update(self._ending)
        text_block = _text(self.text)
        if self._thinking_block is None:
            blocks: list[Any] = [text_block, *self._blocks]
        else:
            blocks = [self._thinking_block, text_block, *self._blocks]
        return _response(_message(blocks, self._kwargs), delta, raw, extra)

    def _calls(self) -> None:
        read = self.interpreter
        if read.finish_reason is not None:  # final: only runnable calls are blocks
            calls, invalid, server = read.calls()
            self._blocks, legacy = _runnable(calls)
            self._kwargs = _message_kwargs(legacy, server, invalid)
            return
        slots = [slot for slot in read.tool_calls if slot["type"] == "function"]
        if read.rules.first_call_only:
            slots = slots[:1]
        self._blocks = [
            ToolCallBlock(
                tool_call_id=slot["id"] or None,
                tool_name=slot["function"]["name"],
                tool_kwargs=_arguments(slot["function"]["arguments"]),
            )
            for slot in slots
        ]
        server = [_server(slot) for slot in read.tool_calls if slot["type"] != "function"]
        legacy = [_legacy(slot["id"], slot["function"]["name"], slot["function"]["arguments"]) for slot in slots]
        self._kwargs = _message_kwargs(legacy, server, ())


def _server(slot: dict[str, Any]) -> ServerCall:
    return server_call({key: value for key, value in slot.items() if key != "wire_index"})


def tool_selections(response: ChatResponse) -> list[ToolSelection]:
    """The function calls of a full or partial (streamed) response; partial JSON is parsed as far
    as it goes. Calls GLM ran itself are never selections; calls that must not run (an answer cut
    short, unparsable arguments) raise, naming the reason."""
    invalid = response.message.additional_kwargs.get("invalid_tool_calls")
    if invalid:
        reasons = "; ".join(f"{call['name'] or '?'}: {call['error']}" for call in invalid)
        raise ValueError(f"GLM's tool calls cannot be run ({reasons})")
    blocks = [block for block in response.message.blocks if isinstance(block, ToolCallBlock)]
    if not blocks:
        blocks = [
            ToolCallBlock(
                tool_call_id=_get(call, "id") or None,
                tool_name=_get(_get(call, "function"), "name") or "",
                tool_kwargs=_arguments(_get(_get(call, "function"), "arguments")),
            )
            for call in response.message.additional_kwargs.get("tool_calls") or ()
            if _get(call, "type") in (None, "function")
        ]
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

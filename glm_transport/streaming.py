"""From SSE bytes to chunks (``ChatStreamParser``) and from chunks to the final message
(``StreamAccumulator``). Both are pure: the sync and async streams and both adapters share them.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import GLMError, GLMResponseValidationError, GLMStreamError, error_from_body, is_error_envelope
from .sse import MAX_LINE_BYTES, SSEDecoder, SSEEvent
from .types import (
    ChatCompletion,
    ChatCompletionChunk,
    Usage,
    WebSearchResult,
    content_text,
)

__all__ = ["ChatStreamParser", "StreamAccumulator", "parse_chunk"]

ModelT = TypeVar("ModelT", bound=BaseModel)
_loads = json.loads
_WS = b" \t\r\n"


def _malformed(where: str, value: Any, expected: str) -> GLMResponseValidationError:
    shown = repr(value)[:60]
    return GLMResponseValidationError(
        f"malformed stream event: {where} is {type(value).__name__} {shown}, expected {expected}"
    )


def _optional(data: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str, expected: str) -> Any:
    value = data.get(key)
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        raise _malformed(f"{where}{key}", value, expected)
    return value


def _model(cls: type[ModelT], value: Any, where: str) -> ModelT:
    if not isinstance(value, dict):
        raise _malformed(where, value, "an object")
    try:
        return cls.model_validate(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(map(str, first["loc"]))
        raise GLMResponseValidationError(f"malformed stream event: {where}.{loc}: {first['msg']}") from None


def _check_tool_calls(tool_calls: Any) -> list[dict[str, Any]]:
    """Each fragment an object whose ``function`` is an object with a string name and string (or
    object) arguments; anything else would escape later as an AttributeError or TypeError."""
    where = "choices[0].delta.tool_calls"
    if not isinstance(tool_calls, list):
        raise _malformed(where, tool_calls, "a list")
    for n, call in enumerate(tool_calls):
        if not isinstance(call, dict):
            raise _malformed(f"{where}[{n}]", call, "an object")
        _optional(call, "index", int, f"{where}[{n}].", "an integer")
        _optional(call, "id", str, f"{where}[{n}].", "a string")
        _optional(call, "type", str, f"{where}[{n}].", "a string")
        function = _optional(call, "function", dict, f"{where}[{n}].", "an object")
        if function is not None:
            _optional(function, "name", str, f"{where}[{n}].function.", "a string")
            _optional(function, "arguments", (str, dict), f"{where}[{n}].function.", "a JSON string")
    return tool_calls


def _delta(chunk: ChatCompletionChunk, delta: Any) -> None:
    # Exact-type checks inline: this runs once per streamed token.
    if type(delta) is not dict:
        raise _malformed("choices[0].delta", delta, "an object")
    content = delta.get("content")
    if content is None or type(content) is str:
        chunk.content = content
    elif isinstance(content, list):
        chunk.content = content_text(content)
    else:
        raise _malformed("choices[0].delta.content", content, "a string")
    reasoning = delta.get("reasoning_content")
    if reasoning is not None and type(reasoning) is not str:
        raise _malformed("choices[0].delta.reasoning_content", reasoning, "a string")
    chunk.reasoning_content = reasoning
    tool_calls = delta.get("tool_calls")
    if tool_calls is not None:
        chunk.tool_calls = _check_tool_calls(tool_calls)


def _head(data: dict[str, Any]) -> tuple[str, str, int | None]:
    """``id``, ``model`` and ``created`` of an event (an integer id is kept as text)."""
    chunk_id, model, created = data.get("id") or "", data.get("model") or "", data.get("created")
    if type(chunk_id) is not str:
        chunk_id = str(_optional(data, "id", (str, int), "", "a string"))
    if type(model) is not str:
        raise _malformed("model", model, "a string")
    if created is not None and type(created) is not int:
        raise _malformed("created", created, "an integer")
    return chunk_id, model, created


def parse_chunk(data: Any) -> ChatCompletionChunk:
    """One decoded ``data:`` payload to a chunk; tolerant of the variants in wire notes §5.2-5.3, strict
    about shapes: a field of the wrong type is a ``GLMResponseValidationError`` naming it."""
    if type(data) is not dict:
        raise GLMResponseValidationError(f"stream event is not a JSON object: {str(data)[:100]}")
    choices = data.get("choices")
    usage = data.get("usage")
    web_search = data.get("web_search")
    if web_search and type(web_search) is not list:
        raise _malformed("web_search", web_search, "a list")
    chunk_id, model, created = _head(data)
    chunk = ChatCompletionChunk(
        id=chunk_id,
        model=model,
        created=created,
        usage=_model(Usage, usage, "usage") if usage else None,
        web_search=[_model(WebSearchResult, item, "web_search[]") for item in web_search] if web_search else None,
        raw=data,
    )
    if choices:  # ``[]`` in the separate-usage chunk (wire notes §5.3)
        if type(choices) is not list or type(choices[0]) is not dict:
            raise GLMResponseValidationError("stream event has malformed 'choices'")
        choice = choices[0]
        finish = choice.get("finish_reason")
        if finish is not None and type(finish) is not str:
            raise _malformed("choices[0].finish_reason", finish, "a string")
        chunk.finish_reason = finish
        delta = choice.get("delta")
        if delta:
            _delta(chunk, delta)
    elif choices is None and usage is None:
        raise GLMResponseValidationError(f"stream event has neither 'choices' nor 'usage': {str(data)[:100]}")
    return chunk


class ChatStreamParser:
    """Incremental: ``feed(bytes) -> chunks``, then ``finish()`` at the end of the body.

    Raises the classified API error for an in-band ``{"error": ...}`` event, an ``event: error``,
    or a bare JSON error body sent with HTTP 200 (wire notes §5.5); ``GLMStreamError`` for a malformed
    event or a body that ends before ``data: [DONE]``. Events after ``[DONE]`` are ignored.
    """

    __slots__ = ("_json_body", "_request_id", "_sse", "done", "events")

    def __init__(self, request_id: str | None = None) -> None:
        self._sse = SSEDecoder()
        self._request_id = request_id
        self._json_body: bytearray | None = None
        self.done = False
        self.events = 0

    def feed(self, data: bytes) -> list[ChatCompletionChunk]:
        try:
            if self._json_body is not None:
                self._json_body += data
                if len(self._json_body) > MAX_LINE_BYTES:
                    raise GLMResponseValidationError(f"a JSON body longer than {MAX_LINE_BYTES} bytes in a stream")
                return []
            if self.events == 0 and not self._sse.pending_size and data.lstrip(_WS)[:1] == b"{":
                self._json_body = bytearray(data)
                return []
            return self._chunks(self._sse.feed(data))
        except GLMError as exc:
            if exc.request_id is None:
                exc.request_id = self._request_id
            raise

    def _chunks(self, events: list[SSEEvent]) -> list[ChatCompletionChunk]:
        chunks: list[ChatCompletionChunk] = []
        for event in events:
            if self.done:
                continue
            text = event.data
            if text[:6] == "[DONE]":
                self.done = True
                continue
            if not text.strip():
                continue  # a keep-alive with an empty payload
            try:
                payload = _loads(text)
            except ValueError:
                raise GLMStreamError(
                    f"malformed stream event after {self.events} events: {text[:100]!r}",
                    request_id=self._request_id,
                ) from None
            if event.event == "error" or (isinstance(payload, dict) and is_error_envelope(payload)):
                raise error_from_body(200, payload, request_id=self._request_id)
            chunks.append(parse_chunk(payload))
            self.events += 1
        return chunks

    def finish(self) -> None:
        if self._json_body is not None:
            try:
                body = _loads(bytes(self._json_body))
            except ValueError:
                body = None
            if is_error_envelope(body):
                raise error_from_body(200, body, request_id=self._request_id)
            raise GLMResponseValidationError("expected an event stream, got a JSON body", request_id=self._request_id)
        if self._chunks(self._sse.flush()):
            raise GLMStreamError("stream ended before [DONE] (truncated)", request_id=self._request_id)
        if not self.done:
            raise GLMStreamError(
                f"stream ended before [DONE] after {self.events} events (truncated)",
                request_id=self._request_id,
            )


class StreamAccumulator:
    """Merges chunks into the final message: text, reasoning, tool calls by index (wire notes §5.4),
    finish reason, usage (from whichever chunk carries it) and web search results.
    """

    __slots__ = (
        "_content",
        "_reasoning",
        "_slot_of",
        "_tool_calls",
        "created",
        "finish_reason",
        "id",
        "model",
        "usage",
        "web_search",
    )

    def __init__(self) -> None:
        self._content: list[str] = []
        self._reasoning: list[str] = []
        self._tool_calls: dict[int, dict[str, Any]] = {}
        self._slot_of: dict[int, int] = {}  # a wire index -> the slot of the call it names now
        self.id = ""
        self.model = ""
        self.created: int | None = None
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self.web_search: list[WebSearchResult] | None = None

    def feed(self, chunk: ChatCompletionChunk) -> None:
        if chunk.content:
            self._content.append(chunk.content)
        if chunk.reasoning_content:
            self._reasoning.append(chunk.reasoning_content)
        if chunk.tool_calls:
            for delta in chunk.tool_calls:
                self._merge_tool_call(delta)
        if chunk.finish_reason:
            self.finish_reason = chunk.finish_reason
        if chunk.usage is not None:
            self.usage = chunk.usage
        if chunk.web_search:
            self.web_search = chunk.web_search
        if not self.id and chunk.id:
            self.id, self.model, self.created = chunk.id, chunk.model, chunk.created

    def _merge_tool_call(self, delta: dict[str, Any]) -> None:
        index = self._slot(delta)
        function = delta.get("function") or {}
        slot = self._tool_calls.get(index)
        if slot is None:
            slot = self._tool_calls[index] = {
                "id": "",
                "type": "function",
                "index": index,
                "function": {"name": "", "arguments": ""},
            }
        if delta.get("id"):
            slot["id"] = delta["id"]
        if delta.get("type"):
            slot["type"] = delta["type"]
        if function.get("name"):
            slot["function"]["name"] = function["name"]
        arguments = function.get("arguments")
        if arguments is not None:
            slot["function"]["arguments"] += (
                arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
            )
        for key, value in delta.items():  # e.g. the mcp object of BigModel's mcp tool calls
            if key not in ("id", "type", "index", "function"):
                slot[key] = value

    def _slot(self, delta: dict[str, Any]) -> int:
        """The slot a fragment belongs to: the call with its ``id``; else the call its ``index``
        names, unless the fragment brings a new id (a new call at a reused index); else a new slot
        for a new id; else (a bare continuation) the last slot."""
        known, index, call_id = self._tool_calls, delta.get("index"), delta.get("id")
        if call_id:
            for slot_index, slot in known.items():
                if slot["id"] == call_id:
                    return slot_index
        if isinstance(index, int):
            current = self._slot_of.get(index)
            if current is not None and not (call_id and known[current]["id"]):
                return current
            fresh = index if index not in known else max(known) + 1
            self._slot_of[index] = fresh
            return fresh
        if call_id:
            return max(known, default=-1) + 1
        return max(known, default=0)

    @property
    def content(self) -> str:
        return "".join(self._content)

    @property
    def reasoning_content(self) -> str:
        return "".join(self._reasoning)

    @property
    def tool_calls(self) -> list[dict[str, Any]]:
        """Tool calls so far, in index order (arguments may be partial mid-stream)."""
        return [self._tool_calls[index] for index in sorted(self._tool_calls)]

    def finish(self, request_id: str | None = None) -> ChatCompletion:
        message: dict[str, Any] = {"role": "assistant", "content": self.content}
        if self._reasoning:
            message["reasoning_content"] = self.reasoning_content
        if self._tool_calls:
            message["tool_calls"] = self.tool_calls
        return ChatCompletion.model_validate(
            {
                "id": self.id,
                "request_id": request_id,
                "created": self.created,
                "model": self.model,
                "object": "chat.completion",
                "choices": [{"index": 0, "message": message, "finish_reason": self.finish_reason}],
                "usage": self.usage,
                "web_search": self.web_search,
            }
        )

"""From SSE bytes to chunks (``ChatStreamParser``) and from chunks to the final message
(``StreamAccumulator``). Both are pure: the sync and async streams and both adapters share them.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import GLMResponseValidationError, GLMStreamError, error_from_body, is_error_envelope
from .sse import SSEDecoder, SSEEvent
from .types import (
    ChatCompletion,
    ChatCompletionChunk,
    Usage,
    WebSearchResult,
    content_text,
)

__all__ = ["ChatStreamParser", "StreamAccumulator", "parse_chunk"]

_loads = json.loads
_WS = b" \t\r\n"


def parse_chunk(data: Any) -> ChatCompletionChunk:
    """One decoded ``data:`` payload to a chunk; tolerant of the variants in spec §5.2-5.3."""
    if not isinstance(data, dict):
        raise GLMResponseValidationError(f"stream event is not a JSON object: {str(data)[:100]}")
    choices = data.get("choices")
    usage = data.get("usage")
    web_search = data.get("web_search")
    chunk = ChatCompletionChunk(
        id=data.get("id") or "",
        model=data.get("model") or "",
        created=data.get("created"),
        usage=Usage.model_validate(usage) if usage else None,
        web_search=[WebSearchResult.model_validate(item) for item in web_search] if web_search else None,
        raw=data,
    )
    if choices:  # ``[]`` in the separate-usage chunk (spec §5.3)
        if not isinstance(choices, list) or not isinstance(choices[0], dict):
            raise GLMResponseValidationError("stream event has malformed 'choices'")
        choice = choices[0]
        chunk.finish_reason = choice.get("finish_reason")
        delta = choice.get("delta")
        if delta:
            content = delta.get("content")
            chunk.content = content if content is None or isinstance(content, str) else content_text(content)
            chunk.reasoning_content = delta.get("reasoning_content")
            chunk.tool_calls = delta.get("tool_calls")
    elif choices is None and usage is None:
        raise GLMResponseValidationError(f"stream event has neither 'choices' nor 'usage': {str(data)[:100]}")
    return chunk


class ChatStreamParser:
    """Incremental: ``feed(bytes) -> chunks``, then ``finish()`` at the end of the body.

    Raises the classified API error for an in-band ``{"error": ...}`` event, an ``event: error``,
    or a bare JSON error body sent with HTTP 200 (spec §5.5); ``GLMStreamError`` for a malformed
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
        if self._json_body is not None:
            self._json_body += data
            return []
        if self.events == 0 and not self._sse.pending and data.lstrip(_WS)[:1] == b"{":
            self._json_body = bytearray(data)
            return []
        return self._chunks(self._sse.feed(data))

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
    """Merges chunks into the final message: text, reasoning, tool calls by index (spec §5.4),
    finish reason, usage (from whichever chunk carries it) and web search results.
    """

    __slots__ = (
        "_content",
        "_reasoning",
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
        index = tool_call_index(delta, self._tool_calls)
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


def tool_call_index(delta: dict[str, Any], known: dict[int, dict[str, Any]]) -> int:
    """The slot a tool-call fragment belongs to: its ``index``; else the call with its ``id``;
    else a new slot for a new id; else (a bare continuation) the last slot."""
    index = delta.get("index")
    if isinstance(index, int):
        return index
    call_id = delta.get("id")
    if call_id:
        for slot_index, slot in known.items():
            if slot["id"] == call_id:
                return slot_index
        return max(known, default=-1) + 1
    return max(known, default=0)

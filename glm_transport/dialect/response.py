"""GLM response rules, once for both adapters (docs/wire-notes.md §4, §5, §13.6).

``interpret_completion`` reads a whole answer and ``StreamInterpreter`` a stream, chunk by
chunk, into the same parts: the answer text, the reasoning (also when a model writes it inline
as ``<think>…</think>``, with the vision models' box markers removed, however a stream splits
the tags), function calls that may run locally (never those of an answer cut short, never
unparsable ones), server-side tool calls (web_search, retrieval, MCP: GLM ran them), the finish
reason and its meaning, ``content_filter``, usage and web search results.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from glm_transport.types import ChatCompletion, ChatCompletionChunk, Usage, WebSearchResult

from .request import DEFAULT_RULES, ResponseRules

__all__ = [
    "FINISH_REASONS",
    "FinishReason",
    "FunctionCall",
    "InlineSplitter",
    "Interpretation",
    "InvalidCall",
    "ServerCall",
    "StreamInterpreter",
    "content_filter_of",
    "finish_reason_info",
    "interpret_calls",
    "interpret_completion",
    "server_call",
    "split_inline",
    "tool_call_slot",
]


# ---------------------------------------------------------------- finish reasons


@dataclass(frozen=True)
class FinishReason:
    """What a ``finish_reason`` means (wire notes §4, §5.5).

    Attributes:
        name: the wire value.
        meaning: a sentence for people.
        cut: the answer did not end normally; its tool calls are never run.
        filtered: content moderation stopped it (``content_filter`` says why).
    """

    name: str
    meaning: str
    cut: bool = False
    filtered: bool = False


FINISH_REASONS: Mapping[str, FinishReason] = {
    reason.name: reason
    for reason in (
        FinishReason("stop", "the model ended its answer or wrote the stop sequence"),
        FinishReason("tool_calls", "the model called one or more functions"),
        FinishReason("length", "the answer reached max_tokens and was cut", cut=True),
        FinishReason("sensitive", "content moderation stopped the answer", cut=True, filtered=True),
        FinishReason("network_error", "inference failed part-way through the answer", cut=True),
        FinishReason("model_context_window_exceeded", "the context window filled up", cut=True),
    )
}


def finish_reason_info(name: str | None) -> FinishReason | None:
    """The meaning of ``name``; an unknown value (e.g. legacy ``normal``) reads as a normal end."""
    if name is None:
        return None
    reason = FINISH_REASONS.get(name)
    return FinishReason(name, "an end GLM does not document; read as a normal end") if reason is None else reason


# ---------------------------------------------------------------- inline reasoning and box markers

_THINK_OPEN = "<think>"
_THINK_CLOSE = "</think>"
_BOX_MARKERS = ("<|begin_of_box|>", "<|end_of_box|>")
_MARKERS = (_THINK_OPEN, _THINK_CLOSE, *_BOX_MARKERS)


class InlineSplitter:
    """Splits streamed content into answer and inline reasoning (wire notes §4).

    GLM-Z1, GLM-4.5V and GLM-4.1V-Thinking write their reasoning into the content inside
    ``<think>…</think>``; the vision models wrap the answer in ``<|begin_of_box|>…<|end_of_box|>``.
    Tags may be split across chunks, so a text ending in the start of a marker is held back until
    the next chunk (or ``flush``). The answer's leading newlines are dropped (GLM often starts
    with ``"\\n"``, wire notes §4), as are those right after ``</think>``.
    """

    __slots__ = ("_held", "_markup", "_started", "_thinking")

    def __init__(self, markup: bool = True) -> None:
        self._markup = markup  # False: the content is taken literally (``ResponseRules.inline_markup``)
        self._held = ""
        self._thinking = False
        self._started = False  # a non-newline character of the current part has gone out

    def feed(self, text: str) -> tuple[str, str]:
        """``(answer, reasoning)`` of ``text``, as far as it can be told yet."""
        if not self._held and not self._thinking and ("<" not in text or not self._markup):  # the common token
            if not self._started:
                text = text.lstrip("\n")
                self._started = bool(text)
            return text, ""
        answer: list[str] = []
        reasoning: list[str] = []
        rest = self._held + text
        self._held = ""
        while rest:
            at = rest.find("<")
            if at < 0:
                self._emit(rest, answer, reasoning)
                break
            self._emit(rest[:at], answer, reasoning)
            rest = rest[at:]
            marker = next((m for m in _MARKERS if rest.startswith(m)), None)
            if marker is not None:
                self._switch(marker)
                rest = rest[len(marker) :]
            elif any(m.startswith(rest) for m in _MARKERS):
                self._held = rest  # maybe the start of a marker: wait for the next chunk
                break
            else:
                self._emit("<", answer, reasoning)
                rest = rest[1:]
        return "".join(answer), "".join(reasoning)

    def flush(self) -> tuple[str, str]:
        """What is held back at the end of the content."""
        held, self._held = self._held, ""
        answer: list[str] = []
        reasoning: list[str] = []
        self._emit(held, answer, reasoning)
        return "".join(answer), "".join(reasoning)

    def _switch(self, marker: str) -> None:
        if marker == _THINK_OPEN:
            self._thinking = True
            self._started = False  # the reasoning starts now
        elif marker == _THINK_CLOSE:
            self._thinking = False
            self._started = False  # the answer proper starts now

    def _emit(self, text: str, answer: list[str], reasoning: list[str]) -> None:
        if not self._started:
            text = text.lstrip("\n")
            self._started = bool(text)
        if text:
            (reasoning if self._thinking else answer).append(text)


def split_inline(text: str, markup: bool = True) -> tuple[str, str]:
    """``(answer, reasoning)`` of a whole content string (see ``InlineSplitter``)."""
    if "<" not in text or not markup:
        return text.lstrip("\n"), ""
    splitter = InlineSplitter()
    answer, reasoning = splitter.feed(text)
    tail_answer, tail_reasoning = splitter.flush()
    return answer + tail_answer, reasoning + tail_reasoning


# ---------------------------------------------------------------- tool calls


@dataclass(frozen=True)
class FunctionCall:
    """A function call the caller may run: ``args`` parsed from GLM's JSON string."""

    id: str
    name: str
    args: dict[str, Any]


@dataclass(frozen=True)
class InvalidCall:
    """A function call that must not run: arguments cut short or not a JSON object."""

    id: str
    name: str
    args: str
    error: str
    position: int = 0
    """The call's place among the answer's tool calls (a stream's call slot)."""


@dataclass(frozen=True)
class ServerCall:
    """A tool call GLM ran itself (wire notes §3.3, §13.6): never for a local executor.

    Attributes:
        id: the call's id.
        kind: ``web_search``, ``retrieval``, ``mcp_list_tools``, ``mcp_call`` or the wire type.
        name: the tool's name (the MCP tool, or the built-in tool's type).
        args: its arguments, parsed when they are a JSON object.
        output: what the tool returned (MCP ``output``, or the tools an ``mcp_list_tools`` listed).
        error: the tool's error, if any.
        server_label: the MCP server.
        raw: the wire entry.
    """

    id: str
    kind: str
    name: str
    args: dict[str, Any]
    output: Any = None
    error: str | None = None
    server_label: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


def _loads_object(arguments: Any) -> dict[str, Any] | None:
    if isinstance(arguments, Mapping):
        return dict(arguments)
    if arguments is None or (isinstance(arguments, str) and not arguments.strip()):
        return {}
    try:
        value = json.loads(arguments)
    except (TypeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, Mapping) else getattr(obj, key, None)


def _as_dict(call: Any) -> dict[str, Any]:
    if isinstance(call, Mapping):
        return dict(call)
    dump = call.model_dump(exclude_none=True)
    return dump if isinstance(dump, dict) else {}


def server_call(entry: Mapping[str, Any]) -> ServerCall:
    """A server-side tool-call entry (``type`` other than ``function``) in one shape."""
    kind = str(entry.get("type") or "")
    raw = dict(entry)
    detail = entry.get(kind)
    detail = detail if isinstance(detail, Mapping) else {}
    if kind == "mcp":
        sub = str(detail.get("type") or "mcp_call")
        output = detail.get("tools") if sub == "mcp_list_tools" else detail.get("output")
        error = detail.get("error") or None
        return ServerCall(
            id=str(detail.get("id") or entry.get("id") or ""),
            kind=sub,
            name=str(detail.get("name") or sub),
            args=_loads_object(detail.get("arguments")) or {},
            output=output,
            error=str(error) if error else None,
            server_label=detail.get("server_label"),
            raw=raw,
        )
    return ServerCall(id=str(entry.get("id") or ""), kind=kind, name=kind, args=dict(detail), raw=raw)


def interpret_calls(
    calls: Sequence[Any], finish_reason: str | None, rules: ResponseRules = DEFAULT_RULES
) -> tuple[list[FunctionCall], list[InvalidCall], list[ServerCall]]:
    """Wire tool calls (models or dicts) as runnable, invalid and server-side calls.

    A call of an answer cut short (``length``, ``sensitive``, ...) is never runnable, nor one
    whose arguments are not a JSON object; ``first_call_only`` keeps the first function call.
    """
    runnable: list[FunctionCall] = []
    invalid: list[InvalidCall] = []
    server: list[ServerCall] = []
    if not calls:
        return runnable, invalid, server
    reason = finish_reason_info(finish_reason)
    functions = 0
    for position, call in enumerate(calls):
        kind = _get(call, "type") or "function"
        if kind != "function":
            server.append(server_call(_as_dict(call)))
            continue
        functions += 1
        if rules.first_call_only and functions > 1:
            continue
        function = _get(call, "function")
        call_id, name = str(_get(call, "id") or ""), str(_get(function, "name") or "")
        arguments = _get(function, "arguments")
        text = arguments if isinstance(arguments, str) else json.dumps(arguments or {}, ensure_ascii=False)
        args = _loads_object(arguments)
        if reason is not None and reason.cut:
            error = f"not run: {reason.meaning} (finish_reason {reason.name!r})"
            invalid.append(InvalidCall(call_id, name, text, error, position))
        elif args is None:
            invalid.append(InvalidCall(call_id, name, text, "the arguments are not a JSON object", position))
        else:
            runnable.append(FunctionCall(call_id, name, args))
    return runnable, invalid, server


def content_filter_of(raw: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """The ``content_filter`` entries of a body or chunk (wire notes §4): ``[{role, level}]``."""
    entries = raw.get("content_filter")
    if not entries or not isinstance(entries, list):
        return None
    return [dict(entry) for entry in entries if isinstance(entry, Mapping)]


# ---------------------------------------------------------------- a whole answer


@dataclass
class Interpretation:
    """Everything an answer says, for an adapter to put into its framework's types."""

    text: str = ""
    reasoning: str = ""
    calls: list[FunctionCall] = field(default_factory=list)
    invalid_calls: list[InvalidCall] = field(default_factory=list)
    server_calls: list[ServerCall] = field(default_factory=list)
    finish_reason: str | None = None
    content_filter: list[dict[str, Any]] | None = None
    usage: Usage | None = None
    web_search: list[dict[str, Any]] | None = None
    id: str = ""
    model: str = ""
    request_id: str | None = None


def _web_search(results: Sequence[WebSearchResult] | None) -> list[dict[str, Any]] | None:
    return [result.model_dump(exclude_none=True) for result in results] if results else None


def interpret_completion(completion: ChatCompletion, rules: ResponseRules = DEFAULT_RULES) -> Interpretation:
    """A non-streaming answer (wire notes §4) read by the rules above."""
    message = completion.message
    text, inline = split_inline(message.text, rules.inline_markup)
    reasoning = (message.reasoning_content or "") + inline
    calls, invalid, server = interpret_calls(message.tool_calls or (), completion.finish_reason, rules)
    filters = completion.content_filter
    return Interpretation(
        text=text,
        reasoning=reasoning,
        calls=calls,
        invalid_calls=invalid,
        server_calls=server,
        finish_reason=completion.finish_reason,
        content_filter=[item.model_dump(exclude_none=True) for item in filters] if filters else None,
        usage=completion.usage,
        web_search=_web_search(completion.web_search),
        id=completion.id,
        model=completion.model,
        request_id=completion.request_id,
    )


# ---------------------------------------------------------------- a stream


def tool_call_slot(delta: Mapping[str, Any], slots: list[dict[str, Any]]) -> int:
    """The slot (position among the calls so far) a streamed tool-call fragment belongs to.

    By wire ``index``, except that a fragment reusing an index with a new, different ``id``
    starts a new call; a fragment without an index goes to the call with its id, a new call for
    a new id, or (a bare continuation) the last call (wire notes §5.4, §12).
    """
    index = delta.get("index")
    call_id = delta.get("id") or ""
    if isinstance(index, int):
        for position in range(len(slots) - 1, -1, -1):
            slot = slots[position]
            if slot["wire_index"] == index:
                if call_id and slot["id"] and slot["id"] != call_id:
                    break  # same index, new call
                return position
    elif call_id:
        for position, slot in enumerate(slots):
            if slot["id"] == call_id:
                return position
    elif slots:
        return len(slots) - 1
    slots.append({"wire_index": index, "id": "", "type": "function", "function": {"name": "", "arguments": ""}})
    return len(slots) - 1


def _merge(slot: dict[str, Any], delta: Mapping[str, Any]) -> str | None:
    """Merge a fragment into its slot; the argument text it added."""
    if delta.get("id"):
        slot["id"] = delta["id"]
    if delta.get("type"):
        slot["type"] = delta["type"]
    function = delta.get("function") or {}
    if function.get("name"):
        slot["function"]["name"] = function["name"]
    arguments = function.get("arguments")
    if arguments is not None and not isinstance(arguments, str):
        arguments = json.dumps(arguments, ensure_ascii=False)
    if arguments:
        slot["function"]["arguments"] += arguments
    for key, value in delta.items():  # e.g. the mcp object of an MCP entry
        if key not in ("id", "type", "index", "function"):
            slot[key] = value
    return arguments


class StreamInterpreter:
    """A stream (wire notes §5) read chunk by chunk.

    ``feed(chunk)`` returns ``(answer, reasoning, fragments)``: the new answer and reasoning
    text and the new function-call fragments (``{"index": slot, "id", "name", "arguments"}``),
    while the interpreter keeps the finish reason, usage, web search results, content filter and
    the merged calls. ``flush()`` returns text held back at the end; ``calls()`` reads the merged
    calls by the same rules as ``interpret_calls``.
    """

    __slots__ = (
        "_first",
        "_slots",
        "_splitter",
        "content_filter",
        "finish_reason",
        "id",
        "model",
        "rules",
        "usage",
        "web_search",
    )

    def __init__(self, rules: ResponseRules = DEFAULT_RULES) -> None:
        self.rules = rules
        self._splitter = InlineSplitter(rules.inline_markup)
        self._slots: list[dict[str, Any]] = []
        self._first: int | None = None  # the slot of the first function call
        self.id = ""
        self.model = ""
        self.finish_reason: str | None = None
        self.usage: Usage | None = None
        self.web_search: list[dict[str, Any]] | None = None
        self.content_filter: list[dict[str, Any]] | None = None

    def feed(self, chunk: ChatCompletionChunk) -> tuple[str, str, list[dict[str, Any]]]:
        content = chunk.content
        answer, inline = self._splitter.feed(content) if content else ("", "")
        reasoning = chunk.reasoning_content or ""
        if inline:
            reasoning += inline
        if not self.id:
            self.id, self.model = chunk.id, chunk.model
        if chunk.finish_reason is not None or chunk.usage is not None or chunk.web_search:
            self._ending(chunk)
        fragments = self._fragments(chunk.tool_calls) if chunk.tool_calls else []
        return answer, reasoning, fragments

    def _ending(self, chunk: ChatCompletionChunk) -> None:
        if chunk.finish_reason is not None:
            self.finish_reason = chunk.finish_reason
        if chunk.usage is not None:
            self.usage = chunk.usage
        if chunk.web_search:
            self.web_search = _web_search(chunk.web_search)
        filters = content_filter_of(chunk.raw)
        if filters:
            self.content_filter = filters

    def _fragments(self, deltas: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for delta in deltas:
            position = tool_call_slot(delta, self._slots)
            slot = self._slots[position]
            arguments = _merge(slot, delta)
            if slot["type"] != "function":
                continue  # a server-side call: GLM runs it, so nothing streams to the caller
            if self._first is None:
                self._first = position
            if self.rules.first_call_only and position != self._first:
                continue
            name = (delta.get("function") or {}).get("name")
            out.append({"index": position, "id": delta.get("id") or None, "name": name or None, "arguments": arguments})
        return out

    def flush(self) -> tuple[str, str]:
        """``(answer, reasoning)`` held back at the end of the stream."""
        return self._splitter.flush()

    @property
    def tool_calls(self) -> list[dict[str, Any]]:
        """The merged wire calls so far (function and server-side), in order of arrival."""
        return self._slots

    def calls(self) -> tuple[list[FunctionCall], list[InvalidCall], list[ServerCall]]:
        """The merged calls, read as ``interpret_calls`` reads a whole answer's."""
        return interpret_calls(self._slots, self.finish_reason, self.rules)

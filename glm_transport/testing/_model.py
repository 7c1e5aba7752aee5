"""The deterministic "model": a validated chat request in, an ``Answer`` out.

Rules, in order: a user turn offered function tools calls them (one tool: always; several: those
named in the text); a turn ending in tool results summarises them; JSON mode returns an object
(from a JSON Schema in the messages, from quoted keys, or ``{"answer": ...}``); otherwise an echo.
Thinking models add ``reasoning_content``. ``stop`` and ``max_tokens`` cut the content.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import _catalog
from ._embed import search_results
from ._replies import ChatReply, FinishReply
from ._schema import extract_cues, find_schema, instance, quoted_keys
from ._text import (
    collapse,
    content_text,
    first_words,
    message_chars,
    prompt_tokens,
    tokens_for_chars,
    word_count,
)

WEB_RESULTS = 3


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # a JSON string, as on the wire (docs/wire-notes.md §4)
    type: str = "function"


@dataclass(frozen=True)
class Answer:
    content: str
    reasoning: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    finish_reason: str = "stop"
    web_search: tuple[dict[str, Any], ...] | None = None
    prompt_tokens: int = 1
    cached_tokens: int = 0
    usage_override: dict[str, Any] | None = None
    chunks: int | None = None  # stream the content as exactly this many deltas

    def content_filter(self) -> list[dict[str, Any]] | None:
        """A ``sensitive`` finish carries the moderation verdict (docs/wire-notes.md §4): the
        assistant's output was blocked; level 0 is the most severe of 0-3."""
        if self.finish_reason != "sensitive":
            return None
        return [{"role": "assistant", "level": 1}]

    def usage(self) -> dict[str, Any]:
        if self.usage_override is not None:
            return dict(self.usage_override)
        reasoning = word_count(self.reasoning)
        completion = word_count(self.content) + reasoning
        completion += sum(word_count(c.arguments) for c in self.tool_calls)
        usage: dict[str, Any] = {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": self.prompt_tokens + completion,
            "prompt_tokens_details": {"cached_tokens": self.cached_tokens},
        }
        if self.reasoning:
            usage["completion_tokens_details"] = {"reasoning_tokens": reasoning}
        return usage


def answer(body: Mapping[str, Any], *, cached_tokens: int = 0) -> Answer:
    """The model's answer to a chat request already checked by ``validate_chat``."""
    model: str = body["model"]
    messages: list[dict[str, Any]] = body["messages"]
    tools = [t for t in body.get("tools") or () if isinstance(t, Mapping)]
    text = last_user_text(messages)
    last_role = messages[-1].get("role")
    thinking = _catalog.thinks(model) or _catalog.thinks_in_content(model)
    if isinstance(body.get("thinking"), Mapping) and body["thinking"].get("type") == "disabled":
        thinking = False
    functions = [t["function"] for t in tools if t.get("type") == "function"]
    calls = _choose_calls(functions, text, messages) if last_role == "user" else ()
    web = _web_search(tools, text)
    finish = "stop"
    if calls:
        names = ", ".join(c.name for c in calls)
        content, finish = (f"I'll call {names}." if thinking else ""), "tool_calls"
    elif last_role == "tool":
        content = tool_summary(messages)
    elif _json_mode(body):
        content = json_content(messages, text)
    elif web is not None:
        content = _cite(text, web)
    else:
        content = plain_answer(text)
    knowledge = _knowledge_id(tools)
    if knowledge and not calls and not _json_mode(body):
        content = f"Based on knowledge base {knowledge}: {content}"
    if not calls:
        content, finish = limit(content, body.get("stop"), body.get("max_tokens"))
    reasoning = _reasoning(text, calls, last_role) if thinking else None
    if reasoning and _catalog.thinks_in_content(model):
        content, reasoning = f"<think>\n{reasoning}\n</think>\n{content}", None
    return Answer(
        content=content,
        reasoning=reasoning,
        tool_calls=calls,
        finish_reason=finish,
        web_search=web,
        prompt_tokens=prompt_tokens(messages, body.get("tools")),
        cached_tokens=cached_tokens,
    )


def last_user_text(messages: Sequence[Mapping[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return content_text(message.get("content"))
    return ""


def plain_answer(text: str) -> str:
    return f"Hello! You said: {collapse(text, 200)}" if text.strip() else "Hello!"


def _reasoning(text: str, calls: Sequence[ToolCall], last_role: Any) -> str:
    if last_role == "tool":
        return "The tool results are in. I will summarise them for the user."
    echo = collapse(text, 60).rstrip(".?!") or "nothing"
    if calls:
        return f"The user asks: {echo}. I will call {', '.join(c.name for c in calls)}."
    return f"The user asks: {echo}. I will answer briefly."


def _json_mode(body: Mapping[str, Any]) -> bool:
    fmt = body.get("response_format")
    return isinstance(fmt, Mapping) and fmt.get("type") == "json_object"


# ---- tools --------------------------------------------------------------------------------
def _choose_calls(functions: Sequence[Mapping[str, Any]], text: str, messages: Sequence[Any]) -> tuple[ToolCall, ...]:
    if len(functions) == 1:
        chosen = list(functions)
    else:
        found = []
        for fn in functions:
            pattern = rf"(?<![\w-]){re.escape(str(fn['name']))}(?![\w-])"
            m = re.search(pattern, text, re.IGNORECASE)
            if m:
                found.append((m.start(), fn))
        chosen = [fn for _, fn in sorted(found, key=lambda item: item[0])]
    cues = extract_cues(text)
    calls = []
    for i, fn in enumerate(chosen):
        params = fn.get("parameters") or {"type": "object", "properties": {}}
        args = instance(params, cues)
        calls.append(
            ToolCall(
                id=call_id(messages, i),
                name=str(fn["name"]),
                arguments=_dumps(args if isinstance(args, dict) else {}),
            )
        )
    return tuple(calls)


def call_id(messages: Any, index: int) -> str:
    """``call_<19 digits>``, fixed for a given conversation and position."""
    seed = json.dumps(messages, sort_keys=True, default=str) + f"#{index}"
    digest = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big")
    return f"call_{digest % 10**19:019d}"


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def tool_summary(messages: Sequence[Mapping[str, Any]]) -> str:
    """One sentence per tool result of the last turn, naming the tool that produced it."""
    names: dict[str, str] = {}
    for message in messages:
        for call in message.get("tool_calls") or ():
            fn = call.get("function") if isinstance(call, Mapping) else None
            if isinstance(fn, Mapping) and isinstance(call.get("id"), str):
                names[call["id"]] = str(fn.get("name"))
    results = []
    for message in reversed(messages):
        if message.get("role") != "tool":
            break
        results.append(message)
    sentences = []
    for message in reversed(results):
        name = names.get(str(message.get("tool_call_id")), str(message.get("name") or "unknown"))
        value = collapse(content_text(message.get("content")), 200).rstrip(".")
        sentences.append(f"Tool {name} returned: {value}.")
    return " ".join(sentences)


def _web_search(tools: Sequence[Mapping[str, Any]], text: str) -> tuple[dict[str, Any], ...] | None:
    for tool in tools:
        if tool.get("type") != "web_search":
            continue
        found = tool.get("web_search")
        spec: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
        if spec.get("enable") is False:
            return None
        query = spec.get("search_query") if isinstance(spec.get("search_query"), str) else text
        domain = spec.get("search_domain_filter")
        domain = domain if isinstance(domain, str) and domain else None
        return tuple(search_results(query or "search", WEB_RESULTS, domain))
    return None


def _cite(text: str, results: Sequence[Mapping[str, Any]]) -> str:
    cited = "; ".join(f"{r['title']} [{r['refer']}]" for r in results)
    return f"Here is what I found about {collapse(text, 60) or 'your query'}: {cited}."


def _knowledge_id(tools: Sequence[Mapping[str, Any]]) -> str | None:
    for tool in tools:
        spec = tool.get("retrieval")
        if tool.get("type") == "retrieval" and isinstance(spec, Mapping):
            return str(spec.get("knowledge_id"))
    return None


# ---- JSON mode, limits --------------------------------------------------------------------
def json_content(messages: Sequence[Mapping[str, Any]], text: str) -> str:
    for message in reversed(messages):
        schema = find_schema(content_text(message.get("content")))
        if schema is not None:
            return json.dumps(instance(schema, extract_cues(text)), ensure_ascii=False)
    keys = quoted_keys(text)
    if keys:
        return json.dumps({k: f"Example {k}." for k in keys}, ensure_ascii=False)
    return json.dumps({"answer": plain_answer(text)}, ensure_ascii=False)


def limit(content: str, stop: Any, max_tokens: Any) -> tuple[str, str]:
    """Cut at the first stop word (finish "stop") and to ``max_tokens`` words ("length")."""
    words = [stop] if isinstance(stop, str) else list(stop or ())
    hits = [content.find(w) for w in words if isinstance(w, str) and w and w in content]
    if hits:
        content = content[: min(hits)]
    if isinstance(max_tokens, int) and word_count(content) > max_tokens:
        return first_words(content, max_tokens), "length"
    return content, "stop"


# ---- scripted overrides -------------------------------------------------------------------
def apply_override(ans: Answer, reply: ChatReply | FinishReply, messages: Any) -> Answer:
    """The answer after a scripted ``Reply.chat`` or ``Reply.finish``."""
    if isinstance(reply, FinishReply):
        content = reply.content
        if content is None:
            content = first_words(ans.content, word_count(ans.content) // 2)
        calls = ans.tool_calls if reply.finish_reason == "tool_calls" else ()
        return dataclasses.replace(ans, content=content, tool_calls=calls, finish_reason=reply.finish_reason)
    content = ans.content if reply.content is None else reply.content
    if reply.tool_calls is not None:
        calls = tuple(_scripted_call(spec, i, messages) for i, spec in enumerate(reply.tool_calls))
    else:
        calls = ans.tool_calls if reply.content is None else ()
    finish = reply.finish_reason or ("tool_calls" if calls else "stop")
    if reply.finish_reason is None and reply.content is None and not calls:
        finish = ans.finish_reason
    return dataclasses.replace(
        ans,
        content=content,
        reasoning=(reply.reasoning or None) if reply.reasoning is not None else ans.reasoning,
        tool_calls=calls,
        finish_reason=finish,
        web_search=ans.web_search if reply.web_search is None else reply.web_search,
        usage_override=reply.usage,
        chunks=reply.chunks,
    )


def _scripted_call(spec: Mapping[str, Any], index: int, messages: Any) -> ToolCall:
    args = spec.get("arguments", {})
    return ToolCall(
        id=str(spec.get("id") or call_id(messages, index)),
        name=str(spec.get("name", "tool")),
        arguments=args if isinstance(args, str) else _dumps(args),
        type=str(spec.get("type", "function")),
    )


# ---- context caching ----------------------------------------------------------------------
class PromptCache:
    """Remembers every message-list prefix seen, to report ``cached_tokens`` (implicit caching).

    A request reports the tokens of the longest earlier-seen prefix of its messages other than
    the last one, so resending a conversation with a new question hits the cache.
    """

    def __init__(self, limit: int = 200_000) -> None:
        self._seen: set[bytes] = set()
        self._limit = limit
        self._lock = threading.Lock()

    def cached_tokens(self, messages: Sequence[Any]) -> int:
        digests = []
        state = b""
        for message in messages:
            state = hashlib.sha256(state + json.dumps(message, sort_keys=True).encode()).digest()
            digests.append(state)
        with self._lock:
            hit = next((n for n in range(len(messages) - 1, 0, -1) if digests[n - 1] in self._seen), 0)
            if len(self._seen) > self._limit:
                self._seen.clear()
            self._seen.update(digests)
        chars = sum(message_chars(m) for m in messages[:hit] if isinstance(m, Mapping))
        return tokens_for_chars(chars)

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()

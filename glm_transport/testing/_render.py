"""An ``Answer`` on the wire: the non-streaming body (wire notes §4, Ex3) or stream chunks (§5, Ex2/Ex4)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._model import Answer, ToolCall
from ._text import even_pieces, word_pieces

ARGUMENT_PIECE = 10  # characters per tool_stream argument fragment


@dataclass(frozen=True)
class Meta:
    id: str
    created: int
    model: str
    request_id: str


def completion(ans: Answer, meta: Meta) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": ans.content}
    if ans.reasoning:
        message["reasoning_content"] = ans.reasoning
    if ans.tool_calls:
        message["tool_calls"] = [_whole_call(c, i) for i, c in enumerate(ans.tool_calls)]
    body: dict[str, Any] = {
        "choices": [{"finish_reason": ans.finish_reason, "index": 0, "message": message}],
        "created": meta.created,
        "id": meta.id,
        "model": meta.model,
        "object": "chat.completion",
        "request_id": meta.request_id,
        "usage": ans.usage(),
    }
    if ans.web_search is not None:
        body["web_search"] = list(ans.web_search)
    if ans.content_filter() is not None:
        body["content_filter"] = ans.content_filter()
    return body


def _whole_call(call: ToolCall, index: int) -> dict[str, Any]:
    return {
        "function": {"arguments": call.arguments, "name": call.name},
        "id": call.id,
        "index": index,
        "type": call.type,
    }


def stream_chunks(
    ans: Answer, meta: Meta, *, separate_usage: bool = False, tool_stream: bool = False
) -> list[dict[str, Any]]:
    """The chunk objects of a stream, in the order real GLM sends them (no ``[DONE]``)."""

    def chunk(choices: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "id": meta.id,
            "object": "chat.completion.chunk",
            "created": meta.created,
            "model": meta.model,
            "choices": choices,
        }

    def delta(**fields: Any) -> dict[str, Any]:
        # Real GLM repeats the role in every delta (C1, C3, C4).
        return chunk([{"index": 0, "delta": {"role": "assistant", **fields}}])

    out = [delta(reasoning_content=p) for p in word_pieces(ans.reasoning or "")]
    if ans.chunks is not None:
        pieces = even_pieces(ans.content, ans.chunks)
    else:
        # After reasoning, the first content delta is "\n" (Ex2).
        pieces = (["\n"] if ans.reasoning and ans.content else []) + word_pieces(ans.content)
    out += [delta(content=p) for p in pieces]
    for i, call in enumerate(ans.tool_calls):
        if tool_stream:
            out += [delta(tool_calls=[frag]) for frag in _fragments(call, i)]
        else:
            # Whole call in one delta, without a role, as in the glm-4.7 capture (Ex4).
            out.append(chunk([{"index": 0, "delta": {"tool_calls": [_whole_call_stream(call, i)]}}]))
    finish = {"index": 0, "finish_reason": ans.finish_reason, "delta": {"role": "assistant", "content": ""}}
    last = chunk([finish])
    if ans.content_filter() is not None:
        # Next to the finish reason it explains, like usage (docs/wire-notes.md §4, §5.3).
        last["content_filter"] = ans.content_filter()
    out.append(last)
    if separate_usage:
        # The glm-4.6 capture: usage in its own chunk with empty choices (Ex2 variant, C4).
        out.append({**chunk([]), "usage": ans.usage()})
    else:
        last["usage"] = ans.usage()
    if ans.web_search is not None:
        out[0]["web_search"] = list(ans.web_search)
    return out


def _whole_call_stream(call: ToolCall, index: int) -> dict[str, Any]:
    return {
        "id": call.id,
        "index": index,
        "type": call.type,
        "function": {"name": call.name, "arguments": call.arguments},
    }


def _fragments(call: ToolCall, index: int) -> list[dict[str, Any]]:
    """tool_stream: id, type and name first with empty arguments, then argument pieces (Ex5)."""
    first = {
        "index": index,
        "id": call.id,
        "type": call.type,
        "function": {"name": call.name, "arguments": ""},
    }
    args = call.arguments
    rest = [
        {"index": index, "function": {"arguments": args[i : i + ARGUMENT_PIECE]}}
        for i in range(0, len(args), ARGUMENT_PIECE)
    ]
    return [first, *rest]

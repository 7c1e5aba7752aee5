"""Text helpers shared by the model and the other endpoints: token estimates, word splits."""

from __future__ import annotations

import json
import math
import re
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

_PIECE = re.compile(r"\s*\S+|\s+")
_CJK = "\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af"
_TERM = re.compile(f"[{_CJK}]|[^\\W_{_CJK}]+")
STOPWORDS = frozenset(
    (
        "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "has",
        "have", "how", "i", "in", "is", "it", "its", "me", "my", "of", "on", "or", "our", "please",
        "tell", "that", "the", "their", "them", "there", "these", "this", "to", "was", "what", "when",
        "where", "which", "who", "why", "will", "with", "you", "your",
    )
)  # fmt: skip


def content_text(content: Any) -> str:
    """The text of a message ``content``: a string, or the text parts of an array."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping) and p.get("type") == "text")
    return ""


def message_chars(message: Mapping[str, Any]) -> int:
    chars = len(content_text(message.get("content")))
    reasoning = message.get("reasoning_content")
    if isinstance(reasoning, str):
        chars += len(reasoning)
    for call in message.get("tool_calls") or ():
        fn = call.get("function") if isinstance(call, Mapping) else None
        if isinstance(fn, Mapping):
            args = fn.get("arguments", "")
            chars += len(str(fn.get("name", ""))) + len(args if isinstance(args, str) else json.dumps(args))
    return chars


def tokens_for_chars(chars: int) -> int:
    return math.ceil(chars / 4)


def prompt_tokens(messages: Sequence[Mapping[str, Any]], tools: Any = None) -> int:
    """About one token per four characters of message text plus the tools' JSON."""
    chars = sum(message_chars(m) for m in messages if isinstance(m, Mapping))
    if tools:
        chars += len(json.dumps(tools, ensure_ascii=False, separators=(",", ":")))
    return max(1, tokens_for_chars(chars))


def word_count(text: str | None) -> int:
    return len(text.split()) if text else 0


def word_pieces(text: str) -> list[str]:
    """Word-sized pieces (leading whitespace attached) that concatenate back to ``text``."""
    return _PIECE.findall(text)


def even_pieces(text: str, n: int) -> list[str]:
    """Exactly ``n`` pieces of near-equal length (some empty when ``n > len(text)``)."""
    size, extra = divmod(len(text), n)
    out: list[str] = []
    pos = 0
    for i in range(n):
        end = pos + size + (1 if i < extra else 0)
        out.append(text[pos:end])
        pos = end
    return out


def first_words(text: str, n: int) -> str:
    """The first ``n`` words of ``text``, original spacing kept."""
    pieces = word_pieces(text)
    return "".join(p for p in pieces[:n]).rstrip() if n < word_count(text) else text


def terms(text: str) -> list[str]:
    """Lower-cased word tokens without stop words; CJK runs split into single characters."""
    return [t for t in _TERM.findall(text.lower()) if t not in STOPWORDS]


def collapse(text: str, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3].rstrip() + "..."


def join_sentences(parts: Iterable[str]) -> str:
    return " ".join(p for p in parts if p)


def new_id() -> str:
    """A GLM-style task id: a timestamp followed by 16 hex digits."""
    return time.strftime("%Y%m%d%H%M%S") + secrets.token_hex(8)

"""The one offline estimate of GLM token counts, for both adapters (no download, no network).

GLM's exact counts come from its ``/tokenizer`` endpoint (wire notes §8b); its vocabulary is not
published as a small file, and the usual fallbacks (tiktoken, a GPT-2 tokenizer) download theirs
at run time and count another vocabulary. So this is an estimate, calibrated to err high since
it budgets context: a CJK character or up to three digits is a token, a word a token per four
characters, a punctuation mark a token; each message adds a few template tokens.
"""

from __future__ import annotations

import functools
import json
import re
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["MESSAGE_OVERHEAD", "count_text_tokens", "estimate_prompt_tokens", "token_ids"]

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
# A piece is one CJK character, a run of up to 3 digits, a word (with its leading space),
# or one other non-space character; long words count one token per 4 characters.


@functools.cache
def _pieces() -> re.Pattern[str]:  # compiled on first use: about 3 ms, at every import otherwise
    return re.compile(rf"[{_CJK}]|\d{{1,3}}| ?[^\W\d_{_CJK}]+|[^\s\w]|_")


_VOCAB = 151_552  # GLM-4's vocabulary size; ids are only stable labels here
MESSAGE_OVERHEAD = 4
"""Template tokens per message (role markers), as GLM's tokenizer endpoint counts them."""


def _width(piece: str) -> int:
    word = len(piece.lstrip())
    return 1 if word <= 4 else (word + 3) // 4


def token_ids(text: str) -> list[int]:
    """Stable placeholder ids (a hash of each piece), one per estimated token."""
    ids: list[int] = []
    for piece in _pieces().findall(text):
        ids.extend([zlib.crc32(piece.encode()) % _VOCAB] * _width(piece))
    return ids


def count_text_tokens(text: str) -> int:
    """The estimated tokens of ``text``."""
    return sum(_width(piece) for piece in _pieces().findall(text))


def _content_text(content: Any) -> str:
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, Mapping))
    return content if isinstance(content, str) else ""


def estimate_prompt_tokens(
    messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]] | None = None
) -> int:
    """The estimated prompt tokens of wire messages and tools."""
    total = 0
    for message in messages:
        total += MESSAGE_OVERHEAD + count_text_tokens(_content_text(message.get("content")))
        total += count_text_tokens(message.get("reasoning_content") or "")
        for call in message.get("tool_calls") or ():
            function = call.get("function") or {}
            total += count_text_tokens(str(function.get("name", ""))) + count_text_tokens(
                str(function.get("arguments", ""))
            )
    if tools:
        total += count_text_tokens(json.dumps(list(tools), ensure_ascii=False))
    return total

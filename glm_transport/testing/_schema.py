"""Deterministic JSON-Schema instances, filled with cues taken from the user's text.

Used for tool-call arguments and for JSON mode. Numbers found in the text fill integer/number
properties in order; quoted or capitalised words fill strings; everything else gets a fixed value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w])")
_QUOTED = re.compile(r"""(?:^|(?<=[\s(\[:,]))(["'])([^"'\n]{1,80}?)\1(?!\w)""")
_CAPITALISED = re.compile(r"\b[A-Z][\w-]*")
_SENTENCE_END = ".!?"
_FENCE = re.compile(r"```(?:json|JSON)?\s*\n(.*?)```", re.DOTALL)
_MAX_DEPTH = 8

_FORMATS = {
    "date": "2026-01-01",
    "date-time": "2026-01-01T00:00:00Z",
    "time": "12:00:00",
    "email": "user@example.com",
    "uri": "https://example.com",
    "url": "https://example.com",
    "uuid": "00000000-0000-4000-8000-000000000000",
}


@dataclass
class Cues:
    """Values taken from the user's text, handed out in order."""

    numbers: list[int | float] = field(default_factory=list)
    words: list[str] = field(default_factory=list)

    def next_number(self) -> int | float | None:
        return self.numbers.pop(0) if self.numbers else None

    def next_word(self) -> str | None:
        return self.words.pop(0) if self.words else None


def extract_cues(text: str) -> Cues:
    """Numbers in order; quoted strings, then capitalised words that do not start a sentence."""
    numbers: list[int | float] = [float(m) if "." in m else int(m) for m in _NUMBER.findall(text)]
    quoted = [m.group(2).strip() for m in _QUOTED.finditer(text)]
    words = [q for q in quoted if q]
    for m in _CAPITALISED.finditer(text):
        before = text[: m.start()].rstrip()
        if not before or before[-1] in _SENTENCE_END or m.group() == "I":
            continue
        if m.group() not in words and not any(m.group() in q for q in quoted):
            words.append(m.group())
    return Cues(numbers=numbers, words=words)


def instance(schema: Any, cues: Cues, root: Mapping[str, Any] | None = None) -> Any:
    """A value conforming to ``schema`` (the common subset used by tools and Pydantic)."""
    if not isinstance(schema, Mapping):
        return "value"
    return _instance(schema, cues, root if root is not None else schema, 0)


def _instance(schema: Mapping[str, Any], cues: Cues, root: Mapping[str, Any], depth: int) -> Any:
    if depth > _MAX_DEPTH:
        return None
    schema = _resolve(schema, root)
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return enum[0]
    for key in ("anyOf", "oneOf", "allOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            chosen = next((o for o in options if _type_of(_resolve(o, root)) != "null"), options[0])
            return _instance(chosen, cues, root, depth + 1)
    kind = _type_of(schema)
    if kind == "object":
        return _object(schema, cues, root, depth)
    if kind == "array":
        return _array(schema, cues, root, depth)
    if kind in ("integer", "number"):
        return _number(schema, cues, integer=kind == "integer")
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _string(schema, cues)


def _resolve(schema: Any, root: Mapping[str, Any]) -> Mapping[str, Any]:
    seen = 0
    while isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str) and seen < 16:
        node: Any = root
        for part in schema["$ref"].lstrip("#").strip("/").split("/"):
            node = node.get(part) if isinstance(node, Mapping) and part else node
        schema, seen = node, seen + 1
    return schema if isinstance(schema, Mapping) else {}


def _type_of(schema: Mapping[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if isinstance(kind, str):
        return kind
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return "string"


def _object(schema: Mapping[str, Any], cues: Cues, root: Mapping[str, Any], depth: int) -> Any:
    props = schema.get("properties")
    if not isinstance(props, Mapping):
        return {}
    required = schema.get("required")
    names = list(props) if not isinstance(required, list) else [n for n in props if n in required]
    return {name: _instance(_resolve(props[name], root), cues, root, depth + 1) for name in names}


def _array(schema: Mapping[str, Any], cues: Cues, root: Mapping[str, Any], depth: int) -> Any:
    items = schema.get("items")
    count = max(1, _int(schema.get("minItems"), 1))
    if not isinstance(items, Mapping):
        return ["value"] * count
    return [_instance(items, cues, root, depth + 1) for _ in range(count)]


def _number(schema: Mapping[str, Any], cues: Cues, *, integer: bool) -> int | float:
    cue = cues.next_number()
    value: int | float = 3 if cue is None else cue
    low, high = schema.get("minimum"), schema.get("maximum")
    if isinstance(low, int | float) and value < low:
        value = low
    if isinstance(high, int | float) and value > high:
        value = high
    return int(value) if integer else value


def _string(schema: Mapping[str, Any], cues: Cues) -> str:
    fmt = schema.get("format")
    if isinstance(fmt, str) and fmt in _FORMATS:
        return _FORMATS[fmt]
    value = cues.next_word() or "value"
    min_len = _int(schema.get("minLength"), 0)
    max_len = _int(schema.get("maxLength"), 0)
    if min_len and len(value) < min_len:
        value = value.ljust(min_len, "x")
    if max_len and len(value) > max_len:
        value = value[:max_len]
    return value


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def find_schema(text: str) -> dict[str, Any] | None:
    """The first JSON object with ``properties`` in ``text`` (fenced blocks first)."""
    for candidate in _json_objects(text):
        if isinstance(candidate.get("properties"), Mapping):
            return candidate
    return None


def _json_objects(text: str) -> Iterator[dict[str, Any]]:
    for block in _FENCE.findall(text):
        try:
            value = json.loads(block)
        except ValueError:
            continue
        if isinstance(value, dict):
            yield value
    decoder = json.JSONDecoder()
    pos = text.find("{")
    attempts = 0
    while pos != -1 and attempts < 200:
        attempts += 1
        try:
            value, end = decoder.raw_decode(text, pos)
        except ValueError:
            pos = text.find("{", pos + 1)
            continue
        if isinstance(value, dict):
            yield value
        pos = text.find("{", end)


def quoted_keys(text: str) -> list[str]:
    """Identifiers written in quotes (``'setup'``, ``"punchline"``), in order, deduplicated."""
    keys: list[str] = []
    for m in _QUOTED.finditer(text):
        word = m.group(2)
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", word) and word not in keys:
            keys.append(word)
    return keys

"""Helpers for the local server's tests: SSE splitting, shapes, request bodies."""

from __future__ import annotations

import json
import ssl
from pathlib import Path
from typing import Any

import httpx

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
DONE = "[DONE]"
# Building an SSL context costs httpx ~0.2 s per client; loopback tests share one.
TLS = ssl.create_default_context()


def new_client(**options: Any) -> httpx.Client:
    options.setdefault("timeout", 5.0)
    return httpx.Client(verify=TLS, trust_env=False, **options)


def request(method: str, url: str, **options: Any) -> httpx.Response:
    """A one-off request on a fresh client (closed at once, so no connection is left open)."""
    with new_client() as client:
        return client.request(method, url, **options)


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def sse_data(raw: bytes | str) -> list[str]:
    """The ``data`` payloads of an SSE body, asserting the GLM framing (``data: x`` + blank line)."""
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    blocks = text.split("\n\n")
    assert blocks[-1] == "", "the body must end with a blank line"
    out = []
    for block in blocks[:-1]:
        assert block.startswith("data: "), block
        assert "\n" not in block, block
        out.append(block[len("data: ") :])
    return out


def sse_chunks(raw: bytes | str) -> list[dict[str, Any]]:
    """The JSON chunks of a GLM stream, asserting it ends with exactly one ``[DONE]``."""
    data = sse_data(raw)
    assert data[-1] == DONE
    assert DONE not in data[:-1]
    return [json.loads(d) for d in data[:-1]]


def shape(value: Any) -> Any:
    """Key sets and value types, recursively (a list's shape is that of its first item)."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return ["list", shape(value[0])] if value else ["list"]
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def without(value: Any, *keys: str) -> Any:
    """``value`` without the given keys at any depth (for documented extras)."""
    if isinstance(value, dict):
        return {k: without(v, *keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [without(v, *keys) for v in value]
    return value


def kind_of(chunk: dict[str, Any]) -> str:
    """Classify a stream chunk: usage_only, finish, tool_call, reasoning or content."""
    if not chunk["choices"]:
        return "usage_only"
    choice = chunk["choices"][0]
    if "finish_reason" in choice:
        return "finish"
    delta = choice["delta"]
    if "tool_calls" in delta:
        return "tool_call"
    return "reasoning" if "reasoning_content" in delta else "content"


def by_kind(chunks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The first chunk of each kind."""
    out: dict[str, dict[str, Any]] = {}
    for chunk in chunks:
        out.setdefault(kind_of(chunk), chunk)
    return out


def chat(content: str = "Hi there", *, model: str = "glm-4.7", **fields: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": content}], **fields}


def function_tool(name: str, properties: dict[str, Any] | None = None, **schema: Any) -> dict[str, Any]:
    params = {"type": "object", "properties": properties or {}, **schema}
    return {"type": "function", "function": {"name": name, "description": name, "parameters": params}}


def streamed_text(chunks: list[dict[str, Any]], field: str) -> str:
    return "".join(
        c["choices"][0]["delta"].get(field) or "" for c in chunks if c["choices"] and "delta" in c["choices"][0]
    )

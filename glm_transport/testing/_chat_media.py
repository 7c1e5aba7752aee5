"""Chat extras of the local server: document parts (docs/wire-notes.md §3.4) and the server-side
``mcp`` tool (§3.3, §13.6).

Documents: ``file_url`` parts (URL only, not mixed with image or video parts) for GLM-5V-Turbo,
GLM-4.6V and GLM-4.5V; ``file`` parts (one of ``file_id``, ``file_url``, ``file_data``) for
GLM-5.3-Flash. The model "reads" inline ``file_data``: its text joins the user's text.

MCP: the server plays the MCP client GLM is. No network, so each declared server offers its
``allowed_tools`` (or one ``search`` tool); the answer carries one ``mcp_list_tools`` and one
``mcp_call`` entry per server, at indices 0, 1, ... before the text, and keeps ``finish_reason``
``stop`` (the emulation §13.6 describes; no captured reply exists).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ._errors import invalid, missing
from ._text import collapse, content_text
from .documents import extract_text

__all__ = ["check_chat", "read_documents", "with_mcp_completion", "with_mcp_stream"]

_FILE_URL_MODELS = re.compile(r"^(glm-5v-turbo|glm-4\.6v|glm-4\.5v)")
_FILE_MODELS = re.compile(r"^glm-5\.3-flash")
_DATA = re.compile(r"^data:([\w.+/-]+);base64,(.*)$", re.DOTALL)
_EXTENSIONS = {
    "application/pdf": "pdf",
    "text/plain": "txt",
    "text/markdown": "md",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
}


def check_chat(body: Mapping[str, Any], model: str) -> None:
    """Raise ``ApiError`` for a document part or an ``mcp`` tool the API would refuse."""
    for i, message in enumerate(body.get("messages") or ()):
        parts = message.get("content") if isinstance(message, Mapping) else None
        if isinstance(parts, list):
            _check_parts(f"messages[{i}].content", parts, model)
    for i, tool in enumerate(body.get("tools") or ()):
        if isinstance(tool, Mapping) and tool.get("type") == "mcp":
            _check_mcp(f"tools[{i}].mcp", tool.get("mcp"))


def _check_parts(where: str, parts: Sequence[Any], model: str) -> None:
    kinds = {part.get("type") for part in parts if isinstance(part, Mapping)}
    if "file_url" in kinds and kinds & {"image_url", "video_url"}:
        raise invalid(where, "file_url parts cannot be combined with image or video parts")
    for j, part in enumerate(parts):
        kind = part.get("type") if isinstance(part, Mapping) else None
        if kind == "file_url":
            if not _FILE_URL_MODELS.match(model):
                raise invalid(f"{where}[{j}]", f"model {model} does not take file_url parts")
            url = part["file_url"].get("url")
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                raise invalid(f"{where}[{j}].file_url.url", "must be an http(s) URL")
        elif kind == "file":
            if not _FILE_MODELS.match(model):
                raise invalid(f"{where}[{j}]", f"model {model} does not take file parts")
            _check_file(f"{where}[{j}].file", part["file"])


def _check_file(where: str, spec: Mapping[str, Any]) -> None:
    sources = [key for key in ("file_id", "file_url", "file_data") if spec.get(key)]
    if len(sources) != 1:
        raise invalid(where, "needs exactly one of file_id, file_url, file_data")
    if sources == ["file_data"] and not _DATA.match(str(spec["file_data"])):
        raise invalid(f"{where}.file_data", "must be a data:<mime>;base64,... URL")
    if sources == ["file_url"] and not str(spec["file_url"]).startswith(("http://", "https://")):
        raise invalid(f"{where}.file_url", "must be an http(s) URL")


def _check_mcp(where: str, spec: Any) -> None:
    if not isinstance(spec, Mapping):
        raise missing(where)
    if not isinstance(spec.get("server_label"), str) or not spec["server_label"]:
        raise missing(f"{where}.server_label")
    if spec.get("transport_type", "streamable-http") not in ("sse", "streamable-http"):
        raise invalid(f"{where}.transport_type", "must be sse or streamable-http")
    allowed = spec.get("allowed_tools")
    if allowed is not None and (not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed)):
        raise invalid(f"{where}.allowed_tools", "must be an array of tool names")
    headers = spec.get("headers")
    if headers is not None and not isinstance(headers, Mapping):
        raise invalid(f"{where}.headers", "must be an object")


def read_documents(body: Mapping[str, Any]) -> dict[str, Any]:
    """``body`` with each inline ``file_data`` part replaced by a text part holding its text."""
    messages = []
    for message in body.get("messages") or ():
        parts = message.get("content")
        if isinstance(parts, list):
            message = {**message, "content": [_as_text(part) for part in parts]}
        messages.append(message)
    return {**body, "messages": messages}


def _as_text(part: Any) -> Any:
    spec = part.get("file") if isinstance(part, Mapping) and part.get("type") == "file" else None
    match = _DATA.match(str(spec.get("file_data") or "")) if isinstance(spec, Mapping) else None
    if match is None:
        return part
    try:
        text = extract_text(base64.b64decode(match[2]), _EXTENSIONS.get(match[1], match[1].rpartition("/")[2]))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return part
    return {"type": "text", "text": f"{text}\n"}


# ---------------------------------------------------------------- MCP entries


def _mcp_entries(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    question = collapse(content_text((body.get("messages") or [{}])[-1].get("content")), 80)
    for tool in body.get("tools") or ():
        spec = tool.get("mcp") if isinstance(tool, Mapping) and tool.get("type") == "mcp" else None
        if not isinstance(spec, Mapping):
            continue
        label, names = str(spec["server_label"]), list(spec.get("allowed_tools") or ["search"])
        schema = {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}
        listed = [{"name": n, "description": f"{n} on {label}", "input_schema": schema} for n in names]
        arguments = json.dumps({"query": question}, ensure_ascii=False)
        for kind, extra in (
            ("mcp_list_tools", {"tools": listed}),
            ("mcp_call", {"name": names[0], "arguments": arguments, "output": f"{names[0]} found: {question}"}),
        ):
            index = len(entries)
            mcp = {"id": f"mcp_{index}", "type": kind, "server_label": label, "error": None, **extra}
            entries.append({"id": f"call_mcp_{index}", "index": index, "type": "mcp", "mcp": mcp})
    return entries


def with_mcp_completion(reply: dict[str, Any], body: Mapping[str, Any]) -> dict[str, Any]:
    """A chat completion with the MCP entries first in ``message.tool_calls``."""
    entries = _mcp_entries(body)
    if entries:
        message = reply["choices"][0]["message"]
        others = [{**call, "index": call["index"] + len(entries)} for call in message.get("tool_calls") or ()]
        message["tool_calls"] = entries + others
    return reply


def with_mcp_stream(chunks: list[dict[str, Any]], body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Stream chunks with one delta per MCP entry before the answer's first chunk."""
    entries = _mcp_entries(body)
    if not entries or not chunks:
        return chunks
    head = {key: chunks[0][key] for key in ("id", "object", "created", "model")}
    extra = [{**head, "choices": [{"index": 0, "delta": {"role": "assistant", "tool_calls": [e]}}]} for e in entries]
    return extra + chunks

"""LangChain file content blocks as GLM document parts; the rule itself is the transport's
``glm_transport.media.document_part`` (docs/wire-notes.md §3.4), shared with the LlamaIndex adapter."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from glm_transport.catalog import ModelInfo
from glm_transport.media.documents import document_part

__all__ = ["file_part"]


def file_part(block: Mapping[str, Any], info: ModelInfo) -> dict[str, Any]:
    """A standard ``file`` block (v1 ``url``/``base64``/``file_id``, legacy ``source_type``), an
    OpenAI-style ``{"type": "file", "file": {...}}`` part or a ``file_url`` part, as a GLM part."""
    found = block.get("file")
    nested: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    legacy = block.get("source_type")
    url = block.get("url") or (block.get("data") if legacy == "url" else None) or nested.get("file_url")
    if isinstance(block.get("file_url"), Mapping):
        url = block["file_url"].get("url")
    data = block.get("base64") or (block.get("data") if legacy == "base64" else None) or nested.get("file_data")
    file_id = (block.get("id") if legacy == "id" else None) or block.get("file_id") or nested.get("file_id")
    named = [block, nested, *(block.get(key) for key in ("extras", "metadata"))]
    filename = next((m["filename"] for m in named if isinstance(m, Mapping) and m.get("filename")), None)
    return document_part(info, url=url, data=data, mime_type=block.get("mime_type"), file_id=file_id, filename=filename)

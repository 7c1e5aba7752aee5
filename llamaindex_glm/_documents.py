"""LlamaIndex ``DocumentBlock`` as a GLM document part; the rule itself is the transport's
``glm_transport.media.document_part`` (docs/wire-notes.md §3.4), shared with the LangChain adapter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from llama_index.core.base.llms.types import DocumentBlock

from glm_transport.catalog import ModelInfo
from glm_transport.media.documents import document_part

__all__ = ["document_block_part"]


def document_block_part(block: DocumentBlock, info: ModelInfo) -> dict[str, Any]:
    """A URL stays a URL; bytes or a path go as inline data (where the model takes it)."""
    title = block.title if block.title and block.title != "input_document" else None
    filename = title or (Path(str(block.path)).name if block.path else None)
    if block.url and block.data is None and block.path is None:
        return document_part(info, url=str(block.url), filename=filename)
    data = block.resolve_document().read() if info.documents != "url" else b"inline"
    return document_part(info, data=data, mime_type=block.document_mimetype, filename=filename)

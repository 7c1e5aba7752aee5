"""Documents in a chat message (docs/wire-notes.md §3.4, §13.1): the one rule both adapters use to turn
a document (URL, bytes or base64, or an uploaded file id) into a GLM content part.

Models differ (the catalogue's ``documents`` field): ``url`` models (GLM-5V-Turbo, GLM-4.6V, GLM-4.5V)
take the legacy ``file_url`` part, URL only; ``file`` models (GLM-5.3-Flash) take the newer ``file``
part with ``file_url``, ``file_data`` (a base64 data URL) or ``file_id`` from ``/files``; other models
take no documents. Where a model cannot take what it was given, the error says what to do instead.
These refusals rest on what the API documents a part type accepts (URL only, which models), not on a
catalogue number, and an id the catalogue does not know is sent as given: the catalogue informs (§9).
"""

from __future__ import annotations

import base64
import binascii
import mimetypes

from glm_transport.catalog import ModelInfo, list_models
from glm_transport.errors import GLMInvalidRequestError

__all__ = ["MAX_DOCUMENT_BYTES", "document_part"]

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024  # the ``file`` part's limit (§3.4)
_PARSE_FIRST = (
    "parse it first with GLM's file parser (GLMFileParserLoader in LangChain, GLMFileParserReader in "
    "LlamaIndex, glm_transport.media.FileParser) and send the text"
)


def _models(kind: str) -> str:
    return ", ".join(repr(info.id) for info in list_models("chat") if info.documents == kind)


def document_part(
    info: ModelInfo,
    *,
    url: str | None = None,
    data: bytes | str | None = None,
    mime_type: str | None = None,
    file_id: str | None = None,
    filename: str | None = None,
) -> dict[str, object]:
    """The GLM content part for one document given by exactly one of ``url``, ``data`` (raw bytes,
    bare base64 or a ``data:`` URL) and ``file_id``."""
    given = [name for name, value in (("url", url), ("data", data), ("file_id", file_id)) if value]
    if len(given) != 1:
        raise GLMInvalidRequestError(
            f"a document needs exactly one of a URL, data or a file id; got {', '.join(given) or 'none'}"
        )
    mode = info.documents if info.known else ("url" if url else "file")
    if mode == "none":
        raise GLMInvalidRequestError(
            f"{info.id!r} cannot read documents: {_PARSE_FIRST}, or use a model that reads them "
            f"({_models('url')}, {_models('file')})"
        )
    if mode == "url":
        if url is None:
            raise GLMInvalidRequestError(
                f"{info.id!r} takes documents by URL only, not as {given[0]}: put the document at an http(s) "
                f"URL, or {_PARSE_FIRST}; {_models('file')} also take file data and uploaded file ids"
            )
        return {"type": "file_url", "file_url": {"url": _http_url(url)}}
    spec: dict[str, str] = {}
    if url is not None:
        spec["file_url"] = _http_url(url)
    elif file_id is not None:
        spec["file_id"] = file_id
    else:
        assert data is not None
        spec["file_data"] = _data_url(data, mime_type, filename)
    if filename:
        spec["filename"] = filename
    return {"type": "file", "file": spec}


def _http_url(url: str) -> str:
    if url.startswith("data:"):
        raise GLMInvalidRequestError("a document URL must be http(s); pass inline content as data instead")
    if not url.startswith(("http://", "https://")):
        raise GLMInvalidRequestError(f"a document URL must start with http:// or https://, got {url[:40]!r}")
    return url


def _data_url(data: bytes | str, mime_type: str | None, filename: str | None) -> str:
    """A ``data:<mime>;base64,...`` URL, the form the ``file`` part takes (§3.4)."""
    if isinstance(data, str) and data.startswith("data:"):
        header, _, payload = data.partition(",")
        mime_type = mime_type or header[5:].split(";")[0] or None
        data = payload
    if isinstance(data, bytes):
        size, encoded = len(data), base64.b64encode(data).decode("ascii")
    else:
        try:
            size = len(base64.b64decode(data, validate=True))
        except (binascii.Error, ValueError):
            raise GLMInvalidRequestError("document data given as a string must be base64") from None
        encoded = data
    if size == 0:
        raise GLMInvalidRequestError("the document is empty")
    if size > MAX_DOCUMENT_BYTES:
        raise GLMInvalidRequestError(
            f"the document is {size / 2**20:.1f} MB; GLM takes at most {MAX_DOCUMENT_BYTES // 2**20} MB inline: "
            f"upload it to /files and send the file id, or {_PARSE_FIRST}"
        )
    mime_type = mime_type or (mimetypes.guess_type(filename)[0] if filename else None)
    if not mime_type:
        raise GLMInvalidRequestError("document data needs a MIME type (e.g. 'application/pdf') or a file name")
    return f"data:{mime_type};base64,{encoded}"

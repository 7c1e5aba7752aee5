"""Requests of the bulk endpoints (files, batches, async results): any method, query or multipart body,
with the client's own headers and auth. Built here, sent through the client's one retry layer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from ._base import BaseGLMClient, Call, new_request_id

__all__ = ["bulk_call"]


def bulk_call(
    client: BaseGLMClient,
    method: str,
    path: str,
    *,
    params: Mapping[str, Any] | None = None,
    json_body: Mapping[str, Any] | None = None,
    files: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
    accept: str = "application/json",
) -> Call:
    """A call of ``method`` to ``base_url + path`` for the client's retry layer (``_json``/``_send``),
    with a request id for our logs."""
    template = client._request(path, json_body or {})  # our headers, auth and timeouts
    headers = {k: v for k, v in template.headers.items() if k.lower() not in ("content-type", "content-length")}
    headers["accept"] = accept
    query = {k: v for k, v in (params or {}).items() if v is not None}
    if json_body is not None:
        headers["content-type"] = template.headers["content-type"]
        content: bytes | None = template.content
    else:
        content = None
    request = httpx.Request(
        method,
        template.url,
        params=query,
        headers=headers,
        content=content,
        files=files,
        data=data,
        extensions=dict(template.extensions),
    )
    return client._prepared(request, new_request_id())

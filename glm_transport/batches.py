"""``/batches``: create, get, list, cancel (docs/wire-notes.md §13.2): ``Batches(client)`` /
``AsyncBatches(client)``. For whole jobs (write, split, submit, poll, download, results) see ``batch_job``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._bulk_http import bulk_call
from .bulk_types import Batch, BatchList
from .client import AsyncGLMClient, GLMClient
from .errors import GLMInvalidRequestError

__all__ = ["CHAT_ENDPOINT", "EMBEDDINGS_ENDPOINT", "AsyncBatches", "Batches"]

# The line ``url`` and batch ``endpoint`` values of the docs and the SDK's tests (wire notes §13.2).
CHAT_ENDPOINT = "/v4/chat/completions"
EMBEDDINGS_ENDPOINT = "/v4/embeddings"
ENDPOINTS = (CHAT_ENDPOINT, EMBEDDINGS_ENDPOINT)
MAX_METADATA = 16


def create_body(
    input_file_id: str, endpoint: str, metadata: Mapping[str, str] | None, auto_delete_input_file: bool | None
) -> dict[str, Any]:
    if endpoint not in ENDPOINTS:
        raise GLMInvalidRequestError(f"endpoint must be one of {', '.join(ENDPOINTS)}; got {endpoint!r}")
    if metadata is not None:
        if len(metadata) > MAX_METADATA:
            raise GLMInvalidRequestError(f"metadata takes at most {MAX_METADATA} pairs, got {len(metadata)}")
        for key, value in metadata.items():
            if not isinstance(value, str) or len(key) > 64 or len(value) > 512:
                raise GLMInvalidRequestError(f"metadata[{key!r}]: keys up to 64 characters, string values up to 512")
    body: dict[str, Any] = {"input_file_id": input_file_id, "endpoint": endpoint, "completion_window": "24h"}
    if metadata is not None:
        body["metadata"] = dict(metadata)
    if auto_delete_input_file is not None:
        body["auto_delete_input_file"] = auto_delete_input_file
    return body


def _list_params(after: str | None, limit: int | None) -> dict[str, Any]:
    if limit is not None and not 1 <= limit <= 100:
        raise GLMInvalidRequestError(f"limit must be from 1 to 100, got {limit}")
    return {"after": after, "limit": limit}


class Batches:
    """Batches of a ``GLMClient``."""

    def __init__(self, client: GLMClient) -> None:
        self._client = client

    def create(
        self,
        input_file_id: str,
        *,
        endpoint: str = CHAT_ENDPOINT,
        metadata: Mapping[str, str] | None = None,
        auto_delete_input_file: bool | None = None,
    ) -> Batch:
        body = create_body(input_file_id, endpoint, metadata, auto_delete_input_file)
        return self._client._json(bulk_call(self._client, "POST", "/batches", json_body=body), Batch)

    def get(self, batch_id: str) -> Batch:
        return self._client._json(bulk_call(self._client, "GET", f"/batches/{batch_id}"), Batch)

    def list(self, *, after: str | None = None, limit: int | None = None) -> BatchList:
        return self._client._json(
            bulk_call(self._client, "GET", "/batches", params=_list_params(after, limit)), BatchList
        )

    def cancel(self, batch_id: str) -> Batch:
        return self._client._json(bulk_call(self._client, "POST", f"/batches/{batch_id}/cancel", json_body={}), Batch)


class AsyncBatches:
    """Batches of an ``AsyncGLMClient``: the methods of ``Batches``, awaited."""

    def __init__(self, client: AsyncGLMClient) -> None:
        self._client = client

    async def create(
        self,
        input_file_id: str,
        *,
        endpoint: str = CHAT_ENDPOINT,
        metadata: Mapping[str, str] | None = None,
        auto_delete_input_file: bool | None = None,
    ) -> Batch:
        body = create_body(input_file_id, endpoint, metadata, auto_delete_input_file)
        return await self._client._json(bulk_call(self._client, "POST", "/batches", json_body=body), Batch)

    async def get(self, batch_id: str) -> Batch:
        return await self._client._json(bulk_call(self._client, "GET", f"/batches/{batch_id}"), Batch)

    async def list(self, *, after: str | None = None, limit: int | None = None) -> BatchList:
        return await self._client._json(
            bulk_call(self._client, "GET", "/batches", params=_list_params(after, limit)), BatchList
        )

    async def cancel(self, batch_id: str) -> Batch:
        return await self._client._json(
            bulk_call(self._client, "POST", f"/batches/{batch_id}/cancel", json_body={}), Batch
        )

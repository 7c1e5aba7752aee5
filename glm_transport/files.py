"""``/files``: upload, list, download, delete (docs/wire-notes.md §13.1), for ``GLMClient`` and
``AsyncGLMClient`` alike: ``Files(client)`` / ``AsyncFiles(client)``. Requests go through the client's
retry layer; downloads stream to disk (a retried download starts the file over).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import httpx

from ._bulk_http import bulk_call
from .bulk_types import FileDeleted, FileList, FileObject
from .client import AsyncGLMClient, GLMClient
from .errors import GLMInvalidRequestError

__all__ = ["AsyncFiles", "Files"]

PURPOSES = ("batch", "file-extract", "code-interpreter", "agent", "voice-clone-input", "user_data")
FileInput = str | os.PathLike[str] | bytes | IO[bytes]


def _upload_parts(file: FileInput, purpose: str, filename: str | None) -> tuple[dict[str, Any], dict[str, str]]:
    if purpose not in PURPOSES:
        raise GLMInvalidRequestError(f"purpose must be one of {', '.join(PURPOSES)}; got {purpose!r}")
    if isinstance(file, str | os.PathLike):
        path = Path(file)
        if not path.is_file():
            raise GLMInvalidRequestError(f"no file at {str(path)!r}")
        # httpx reads (and on a retry, rewinds) the open file as it sends; the caller's ``with`` closes it.
        return {"file": (filename or path.name, path.open("rb"))}, {"purpose": purpose}
    if filename is None:
        raise GLMInvalidRequestError("filename= is required when uploading bytes or a file object")
    return {"file": (filename, file)}, {"purpose": purpose}


def _list_params(purpose: str | None, limit: int | None, after: str | None) -> dict[str, Any]:
    if limit is not None and not 1 <= limit <= 100:
        raise GLMInvalidRequestError(f"limit must be from 1 to 100, got {limit}")
    return {"purpose": purpose, "limit": limit, "after": after}


def _to_disk(path: Path) -> Callable[[httpx.Response], Path]:
    def consume(response: httpx.Response) -> Path:
        try:
            if not response.is_success:
                raise _error(response, response.read())
            with path.open("wb") as out:
                for piece in response.iter_bytes():
                    out.write(piece)
        finally:
            response.close()
        return path

    return consume


def _error(response: httpx.Response, content: bytes) -> Exception:
    from .errors import error_from_response

    return error_from_response(response.status_code, content)


class Files:
    """Files of a ``GLMClient``."""

    def __init__(self, client: GLMClient) -> None:
        self._client = client

    def upload(self, file: FileInput, *, purpose: str = "batch", filename: str | None = None) -> FileObject:
        """Upload a path, bytes or binary file object (``filename=`` required for the last two)."""
        files, data = _upload_parts(file, purpose, filename)
        try:
            return self._client._json(bulk_call(self._client, "POST", "/files", files=files, data=data), FileObject)
        finally:
            _close_opened(files, file)

    def list(self, *, purpose: str | None = None, limit: int | None = None, after: str | None = None) -> FileList:
        return self._client._json(
            bulk_call(self._client, "GET", "/files", params=_list_params(purpose, limit, after)), FileList
        )

    def download(self, file_id: str, path: str | os.PathLike[str]) -> Path:
        """Stream a file's content to ``path`` (``batch`` and ``file-extract`` files only)."""
        return self._client._send(
            bulk_call(self._client, "GET", f"/files/{file_id}/content", accept="application/binary"),
            _to_disk(Path(path)),
        )

    def content(self, file_id: str) -> bytes:
        def consume(response: httpx.Response) -> bytes:
            try:
                content = response.read()
            finally:
                response.close()
            if not response.is_success:
                raise _error(response, content)
            return content

        return self._client._send(
            bulk_call(self._client, "GET", f"/files/{file_id}/content", accept="application/binary"), consume
        )

    def delete(self, file_id: str) -> FileDeleted:
        return self._client._json(bulk_call(self._client, "DELETE", f"/files/{file_id}"), FileDeleted)


class AsyncFiles:
    """Files of an ``AsyncGLMClient``: the methods of ``Files``, awaited."""

    def __init__(self, client: AsyncGLMClient) -> None:
        self._client = client

    async def upload(self, file: FileInput, *, purpose: str = "batch", filename: str | None = None) -> FileObject:
        files, data = _upload_parts(file, purpose, filename)
        try:
            return await self._client._json(
                bulk_call(self._client, "POST", "/files", files=files, data=data), FileObject
            )
        finally:
            _close_opened(files, file)

    async def list(self, *, purpose: str | None = None, limit: int | None = None, after: str | None = None) -> FileList:
        return await self._client._json(
            bulk_call(self._client, "GET", "/files", params=_list_params(purpose, limit, after)), FileList
        )

    async def download(self, file_id: str, path: str | os.PathLike[str]) -> Path:
        target = Path(path)

        async def consume(response: httpx.Response) -> Path:
            try:
                if not response.is_success:
                    raise _error(response, await response.aread())
                # A local file: writes are short and buffered; the rules bar threads for I/O (STYLE.md).
                with target.open("wb") as out:  # noqa: ASYNC230
                    async for piece in response.aiter_bytes():
                        out.write(piece)
            finally:
                await response.aclose()
            return target

        return await self._client._send(
            bulk_call(self._client, "GET", f"/files/{file_id}/content", accept="application/binary"), consume
        )

    async def content(self, file_id: str) -> bytes:
        async def consume(response: httpx.Response) -> bytes:
            try:
                content = await response.aread()
            finally:
                await response.aclose()
            if not response.is_success:
                raise _error(response, content)
            return content

        return await self._client._send(
            bulk_call(self._client, "GET", f"/files/{file_id}/content", accept="application/binary"), consume
        )

    async def delete(self, file_id: str) -> FileDeleted:
        return await self._client._json(bulk_call(self._client, "DELETE", f"/files/{file_id}"), FileDeleted)


def _close_opened(files: dict[str, Any], given: FileInput) -> None:
    handle = files["file"][1]
    if handle is not given:
        handle.close()

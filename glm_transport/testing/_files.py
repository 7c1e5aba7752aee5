"""``/files``: upload (multipart), list, content, delete (wire notes §13.1). Files live in a temporary
directory, not in memory, so a benchmark's 100 MB batch files do not sit in the server's heap.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from ._errors import ApiError, invalid, missing

PURPOSES = ("batch", "file-extract", "code-interpreter", "agent", "voice-clone-input", "user_data")
MAX_BATCH_FILE_BYTES = 100 * 1024 * 1024  # wire notes §13.1
MAX_LIST = 100


@dataclass
class StoredFile:
    id: str
    bytes: int
    created_at: int
    filename: str
    purpose: str
    path: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "file",
            "bytes": self.bytes,
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
        }


def parse_multipart(content_type: str | None, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    """Form fields of a ``multipart/form-data`` body: name -> (filename, bytes)."""
    if not content_type or not content_type.lower().startswith("multipart/form-data"):
        raise ApiError(400, "1214", "Invalid parameter Content-Type: upload a file as multipart/form-data")
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str):
            payload = part.get_payload(decode=True)
            fields[name] = (part.get_filename(), payload if isinstance(payload, bytes) else b"")
    return fields


class FileStore:
    """Uploaded and generated files, on disk."""

    def __init__(self) -> None:
        self._dir = tempfile.mkdtemp(prefix="glm-local-files-")
        self._lock = threading.Lock()
        self.files: dict[str, StoredFile] = {}

    def close(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)

    def new_path(self) -> tuple[str, str]:
        file_id = time.strftime("%Y%m%d_") + str(uuid.uuid4())  # shaped as the capture (wire notes §13.1)
        return file_id, os.path.join(self._dir, file_id)

    def add(self, file_id: str, path: str, filename: str, purpose: str) -> StoredFile:
        stored = StoredFile(file_id, os.path.getsize(path), int(time.time()), filename, purpose, path)
        with self._lock:
            self.files[file_id] = stored
        return stored

    def upload(self, content_type: str | None, body: bytes) -> dict[str, Any]:
        fields = parse_multipart(content_type, body)
        if "purpose" not in fields:
            raise missing("purpose")
        if "file" not in fields:
            raise missing("file")
        purpose = fields["purpose"][1].decode("utf-8", "replace")
        if purpose not in PURPOSES:
            raise invalid("purpose", f"must be one of {', '.join(PURPOSES)}")
        filename, data = fields["file"]
        filename = filename or "upload"
        if purpose == "batch":
            if not filename.endswith(".jsonl"):
                raise ApiError(400, "1214", "Invalid parameter file: batch files must be .jsonl")
            if len(data) > MAX_BATCH_FILE_BYTES:
                raise ApiError(435, "1214", "File size exceeds the 100 MB limit")
        file_id, path = self.new_path()
        with open(path, "wb") as out:
            out.write(data)
        return self.add(file_id, path, filename, purpose).to_json()

    def get(self, file_id: str) -> StoredFile:
        with self._lock:
            stored = self.files.get(file_id)
        if stored is None:
            raise ApiError(404, "1214", f"Invalid parameter file_id: no file {file_id}")
        return stored

    def listing(self, query: dict[str, list[str]]) -> dict[str, Any]:
        purpose = query.get("purpose", [None])[0]
        limit = _limit(query)
        after = query.get("after", [None])[0]
        with self._lock:
            ordered = sorted(self.files.values(), key=lambda f: (f.created_at, f.id), reverse=True)
        items = [f for f in ordered if purpose in (None, f.purpose)]
        if after is not None:
            ids = [f.id for f in items]
            items = items[ids.index(after) + 1 :] if after in ids else []
        page = items[:limit]
        return {"object": "list", "data": [f.to_json() for f in page], "has_more": len(items) > limit}

    def delete(self, file_id: str) -> dict[str, Any]:
        stored = self.get(file_id)
        with self._lock:
            self.files.pop(file_id, None)
        with contextlib.suppress(OSError):
            os.remove(stored.path)
        return {"id": file_id, "object": "file", "deleted": True}


def _limit(query: dict[str, list[str]], default: int = 20) -> int:
    raw = query.get("limit", [str(default)])[0]
    try:
        limit = int(raw)
    except ValueError:
        raise invalid("limit", "must be an integer from 1 to 100") from None
    if not 1 <= limit <= MAX_LIST:
        raise invalid("limit", "must be an integer from 1 to 100")
    return limit

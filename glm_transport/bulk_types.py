"""Wire types of files, batches and async tasks (docs/wire-notes.md §13.1, §13.2, §13.4).

Models keep unknown fields, like ``types.py``. Quirks handled here: a file's name may come as
``fileName`` while ``filename`` is null, and batch file ids may be ``""`` instead of null (§13.8).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from .types import ChatCompletion

__all__ = [
    "AsyncChatResult",
    "AsyncTask",
    "Batch",
    "BatchList",
    "BatchRequestCounts",
    "FileDeleted",
    "FileList",
    "FileObject",
]

TERMINAL_STATUSES = frozenset({"completed", "failed", "expired", "cancelled"})


class _Wire(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, protected_namespaces=())


class FileObject(_Wire):
    id: str
    object: str = "file"
    bytes: int | None = None
    created_at: int | None = None
    filename: str | None = None
    purpose: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _camel_name(cls, data: Any) -> Any:
        # A 2024 capture had ``filename: null`` and the name in ``fileName`` (wire notes §13.1).
        if isinstance(data, dict) and not data.get("filename") and data.get("fileName"):
            return {**data, "filename": data["fileName"]}
        return data


class FileList(_Wire):
    object: str = "list"
    data: list[FileObject]
    has_more: bool = False


class FileDeleted(_Wire):
    id: str
    object: str = "file"
    deleted: bool


class BatchRequestCounts(_Wire):
    total: int | None = None
    completed: int | None = None
    failed: int | None = None


class Batch(_Wire):
    id: str
    object: str = "batch"
    endpoint: str | None = None
    input_file_id: str | None = None
    status: str
    output_file_id: str | None = None
    error_file_id: str | None = None
    created_at: int | None = None
    request_counts: BatchRequestCounts | None = None
    metadata: dict[str, Any] | None = None
    errors: dict[str, Any] | None = None

    @field_validator("output_file_id", "error_file_id", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return value or None  # "" on retrieve, null on create (wire notes §13.8)

    @property
    def done(self) -> bool:
        return self.status in TERMINAL_STATUSES


class BatchList(_Wire):
    object: str = "list"
    data: list[Batch]
    first_id: str | None = None
    last_id: str | None = None
    has_more: bool = False


class AsyncTask(_Wire):
    """The submission reply and the poll reply while the task runs."""

    id: str | None = None
    request_id: str | None = None
    model: str | None = None
    task_status: str


class AsyncChatResult(ChatCompletion):
    """A finished async chat: a chat completion plus ``task_status`` (wire notes §13.4)."""

    task_status: str = "SUCCESS"

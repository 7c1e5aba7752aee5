"""GLM's file parser (docs/wire-notes.md §13.3): a document in, its text (or a download link) out.

Tiers: ``lite``, ``expert`` and ``prime`` run as a task (``POST /files/parser/create``, then
``GET /files/parser/result/{task_id}/{text|download_link}`` until it is no longer ``processing``);
``prime-sync`` answers at once (``POST /files/parser/sync``). File type and size are checked against
the tier's limits before anything is uploaded. ``FileParser.parse_many`` parses many files with
bounded concurrency, reports progress, keeps input order and reports a failed file without losing
the others.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Union

from glm_transport._base import BaseGLMClient
from glm_transport.client import AsyncGLMClient, GLMClient
from glm_transport.errors import GLMError, GLMInvalidRequestError

from ._flow import (
    Flow,
    GLMTaskFailedError,
    PollPolicy,
    TaskProgress,
    WireModel,
    adrive,
    drive,
    get_request,
    multipart_request,
    poll,
)

__all__ = [
    "TIERS",
    "AsyncFileParser",
    "FileParser",
    "ParseFailure",
    "ParsedFile",
    "ParserTier",
    "check_parse_input",
]

ParserTier = Literal["lite", "expert", "prime", "prime-sync"]
ResultFormat = Literal["text", "download_link"]
FileInput = Union[str, "os.PathLike[str]", tuple[str, bytes]]
TIERS: tuple[str, ...] = ("lite", "expert", "prime", "prime-sync")
MB = 1024 * 1024

# Types per tier (docs/wire-notes.md §13.3).
_LITE = frozenset(("pdf", "docx", "doc", "xls", "xlsx", "ppt", "pptx", "png", "jpg", "jpeg", "csv", "txt", "md"))
_PRIME = _LITE | frozenset(
    ("html", "bmp", "gif", "webp", "heic", "eps", "icns", "im", "pcx", "ppm", "tiff", "xbm", "heif", "jp2")
)
TYPES: dict[str, frozenset[str]] = {
    "lite": _LITE,
    "expert": frozenset({"pdf"}),
    "prime": _PRIME,
    "prime-sync": _PRIME | {"wps"},
}
_IMAGES = frozenset(
    (
        "png",
        "jpg",
        "jpeg",
        "bmp",
        "gif",
        "webp",
        "heic",
        "eps",
        "icns",
        "im",
        "pcx",
        "ppm",
        "tiff",
        "xbm",
        "heif",
        "jp2",
    )
)
# prime-sync caps are documented (§13.3). The task tiers have none of their own on the parser page, so
# they take the file API's ``file-extract`` limits, 50 MB and 5 MB for images (§13.1): inferred.
_SYNC_BIG = frozenset(("wps", "pdf", "doc", "docx", "ppt", "pptx"))
_SYNC_SMALL = frozenset(("md", "txt", "xls", "xlsx", "csv"))
_MIME = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "txt": "text/plain",
    "md": "text/markdown",
    "csv": "text/csv",
    "html": "text/html",
}


def size_limit(tier: str, file_type: str) -> int:
    """Bytes a file of ``file_type`` may have for ``tier``."""
    if tier == "prime-sync":
        return 100 * MB if file_type in _SYNC_BIG else 10 * MB if file_type in _SYNC_SMALL else 20 * MB
    return 5 * MB if file_type in _IMAGES else 50 * MB


def check_parse_input(name: str, size: int, tier: str) -> str:
    """The ``file_type`` to send for a file called ``name`` of ``size`` bytes, or
    ``GLMInvalidRequestError`` naming what is wrong (tier, type or size) before any upload."""
    if tier not in TYPES:
        raise GLMInvalidRequestError(f"parser tier must be one of {', '.join(TIERS)}; got {tier!r}")
    file_type = Path(name).suffix.lower().lstrip(".")
    if file_type not in TYPES[tier]:
        fits = [t for t in TIERS if file_type in TYPES[t]]
        hint = f"; the {', '.join(fits)} tier takes it" if fits else ""
        raise GLMInvalidRequestError(
            f"the {tier} parser cannot read {name!r} (.{file_type or '?'}): it takes "
            f"{', '.join(sorted(TYPES[tier]))}{hint}"
        )
    if size == 0:
        raise GLMInvalidRequestError(f"{name!r} is empty")
    limit = size_limit(tier, file_type)
    if size > limit:
        raise GLMInvalidRequestError(
            f"{name!r} is {size / MB:.1f} MB; the {tier} parser takes .{file_type} files up to {limit // MB} MB"
        )
    return file_type.upper()


def read_input(file: FileInput) -> tuple[str, bytes]:
    """``(file name, bytes)`` of a path or a ``(name, bytes)`` pair."""
    if isinstance(file, tuple):
        name, data = file
        if not isinstance(name, str) or not isinstance(data, bytes):
            raise GLMInvalidRequestError("a file given as a tuple must be (file name, bytes)")
        return name, data
    path = Path(file)
    return path.name, path.read_bytes()


# ---------------------------------------------------------------- wire replies and results


class TaskCreated(WireModel):
    task_id: str | None = None
    message: str | None = None
    success: bool | None = None


class ParserReply(WireModel):
    status: str | None = None
    message: str | None = None
    task_id: str | None = None
    content: str | None = None
    parsing_result_url: str | None = None


@dataclass(frozen=True)
class ParsedFile:
    """One parsed file: ``text`` for the ``text`` format, ``download_url`` for ``download_link``
    (a package of Markdown, images and a layout JSON, §13.3)."""

    name: str
    tier: str
    task_id: str
    text: str | None = None
    download_url: str | None = None

    @property
    def ok(self) -> bool:
        return True


@dataclass(frozen=True)
class ParseFailure:
    """A file of a ``parse_many`` call that could not be parsed; ``error`` says why (a ``GLMError``, or
    an ``OSError`` for a file that could not be read)."""

    name: str
    tier: str
    error: GLMError | OSError

    @property
    def ok(self) -> bool:
        return False


@dataclass(frozen=True)
class ParseProgress:
    """What ``parse_many``'s progress callback receives once per finished file."""

    done: int
    total: int
    name: str
    ok: bool


# ---------------------------------------------------------------- the flow


def _finished(reply: ParserReply, name: str, tier: str, task_id: str) -> ParsedFile:
    if reply.status != "succeeded":
        raise GLMTaskFailedError(
            f"GLM could not parse {name!r} ({tier}): {reply.message or reply.status}", task_id=task_id
        )
    return ParsedFile(name, tier, task_id, text=reply.content, download_url=reply.parsing_result_url)


def parse_flow(
    client: BaseGLMClient,
    file: FileInput,
    tier: str,
    result: str,
    policy: PollPolicy,
    on_progress: Callable[[TaskProgress], None] | None,
) -> Flow[ParsedFile]:
    """Check, upload and (for the task tiers) poll one file."""
    if result not in ("text", "download_link"):
        raise GLMInvalidRequestError(f"result must be 'text' or 'download_link', got {result!r}")
    name, data = read_input(file)
    file_type = check_parse_input(name, len(data), tier)
    upload = (name, data, _MIME.get(file_type.lower(), "application/octet-stream"))
    fields = {"tool_type": tier, "file_type": file_type}
    if tier == "prime-sync":
        reply = yield multipart_request(client, "/files/parser/sync", fields, upload, ParserReply)
        return _finished(reply, name, tier, reply.task_id or "")
    created = yield multipart_request(client, "/files/parser/create", fields, upload, TaskCreated)
    if not created.task_id or created.success is False:
        raise GLMTaskFailedError(f"GLM did not start parsing {name!r}: {created.message or 'no task id'}")
    task_id = created.task_id
    path = f"/files/parser/result/{task_id}/{result}"
    reply = yield from poll(
        lambda: get_request(client, path, ParserReply),
        lambda r: r.status or "processing",
        task_id=task_id,
        done=frozenset({"succeeded", "failed"}),
        policy=policy,
        on_progress=on_progress,
    )
    return _finished(reply, name, tier, task_id)


class _ParserSettings:
    def __init__(
        self,
        tier: ParserTier = "lite",
        *,
        result: ResultFormat = "text",
        poll: PollPolicy | None = None,
        max_concurrency: int = 4,
    ) -> None:
        if tier not in TYPES:
            raise GLMInvalidRequestError(f"parser tier must be one of {', '.join(TIERS)}; got {tier!r}")
        if max_concurrency < 1:
            raise GLMInvalidRequestError(f"max_concurrency must be at least 1, got {max_concurrency}")
        if result not in ("text", "download_link"):
            raise GLMInvalidRequestError(f"result must be 'text' or 'download_link', got {result!r}")
        self.tier: str = tier
        self.result: str = result
        self.policy = poll or PollPolicy()
        self.max_concurrency = max_concurrency

    def _flow(self, client: BaseGLMClient, file: FileInput, on_task: Any) -> Flow[ParsedFile]:
        return parse_flow(client, file, self.tier, self.result, self.policy, on_task)

    def _outcome(self, file: FileInput, error: GLMError | OSError) -> ParseFailure:
        name = file[0] if isinstance(file, tuple) else Path(file).name
        return ParseFailure(str(name), self.tier, error)


class FileParser(_ParserSettings):
    """Parse documents with GLM's file parser through a ``GLMClient`` (used, never closed here).

    Args:
        client: the sync client to send with.
        tier: ``lite`` (default), ``expert`` (PDF only), ``prime`` or ``prime-sync`` (no polling).
        result: ``text`` (the parsed text) or ``download_link`` (a URL to the parsed package).
        poll: deadline and backoff of task polling.
        max_concurrency: files parsed at once by ``parse_many``.
    """

    def __init__(self, client: GLMClient, tier: ParserTier = "lite", **kwargs: Any) -> None:
        super().__init__(tier, **kwargs)
        self.client = client

    def parse(self, file: FileInput, *, on_progress: Callable[[TaskProgress], None] | None = None) -> ParsedFile:
        """Parse one file (a path or ``(name, bytes)``); raises on failure."""
        return drive(self.client, self._flow(self.client, file, on_progress))

    def parse_many(
        self, files: Iterable[FileInput], *, on_progress: Callable[[ParseProgress], None] | None = None
    ) -> list[ParsedFile | ParseFailure]:
        """Parse ``files``, ``max_concurrency`` at a time; results in input order, a failure as a
        ``ParseFailure`` in its place. ``on_progress`` runs once per finished file."""
        files = list(files)
        counter = _Counter(len(files), on_progress)

        def one(file: FileInput) -> ParsedFile | ParseFailure:
            try:
                outcome: ParsedFile | ParseFailure = self.parse(file)
            except (GLMError, OSError) as exc:
                outcome = self._outcome(file, exc)
            counter.finished(outcome)
            return outcome

        if not files:
            return []
        with ThreadPoolExecutor(max_workers=min(self.max_concurrency, len(files))) as pool:
            return list(pool.map(one, files))


class AsyncFileParser(_ParserSettings):
    """``FileParser`` for an ``AsyncGLMClient``: the same methods, awaited."""

    def __init__(self, client: AsyncGLMClient, tier: ParserTier = "lite", **kwargs: Any) -> None:
        super().__init__(tier, **kwargs)
        self.client = client

    async def parse(self, file: FileInput, *, on_progress: Callable[[TaskProgress], None] | None = None) -> ParsedFile:
        return await adrive(self.client, self._flow(self.client, file, on_progress))

    async def parse_many(
        self, files: Iterable[FileInput], *, on_progress: Callable[[ParseProgress], None] | None = None
    ) -> list[ParsedFile | ParseFailure]:
        files = list(files)
        counter = _Counter(len(files), on_progress)
        gate = asyncio.Semaphore(self.max_concurrency)

        async def one(file: FileInput) -> ParsedFile | ParseFailure:
            async with gate:
                try:
                    outcome: ParsedFile | ParseFailure = await self.parse(file)
                except (GLMError, OSError) as exc:
                    outcome = self._outcome(file, exc)
            counter.finished(outcome)
            return outcome

        return list(await asyncio.gather(*(one(file) for file in files)))


class _Counter:
    """Counts finished files and calls the progress callback (from worker threads, one at a time)."""

    def __init__(self, total: int, callback: Callable[[ParseProgress], None] | None) -> None:
        self.total, self.done, self._callback = total, 0, callback
        self._lock = threading.Lock()

    def finished(self, outcome: ParsedFile | ParseFailure) -> None:
        with self._lock:
            self.done += 1
            if self._callback is not None:
                self._callback(ParseProgress(self.done, self.total, outcome.name, outcome.ok))

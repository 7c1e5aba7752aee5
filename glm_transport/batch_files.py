"""The local side of a batch job, free of network I/O: request lines written to JSONL part files as they
come (never held in memory), the job's manifest, and results read back in input order.

Limits per input file (docs/wire-notes.md §13.2): at most 50,000 requests (10,000 for embeddings) and
100 MB, one model per file. ``custom_id`` is ``r<index>``, the request's position in the job, so output
lines in any order, split between an output and an error file, come back in input order. Reading them
back keeps one offset per request (8 bytes), not the answers.
"""

from __future__ import annotations

import json
import os
import re
from array import array
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .catalog import EMBEDDING_MAX_BATCH
from .errors import GLMError, GLMInvalidRequestError, GLMResponseValidationError, error_from_body
from .types import ChatCompletion, EmbeddingsResponse
from .validation import embedding_model, normalize_chat_request, validate_embedding_input

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_REQUESTS",
    "GLMBatchResultMissingError",
    "JobState",
    "Part",
    "chat_bodies",
    "embedding_bodies",
    "read_results",
    "write_parts",
]

CHAT_ENDPOINT = "/v4/chat/completions"
EMBEDDINGS_ENDPOINT = "/v4/embeddings"
MAX_REQUESTS = {CHAT_ENDPOINT: 50_000, EMBEDDINGS_ENDPOINT: 10_000}
MAX_FILE_BYTES = 100 * 1024 * 1024
MANIFEST = "job.json"
_CUSTOM_ID = re.compile(rb'"custom_id"\s*:\s*"r(\d+)"')
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class GLMBatchResultMissingError(GLMError):
    """A request of a batch job has no result line: the batch was cancelled, expired or failed first."""

    retryable = False


@dataclass
class Part:
    """One input file and its batch."""

    index: int
    first: int  # the job-wide index of its first request
    count: int
    path: str
    file_id: str | None = None
    creating: bool = False  # a create was sent; after a crash, look for the batch before sending again
    batch_id: str | None = None
    status: str | None = None
    completed: int = 0
    failed: int = 0
    output_file_id: str | None = None
    error_file_id: str | None = None
    output_path: str | None = None
    error_path: str | None = None


@dataclass
class JobState:
    """Everything needed to pick a job up again: written to ``<workdir>/job.json`` after every step."""

    job_id: str
    endpoint: str
    model: str
    workdir: str
    total: int = 0
    parts: list[Part] = field(default_factory=list)

    def save(self) -> None:
        path = Path(self.workdir) / MANIFEST
        temp = path.with_suffix(".tmp")
        temp.write_text(json.dumps(asdict(self)), encoding="utf-8")
        os.replace(temp, path)  # atomic: a crash leaves the old manifest or the new one

    @classmethod
    def load(cls, workdir: str | os.PathLike[str]) -> JobState:
        data = json.loads((Path(workdir) / MANIFEST).read_text(encoding="utf-8"))
        parts = [Part(**part) for part in data.pop("parts")]
        return cls(**data, parts=parts)


def chat_bodies(requests: Iterable[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    """Chat requests checked and normalised as for a normal call (bad input fails before any upload)."""
    for position, request in enumerate(requests):
        if request.get("stream"):
            raise GLMInvalidRequestError(f"batch request {position}: a batch request cannot stream")
        yield dict(normalize_chat_request(request, stream=False))


def embedding_bodies(
    texts: Iterable[str], model: str, dimensions: int | None = None, batch_size: int = EMBEDDING_MAX_BATCH
) -> Iterator[dict[str, Any]]:
    """One embeddings request per ``batch_size`` texts, checked as ``GLMClient.embed`` checks them."""
    info = embedding_model(model, batch_size, texts, "embedding jobs take")
    extra = {} if dimensions is None else {"dimensions": dimensions}
    chunk: list[str] = []
    for text in texts:
        chunk.append(text)
        if len(chunk) == batch_size:
            validate_embedding_input(chunk, info, dimensions)
            yield {"model": model, "input": chunk, **extra}
            chunk = []
    if chunk:
        validate_embedding_input(chunk, info, dimensions)
        yield {"model": model, "input": chunk, **extra}


def write_parts(
    bodies: Iterable[Mapping[str, Any]],
    state: JobState,
    *,
    max_requests: int | None = None,
    max_bytes: int = MAX_FILE_BYTES,
) -> None:
    """Write request lines into part files under ``state.workdir``, starting a new file at a limit."""
    limit = min(max_requests or MAX_REQUESTS[state.endpoint], MAX_REQUESTS[state.endpoint])
    out, part, size = None, None, 0
    try:
        for index, body in enumerate(bodies):
            model = body.get("model")
            if not state.model:
                state.model = str(model)
            elif model != state.model:
                raise GLMInvalidRequestError(
                    f"request {index}: one model per batch job ({state.model!r}, not {model!r})"
                )
            line = _dumps({"custom_id": f"r{index}", "method": "POST", "url": state.endpoint, "body": body})
            data = line.encode() + b"\n"
            if out is None or part is None or part.count >= limit or size + len(data) > max_bytes:
                if out is not None:
                    out.close()
                path = str(Path(state.workdir) / f"input-{len(state.parts):04d}.jsonl")
                part, size = Part(index=len(state.parts), first=index, count=0, path=path), 0
                state.parts.append(part)
                out = open(path, "wb")  # noqa: SIM115 - closed on the next part or in finally
            out.write(data)
            part.count += 1
            size += len(data)
            state.total = index + 1
    finally:
        if out is not None:
            out.close()
    if state.total == 0:
        raise GLMInvalidRequestError("a batch job needs at least one request")


def _offsets(path: str | None, first: int, count: int) -> array[int]:
    """Byte offset of each request's line in ``path`` (-1: none), by ``custom_id``."""
    offsets = array("q", [-1]) * count
    if path is None:
        return offsets
    with open(path, "rb") as lines:
        position = 0
        for raw in lines:
            custom_id = _custom_id(raw)
            if custom_id is not None and 0 <= custom_id - first < count:
                offsets[custom_id - first] = position
            position += len(raw)
    return offsets


def _custom_id(raw: bytes) -> int | None:
    """The request index in a result line's ``custom_id``, found without parsing the whole line."""
    match = _CUSTOM_ID.search(raw)
    return int(match.group(1)) if match else None


def read_results(state: JobState) -> Iterator[ChatCompletion | EmbeddingsResponse | GLMError]:
    """One result per request, in input order: a typed answer, or the typed error of its error line."""
    model = ChatCompletion if state.endpoint == CHAT_ENDPOINT else EmbeddingsResponse
    for part in state.parts:
        found = _offsets(part.output_path, part.first, part.count)
        failed = _offsets(part.error_path, part.first, part.count)
        with _maybe_open(part.output_path) as out, _maybe_open(part.error_path) as err:
            for i in range(part.count):
                if found[i] >= 0 and out is not None:
                    out.seek(found[i])
                    yield _result(out.readline(), model)
                elif failed[i] >= 0 and err is not None:
                    err.seek(failed[i])
                    yield _result(err.readline(), model)
                else:
                    yield GLMBatchResultMissingError(
                        f"request {part.first + i} has no result (batch {part.batch_id} ended {part.status})"
                    )


def _result(raw: bytes, model: type[ChatCompletion] | type[EmbeddingsResponse]) -> Any:
    try:
        line = json.loads(raw)
        response = line.get("response") or {}
        status, body = int(response.get("status_code") or 0), response.get("body")
    except (ValueError, TypeError, AttributeError):
        return GLMResponseValidationError(f"unreadable batch result line: {raw[:120]!r}")
    if status == 200 and isinstance(body, dict) and "error" not in body:
        try:
            return model.model_validate(body)
        except ValueError as exc:
            return GLMResponseValidationError(f"batch result is not a {model.__name__}: {exc}")
    error_body = body if isinstance(body, dict) and "error" in body else {"error": line.get("error") or {}}
    return error_from_body(status or 400, error_body, request_id=(body or {}).get("request_id"))


class _maybe_open:  # noqa: N801 - used as a context manager like open()
    def __init__(self, path: str | None) -> None:
        self._file = open(path, "rb") if path is not None else None  # noqa: SIM115

    def __enter__(self) -> Any:
        return self._file

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.close()

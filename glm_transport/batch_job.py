"""Batch jobs: many requests at GLM's batch price (docs/wire-notes.md §13.2), in the order given.

``BatchJob.submit(client, requests)`` writes the requests to JSONL part files (split at GLM's per-file
limits), uploads each and creates its batch; ``job.wait()`` polls with backoff, reports progress and
downloads the output and error files; ``job.results()`` yields, in input order, a ``ChatCompletion`` /
``EmbeddingsResponse`` or the typed ``GLMError`` of each request.

Resuming: the manifest (``<workdir>/<job id>/job.json``) is saved after every step, and every batch
carries ``metadata = {"glm_job": <job id>, "glm_part": i, ...}``. ``BatchJob.resume(client, job_id)``
after a crash looks a batch up by that metadata before creating it again, so nothing is submitted twice.

The flow is written once, as a generator yielding calls (``("files", "upload", args, kwargs)``) and sleeps;
the sync and async drivers below are the only two-coloured code (the httpx auth-flow pattern).
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .batch_files import CHAT_ENDPOINT, EMBEDDINGS_ENDPOINT, JobState, Part, read_results, write_parts
from .batches import AsyncBatches, Batches
from .bulk_types import Batch
from .client import AsyncGLMClient, GLMClient
from .errors import GLMError, GLMInvalidRequestError, GLMTimeoutError
from .files import AsyncFiles, Files
from .types import ChatCompletion, EmbeddingsResponse

__all__ = ["AsyncBatchJob", "BatchJob", "JobProgress", "default_workdir"]

ENV_DIR = "GLM_BATCH_DIR"
TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})
Op = tuple[str, str, tuple[Any, ...], dict[str, Any]]
Flow = Generator[Op, Any, Any]
Result = ChatCompletion | EmbeddingsResponse | GLMError
ProgressCallback = Callable[["JobProgress"], None]


def default_workdir() -> Path:
    """Where jobs keep their files: ``GLM_BATCH_DIR``, else ``~/.cache/glm-batches``."""
    return Path(os.environ.get(ENV_DIR) or Path.home() / ".cache" / "glm-batches")


@dataclass(frozen=True)
class JobProgress:
    """Counts over all parts of a job; ``str()`` is the one-line status."""

    job_id: str
    total: int
    completed: int
    failed: int
    statuses: tuple[str, ...]

    @property
    def done(self) -> bool:
        return all(status in TERMINAL for status in self.statuses)

    def __str__(self) -> str:
        states = ", ".join(sorted(set(self.statuses))) or "not submitted"
        return (
            f"batch job {self.job_id}: {self.completed + self.failed:,}/{self.total:,} done, "
            f"{self.failed:,} failed ({len(self.statuses)} batches: {states})"
        )


def progress_of(state: JobState) -> JobProgress:
    return JobProgress(
        state.job_id,
        state.total,
        sum(p.completed for p in state.parts),
        sum(p.failed for p in state.parts),
        tuple(p.status or "unsubmitted" for p in state.parts),
    )


# ---- the flow, written once -------------------------------------------------------------
def _call(resource: str, method: str, *args: Any, **kwargs: Any) -> Op:
    return (resource, method, args, kwargs)


def _metadata(state: JobState, part: Part) -> dict[str, str]:
    return {
        "glm_job": state.job_id,
        "glm_part": str(part.index),
        "glm_parts": str(len(state.parts)),
        "glm_first": str(part.first),
        "glm_count": str(part.count),
        "glm_total": str(state.total),
    }


def _find_batches(job_id: str) -> Generator[Op, Any, dict[int, Batch]]:
    """This job's batches on the server, by part number (every page of ``GET /batches``)."""
    found: dict[int, Batch] = {}
    after = None
    while True:
        page = yield _call("batches", "list", after=after, limit=100)
        for batch in page.data:
            meta = batch.metadata or {}
            if meta.get("glm_job") == job_id:
                found.setdefault(int(meta["glm_part"]), batch)
        if not page.has_more or not page.data:
            return found
        after = page.data[-1].id


def submit_flow(state: JobState) -> Flow:
    """Upload and create every part not yet created; safe to run again after a crash."""
    remote: dict[int, Batch] | None = None
    for part in state.parts:
        if part.batch_id is not None:
            continue
        if part.creating:  # a create may have reached the server before the crash
            if remote is None:
                remote = yield from _find_batches(state.job_id)
            if part.index in remote:
                _adopt(part, remote[part.index])
                state.save()
                continue
        if part.file_id is None:
            uploaded = yield _call("files", "upload", part.path, purpose="batch")
            part.file_id = uploaded.id
        part.creating = True
        state.save()
        batch = yield _call("batches", "create", part.file_id, endpoint=state.endpoint, metadata=_metadata(state, part))
        _adopt(part, batch)
        state.save()


def _adopt(part: Part, batch: Batch) -> None:
    counts = batch.request_counts
    part.batch_id, part.status = batch.id, batch.status
    part.completed = (counts.completed or 0) if counts else part.completed
    part.failed = (counts.failed or 0) if counts else part.failed
    part.output_file_id, part.error_file_id = batch.output_file_id, batch.error_file_id


def wait_flow(
    state: JobState,
    on_progress: ProgressCallback | None,
    poll_interval: float,
    max_poll_interval: float,
    timeout: float | None,
) -> Flow:
    """Poll every unfinished batch until all are done, then download their output and error files."""
    yield from submit_flow(state)
    deadline = None if timeout is None else time.monotonic() + timeout
    delay = poll_interval
    while True:
        for part in state.parts:
            if part.status not in TERMINAL:
                _adopt(part, (yield _call("batches", "get", part.batch_id)))
        state.save()
        if on_progress is not None:
            on_progress(progress_of(state))
        if all(part.status in TERMINAL for part in state.parts):
            break
        if deadline is not None and time.monotonic() + delay > deadline:
            raise GLMTimeoutError(f"batch job {state.job_id} still running after {timeout}s; resume it by its id")
        yield _call("sleep", "sleep", delay)
        delay = min(delay * 1.5, max_poll_interval)
    yield from _download_flow(state)
    return progress_of(state)


def _download_flow(state: JobState) -> Flow:
    for part in state.parts:
        if part.output_file_id and part.output_path is None:
            target = str(Path(state.workdir) / f"output-{part.index:04d}.jsonl")
            yield _call("files", "download", part.output_file_id, target)
            part.output_path = target
            state.save()
        if part.error_file_id and part.error_path is None:
            target = str(Path(state.workdir) / f"errors-{part.index:04d}.jsonl")
            yield _call("files", "download", part.error_file_id, target)
            part.error_path = target
            state.save()


def cancel_flow(state: JobState) -> Flow:
    for part in state.parts:
        if part.batch_id is not None and part.status not in TERMINAL:
            _adopt(part, (yield _call("batches", "cancel", part.batch_id)))
    state.save()
    return progress_of(state)


def resume_flow(job_id: str, workdir: Path) -> Generator[Op, Any, JobState]:
    """The state of a job from its manifest, or, with the manifest lost, from its batches' metadata."""
    if (workdir / "job.json").exists():
        return JobState.load(workdir)
    remote = yield from _find_batches(job_id)
    if not remote:
        raise GLMInvalidRequestError(f"no batch job {job_id!r}: no manifest in {str(workdir)!r} and no batches")
    meta = remote[min(remote)].metadata or {}
    expected = int(meta["glm_parts"])
    if len(remote) != expected:
        raise GLMInvalidRequestError(
            f"batch job {job_id!r}: {len(remote)} of {expected} batches were created and the inputs of the "
            "others are not on this machine; resume where the job was submitted"
        )
    workdir.mkdir(parents=True, exist_ok=True)
    first = remote[0]
    state = JobState(job_id, first.endpoint or CHAT_ENDPOINT, "", str(workdir), int(meta.get("glm_total", 0)))
    for index in sorted(remote):
        batch, part_meta = remote[index], remote[index].metadata or {}
        part = Part(index, int(part_meta["glm_first"]), int(part_meta["glm_count"]), "", creating=True)
        _adopt(part, batch)
        state.parts.append(part)
    state.save()
    return state


# ---- the two drivers --------------------------------------------------------------------
def _run(flow: Flow, resources: Mapping[str, Any]) -> Any:
    result: Any = None
    while True:
        try:
            resource, method, args, kwargs = flow.send(result)
        except StopIteration as stop:
            return stop.value
        result = getattr(resources[resource], method)(*args, **kwargs)


async def _arun(flow: Flow, resources: Mapping[str, Any]) -> Any:
    result: Any = None
    while True:
        try:
            resource, method, args, kwargs = flow.send(result)
        except StopIteration as stop:
            return stop.value
        result = await getattr(resources[resource], method)(*args, **kwargs)


def _new_state(endpoint: str, workdir: str | os.PathLike[str] | None) -> JobState:
    if endpoint not in (CHAT_ENDPOINT, EMBEDDINGS_ENDPOINT):
        raise GLMInvalidRequestError(f"endpoint must be {CHAT_ENDPOINT} or {EMBEDDINGS_ENDPOINT}; got {endpoint!r}")
    job_id = "job_" + uuid.uuid4().hex[:20]
    root = Path(workdir) if workdir is not None else default_workdir()
    directory = root / job_id
    directory.mkdir(parents=True, exist_ok=False)
    return JobState(job_id, endpoint, "", str(directory))


def _prepare(
    bodies: Iterable[Mapping[str, Any]],
    endpoint: str,
    workdir: str | os.PathLike[str] | None,
    max_requests_per_file: int | None,
    max_bytes_per_file: int | None,
) -> JobState:
    state = _new_state(endpoint, workdir)
    kwargs = {} if max_bytes_per_file is None else {"max_bytes": max_bytes_per_file}
    write_parts(bodies, state, max_requests=max_requests_per_file, **kwargs)
    state.save()
    return state


class _JobBase:
    def __init__(self, state: JobState) -> None:
        self.state = state

    @property
    def id(self) -> str:
        """The job id: ``BatchJob.resume(client, job_id)`` picks the job up again."""
        return self.state.job_id

    @property
    def progress(self) -> JobProgress:
        """Counts as of the last poll."""
        return progress_of(self.state)

    def results(self) -> Iterator[Result]:
        """Each request's answer or typed error, in input order (after ``wait``)."""
        if not all(part.status in TERMINAL for part in self.state.parts):
            raise GLMInvalidRequestError(f"batch job {self.id} is not finished: call wait() first")
        return read_results(self.state)

    def vectors(self) -> Iterator[list[float]]:
        """An embedding job's vectors, one per text, in input order; raises the first error."""
        for result in self.results():
            if isinstance(result, GLMError):
                raise result
            if not isinstance(result, EmbeddingsResponse):
                raise GLMInvalidRequestError(f"batch job {self.id} is not an embedding job")
            yield from result.vectors()


class BatchJob(_JobBase):
    """A batch job on a ``GLMClient`` (see the module docstring)."""

    def __init__(self, client: GLMClient, state: JobState) -> None:
        super().__init__(state)
        self._resources = {"files": Files(client), "batches": Batches(client), "sleep": time}

    @classmethod
    def submit(
        cls,
        client: GLMClient,
        bodies: Iterable[Mapping[str, Any]],
        *,
        endpoint: str = CHAT_ENDPOINT,
        workdir: str | os.PathLike[str] | None = None,
        max_requests_per_file: int | None = None,
        max_bytes_per_file: int | None = None,
    ) -> BatchJob:
        """Write, upload and create the batches of ``bodies`` (request bodies of ``endpoint``)."""
        job = cls(client, _prepare(bodies, endpoint, workdir, max_requests_per_file, max_bytes_per_file))
        _run(submit_flow(job.state), job._resources)
        return job

    @classmethod
    def resume(cls, client: GLMClient, job_id: str, *, workdir: str | os.PathLike[str] | None = None) -> BatchJob:
        directory = (Path(workdir) if workdir is not None else default_workdir()) / job_id
        state = _run(resume_flow(job_id, directory), {"batches": Batches(client)})
        return cls(client, state)

    def wait(
        self,
        *,
        poll_interval: float = 5.0,
        max_poll_interval: float = 60.0,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> JobProgress:
        """Poll until every batch is done (backoff x1.5 up to ``max_poll_interval``), then download."""
        flow = wait_flow(self.state, on_progress, poll_interval, max_poll_interval, timeout)
        result: JobProgress = _run(flow, self._resources)
        return result

    def cancel(self) -> JobProgress:
        result: JobProgress = _run(cancel_flow(self.state), self._resources)
        return result


class AsyncBatchJob(_JobBase):
    """A batch job on an ``AsyncGLMClient``: ``submit``, ``resume``, ``wait`` and ``cancel`` awaited."""

    def __init__(self, client: AsyncGLMClient, state: JobState) -> None:
        super().__init__(state)
        self._resources = {"files": AsyncFiles(client), "batches": AsyncBatches(client), "sleep": asyncio}

    @classmethod
    async def submit(
        cls,
        client: AsyncGLMClient,
        bodies: Iterable[Mapping[str, Any]],
        *,
        endpoint: str = CHAT_ENDPOINT,
        workdir: str | os.PathLike[str] | None = None,
        max_requests_per_file: int | None = None,
        max_bytes_per_file: int | None = None,
    ) -> AsyncBatchJob:
        job = cls(client, _prepare(bodies, endpoint, workdir, max_requests_per_file, max_bytes_per_file))
        await _arun(submit_flow(job.state), job._resources)
        return job

    @classmethod
    async def resume(
        cls, client: AsyncGLMClient, job_id: str, *, workdir: str | os.PathLike[str] | None = None
    ) -> AsyncBatchJob:
        directory = (Path(workdir) if workdir is not None else default_workdir()) / job_id
        state = await _arun(resume_flow(job_id, directory), {"batches": AsyncBatches(client)})
        return cls(client, state)

    async def wait(
        self,
        *,
        poll_interval: float = 5.0,
        max_poll_interval: float = 60.0,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> JobProgress:
        flow = wait_flow(self.state, on_progress, poll_interval, max_poll_interval, timeout)
        result: JobProgress = await _arun(flow, self._resources)
        return result

    async def cancel(self) -> JobProgress:
        result: JobProgress = await _arun(cancel_flow(self.state), self._resources)
        return result

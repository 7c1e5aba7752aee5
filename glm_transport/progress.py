"""Progress of long batch jobs: a one-line status printer, or a tqdm bar (the optional ``[progress]``
extra). Both are plain callbacks for ``BatchJob.wait(on_progress=...)`` and the adapters' helpers."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import IO, Any

from .batch_job import JobProgress

__all__ = ["print_status", "tqdm_progress"]


def print_status(stream: IO[str] | None = None) -> Callable[[JobProgress], None]:
    """A callback printing the job's one-line status whenever it changes."""
    last: list[str] = []

    def report(progress: JobProgress) -> None:
        line = str(progress)
        if not last or last[-1] != line:
            last[:] = [line]
            print(line, file=stream or sys.stderr, flush=True)

    return report


def tqdm_progress(**tqdm_kwargs: Any) -> Callable[[JobProgress], None]:
    """A callback driving a ``tqdm`` bar (requests done of the total); closed when the job ends."""
    try:
        from tqdm.auto import tqdm  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("tqdm_progress needs tqdm: pip install 'glm-integrations[progress]'") from exc
    bar: list[Any] = []

    def report(progress: JobProgress) -> None:
        if not bar:
            bar.append(tqdm(total=progress.total, unit="req", **tqdm_kwargs))
        done = progress.completed + progress.failed
        bar[0].update(done - bar[0].n)
        bar[0].set_postfix_str(f"failed={progress.failed}", refresh=False)
        if progress.done:
            bar[0].close()

    return report

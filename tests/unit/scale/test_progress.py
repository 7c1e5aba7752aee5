"""Progress reporting of batch jobs: the one-line status and the tqdm bar."""

from __future__ import annotations

import io

from glm_transport.batch_job import JobProgress
from glm_transport.progress import print_status, tqdm_progress


def _steps() -> list[JobProgress]:
    return [
        JobProgress("job_1", 10, 0, 0, ("validating",)),
        JobProgress("job_1", 10, 0, 0, ("validating",)),
        JobProgress("job_1", 10, 6, 1, ("in_progress",)),
        JobProgress("job_1", 10, 9, 1, ("completed",)),
    ]


def test_the_status_line_is_printed_once_per_change() -> None:
    out = io.StringIO()
    report = print_status(out)
    for step in _steps():
        report(step)
    assert out.getvalue().splitlines() == [
        "batch job job_1: 0/10 done, 0 failed (1 batches: validating)",
        "batch job job_1: 7/10 done, 1 failed (1 batches: in_progress)",
        "batch job job_1: 10/10 done, 1 failed (1 batches: completed)",
    ]


def test_the_tqdm_bar_counts_finished_requests_and_closes_at_the_end() -> None:
    out = io.StringIO()
    report = tqdm_progress(file=out, disable=False, mininterval=0)
    for step in _steps():
        report(step)
    assert "10/10" in out.getvalue()

"""Batch jobs end to end against the local server, sync and async: split across files, results in input
order as typed answers or errors, progress, resume after a crash without submitting twice, embeddings."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from glm_transport import AsyncGLMClient, GLMClient, RetryPolicy
from glm_transport.batch_files import (
    GLMBatchResultMissingError,
    JobState,
    Part,
    embedding_bodies,
    read_results,
)
from glm_transport.batch_job import AsyncBatchJob, BatchJob, JobProgress
from glm_transport.errors import GLMBadRequestError, GLMInvalidRequestError, GLMTimeoutError
from glm_transport.testing import LocalGLMServer
from glm_transport.types import ChatCompletion


def chats(n: int) -> list[dict[str, Any]]:
    return [{"model": "glm-4-plus", "messages": [{"role": "user", "content": f"question {i}"}]} for i in range(n)]


class Jobs:
    """``BatchJob`` or ``AsyncBatchJob`` behind one sync interface."""

    def __init__(self, mode: str, server: LocalGLMServer) -> None:
        kwargs: dict[str, Any] = {
            "api_key": server.api_key,
            "base_url": server.base_url,
            "retry_policy": RetryPolicy(max_retries=1),
        }
        self.mode = mode
        if mode == "sync":
            self.client: Any = GLMClient(**kwargs)
        else:
            self.loop = asyncio.new_event_loop()
            self.client = AsyncGLMClient(**kwargs)
        self.cls: Any = BatchJob if mode == "sync" else AsyncBatchJob

    def run(self, value: Any) -> Any:
        return value if self.mode == "sync" else self.loop.run_until_complete(value)

    def submit(self, bodies: Any, **kwargs: Any) -> Any:
        return self.run(self.cls.submit(self.client, bodies, **kwargs))

    def resume(self, job_id: str, **kwargs: Any) -> Any:
        return self.run(self.cls.resume(self.client, job_id, **kwargs))

    def wait(self, job: Any, **kwargs: Any) -> JobProgress:
        kwargs.setdefault("poll_interval", 0.01)
        progress: JobProgress = self.run(job.wait(**kwargs))
        return progress

    def close(self) -> None:
        if self.mode == "sync":
            self.client.close()
        else:
            self.loop.run_until_complete(self.client.aclose())
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()


@pytest.fixture
def jobs(mode: str, glm_server: LocalGLMServer) -> Any:
    made = Jobs(mode, glm_server)
    yield made
    made.close()


def _texts(results: list[Any]) -> list[str]:
    return [r.message.text for r in results]


def test_a_chat_job_split_across_files_answers_in_input_order(
    jobs: Jobs, glm_server: LocalGLMServer, tmp_path: Path
) -> None:
    job = jobs.submit(chats(7), workdir=tmp_path, max_requests_per_file=3)
    assert len(job.state.parts) == 3
    seen: list[JobProgress] = []
    final = jobs.wait(job, on_progress=seen.append)
    assert final.done and (final.total, final.completed, final.failed) == (7, 7, 0)
    results = list(job.results())
    assert all(isinstance(r, ChatCompletion) for r in results)
    direct = [GLMClient(api_key=glm_server.api_key, base_url=glm_server.base_url).chat(c) for c in chats(7)]
    assert _texts(results) == _texts(direct)
    assert str(seen[-1]).startswith(f"batch job {job.id}: 7/7 done, 0 failed (3 batches: completed)")


def test_a_resumed_job_whose_create_was_cut_off_does_not_create_it_twice(
    jobs: Jobs, glm_server: LocalGLMServer, tmp_path: Path
) -> None:
    job = jobs.submit(chats(4), workdir=tmp_path, max_requests_per_file=2)
    state = JobState.load(job.state.workdir)
    state.parts[1].batch_id = None  # as if the process died after sending the create, before saving its answer
    state.save()
    resumed = jobs.resume(job.id, workdir=tmp_path)
    jobs.wait(resumed)
    assert len(glm_server.bulk.batches.batches) == 2
    assert len(list(resumed.results())) == 4


def test_a_job_resumes_from_its_id_alone_when_the_manifest_is_lost(
    jobs: Jobs, glm_server: LocalGLMServer, tmp_path: Path
) -> None:
    job = jobs.submit(chats(5), workdir=tmp_path / "a", max_requests_per_file=2)
    resumed = jobs.resume(job.id, workdir=tmp_path / "b")
    jobs.wait(resumed)
    assert _texts(list(resumed.results())) == _texts(
        [GLMClient(api_key=glm_server.api_key, base_url=glm_server.base_url).chat(c) for c in chats(5)]
    )


def test_a_cancelled_job_reports_the_requests_it_never_ran(jobs: Jobs, tmp_path: Path) -> None:
    job = jobs.submit(chats(2), workdir=tmp_path)
    progress = jobs.run(job.cancel())
    assert progress.done
    results = list(job.results())
    assert [type(r) for r in results] == [GLMBatchResultMissingError] * 2


def test_a_job_cancelled_in_progress_keeps_the_answers_it_got_in_input_order(
    jobs: Jobs, glm_server: LocalGLMServer, tmp_path: Path
) -> None:
    glm_server.bulk.batches.line_seconds = 0.02  # 40 lines: the batch runs for about 0.8 s
    job = jobs.submit(chats(40), workdir=tmp_path)
    with pytest.raises(GLMTimeoutError, match="still running"):
        jobs.wait(job, timeout=0.25)
    assert not jobs.run(job.cancel()).done  # "cancelling" until the server stops
    final = jobs.wait(job)
    assert final.statuses == ("cancelled",)
    results = list(job.results())
    answered = [r for r in results if isinstance(r, ChatCompletion)]
    assert 0 < len(answered) < 40
    assert results[: len(answered)] == answered  # the lines before the cancel, first
    assert all(isinstance(r, GLMBatchResultMissingError) for r in results[len(answered) :])
    direct = GLMClient(api_key=glm_server.api_key, base_url=glm_server.base_url)
    assert _texts(answered) == _texts([direct.chat(c) for c in chats(len(answered))])


def test_an_embedding_job_gives_the_vectors_of_a_direct_call_in_order(
    jobs: Jobs, glm_server: LocalGLMServer, tmp_path: Path
) -> None:
    texts = [f"text number {i}" for i in range(50)]
    bodies = embedding_bodies(texts, "embedding-3", dimensions=256, batch_size=8)
    job = jobs.submit(bodies, endpoint="/v4/embeddings", workdir=tmp_path, max_requests_per_file=3)
    jobs.wait(job)
    direct = GLMClient(api_key=glm_server.api_key, base_url=glm_server.base_url).embed(
        texts, model="embedding-3", dimensions=256
    )
    assert list(job.vectors()) == direct


def test_results_before_the_job_ends_are_refused(jobs: Jobs, tmp_path: Path) -> None:
    job = jobs.submit(chats(1), workdir=tmp_path)
    with pytest.raises(GLMInvalidRequestError, match="wait"):
        list(job.results())


@pytest.mark.parametrize(
    ("requests", "message"),
    [
        ([], "at least one request"),
        ([{"model": "glm-4-plus", "messages": [{"role": "user", "content": "x"}], "stream": True}], "cannot stream"),
        ([*chats(1), {"model": "glm-4.6", "messages": [{"role": "user", "content": "x"}]}], "one model"),
    ],
)
def test_bad_jobs_fail_before_anything_is_uploaded(
    jobs: Jobs, glm_server: LocalGLMServer, tmp_path: Path, requests: list[Any], message: str
) -> None:
    from glm_transport.batch_files import chat_bodies

    with pytest.raises(GLMInvalidRequestError, match=message):
        jobs.submit(chat_bodies(requests), workdir=tmp_path)
    assert glm_server.requests == []


def test_results_come_back_in_input_order_from_shuffled_output_and_error_files(tmp_path: Path) -> None:
    ok = {"choices": [{"message": {"role": "assistant", "content": "answer"}, "finish_reason": "stop"}]}
    out = tmp_path / "out.jsonl"
    err = tmp_path / "err.jsonl"
    lines = [
        {"custom_id": "r3", "response": {"status_code": 200, "body": {**ok, "id": "3"}}},
        {"custom_id": "r0", "response": {"status_code": 200, "body": {**ok, "id": "0"}}},
    ]
    out.write_text("".join(json.dumps(line) + "\n" for line in lines))
    error = {"error": {"code": "1214", "message": "bad"}}
    err.write_text(json.dumps({"custom_id": "r1", "response": {"status_code": 400, "body": error}}) + "\n")
    part = Part(0, 0, 4, "", status="completed", output_path=str(out), error_path=str(err))
    state = JobState("job", "/v4/chat/completions", "glm-4-plus", str(tmp_path), 4, [part])
    results = list(read_results(state))
    assert isinstance(results[0], ChatCompletion) and results[0].id == "0"
    assert isinstance(results[1], GLMBadRequestError) and results[1].code == "1214"
    assert isinstance(results[2], GLMBatchResultMissingError)
    assert isinstance(results[3], ChatCompletion) and results[3].id == "3"


_SUBMITTER = textwrap.dedent(
    """
    import os, signal, sys
    from glm_transport import GLMClient
    from glm_transport.batch_job import BatchJob
    client = GLMClient(api_key="test-key", base_url=sys.argv[1])
    chats = [{"model": "glm-4-plus", "messages": [{"role": "user", "content": f"q {i}"}]} for i in range(6)]
    job = BatchJob.submit(client, chats, workdir=sys.argv[2], max_requests_per_file=2)
    print(job.id, flush=True)
    job.wait(poll_interval=0.01, on_progress=lambda p: os.kill(os.getpid(), signal.SIGKILL))
    """
)


def test_a_job_whose_process_was_killed_mid_poll_resumes_by_its_id(
    jobs: Jobs, glm_server: LocalGLMServer, tmp_path: Path
) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", _SUBMITTER, glm_server.base_url, str(tmp_path)], stdout=subprocess.PIPE, text=True
    ) as child:
        assert child.stdout is not None
        job_id = child.stdout.readline().strip()
        assert child.wait(60) == -9
    assert os.path.exists(tmp_path / job_id / "job.json")
    resumed = jobs.resume(job_id, workdir=tmp_path)
    jobs.wait(resumed)
    assert len(glm_server.bulk.batches.batches) == 3
    assert [r.message.text for r in resumed.results()] == [
        GLMClient(api_key=glm_server.api_key, base_url=glm_server.base_url).chat(c).message.text
        for c in [{"model": "glm-4-plus", "messages": [{"role": "user", "content": f"q {i}"}]} for i in range(6)]
    ]

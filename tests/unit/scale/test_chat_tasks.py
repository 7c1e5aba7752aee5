"""Async chat tasks, sync and async clients: submit, poll while PROCESSING, the same typed answer as a
normal call, a deadline, refusal of streaming, typed failures."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from glm_transport import AsyncGLMClient, GLMClient
from glm_transport.bulk_types import AsyncChatResult, AsyncTask
from glm_transport.chat_tasks import AsyncChatTasks, ChatTasks, GLMTaskFailedError, _interpret, _Reply
from glm_transport.errors import GLMInvalidRequestError, GLMTimeoutError
from glm_transport.testing import LocalGLMServer

CHAT = {"model": "glm-4.6", "messages": [{"role": "user", "content": "write a long essay"}]}


@pytest.fixture
def tasks_and_run(mode: str, glm_server: LocalGLMServer) -> Iterator[tuple[Any, Any]]:
    """The resource of the parametrized kind and a function that runs what it returns."""
    if mode == "sync":
        with GLMClient(api_key=glm_server.api_key, base_url=glm_server.base_url) as client:
            yield ChatTasks(client), lambda value: value
        return
    async_client = AsyncGLMClient(api_key=glm_server.api_key, base_url=glm_server.base_url)
    loop = asyncio.new_event_loop()
    yield AsyncChatTasks(async_client), loop.run_until_complete
    loop.run_until_complete(async_client.aclose())
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()


def _direct(server: LocalGLMServer) -> str:
    with GLMClient(api_key=server.api_key, base_url=server.base_url) as client:
        return client.chat(CHAT).message.text


def test_a_task_is_processing_then_answers_as_a_normal_call_would(
    tasks_and_run: tuple[Any, Any], glm_server: LocalGLMServer
) -> None:
    glm_server.bulk.tasks.polls_until_done = 2
    tasks, run = tasks_and_run
    task = run(tasks.submit(CHAT))
    assert isinstance(task, AsyncTask) and task.task_status == "PROCESSING"
    assert isinstance(run(tasks.get(task.id)), AsyncTask)
    result = run(tasks.wait(task.id, poll_interval=0.01))
    assert isinstance(result, AsyncChatResult) and result.task_status == "SUCCESS"
    assert result.message.text == _direct(glm_server)


def test_run_submits_and_waits(tasks_and_run: tuple[Any, Any], glm_server: LocalGLMServer) -> None:
    tasks, run = tasks_and_run
    assert run(tasks.run(CHAT, poll_interval=0.01)).finish_reason == "stop"


def test_waiting_past_the_deadline_raises_a_timeout(tasks_and_run: tuple[Any, Any], glm_server: LocalGLMServer) -> None:
    glm_server.bulk.tasks.polls_until_done = 1000
    tasks, run = tasks_and_run
    task = run(tasks.submit(CHAT))
    with pytest.raises(GLMTimeoutError, match="still PROCESSING"):
        run(tasks.wait(task.id, poll_interval=0.05, timeout=0.1))


def test_a_streaming_request_is_refused_before_sending(
    tasks_and_run: tuple[Any, Any], glm_server: LocalGLMServer
) -> None:
    tasks, run = tasks_and_run
    with pytest.raises(GLMInvalidRequestError, match="cannot stream"):
        run(tasks.submit({**CHAT, "stream": True}))
    assert glm_server.requests == []


@pytest.mark.parametrize("status", ["FAIL", "FAILED"])
def test_a_failed_task_raises_a_typed_error(status: str) -> None:
    with pytest.raises(GLMTaskFailedError, match="task-1 failed"):
        _interpret("task-1", _Reply.model_validate({"task_status": status}))

"""Async chat tasks (docs/wire-notes.md §13.4): submit a long generation to ``/async/chat/completions``,
then poll ``/async-result/{id}`` or wait with a deadline, without holding a stream open for an hour.

``ChatTasks(client)`` / ``AsyncChatTasks(client)``: ``submit`` returns the task, ``get`` one poll,
``wait`` polls with backoff until ``SUCCESS`` (an ``AsyncChatResult``, a ``ChatCompletion`` plus
``task_status``) or ``FAIL`` (``GLMTaskFailedError``), ``run`` does both. The poll loop is one generator
driven by two short drivers, like ``batch_job``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Generator, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from ._bulk_http import bulk_call
from .bulk_types import AsyncChatResult, AsyncTask
from .client import AsyncGLMClient, GLMClient
from .errors import GLMError, GLMTimeoutError
from .validation import normalize_chat_request

__all__ = ["AsyncChatTasks", "ChatTasks", "GLMTaskFailedError"]

SUCCESS, FAILED = "SUCCESS", ("FAIL", "FAILED")  # FAILED appears in SDK examples only (§13.4)
Poll = Generator[tuple[str, Any], Any, AsyncChatResult]


class GLMTaskFailedError(GLMError):
    """An async task ended with ``task_status`` ``FAIL``."""

    retryable = False


class _Reply(BaseModel):
    model_config = ConfigDict(extra="allow")
    task_status: str | None = None


def _submit_body(request: Mapping[str, Any]) -> dict[str, Any]:
    if request.get("stream"):
        from .errors import GLMInvalidRequestError

        raise GLMInvalidRequestError("an async chat task cannot stream; drop stream=True")
    return dict(normalize_chat_request(request, stream=False))


def _interpret(task_id: str, reply: _Reply) -> AsyncTask | AsyncChatResult:
    data = reply.model_dump()
    if reply.task_status == SUCCESS:
        return AsyncChatResult.model_validate(data)
    if reply.task_status in FAILED:
        raise GLMTaskFailedError(f"async task {task_id} failed: {data.get('error') or data}")
    return AsyncTask.model_validate({"id": task_id, **data})


def _wait_flow(task_id: str, poll_interval: float, max_poll_interval: float, timeout: float | None) -> Poll:
    deadline = None if timeout is None else time.monotonic() + timeout
    delay = poll_interval
    while True:
        result = yield ("get", task_id)
        if isinstance(result, AsyncChatResult):
            return result
        if deadline is not None and time.monotonic() + delay > deadline:
            raise GLMTimeoutError(f"async task {task_id} still {result.task_status} after {timeout}s")
        yield ("sleep", delay)
        delay = min(delay * 1.5, max_poll_interval)


class ChatTasks:
    """Async chat tasks on a ``GLMClient``."""

    def __init__(self, client: GLMClient) -> None:
        self._client = client

    def submit(self, request: Mapping[str, Any]) -> AsyncTask:
        body = _submit_body(request)
        return self._client._json(bulk_call(self._client, "POST", "/async/chat/completions", json_body=body), AsyncTask)

    def get(self, task_id: str) -> AsyncTask | AsyncChatResult:
        return _interpret(
            task_id, self._client._json(bulk_call(self._client, "GET", f"/async-result/{task_id}"), _Reply)
        )

    def wait(
        self, task_id: str, *, poll_interval: float = 2.0, max_poll_interval: float = 30.0, timeout: float | None = None
    ) -> AsyncChatResult:
        flow = _wait_flow(task_id, poll_interval, max_poll_interval, timeout)
        result: Any = None
        while True:
            try:
                action, argument = flow.send(result)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            if action == "get":
                result = self.get(argument)
            else:
                time.sleep(argument)

    def run(self, request: Mapping[str, Any], **wait: Any) -> AsyncChatResult:
        """Submit and wait (``wait`` takes ``poll_interval``, ``max_poll_interval``, ``timeout``)."""
        task = self.submit(request)
        return self.wait(str(task.id), **wait)


class AsyncChatTasks:
    """Async chat tasks on an ``AsyncGLMClient``: the methods of ``ChatTasks``, awaited."""

    def __init__(self, client: AsyncGLMClient) -> None:
        self._client = client

    async def submit(self, request: Mapping[str, Any]) -> AsyncTask:
        body = _submit_body(request)
        return await self._client._json(
            bulk_call(self._client, "POST", "/async/chat/completions", json_body=body), AsyncTask
        )

    async def get(self, task_id: str) -> AsyncTask | AsyncChatResult:
        return _interpret(
            task_id, await self._client._json(bulk_call(self._client, "GET", f"/async-result/{task_id}"), _Reply)
        )

    async def wait(
        self, task_id: str, *, poll_interval: float = 2.0, max_poll_interval: float = 30.0, timeout: float | None = None
    ) -> AsyncChatResult:
        flow = _wait_flow(task_id, poll_interval, max_poll_interval, timeout)
        result: Any = None
        while True:
            try:
                action, argument = flow.send(result)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            if action == "get":
                result = await self.get(argument)
            else:
                await asyncio.sleep(argument)

    async def run(self, request: Mapping[str, Any], **wait: Any) -> AsyncChatResult:
        task = await self.submit(request)
        return await self.wait(str(task.id), **wait)

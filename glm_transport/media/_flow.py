"""The one loop behind every long-running media call (parser tasks, video tasks): a generator that
yields "send this" (``Call``) or "sleep that" (``Wait``) and two ~15-line drivers, sync and async,
as httpx's auth flow does. The retry layer stays the client's: each ``Call`` goes through its
``_json`` (one request, retried on 429/5xx/connection errors); the flow only decides when to ask again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict

from glm_transport._base import BaseGLMClient, new_request_id
from glm_transport.client import AsyncGLMClient, GLMClient
from glm_transport.errors import GLMError, GLMInvalidRequestError, GLMTimeoutError

__all__ = [
    "Call",
    "GLMTaskFailedError",
    "PollPolicy",
    "TaskProgress",
    "Wait",
    "adrive",
    "drive",
    "get_request",
    "json_request",
    "multipart_request",
    "poll",
]

T = TypeVar("T")
R = TypeVar("R", bound=BaseModel)


class WireModel(BaseModel):
    """Replies keep unknown fields, a missing optional field is ``None`` (as ``glm_transport.types``)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, protected_namespaces=())


class GLMTaskFailedError(GLMError):
    """A parser or generation task that GLM reports as failed; ``task_id`` names it."""

    def __init__(self, message: str, *, task_id: str | None = None, request_id: str | None = None) -> None:
        super().__init__(message, request_id=request_id)
        self.task_id = task_id


@dataclass(frozen=True)
class Call:
    """Send ``request`` and hand the reply, parsed as ``model``, back into the flow."""

    request: httpx.Request
    request_id: str
    model: type[BaseModel]


@dataclass(frozen=True)
class Wait:
    seconds: float


Flow = Generator["Call | Wait", Any, T]


@dataclass(frozen=True)
class TaskProgress:
    """What a progress callback receives after each poll of a task."""

    task_id: str
    status: str
    polls: int
    elapsed: float


@dataclass(frozen=True)
class PollPolicy:
    """How a task is polled: first after ``initial`` seconds, each wait ``factor`` times longer up to
    ``max_interval``, and ``GLMTimeoutError`` once ``timeout`` seconds have passed since the task was made.

    The official SDK's example polls the parser every 5 s (docs/wire-notes.md §13.3); backing off from
    a shorter first wait answers small files sooner without polling long tasks more often.
    """

    timeout: float = 600.0
    initial: float = 1.0
    factor: float = 1.5
    max_interval: float = 10.0

    def __post_init__(self) -> None:
        if self.timeout <= 0 or self.initial < 0 or self.factor < 1 or self.max_interval < self.initial:
            raise GLMInvalidRequestError(
                "PollPolicy needs timeout > 0, initial >= 0, factor >= 1 and max_interval >= initial"
            )

    def delays(self) -> Generator[float, None, None]:
        delay = self.initial
        while True:
            yield delay
            delay = min(delay * self.factor, self.max_interval)


def poll(
    ask: Callable[[], Call],
    status_of: Callable[[Any], str],
    *,
    task_id: str,
    done: frozenset[str],
    policy: PollPolicy,
    on_progress: Callable[[TaskProgress], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Flow[Any]:
    """Ask (``ask()``) until ``status_of(reply)`` is in ``done``; returns that reply. Waits between polls
    follow ``policy``; a wait that would end past the deadline raises ``GLMTimeoutError`` instead."""
    start = clock()
    for polls, delay in enumerate(policy.delays(), start=1):
        reply = yield ask()
        status = status_of(reply)
        if on_progress is not None:
            on_progress(TaskProgress(task_id, status, polls, clock() - start))
        if status in done:
            return reply
        if clock() + delay - start > policy.timeout:
            raise GLMTimeoutError(f"task {task_id} still {status!r} after {clock() - start:.1f}s ({polls} polls)")
        yield Wait(delay)
    raise AssertionError("unreachable")  # pragma: no cover - delays() never ends


def drive(client: GLMClient, flow: Flow[T]) -> T:
    """Run ``flow`` with the sync client."""
    reply: Any = None
    try:
        while True:
            step = flow.send(reply)
            if isinstance(step, Call):
                reply = client._json(client._prepared(step.request, step.request_id), step.model)
            else:
                time.sleep(step.seconds)
                reply = None
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    finally:
        flow.close()


async def adrive(client: AsyncGLMClient, flow: Flow[T]) -> T:
    """Run ``flow`` with the async client."""
    reply: Any = None
    try:
        while True:
            step = flow.send(reply)
            if isinstance(step, Call):
                reply = await client._json(client._prepared(step.request, step.request_id), step.model)
            else:
                await asyncio.sleep(step.seconds)
                reply = None
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    finally:
        flow.close()


# ---------------------------------------------------------------- requests


def _headers(client: BaseGLMClient, *, json_body: bool) -> dict[str, str]:
    headers = {k: v for k, v in client._headers.items() if json_body or k.lower() != "content-type"}
    headers["Accept"] = "application/json"
    headers["Authorization"] = client._auth.header_value()
    return headers


def json_request(client: BaseGLMClient, path: str, body: Mapping[str, Any], model: type[R]) -> Call:
    """A JSON ``POST`` to ``path``; the client's own request builder (headers, auth, timeouts)."""
    request_id = str(body.get("request_id") or new_request_id())
    return Call(client._request(path, body), request_id, model)


def get_request(client: BaseGLMClient, path: str, model: type[R]) -> Call:
    request = httpx.Request(
        "GET", client.base_url + path, headers=_headers(client, json_body=False), extensions=_ext(client)
    )
    return Call(request, new_request_id(), model)


def multipart_request(
    client: BaseGLMClient,
    path: str,
    fields: Mapping[str, str],
    file: tuple[str, bytes, str],
    model: type[R],
) -> Call:
    """A ``multipart/form-data`` ``POST``; httpx writes the boundary (docs/wire-notes.md §13.1). The body
    is bytes, so a retry sends it again unchanged."""
    request = httpx.Request(
        "POST",
        client.base_url + path,
        headers=_headers(client, json_body=False),
        data=dict(fields),
        files={"file": file},
        extensions=_ext(client),
    )
    request.read()  # materialise the body once: the same bytes on every attempt, sync or async
    return Call(request, new_request_id(), model)


def _ext(client: BaseGLMClient) -> dict[str, Any]:
    return {"timeout": client._timeout_ext}

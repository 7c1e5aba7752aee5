"""Server-side tasks (docs/wire-notes.md §13.3-13.5): one registry per server, keyed by task id, that
any endpoint making a task (parser, video; async chat may join) adds to, and ``GET /async-result/{id}``
reads. A task answers "still running" for ``pending_polls`` polls, then its final body. An id the
registry does not know is left to the other routes, so another module may serve its own tasks there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._errors import ApiError

__all__ = ["Task", "TaskRegistry"]


@dataclass
class Task:
    """``running()`` is the body while the task runs, ``final()`` once it is done."""

    kind: str
    running: Callable[[], dict[str, Any]]
    final: Callable[[], dict[str, Any]]
    polls_left: int


class TaskRegistry:
    def __init__(self, pending_polls: int = 1) -> None:
        self.pending_polls = pending_polls
        self._tasks: dict[str, Task] = {}
        self._lock = threading.Lock()

    def add(
        self, task_id: str, kind: str, running: Callable[[], dict[str, Any]], final: Callable[[], dict[str, Any]]
    ) -> None:
        with self._lock:
            self._tasks[task_id] = Task(kind, running, final, self.pending_polls)

    def poll(self, task_id: str, kinds: tuple[str, ...]) -> dict[str, Any]:
        """The body for one poll of ``task_id``; a task of another kind is as unknown as a missing one."""
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None or task.kind not in kinds:
                raise ApiError(404, "1222", f"Task {task_id} does not exist.")
            if task.polls_left > 0:
                task.polls_left -= 1
                return task.running()
        return task.final()

    def kind_of(self, task_id: str) -> str | None:
        with self._lock:
            task = self._tasks.get(task_id)
        return None if task is None else task.kind

    def clear(self) -> None:
        with self._lock:
            self._tasks.clear()

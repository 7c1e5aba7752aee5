"""``/async/chat/completions`` and ``/async-result/{id}`` (wire notes §13.4).

A task's answer is computed when it is submitted (so bad input fails the submission, as a 400); each poll
before ``polls_until_done`` answers the four-field ``PROCESSING`` status, then the result with
``task_status: "SUCCESS"``. Other async kinds (images, video) can store their results here too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

from ._errors import ApiError, invalid
from ._model import answer
from ._render import Meta, completion
from ._text import new_id
from ._validate import validate_chat


class AsyncTasks:
    def __init__(self, polls_until_done: int = 1) -> None:
        self.polls_until_done = polls_until_done
        self._lock = threading.Lock()
        self._tasks: dict[str, tuple[dict[str, Any], int]] = {}

    def submit(self, model: str, request_id: str, result: dict[str, Any]) -> dict[str, Any]:
        """Store a finished result under a new task id; returns the submission reply."""
        task = new_id()
        with self._lock:
            self._tasks[task] = (result, 0)
        return {"id": task, "request_id": request_id, "model": model, "task_status": "PROCESSING"}

    def submit_chat(self, body: Mapping[str, Any]) -> dict[str, Any]:
        if body.get("stream"):
            raise invalid("stream", "async chat does not stream")
        model = validate_chat(body)
        task = new_id()
        request_id = str(body.get("request_id") or task)
        result = completion(answer(body), Meta(id=task, created=int(time.time()), model=model, request_id=request_id))
        return self.submit(model, request_id, result)

    def poll(self, task: str) -> dict[str, Any]:
        with self._lock:
            entry = self._tasks.get(task)
            if entry is None:
                raise ApiError(404, "1222", f"Task {task} does not exist.")
            result, polls = entry
            self._tasks[task] = (result, polls + 1)
        if polls < self.polls_until_done:
            return {
                "id": task,
                "request_id": result.get("request_id"),
                "model": result.get("model"),
                "task_status": "PROCESSING",
            }
        return {**result, "id": task, "task_status": "SUCCESS"}

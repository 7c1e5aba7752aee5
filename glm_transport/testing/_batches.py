"""``/batches``: create, get, list, cancel (wire notes §13.2). A batch moves validating → in_progress →
completed (or failed at validation, or cancelling → cancelled); lines that cannot run go to the error file.

The first ``GET`` of a validating batch validates its file; a worker thread then answers the lines with the
server's own chat and embedding models, so ``request_counts`` grows while a client polls.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from . import _embed
from ._errors import ApiError, invalid, missing
from ._files import FileStore, _limit
from ._model import answer
from ._plan import dumps
from ._render import Meta, completion
from ._text import new_id
from ._validate import validate_chat

CHAT_URL = "/v4/chat/completions"
EMBEDDINGS_URL = "/v4/embeddings"
ENDPOINTS = (CHAT_URL, EMBEDDINGS_URL)
MAX_LINES = {CHAT_URL: 50_000, EMBEDDINGS_URL: 10_000}  # per file (wire notes §13.2)
MAX_METADATA = 16
TERMINAL = ("completed", "failed", "expired", "cancelled")


def _chat(body: Mapping[str, Any]) -> dict[str, Any]:
    if body.get("stream"):
        raise invalid("stream", "batch requests cannot stream")
    model = validate_chat(body)
    task = new_id()
    meta = Meta(id=task, created=int(time.time()), model=model, request_id=str(body.get("request_id") or task))
    return completion(answer(body), meta)


RUNNERS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    CHAT_URL: _chat,
    EMBEDDINGS_URL: _embed.embeddings,
}


def parse_line(raw: bytes, endpoint: str) -> tuple[str, dict[str, Any]]:
    """(custom_id, body) of one input line, or the ``ApiError`` that sends it to the error file."""
    try:
        line = json.loads(raw)
    except ValueError:
        raise ApiError(400, "1214", "Invalid parameter line: not JSON") from None
    if not isinstance(line, dict):
        raise ApiError(400, "1214", "Invalid parameter line: not a JSON object")
    custom_id = line.get("custom_id")
    if not isinstance(custom_id, str) or not custom_id:
        raise missing("custom_id")
    if line.get("method") != "POST":
        raise invalid("method", "must be POST")
    if line.get("url") != endpoint:
        raise invalid("url", f"must be the batch's endpoint {endpoint}")
    body = line.get("body")
    if not isinstance(body, dict):
        raise missing("body")
    return custom_id, body


class Batch:
    def __init__(self, batch_id: str, input_file_id: str, endpoint: str, metadata: Any, auto_delete: bool) -> None:
        now = int(time.time())
        self.cancel_requested = threading.Event()
        self.data: dict[str, Any] = {
            "id": batch_id,
            "object": "batch",
            "endpoint": endpoint,
            "input_file_id": input_file_id,
            "completion_window": "24h",
            "status": "validating",
            "output_file_id": None,
            "error_file_id": None,
            "created_at": now,
            "in_progress_at": None,
            "expires_at": now + 7 * 86400,
            "finalizing_at": None,
            "completed_at": None,
            "failed_at": None,
            "expired_at": None,
            "cancelling_at": None,
            "cancelled_at": None,
            "request_counts": {"total": None, "completed": None, "failed": None},
            "metadata": metadata,
        }
        self.auto_delete = auto_delete


class BatchStore:
    def __init__(self, files: FileStore) -> None:
        self.files = files
        self._lock = threading.Lock()
        self.batches: dict[str, Batch] = {}
        self._sequence = 0
        self.line_seconds = 0.0  # each line's answer takes this long (a batch caught in progress, in tests)

    def create(self, body: Mapping[str, Any]) -> dict[str, Any]:
        input_file_id, endpoint = body.get("input_file_id"), body.get("endpoint")
        if not isinstance(input_file_id, str):
            raise missing("input_file_id")
        if endpoint not in ENDPOINTS:
            raise invalid("endpoint", f"must be one of {', '.join(ENDPOINTS)}")
        stored = self.files.get(input_file_id)
        if stored.purpose != "batch":
            raise invalid("input_file_id", "the file's purpose must be batch")
        metadata = body.get("metadata")
        if metadata is not None and (not isinstance(metadata, dict) or len(metadata) > MAX_METADATA):
            raise invalid("metadata", "at most 16 string pairs")
        with self._lock:
            self._sequence += 1
            batch_id = f"batch_{int(time.time() * 1000):013d}{self._sequence:06d}"
            batch = Batch(batch_id, input_file_id, endpoint, metadata, body.get("auto_delete_input_file", True))
            self.batches[batch_id] = batch
        return dict(batch.data)

    def get(self, batch_id: str) -> dict[str, Any]:
        batch = self._batch(batch_id)
        with self._lock:
            start = batch.data["status"] == "validating"
            if start:
                batch.data["status"] = "in_progress"  # claimed: one poller validates
        if start:
            return self._validate_and_start(batch)  # this poll sees in_progress (or failed), never later
        return self._snapshot(batch)

    def _snapshot(self, batch: Batch) -> dict[str, Any]:
        with self._lock:
            snapshot: dict[str, Any] = json.loads(json.dumps(batch.data))
        return snapshot

    def listing(self, query: dict[str, list[str]]) -> dict[str, Any]:
        limit, after = _limit(query), query.get("after", [None])[0]
        with self._lock:
            items = [dict(b.data) for b in reversed(self.batches.values())]
        if after is not None:
            ids = [b["id"] for b in items]
            items = items[ids.index(after) + 1 :] if after in ids else []
        page = items[:limit]
        return {
            "object": "list",
            "data": page,
            "first_id": page[0]["id"] if page else None,
            "last_id": page[-1]["id"] if page else None,
            "has_more": len(items) > limit,
        }

    def cancel(self, batch_id: str) -> dict[str, Any]:
        batch = self._batch(batch_id)
        with self._lock:
            status = batch.data["status"]
            if status in TERMINAL:
                raise ApiError(400, "1214", f"Invalid parameter batch_id: the batch is already {status}")
            batch.cancel_requested.set()
            if status == "validating":
                batch.data.update(status="cancelled", cancelled_at=int(time.time()))
            else:
                batch.data.update(status="cancelling", cancelling_at=int(time.time()))
            return dict(batch.data)

    def _batch(self, batch_id: str) -> Batch:
        with self._lock:
            batch = self.batches.get(batch_id)
        if batch is None:
            raise ApiError(404, "1214", f"Invalid parameter batch_id: no batch {batch_id}")
        return batch

    # ---- validation and the worker ---------------------------------------------------
    def _validate_and_start(self, batch: Batch) -> dict[str, Any]:
        stored = self.files.get(batch.data["input_file_id"])
        endpoint = batch.data["endpoint"]
        problem, total = _check_file(stored.path, endpoint)
        now = int(time.time())
        with self._lock:
            if problem is not None:
                batch.data.update(status="failed", failed_at=now, errors={"object": "list", "data": [problem]})
            else:
                batch.data.update(in_progress_at=now, request_counts={"total": total, "completed": 0, "failed": 0})
        snapshot = self._snapshot(batch)
        if problem is None:
            worker = threading.Thread(target=self._run, args=(batch, stored.path), daemon=True, name="glm-local-batch")
            worker.start()
        return snapshot

    def _run(self, batch: Batch, path: str) -> None:
        endpoint, batch_id = batch.data["endpoint"], batch.data["id"]
        out_id, out_path = self.files.new_path()
        err_id, err_path = self.files.new_path()
        errors = 0
        with open(path, "rb") as lines, open(out_path, "wb") as out, open(err_path, "wb") as err:
            for number, raw in enumerate(lines, 1):
                if batch.cancel_requested.wait(self.line_seconds):  # at once when 0
                    break
                if not raw.strip():
                    continue
                ok, line = _answer(raw, number, endpoint, batch_id)
                (out if ok else err).write(dumps(line) + b"\n")
                errors += not ok
                with self._lock:
                    counts = batch.data["request_counts"]
                    counts["completed" if ok else "failed"] += 1
        self._finish(batch, (out_id, out_path), (err_id, err_path), errors)

    def _finish(self, batch: Batch, out: tuple[str, str], err: tuple[str, str], errors: int) -> None:
        self.files.add(*out, "batch_output.jsonl", "batch")
        if errors:
            self.files.add(*err, "batch_error.jsonl", "batch")
        now = int(time.time())
        with self._lock:
            batch.data.update(output_file_id=out[0], error_file_id=err[0] if errors else None)
            if batch.cancel_requested.is_set():
                batch.data.update(status="cancelled", cancelled_at=now)
            else:
                batch.data.update(status="completed", finalizing_at=now, completed_at=now)


def _check_file(path: str, endpoint: str) -> tuple[dict[str, Any] | None, int]:
    """A file-level problem (the batch fails) and the number of request lines."""
    total, models, seen = 0, set(), set()
    with open(path, "rb") as lines:
        for number, raw in enumerate(lines, 1):
            if not raw.strip():
                continue
            total += 1
            try:
                custom_id, body = parse_line(raw, endpoint)
            except ApiError:
                continue  # a bad line fails alone, in the error file
            if custom_id in seen:
                return _problem("1214", number, "custom_id", f"duplicate custom_id {custom_id}"), total
            seen.add(custom_id)
            models.add(body.get("model"))
            if len(models) > 1:
                return _problem("1214", number, "body.model", "one model per batch file"), total
    if total > MAX_LINES[endpoint]:
        return _problem("1214", None, None, f"at most {MAX_LINES[endpoint]} requests per file"), total
    if total == 0:
        return _problem("1214", None, None, "the file has no requests"), total
    return None, total


def _problem(code: str, line: int | None, param: str | None, message: str) -> dict[str, Any]:
    return {"code": code, "line": line, "message": message, "param": param}


def _answer(raw: bytes, number: int, endpoint: str, batch_id: str) -> tuple[bool, dict[str, Any]]:
    custom_id: str | None = None
    try:
        custom_id, body = parse_line(raw, endpoint)
        result = RUNNERS[endpoint](body)
    except ApiError as exc:
        # The error-file line format is undocumented; this is the notes' choice (wire notes §13.2).
        return False, {
            "response": {"status_code": exc.status, "body": exc.body()},
            "custom_id": custom_id,
            "id": batch_id,
            "error": {"code": exc.code, "message": exc.message, "line": number},
        }
    return True, {"response": {"status_code": 200, "body": result}, "custom_id": custom_id, "id": batch_id}

"""Files and batches through the transport against the local server, sync and async: upload, list,
download, delete; batch create, get (validating -> in_progress -> completed), list, cancel."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from glm_transport import AsyncGLMClient, GLMClient, RetryPolicy
from glm_transport.batches import AsyncBatches, Batches
from glm_transport.bulk_types import Batch
from glm_transport.errors import GLMAPIStatusError, GLMInvalidRequestError
from glm_transport.files import AsyncFiles, Files
from glm_transport.testing import LocalGLMServer

LINE: dict[str, Any] = {
    "custom_id": "request-1",
    "method": "POST",
    "url": "/v4/chat/completions",
    "body": {"model": "glm-4-plus", "messages": [{"role": "user", "content": "hello"}]},
}


class Api:
    """One interface over the sync and async resources (async calls run on a loop of their own)."""

    def __init__(self, mode: str, server: LocalGLMServer) -> None:
        kwargs: dict[str, Any] = {
            "api_key": server.api_key,
            "base_url": server.base_url,
            "retry_policy": RetryPolicy(max_retries=1, initial_delay=0.01),
        }
        self.mode = mode
        if mode == "sync":
            self.client: Any = GLMClient(**kwargs)
            self.files: Any = Files(self.client)
            self.batches: Any = Batches(self.client)
        else:
            self.loop = asyncio.new_event_loop()
            self.client = AsyncGLMClient(**kwargs)
            self.files = AsyncFiles(self.client)
            self.batches = AsyncBatches(self.client)

    def __call__(self, resource: str, method: str, *args: Any, **kwargs: Any) -> Any:
        result = getattr(getattr(self, resource), method)(*args, **kwargs)
        return result if self.mode == "sync" else self.loop.run_until_complete(result)

    def close(self) -> None:
        if self.mode == "sync":
            self.client.close()
        else:
            self.loop.run_until_complete(self.client.aclose())
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()


@pytest.fixture
def api(mode: str, glm_server: LocalGLMServer) -> Any:
    made = Api(mode, glm_server)
    yield made
    made.close()


def _jsonl(tmp_path: Path, lines: list[Any], name: str = "in.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def test_a_file_uploads_lists_downloads_and_deletes(api: Any, tmp_path: Path) -> None:
    path = _jsonl(tmp_path, [LINE])
    uploaded = api("files", "upload", path)
    assert (uploaded.filename, uploaded.purpose, uploaded.bytes) == ("in.jsonl", "batch", path.stat().st_size)
    assert [f.id for f in api("files", "list", purpose="batch").data] == [uploaded.id]
    assert api("files", "content", uploaded.id) == path.read_bytes()
    target = api("files", "download", uploaded.id, tmp_path / "copy.jsonl")
    assert target.read_bytes() == path.read_bytes()
    assert api("files", "delete", uploaded.id).deleted is True
    with pytest.raises(GLMAPIStatusError) as caught:
        api("files", "content", uploaded.id)
    assert caught.value.status_code == 404


def test_bytes_need_a_filename_and_a_known_purpose(api: Any) -> None:
    with pytest.raises(GLMInvalidRequestError, match="filename"):
        api("files", "upload", b"{}\n")
    with pytest.raises(GLMInvalidRequestError, match="purpose"):
        api("files", "upload", b"{}\n", filename="x.jsonl", purpose="nonsense")


def test_a_batch_moves_from_validating_to_completed_with_an_error_file_for_bad_lines(api: Any, tmp_path: Path) -> None:
    bad = {**LINE, "custom_id": "request-2", "body": {"model": "glm-4-plus", "messages": []}}
    uploaded = api("files", "upload", _jsonl(tmp_path, [LINE, bad, "not an object"]))
    batch: Batch = api("batches", "create", uploaded.id, metadata={"description": "test"})
    assert batch.status == "validating"
    seen = [batch.status]
    while not batch.done:
        batch = api("batches", "get", batch.id)
        seen.append(batch.status)
    assert seen[:2] == ["validating", "in_progress"] and seen[-1] == "completed"
    assert batch.request_counts is not None
    assert (batch.request_counts.total, batch.request_counts.completed, batch.request_counts.failed) == (3, 1, 2)
    output = [json.loads(line) for line in api("files", "content", batch.output_file_id).splitlines()]
    assert [line["custom_id"] for line in output] == ["request-1"]
    assert output[0]["response"]["status_code"] == 200
    errors = [json.loads(line) for line in api("files", "content", batch.error_file_id).splitlines()]
    assert [(e["custom_id"], e["error"]["line"]) for e in errors] == [("request-2", 2), (None, 3)]
    assert [b.id for b in api("batches", "list").data] == [batch.id]


def test_a_cancelled_batch_ends_cancelled(api: Any, tmp_path: Path) -> None:
    uploaded = api("files", "upload", _jsonl(tmp_path, [LINE]))
    batch = api("batches", "create", uploaded.id)
    assert api("batches", "cancel", batch.id).status == "cancelled"
    assert api("batches", "get", batch.id).status == "cancelled"


def test_a_file_with_two_models_fails_validation(api: Any, tmp_path: Path) -> None:
    other = {**LINE, "custom_id": "request-2", "body": {**LINE["body"], "model": "glm-4-air-250414"}}
    uploaded = api("files", "upload", _jsonl(tmp_path, [LINE, other]))
    batch = api("batches", "get", api("batches", "create", uploaded.id).id)
    assert batch.status == "failed"
    assert batch.errors is not None
    assert "one model" in batch.errors["data"][0]["message"]


def test_batch_arguments_are_checked_before_sending(api: Any) -> None:
    with pytest.raises(GLMInvalidRequestError, match="endpoint"):
        api("batches", "create", "file-1", endpoint="/v4/images/generations")
    with pytest.raises(GLMInvalidRequestError, match="metadata"):
        api("batches", "create", "file-1", metadata={str(i): "x" for i in range(17)})

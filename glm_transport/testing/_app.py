"""Routing: a recorded request in, a ``Plan`` out. No sockets here.

Order for an API request: record it; take the next scripted reply (or a random fault); a
terminal reply answers at once; otherwise route, authenticate, validate, run the model, and
apply the reply's fault or override on top.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from . import _chat_media, _embed, _media
from ._auth import check_auth
from ._bulk import Bulk
from ._errors import ApiError, error_body
from ._faults import FaultPicker, ReplyQueue
from ._inflight import InFlight
from ._model import PromptCache, answer, apply_override
from ._plan import Plan, error_plan, json_plan, modify, sse_plan, terminal_plan
from ._render import Meta, completion, stream_chunks
from ._replies import OVERRIDES, TERMINAL, ChatReply, FinishReply, Reply
from ._tasks import TaskRegistry
from ._text import new_id
from ._validate import parse_body, validate_chat

API_PREFIXES = ("/api/paas/v4", "/api/coding/paas/v4")
CHAT = "/chat/completions"
_JSON_ROUTES: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "/embeddings": _embed.embeddings,
    "/rerank": _embed.rerank,
    "/tokenizer": _embed.tokenizer,
    "/web_search": _embed.web_search,
}
STREAM_USAGE = ("final", "separate")


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it (header names lower-cased)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any  # the parsed body, or None

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "headers": self.headers,
            "body": self.body.decode("utf-8", "replace"),
            "json": self.json,
        }


@dataclass
class Config:
    api_key: str | None = "test-key"
    fault_rate: float = 0.0
    seed: int = 0
    stream_usage: str = "final"
    slow_seconds: float = 5.0
    fault_retry_after: float | None = None  # Retry-After of the random 429/503 faults; None: no header

    def __post_init__(self) -> None:
        if self.stream_usage not in STREAM_USAGE:
            raise ValueError(f"stream_usage must be one of {STREAM_USAGE}")


class GLMApp:
    """The server's behaviour and state (recorded requests, scripted replies, prompt cache)."""

    def __init__(self, config: Config, connections: Callable[[], int] = lambda: 0) -> None:
        self.config = config
        self.requests: list[RecordedRequest] = []
        self.queue = ReplyQueue()
        self.cache = PromptCache()
        self.tasks = TaskRegistry()  # parser and video tasks, polled by id (_media)
        self._faults = FaultPicker(config.fault_rate, config.seed, config.slow_seconds, config.fault_retry_after)
        self._connections = connections
        self._lock = threading.Lock()
        self.bulk = Bulk()
        self.inflight = InFlight()  # the per-model in-flight limit, applied by the HTTP layer

    def reset(self) -> None:
        self.queue.clear()
        self.cache.clear()
        self.tasks.clear()
        with self._lock:
            self.requests.clear()

    def handle(self, req: RecordedRequest) -> Plan:
        path, _, query = req.path.partition("?")
        route = _route_of(path)
        if route.startswith("/_control/"):
            return self._control(req, route, query)
        with self._lock:
            self.requests.append(req)
        streaming = route == CHAT and isinstance(req.json, dict) and req.json.get("stream") is True
        reply = self.queue.pop() or self._faults.pick(streaming)
        if isinstance(reply, TERMINAL):
            return terminal_plan(reply)
        try:
            plan = self._api(req, route, reply if isinstance(reply, OVERRIDES) else None)
        except ApiError as err:
            plan = error_plan(err)
        return plan if reply is None else modify(plan, reply)

    def _api(self, req: RecordedRequest, route: str, override: Reply | None) -> Plan:
        media = _media.route(self, req.method, route, req.headers, req.body)
        if media is not None:
            return media
        if self.bulk.owns(route):  # files, batches, async chat (wire notes §13.1, §13.2, §13.4)
            check_auth(req.headers.get("authorization"), self.config.api_key, now_ms=_now_ms())
            return self.bulk.handle(req.method, route, req.path.partition("?")[2], req.headers, req.body)
        if route != CHAT and route not in _JSON_ROUTES:
            raise ApiError(404, "1222", f"The API does not exist: {req.path}")
        if req.method != "POST":
            raise ApiError(405, "1210", f"Method {req.method} is not allowed", {"Allow": "POST"})
        check_auth(req.headers.get("authorization"), self.config.api_key, now_ms=_now_ms())
        body = req.json if isinstance(req.json, dict) else parse_body(req.body)
        if route != CHAT:
            return json_plan(200, _JSON_ROUTES[route](body))
        model = validate_chat(body)
        _chat_media.check_chat(body, model)
        ans = answer(_chat_media.read_documents(body), cached_tokens=self.cache.cached_tokens(body["messages"]))
        if isinstance(override, ChatReply | FinishReply):
            ans = apply_override(ans, override, body["messages"])
        task = new_id()
        request_id = body.get("request_id") or task
        meta = Meta(id=task, created=int(time.time()), model=model, request_id=request_id)
        if body.get("stream"):
            separate = self.config.stream_usage == "separate"
            tool_stream = bool(body.get("tool_stream"))
            chunks = stream_chunks(ans, meta, separate_usage=separate, tool_stream=tool_stream)
            return sse_plan(_chat_media.with_mcp_stream(chunks, body))
        return json_plan(200, _chat_media.with_mcp_completion(completion(ans, meta), body))

    # ---- control endpoint (no auth, never recorded, never faulted) -----------------------
    def _control(self, req: RecordedRequest, route: str, query: str) -> Plan:
        action = route[len("/_control/") :]
        want = {"enqueue": "POST", "reset": "POST", "requests": "GET", "stats": "GET"}.get(action)
        if want is None:
            return json_plan(404, error_body("1222", f"Unknown control action: {action}"))
        if req.method != want:
            return json_plan(405, error_body("1210", f"Use {want}"), {"Allow": want})
        if action == "enqueue":
            return self._enqueue(req.body)
        if action == "reset":
            self.reset()
            self.inflight.reset()
            return json_plan(200, {"ok": True})
        with self._lock:
            recorded = list(self.requests)
        if action == "stats":
            stats = {
                "open_connections": self._connections(),
                "requests": len(recorded),
                "inflight": self.inflight.stats(),
            }
            return json_plan(200, stats)
        if parse_qs(query).get("count", ["0"])[0] not in ("0", ""):
            return json_plan(200, {"count": len(recorded)})
        return json_plan(200, [r.to_json() for r in recorded])

    def _enqueue(self, raw: bytes) -> Plan:
        try:
            body = parse_body(raw)
            replies = body.get("replies")
            if not isinstance(replies, list):
                raise ValueError("replies must be an array")
            times = body.get("times", 1)
            if isinstance(times, bool) or not isinstance(times, int) or times < 1:
                raise ValueError("times must be a positive integer")
            parsed = [Reply.from_json(r) for r in replies]
        except (ApiError, ValueError, TypeError) as exc:
            return json_plan(400, error_body("1214", str(exc)))
        for reply in parsed:
            self.queue.push(reply, times)
        return json_plan(200, {"queued": len(self.queue)})


def _route_of(path: str) -> str:
    for prefix in API_PREFIXES:
        if path.startswith(prefix + "/"):
            return path[len(prefix) :]
    return path if path.startswith("/_control/") else ""


def _now_ms() -> int:
    return int(time.time() * 1000)

"""What the HTTP layer writes: a ``Plan`` of status, headers, body pieces and timing.

Everything here is pure: the handlers build a plan, the reply modifiers rewrite it, and
``_server`` only executes it.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ._errors import ApiError, error_body
from ._replies import (
    DisconnectReply,
    Http200ErrorReply,
    InBandErrorReply,
    JsonReply,
    MalformedEventReply,
    MidStreamDisconnectReply,
    RawReply,
    Reply,
    SlowReply,
    StatusReply,
)

JSON_TYPE = "application/json; charset=UTF-8"
SSE_TYPE = "text/event-stream; charset=UTF-8"
DONE = b"data: [DONE]\n\n"


@dataclass(frozen=True)
class Plan:
    """One HTTP answer. Each body piece is written (and so flushed) on its own."""

    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    pieces: tuple[bytes, ...] = ()
    chunked: bool = False
    events: bool = False  # pieces are SSE events
    disconnect: bool = False  # close before any byte
    delay_before_headers: float = 0.0
    delay_before_body: float = 0.0
    stall_after: int | None = None  # pieces written before a single stall
    stall_seconds: float = 0.0
    abort_after: int | None = None  # pieces written before the socket is closed


def dumps(obj: Any) -> bytes:
    """Compact JSON with raw UTF-8, as GLM writes it."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_plan(status: int, obj: Any, headers: Mapping[str, str] | None = None) -> Plan:
    return Plan(
        status=status,
        headers=(("Content-Type", JSON_TYPE), *(headers or {}).items()),
        pieces=(dumps(obj),),
    )


def error_plan(err: ApiError) -> Plan:
    return json_plan(err.status, err.body(), err.headers)


def sse_event(obj: Any) -> bytes:
    return b"data: " + dumps(obj) + b"\n\n"


def sse_plan(chunks: Iterable[Any]) -> Plan:
    pieces = (*(sse_event(c) for c in chunks), DONE)
    return Plan(
        headers=(("Content-Type", SSE_TYPE), ("Cache-Control", "no-cache")),
        pieces=pieces,
        chunked=True,
        events=True,
    )


def terminal_plan(reply: Reply) -> Plan:
    """The plan for a reply that ignores the request (status, json, raw, ...)."""
    if isinstance(reply, StatusReply):
        return json_plan(reply.status_code, error_body(reply.code, reply.message), reply.headers or {})
    if isinstance(reply, JsonReply):
        return json_plan(reply.status_code, reply.body, reply.headers)
    if isinstance(reply, Http200ErrorReply):
        return json_plan(200, error_body(reply.code, reply.message))
    if isinstance(reply, RawReply):
        chunked = reply.chunked
        if chunked is None:
            chunked = reply.content_type.startswith("text/event-stream")
        return Plan(
            status=reply.status_code,
            headers=(("Content-Type", reply.content_type), *reply.headers.items()),
            pieces=reply.pieces(),
            chunked=chunked,
        )
    if isinstance(reply, DisconnectReply):
        return Plan(disconnect=True)
    raise TypeError(f"not a terminal reply: {reply!r}")


def modify(plan: Plan, reply: Reply) -> Plan:
    """Apply a fault-style reply (cut, malformed, in-band error, slow) to a normal plan."""
    if isinstance(reply, MidStreamDisconnectReply):
        if plan.events:
            # Never let the [DONE] through: the point is a stream without its end.
            return dataclasses.replace(plan, abort_after=min(reply.after_events, len(plan.pieces) - 1))
        body = b"".join(plan.pieces)
        half = len(body) // 2
        return dataclasses.replace(plan, pieces=(body[:half], body[half:]), abort_after=1)
    if isinstance(reply, MalformedEventReply):
        if plan.events:
            head = plan.pieces[: min(reply.after_events, len(plan.pieces) - 1)]
            return dataclasses.replace(plan, pieces=(*head, b"data: {not json\n\n", DONE))
        return dataclasses.replace(plan, pieces=(b"{not json",))
    if isinstance(reply, InBandErrorReply):
        envelope = error_body(reply.code, reply.message)
        if plan.events:
            head = plan.pieces[: min(reply.after_events, len(plan.pieces) - 1)]
            return dataclasses.replace(plan, pieces=(*head, sse_event(envelope)))
        return json_plan(200, envelope)
    if isinstance(reply, SlowReply):
        return _slow(plan, reply)
    return plan


def _slow(plan: Plan, reply: SlowReply) -> Plan:
    if reply.before == "headers":
        return dataclasses.replace(plan, delay_before_headers=reply.seconds)
    if reply.before == "between_events" and plan.events:
        after = max(1, min(reply.after_events, len(plan.pieces) - 1))
        return dataclasses.replace(plan, stall_after=after, stall_seconds=reply.seconds)
    return dataclasses.replace(plan, delay_before_body=reply.seconds)

"""Scripted replies: what the next request gets instead of (or on top of) the default model.

Every reply is a frozen dataclass that round-trips through JSON (``to_json``/``from_json``), so
the same script works in-process (``LocalGLMServer.enqueue``) and over ``POST /_control/enqueue``.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ._errors import default_message

_SLOW_WHERE = ("headers", "body", "between_events")


@dataclass(frozen=True)
class Reply:
    """Base of the reply family; build replies with the static constructors below."""

    kind: ClassVar[str] = ""

    # ---- constructors -------------------------------------------------------------------
    @staticmethod
    def chat(
        content: str | None = None,
        *,
        reasoning: str | None = None,
        tool_calls: Sequence[Mapping[str, Any]] | None = None,
        finish_reason: str | None = None,
        usage: Mapping[str, Any] | None = None,
        web_search: Sequence[Mapping[str, Any]] | None = None,
        chunks: int | None = None,
    ) -> ChatReply:
        """Override the model's answer; fields left ``None`` keep the model's own value.

        ``content`` given without ``tool_calls`` drops the model's tool calls. ``tool_calls``
        items are ``{"name", "arguments"}`` (arguments a dict or a JSON string, optional ``id``).
        ``chunks=N`` streams the content as exactly N content deltas.
        """
        return ChatReply(
            content=content,
            reasoning=reasoning,
            tool_calls=None if tool_calls is None else tuple(dict(c) for c in tool_calls),
            finish_reason=finish_reason,
            usage=None if usage is None else dict(usage),
            web_search=None if web_search is None else tuple(dict(r) for r in web_search),
            chunks=chunks,
        )

    @staticmethod
    def status(
        status: int,
        code: str = "1302",
        message: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> StatusReply:
        """An HTTP error with GLM's body; ``headers`` are sent as given (none by default).

        No source shows GLM sending ``Retry-After`` (docs/wire-notes.md §6.4, §12.15), so a 429 or
        503 carries one only when a test passes it, e.g. ``headers={"Retry-After": "0"}``.
        """
        return StatusReply(
            status_code=status,
            code=str(code),
            message=message or "",
            headers=None if headers is None else dict(headers),
        )

    @staticmethod
    def json(status: int, body: Any, headers: Mapping[str, str] | None = None) -> JsonReply:
        return JsonReply(status_code=status, body=body, headers=dict(headers or {}))

    @staticmethod
    def raw(
        status: int,
        body: bytes,
        headers: Mapping[str, str] | None = None,
        content_type: str = "text/event-stream",
        split: Sequence[int] = (),
        chunked: bool | None = None,
    ) -> RawReply:
        """Exact bytes, written in pieces of the ``split`` sizes (the rest as a last piece).

        ``chunked=None`` uses chunked transfer for ``text/event-stream``, Content-Length otherwise.
        """
        return RawReply(
            status_code=status,
            body=bytes(body),
            headers=dict(headers or {}),
            content_type=content_type,
            split=tuple(split),
            chunked=chunked,
        )

    @staticmethod
    def http200_error(
        code: str = "1305", message: str = "The service may be temporarily overloaded"
    ) -> Http200ErrorReply:
        """A plain JSON error envelope with HTTP 200 on a streaming call (docs/wire-notes.md §5.5)."""
        return Http200ErrorReply(code=str(code), message=message)

    @staticmethod
    def disconnect() -> DisconnectReply:
        """Close the socket before any response byte."""
        return DisconnectReply()

    @staticmethod
    def disconnect_mid_stream(after_events: int = 3) -> MidStreamDisconnectReply:
        """Send the first N events of the normal answer, then close (no ``[DONE]``)."""
        return MidStreamDisconnectReply(after_events=after_events)

    @staticmethod
    def malformed_event(after_events: int = 2) -> MalformedEventReply:
        """After N events send ``data: {not json`` and then ``[DONE]``."""
        return MalformedEventReply(after_events=after_events)

    @staticmethod
    def in_band_error(after_events: int = 0, code: str = "1234", message: str = "Network error") -> InBandErrorReply:
        """After N events send ``data: {"error": {...}}`` and end the stream."""
        return InBandErrorReply(after_events=after_events, code=str(code), message=message)

    @staticmethod
    def slow(seconds: float, before: str = "headers", after_events: int = 1) -> SlowReply:
        """Delay before the headers, before the body, or once after ``after_events`` events."""
        return SlowReply(seconds=seconds, before=before, after_events=after_events)

    @staticmethod
    def finish(finish_reason: str, content: str | None = None) -> FinishReply:
        """End with ``finish_reason``; the content defaults to the first half of the answer."""
        return FinishReply(finish_reason=finish_reason, content=content)

    # ---- JSON round trip ----------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bytes):
                out[f.name + "_base64"] = base64.b64encode(value).decode("ascii")
            else:
                out[f.name] = _plain(value)
        return out

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Reply:
        """Rebuild a reply from ``to_json`` output (``status`` is accepted for ``status_code``)."""
        kind = data.get("kind")
        cls = _KINDS.get(kind) if isinstance(kind, str) else None
        if cls is None:
            raise ValueError(f"unknown reply kind: {kind!r}")
        names = {f.name for f in dataclasses.fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key == "kind":
                continue
            if key == "status":
                key = "status_code"
            if key.endswith("_base64") and key[: -len("_base64")] in names:
                key, value = key[: -len("_base64")], base64.b64decode(value)
            if key not in names:
                raise ValueError(f"unknown field for {kind} reply: {key!r}")
            kwargs[key] = value
        if cls is RawReply and isinstance(kwargs.get("body"), str):
            kwargs["body"] = kwargs["body"].encode("utf-8")
        for key in ("tool_calls", "web_search", "split"):
            if isinstance(kwargs.get(key), list):
                kwargs[key] = tuple(kwargs[key])
        return cls(**kwargs)


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class ChatReply(Reply):
    kind: ClassVar[str] = "chat"
    content: str | None = None
    reasoning: str | None = None
    tool_calls: tuple[dict[str, Any], ...] | None = None
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    web_search: tuple[dict[str, Any], ...] | None = None
    chunks: int | None = None

    def __post_init__(self) -> None:
        if self.chunks is not None and self.chunks < 1:
            raise ValueError("chunks must be >= 1")


@dataclass(frozen=True)
class StatusReply(Reply):
    kind: ClassVar[str] = "status"
    status_code: int = 429
    code: str = "1302"
    message: str = ""  # "" means GLM's text for the code
    headers: dict[str, str] | None = None  # None means no extra headers (GLM sends no Retry-After)

    def __post_init__(self) -> None:
        if not self.message:
            object.__setattr__(self, "message", default_message(self.code))
        if self.headers is None:
            object.__setattr__(self, "headers", {})


@dataclass(frozen=True)
class JsonReply(Reply):
    kind: ClassVar[str] = "json"
    status_code: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RawReply(Reply):
    kind: ClassVar[str] = "raw"
    status_code: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/event-stream"
    split: tuple[int, ...] = ()
    chunked: bool | None = None

    def __post_init__(self) -> None:
        if any(size < 1 for size in self.split):
            raise ValueError("split sizes must be >= 1")

    def pieces(self) -> tuple[bytes, ...]:
        out: list[bytes] = []
        pos = 0
        for size in self.split:
            if pos >= len(self.body):
                break
            out.append(self.body[pos : pos + size])
            pos += size
        if pos < len(self.body) or not out:
            out.append(self.body[pos:])
        return tuple(out)


@dataclass(frozen=True)
class Http200ErrorReply(Reply):
    kind: ClassVar[str] = "http200_error"
    code: str = "1305"
    message: str = default_message("1305")


@dataclass(frozen=True)
class DisconnectReply(Reply):
    kind: ClassVar[str] = "disconnect"


@dataclass(frozen=True)
class MidStreamDisconnectReply(Reply):
    kind: ClassVar[str] = "disconnect_mid_stream"
    after_events: int = 3


@dataclass(frozen=True)
class MalformedEventReply(Reply):
    kind: ClassVar[str] = "malformed_event"
    after_events: int = 2


@dataclass(frozen=True)
class InBandErrorReply(Reply):
    kind: ClassVar[str] = "in_band_error"
    after_events: int = 0
    code: str = "1234"
    message: str = "Network error"


@dataclass(frozen=True)
class SlowReply(Reply):
    kind: ClassVar[str] = "slow"
    seconds: float = 5.0
    before: str = "headers"
    after_events: int = 1

    def __post_init__(self) -> None:
        if self.before not in _SLOW_WHERE:
            raise ValueError(f"before must be one of {_SLOW_WHERE}")
        if self.seconds < 0:
            raise ValueError("seconds must be >= 0")


@dataclass(frozen=True)
class FinishReply(Reply):
    kind: ClassVar[str] = "finish"
    finish_reason: str = "stop"
    content: str | None = None


# Replies answered without looking at the request at all.
TERMINAL = (StatusReply, JsonReply, RawReply, Http200ErrorReply, DisconnectReply)
# Replies that change the model's answer itself.
OVERRIDES = (ChatReply, FinishReply)

_KINDS: dict[str, type[Reply]] = {
    cls.kind: cls
    for cls in (
        ChatReply,
        StatusReply,
        JsonReply,
        RawReply,
        Http200ErrorReply,
        DisconnectReply,
        MidStreamDisconnectReply,
        MalformedEventReply,
        InBandErrorReply,
        SlowReply,
        FinishReply,
    )
}

"""Server-sent events: bytes in, events out, incrementally (wire notes §5.1).

Written here rather than taken from httpx-sse for two reasons measured on this API: GLM's
Coding endpoint can answer a streaming call with a bare JSON error body and HTTP 200 (wire notes §5.5,
capture C2), which an SSE line parser discards as an unknown field, so the error would become a
silent empty stream; and the decoder sits on the per-chunk hot path, where working on whole
byte lines and skipping httpx's text line decoder keeps it near raw httpx (bench/transport.py).
It follows the WHATWG event-stream rules: LF, CR and CRLF line ends, ``:`` comments, ``data``
lines joined with ``\\n``, ``event``/``id``/``retry`` fields, a blank line dispatches, a BOM is
dropped, and an event with no blank line after it at the end of the body is discarded.

An unterminated line is kept as a list of pieces and joined once its end arrives, so a long line
costs linear time (concatenating on every chunk made one 40 MiB line cost 13.6 s of CPU); a
line or an event longer than ``MAX_LINE_BYTES`` raises ``GLMStreamError`` instead of growing
without bound.
"""

from __future__ import annotations

from typing import Final, NamedTuple

from .errors import GLMStreamError

__all__ = ["MAX_LINE_BYTES", "SSEDecoder", "SSEEvent"]

# GLM's largest events (a chunk of web-search results) are tens of KiB; 8 MiB is far beyond any.
MAX_LINE_BYTES: Final = 8 * 2**20


class SSEEvent(NamedTuple):
    event: str
    data: str
    id: str | None = None
    retry: int | None = None


class SSEDecoder:
    """Incremental decoder: ``feed(bytes) -> events``; lines may be split at any byte."""

    __slots__ = ("_data", "_data_size", "_event", "_id", "_parts", "_retry", "_size", "_started", "max_line")

    def __init__(self, max_line: int = MAX_LINE_BYTES) -> None:
        self._parts: list[bytes] = []  # the pieces of the line not yet ended
        self._size = 0
        self._data: list[str] = []
        self._data_size = 0
        self._event = ""
        self._id: str | None = None
        self._retry: int | None = None
        self._started = False
        self.max_line = max_line

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        if not self._started:
            buf = b"".join(self._parts) + chunk
            self._parts, self._size = [], 0
            if len(buf) < 3 and b"\xef\xbb\xbf".startswith(buf):
                self._keep(buf)
                return []
            self._started = True
            chunk = buf[3:] if buf.startswith(b"\xef\xbb\xbf") else buf
        held_cr = self._parts and self._parts[-1][-1:] == b"\r"  # a CR whose line the next byte decides
        if b"\n" not in chunk and b"\r" not in chunk and not held_cr:
            self._keep(chunk)
            return []
        buf = b"".join((*self._parts, chunk)) if self._parts else chunk
        self._parts, self._size = [], 0
        return self._decode(buf, final=False)

    def _keep(self, piece: bytes) -> None:
        if piece:
            self._parts.append(piece)
            self._size += len(piece)
            if self._size > self.max_line:
                raise GLMStreamError(f"stream line longer than {self.max_line} bytes without an end")

    def _decode(self, buf: bytes, *, final: bool) -> list[SSEEvent]:
        # A trailing CR may be the first half of CRLF: keep it until the next byte decides.
        hold = not final and buf.endswith(b"\r")
        lines = buf.splitlines(keepends=True)
        if hold or (lines and not lines[-1].endswith((b"\n", b"\r"))):
            self._keep(lines.pop())
        events: list[SSEEvent] = []
        for raw in lines:
            line = raw.rstrip(b"\r\n")
            if not line:
                if self._data:
                    events.append(SSEEvent(self._event or "message", "\n".join(self._data), self._id, self._retry))
                    self._data, self._data_size = [], 0
                self._event = ""
                continue
            self._field(line)
        return events

    def flush(self) -> list[SSEEvent]:
        """At the end of the body: a held-back CR ends its line; an unterminated line is dropped."""
        buf = b"".join(self._parts)
        self._parts, self._size = [], 0
        return self._decode(buf, final=True) if buf.endswith(b"\r") else []

    def _field(self, line: bytes) -> None:
        name, sep, value = line.partition(b":")
        if not name:  # a comment line
            return
        if sep and value[:1] == b" ":
            value = value[1:]
        text = value.decode("utf-8", "replace")
        if name == b"data":
            self._data_size += len(value)
            if self._data_size > self.max_line:
                raise GLMStreamError(f"stream event longer than {self.max_line} bytes")
            self._data.append(text)
        elif name == b"event":
            self._event = text
        elif name == b"id":
            if "\0" not in text:
                self._id = text
        elif name == b"retry" and text.isdigit():
            self._retry = int(text)

    @property
    def pending(self) -> bytes:
        """Bytes received but not yet part of a complete line (for diagnostics)."""
        return b"".join(self._parts)

    @property
    def pending_size(self) -> int:
        return self._size

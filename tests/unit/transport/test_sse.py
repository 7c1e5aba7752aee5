"""SSE framing, table-driven: every split point, every line ending, comments, fields."""

from __future__ import annotations

import pytest

from glm_transport import GLMStreamError
from glm_transport.sse import SSEDecoder, SSEEvent


def decode(pieces: list[bytes]) -> list[SSEEvent]:
    decoder = SSEDecoder()
    events: list[SSEEvent] = []
    for piece in pieces:
        events.extend(decoder.feed(piece))
    return events + decoder.flush()


CASES = [
    ("lf", b'data: {"a":1}\n\n', [SSEEvent("message", '{"a":1}')]),
    ("crlf", b'data: {"a":1}\r\n\r\n', [SSEEvent("message", '{"a":1}')]),
    ("cr", b"data: x\r\r", [SSEEvent("message", "x")]),
    ("no space after colon", b"data:x\n\n", [SSEEvent("message", "x")]),
    ("only first space stripped", b"data:  x\n\n", [SSEEvent("message", " x")]),
    ("comment ignored", b": keep-alive\ndata: x\n\n", [SSEEvent("message", "x")]),
    ("multi-line data joined", b"data: a\ndata: b\n\n", [SSEEvent("message", "a\nb")]),
    ("event field", b"event: error\ndata: x\n\n", [SSEEvent("error", "x")]),
    ("id and retry", b"id: 7\nretry: 100\ndata: x\n\n", [SSEEvent("message", "x", "7", 100)]),
    ("blank lines without data dispatch nothing", b"\n\n\n", []),
    ("unknown field ignored", b"foo: bar\ndata: x\n\n", [SSEEvent("message", "x")]),
    ("done", b"data: [DONE]\n\n", [SSEEvent("message", "[DONE]")]),
    ("bom dropped", b"\xef\xbb\xbfdata: x\n\n", [SSEEvent("message", "x")]),
    ("unterminated event discarded", b"data: x\n", []),
    ("utf-8 text", "data: 你好\n\n".encode(), [SSEEvent("message", "你好")]),
    ("two events", b"data: 1\n\ndata: 2\n\n", [SSEEvent("message", "1"), SSEEvent("message", "2")]),
    (
        "event type resets after dispatch",
        b"event: e\ndata: 1\n\ndata: 2\n\n",
        [SSEEvent("e", "1"), SSEEvent("message", "2")],
    ),
]


@pytest.mark.parametrize(("name", "stream", "expected"), CASES, ids=[c[0] for c in CASES])
def test_decodes_whole_and_at_every_split_point(name: str, stream: bytes, expected: list[SSEEvent]) -> None:
    assert decode([stream]) == expected
    for split in range(1, len(stream)):
        assert decode([stream[:split], stream[split:]]) == expected, f"split at {split}"
    assert decode([stream[i : i + 1] for i in range(len(stream))]) == expected


def test_a_lone_cr_at_a_read_boundary_waits_for_the_next_byte() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: x\r") == []
    assert decoder.feed(b"\n\r\n") == [SSEEvent("message", "x")]


def test_a_held_back_cr_ends_its_line_when_the_next_chunk_has_no_line_end() -> None:
    whole = SSEDecoder().feed(b"data: a\n\rdata: ")
    decoder = SSEDecoder()
    pieces = [decoder.feed(bytes([byte])) for byte in b"data: a\n\rdata: "]
    assert [event for piece in pieces for event in piece] == whole == [SSEEvent("message", "a")]


def test_a_line_longer_than_the_cap_is_a_typed_error() -> None:
    decoder = SSEDecoder(max_line=1000)
    decoder.feed(b"data: ")
    for _ in range(99):
        decoder.feed(b"x" * 10)
    assert decoder.pending_size == 996
    with pytest.raises(GLMStreamError, match="longer than 1000 bytes"):
        decoder.feed(b"x" * 10)

"""Property tests: the SSE decoder and the response parsers, fed random bytes at random split
points, never hang and never raise anything but our typed errors; valid streams decode the same
however they are split."""

from __future__ import annotations

import contextlib
import itertools
import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glm_transport import ChatStreamParser, GLMClient, GLMError, StreamAccumulator
from glm_transport.errors import error_from_response
from glm_transport.sse import SSEDecoder
from glm_transport.types import ChatCompletion

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


@FUZZ
@given(st.binary(max_size=2000), st.lists(st.integers(min_value=0), max_size=20))
def test_random_bytes_only_ever_raise_typed_errors(data: bytes, cuts: list[int]) -> None:
    parser = ChatStreamParser()
    try:
        for piece in split(data, cuts):
            parser.feed(piece)
        parser.finish()
    except GLMError:
        pass


sse_noise = st.lists(
    st.sampled_from(
        [
            b"data: ",
            b"data:",
            b"\n",
            b"\r\n",
            b"\r",
            b": c\n",
            b"event: error\n",
            b"[DONE]",
            b"{",
            b"}",
            b'"error"',
            b"id: 1\n",
            b"\xff",
            b"x",
        ]
    ),
    max_size=60,
).map(b"".join)


@FUZZ
@given(sse_noise, st.lists(st.integers(min_value=0), max_size=20))
def test_sse_shaped_noise_decodes_the_same_however_split(data: bytes, cuts: list[int]) -> None:
    whole = SSEDecoder()
    expected = whole.feed(data) + whole.flush()
    pieces = SSEDecoder()
    got = [event for piece in split(data, cuts) for event in pieces.feed(piece)] + pieces.flush()
    assert got == expected


text = st.text(max_size=12)
delta = st.fixed_dictionaries(
    {},
    optional={
        "content": text,
        "reasoning_content": text,
        "tool_calls": st.lists(
            st.fixed_dictionaries(
                {"index": st.integers(0, 2)},
                optional={
                    "id": text,
                    "function": st.fixed_dictionaries({}, optional={"name": text, "arguments": text}),
                },
            ),
            max_size=2,
        ),
    },
)
chunk = st.builds(
    lambda d, f: {"id": "x", "model": "glm-4.7", "choices": [{"index": 0, "delta": {"role": "assistant", **d}, **f}]},
    delta,
    st.fixed_dictionaries({}, optional={"finish_reason": st.sampled_from(["stop", "tool_calls", "length"])}),
)


@FUZZ
@given(st.lists(chunk, max_size=15), st.lists(st.integers(min_value=0), max_size=30), st.booleans())
def test_valid_streams_accumulate_the_same_however_split(
    chunks: list[dict[str, Any]], cuts: list[int], crlf: bool
) -> None:
    eol = b"\r\n" if crlf else b"\n"
    data = (
        b"".join(b"data: " + json.dumps(c, ensure_ascii=False).encode() + eol + eol for c in chunks)
        + b"data: [DONE]"
        + eol
        + eol
    )

    def run(pieces: list[bytes]) -> ChatCompletion:
        parser, acc = ChatStreamParser(), StreamAccumulator()
        for piece in pieces:
            for c in parser.feed(piece):
                acc.feed(c)
        parser.finish()
        return acc.finish()

    whole = run([data])
    assert run(split(data, cuts)).model_dump() == whole.model_dump()
    assert whole.message.content == "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)


@FUZZ
@given(
    st.integers(100, 599),
    st.binary(max_size=300)
    | st.builds(
        lambda o: json.dumps(o).encode(),
        st.recursive(
            st.none() | st.integers() | st.text(max_size=5),
            lambda c: (
                st.lists(c, max_size=3)
                | st.dictionaries(st.sampled_from(["error", "code", "message", "choices", "x"]), c, max_size=3)
            ),
            max_leaves=8,
        ),
    ),
)
def test_response_parsers_only_raise_typed_errors(status: int, body: bytes) -> None:
    assert isinstance(error_from_response(status, body), GLMError)
    client = GLMClient(api_key="k", base_url="http://127.0.0.1:9/api/paas/v4")
    with contextlib.suppress(GLMError):
        client._parse(httpx.Response(status, content=body), body, ChatCompletion, "rid")

"""Cancellation, early close, caller exceptions, event loops, threads and timeouts, through the
transport client and both adapters, over real HTTP to the local server.

"Released" is observed from the server's side: the connection a stream used is closed (the
server's handler sees EOF) before the client is closed, and no ``ResourceWarning`` is emitted.
"""

from __future__ import annotations

import asyncio
import gc
import socket
import threading
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from langchain_core.exceptions import ModelTimeoutError
from llama_index.core.base.llms.types import ChatMessage

from glm_transport import AsyncGLMClient, GLMClient, GLMTimeoutError
from glm_transport.testing import LocalGLMServer, Reply
from langchain_glm import ChatGLM, GLMEmbeddings
from llamaindex_glm import GLM, GLMEmbedding

LONG = Reply.chat("word " * 400, chunks=400)
STALL = 0.4  # seconds the server stalls a stream in the cancellation tests


def hello(text: str) -> dict[str, Any]:
    return {"model": "glm-4.7", "messages": [{"role": "user", "content": text}]}


@dataclass(frozen=True)
class Target:
    """One public streaming API: how to make it, stream with it (sync and async), and close it."""

    name: str
    make: Callable[..., Any]
    stream: Callable[[Any, str], Iterator[Any]]
    astream: Callable[[Any, str], Any]  # an awaitable of an async iterator
    invoke: Callable[[Any, str], str]
    ainvoke: Callable[[Any, str], Any]
    text: Callable[[Any], str]  # the text of one streamed item (a delta)


async def _await(value: Any) -> Any:
    return value


async def _transport_astream(client: AsyncGLMClient, text: str) -> AsyncIterator[Any]:
    return (await client.stream_chat(hello(text))).__aiter__()


async def _transport_ainvoke(client: AsyncGLMClient, text: str) -> str:
    return (await client.chat(hello(text))).message.text


async def _chatglm_ainvoke(model: ChatGLM, text: str) -> str:
    return str((await model.ainvoke(text)).content)


async def _glm_ainvoke(model: GLM, text: str) -> str:
    return str((await model.achat([ChatMessage(role="user", content=text)])).message.content)


def _transport_make(**kwargs: Any) -> tuple[GLMClient, AsyncGLMClient]:
    total = kwargs.pop("total_timeout", None)
    return GLMClient(total_timeout=total, **kwargs), AsyncGLMClient(total_timeout=total, **kwargs)


TARGETS = [
    Target(
        "transport",
        _transport_make,
        stream=lambda pair, text: iter(pair[0].stream_chat(hello(text))),
        astream=lambda pair, text: _transport_astream(pair[1], text),
        invoke=lambda pair, text: pair[0].chat(hello(text)).message.text,
        ainvoke=lambda pair, text: _transport_ainvoke(pair[1], text),
        text=lambda chunk: chunk.content or "",
    ),
    Target(
        "ChatGLM",
        lambda **kw: ChatGLM(model="glm-4.7", **kw),
        stream=lambda m, text: m.stream(text),
        astream=lambda m, text: _await(m.astream(text)),
        invoke=lambda m, text: str(m.invoke(text).content),
        ainvoke=_chatglm_ainvoke,
        text=lambda chunk: str(chunk.content),
    ),
    Target(
        "GLM",
        lambda **kw: GLM(model="glm-4.7", **kw),
        stream=lambda m, text: m.stream_chat([ChatMessage(role="user", content=text)]),
        astream=lambda m, text: m.astream_chat([ChatMessage(role="user", content=text)]),
        invoke=lambda m, text: str(m.chat([ChatMessage(role="user", content=text)]).message.content),
        ainvoke=_glm_ainvoke,
        text=lambda response: response.delta or "",
    ),
]


def _close(obj: Any) -> None:
    for part in obj if isinstance(obj, tuple) else (obj,):
        if hasattr(part, "close"):
            part.close()
        if hasattr(part, "aclose"):
            asyncio.run(part.aclose())


@pytest.fixture(params=TARGETS, ids=[t.name for t in TARGETS])
def target(request: pytest.FixtureRequest) -> Target:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def make(target: Target, glm_server: LocalGLMServer) -> Iterator[Callable[..., Any]]:
    """``make(**settings)``: the target's object on the local server, closed after the test."""
    made: list[Any] = []

    def build(**kwargs: Any) -> Any:
        kwargs.setdefault("api_key", glm_server.api_key)
        kwargs.setdefault("base_url", glm_server.base_url)
        obj = target.make(**kwargs)
        made.append(obj)
        return obj

    yield build
    for obj in made:
        _close(obj)


def chat_requests(server: LocalGLMServer) -> int:
    return sum(1 for r in server.requests if r.path.endswith("/chat/completions"))


def no_resource_warnings(caught: list[warnings.WarningMessage]) -> None:
    gc.collect()
    leaked = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaked == []


async def server_idle(server: LocalGLMServer, timeout: float = 5.0) -> bool:
    """Poll (without blocking the loop) until the server has no open connection."""
    for _ in range(int(timeout / 0.02)):
        if server.open_connections == 0:
            return True
        await asyncio.sleep(0.02)
    return False


# ---------------------------------------------------------------- cancellation and early exits


def consume_until_the_caller_fails(stream: Iterator[Any]) -> None:
    for _ in stream:
        raise KeyError("the caller's own error")


def test_a_task_cancelled_mid_stream_releases_the_connection(
    target: Target, make: Callable[..., Any], glm_server: LocalGLMServer
) -> None:
    obj = make()
    glm_server.enqueue(Reply.slow(STALL, before="between_events", after_events=3))
    got: list[Any] = []

    async def consume(started: asyncio.Event) -> None:
        async for item in await target.astream(obj, "hello there"):
            got.append(item)
            started.set()

    async def run() -> bool:
        started = asyncio.Event()
        task = asyncio.create_task(consume(started))
        await started.wait()
        await asyncio.sleep(0.05)  # the task now waits on the stalled socket
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return await server_idle(glm_server)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert asyncio.run(run())
        no_resource_warnings(caught)
    assert 0 < len(got) < 10


def test_an_async_stream_closed_early_releases_the_connection(
    target: Target, make: Callable[..., Any], glm_server: LocalGLMServer
) -> None:
    obj = make()
    glm_server.enqueue(LONG)

    async def run() -> tuple[int, bool]:
        stream = await target.astream(obj, "hello there")
        first = [await stream.__anext__() for _ in range(3)]
        await stream.aclose()
        return len(first), await server_idle(glm_server)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert asyncio.run(run()) == (3, True)
        no_resource_warnings(caught)


@pytest.mark.parametrize("how", ["close", "break", "caller raises"])
def test_a_sync_stream_left_early_releases_the_connection(
    target: Target, make: Callable[..., Any], glm_server: LocalGLMServer, how: str
) -> None:
    obj = make()
    glm_server.enqueue(LONG)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        stream = target.stream(obj, "hello there")
        if how == "close":
            next(stream)
            next(stream)
            stream.close()  # type: ignore[attr-defined]
        elif how == "break":
            for n, _ in enumerate(stream, 1):
                if n == 3:
                    break
            del stream
        else:
            with pytest.raises(KeyError, match="the caller's own error"):
                consume_until_the_caller_fails(stream)
            del stream
        assert glm_server.wait_for_idle(5.0)
        no_resource_warnings(caught)
    # The client still works afterwards, on a fresh connection.
    assert "Hello! You said: again" in target.invoke(obj, "again")


# ---------------------------------------------------------------- loops and threads


def test_one_object_serves_two_successive_event_loops(target: Target, make: Callable[..., Any]) -> None:
    obj = make()

    async def once(n: int) -> str:
        text = "".join([target.text(item) async for item in await target.astream(obj, f"loop {n}")])
        answer: str = await target.ainvoke(obj, f"loop {n}")
        return answer + "|" + text.lstrip("\n")

    for n in (1, 2):
        assert asyncio.run(once(n)) == f"Hello! You said: loop {n}|Hello! You said: loop {n}"


@pytest.mark.parametrize("kind", ["embeddings-langchain", "embeddings-llamaindex"])
def test_one_embeddings_object_serves_two_successive_event_loops(glm_server: LocalGLMServer, kind: str) -> None:
    settings: dict[str, Any] = {"api_key": glm_server.api_key, "base_url": glm_server.base_url, "dimensions": 256}
    model: Any = GLMEmbeddings(**settings) if kind == "embeddings-langchain" else GLMEmbedding(**settings)
    embed = model.aembed_query if kind == "embeddings-langchain" else model.aget_query_embedding
    try:
        first, second = asyncio.run(embed("same text")), asyncio.run(embed("same text"))
        assert first == second and len(first) == 256
    finally:
        _close(model)


def test_one_sync_object_serves_sixteen_threads_at_once(target: Target, make: Callable[..., Any]) -> None:
    obj = make()
    results: dict[int, str] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(16)

    def work(i: int) -> None:
        try:
            barrier.wait(10)
            streamed = "".join(target.text(item) for item in target.stream(obj, f"thread {i}"))
            results[i] = target.invoke(obj, f"thread {i}") + "|" + streamed.lstrip("\n")
        except BaseException as exc:  # reported below, with the thread's index
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert results == {i: f"Hello! You said: thread {i}|Hello! You said: thread {i}" for i in range(16)}


# ---------------------------------------------------------------- timeouts


def _is_typed_timeout(exc: BaseException) -> bool:
    return isinstance(exc, GLMTimeoutError) and exc.retryable


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_read_timeout_before_the_answer_is_typed_and_retried(
    target: Target, make: Callable[..., Any], glm_server: LocalGLMServer, mode: str
) -> None:
    obj = make(timeout=httpx.Timeout(5.0, read=0.3) if target.name != "GLM" else 0.3, max_retries=1)
    glm_server.fail_times(2, Reply.slow(2.0, before="headers"))
    with pytest.raises(GLMTimeoutError) as info:
        target.invoke(obj, "hi") if mode == "sync" else asyncio.run(target.ainvoke(obj, "hi"))
    assert _is_typed_timeout(info.value)
    assert chat_requests(glm_server) == 2  # max_retries=1: two attempts
    glm_server.enqueue(Reply.slow(2.0, before="headers"))
    result = target.invoke(obj, "hi") if mode == "sync" else asyncio.run(target.ainvoke(obj, "hi"))
    assert result == "Hello! You said: hi"
    assert chat_requests(glm_server) == 4


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_read_timeout_between_chunks_is_typed_and_never_retried(
    target: Target, make: Callable[..., Any], glm_server: LocalGLMServer, mode: str
) -> None:
    obj = make(timeout=httpx.Timeout(5.0, read=0.3) if target.name != "GLM" else 0.3, max_retries=2)
    glm_server.fail_times(3, Reply.slow(2.0, before="between_events", after_events=3))

    async def drain() -> None:
        async for _ in await target.astream(obj, "hi"):
            pass

    with pytest.raises(GLMTimeoutError, match="after 3 stream events"):
        list(target.stream(obj, "hi")) if mode == "sync" else asyncio.run(drain())
    assert chat_requests(glm_server) == 1


def test_langchain_timeouts_are_also_langchain_timeout_errors(glm_server: LocalGLMServer) -> None:
    model = ChatGLM(api_key="test-key", base_url=glm_server.base_url, timeout=httpx.Timeout(5.0, read=0.3))
    glm_server.fail_times(3, Reply.slow(2.0, before="headers"))
    try:
        with pytest.raises(ModelTimeoutError):
            model.invoke("hi")
    finally:
        model.close()
    assert chat_requests(glm_server) == 3


@pytest.fixture
def full_listener() -> Iterator[str]:
    """A loopback port whose accept queue is full: connecting to it times out (no SYN-ACK)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    try:
        yield f"http://127.0.0.1:{port}/api/paas/v4"
    finally:
        for sock in (*fillers, listener):
            sock.close()


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_connect_timeout_is_a_typed_retryable_timeout(
    target: Target, make: Callable[..., Any], full_listener: str, mode: str
) -> None:
    obj = make(
        base_url=full_listener, timeout=httpx.Timeout(5.0, connect=0.2) if target.name != "GLM" else 0.2, max_retries=0
    )
    with pytest.raises(GLMTimeoutError) as info:
        target.invoke(obj, "hi") if mode == "sync" else asyncio.run(target.ainvoke(obj, "hi"))
    assert _is_typed_timeout(info.value)


@pytest.mark.parametrize(
    ("reply", "kind"),
    [(Reply.slow(3.0, before="headers"), "invoke"), (Reply.slow(3.0, before="between_events"), "stream")],
    ids=["slow answer", "stalled stream"],
)
def test_the_overall_timeout_is_typed_and_ends_the_retries(
    target: Target, make: Callable[..., Any], glm_server: LocalGLMServer, reply: Reply, kind: str
) -> None:
    obj = make(timeout=10.0, total_timeout=0.5, max_retries=5)
    glm_server.fail_times(5, reply)
    with pytest.raises(GLMTimeoutError, match="overall timeout|timed out"):
        target.invoke(obj, "hi") if kind == "invoke" else list(target.stream(obj, "hi"))
    assert chat_requests(glm_server) == 1

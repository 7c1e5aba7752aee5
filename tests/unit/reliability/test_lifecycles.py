"""Clients across real process and event-loop lifecycles, over real sockets to the local server.

Fork: a model used before ``os.fork()`` must not share its pooled keep-alive socket with the child
(parent and child would read each other's answers). Loops: one model used from two event loops in
two threads at once must give each loop its own pool, with no loop closing another's and no hidden
retries (retries are off here, so a broken pool would show as a failed call).
"""

from __future__ import annotations

import asyncio
import os
import select
import threading
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage

from glm_transport import AsyncGLMClient, GLMClient
from glm_transport.testing import LocalGLMServer
from langchain_glm import ChatGLM
from llamaindex_glm import GLM

CALLS = 12


def echo(prompt: str) -> str:
    return f"Hello! You said: {prompt}"


def _request(prompt: str) -> dict[str, Any]:
    return {"model": "glm-4.7", "messages": [{"role": "user", "content": prompt}]}


class SyncAsker:
    """Asks one question at a time through a given model, sync or on a long-lived loop of its own."""

    def __init__(self, kind: str, server: LocalGLMServer) -> None:
        options: dict[str, Any] = {"api_key": server.api_key, "base_url": server.base_url, "max_retries": 0}
        self.kind = kind
        self.loop: asyncio.AbstractEventLoop | None = None
        if kind == "transport-sync":
            self.model: Any = GLMClient(**options)
        elif kind == "transport-async":
            self.model = AsyncGLMClient(**options)
            self.loop = asyncio.new_event_loop()
        elif kind == "ChatGLM":
            self.model = ChatGLM(model="glm-4.7", **options)
        else:
            self.model = GLM(model="glm-4.7", thinking=False, **options)

    def ask(self, prompt: str) -> str:
        if self.kind == "transport-sync":
            return str(self.model.chat(_request(prompt)).message.content)
        if self.kind == "transport-async":
            # In a forked child the parent's loop (and its selector) is not usable: a fresh one.
            if self.loop is None or os.getpid() != self.pid:
                return asyncio.run(self._achat(prompt))
            return self.loop.run_until_complete(self._achat(prompt))
        if self.kind == "ChatGLM":
            return str(self.model.invoke(prompt).content)
        return str(self.model.chat([ChatMessage(role="user", content=prompt)]).message.content)

    async def _achat(self, prompt: str) -> str:
        return str((await self.model.chat(_request(prompt))).message.content)

    pid = os.getpid()

    def close(self) -> None:
        if self.loop is not None:
            self.loop.run_until_complete(self.model.aclose())
            self.loop.close()
        else:
            self.model.close()


def _child(ask: Callable[[str], str], write_fd: int) -> None:
    """In the forked child: ask, report ``ok`` or what went wrong, and leave without cleanup."""
    try:
        wrong = [(p, a) for p in (f"child {i}" for i in range(CALLS)) if (a := ask(p)) != echo(p)]
        os.write(write_fd, b"ok" if not wrong else repr(wrong[:2]).encode()[:900])
    except BaseException as exc:
        os.write(write_fd, f"{type(exc).__name__}: {exc}".encode()[:900])
    finally:
        os._exit(0)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="this platform has no fork")
@pytest.mark.parametrize("kind", ["transport-sync", "transport-async", "ChatGLM", "GLM"])
def test_a_forked_child_gets_fresh_connections_and_nothing_crosses(glm_server: LocalGLMServer, kind: str) -> None:
    asker = SyncAsker(kind, glm_server)
    SyncAsker.pid = os.getpid()
    assert asker.ask("warm-up") == echo("warm-up")  # the pool now holds a keep-alive connection
    read_fd, write_fd = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork with threads running
        pid = os.fork()
    if pid == 0:
        _child(asker.ask, write_fd)
    os.close(write_fd)
    try:
        answers = [(prompt, asker.ask(prompt)) for prompt in (f"parent {i}" for i in range(CALLS))]
        ready, _, _ = select.select([read_fd], [], [], 30)
        report = os.read(read_fd, 1000) if ready else b"the child did not answer within 30 s"
    finally:
        os.close(read_fd)
        _reap(pid)
        asker.close()
    assert [answer for _, answer in answers] == [echo(prompt) for prompt, _ in answers]
    assert report == b"ok"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="this platform has no fork")
def test_a_forked_child_does_not_wait_for_the_parents_governor_slots(glm_server: LocalGLMServer) -> None:
    """The parent holds the only slot (an open stream) at the fork: the child has its own governor
    state, so its calls go through instead of waiting for a release that only the parent can make."""
    options: dict[str, Any] = {"api_key": glm_server.api_key, "base_url": glm_server.base_url, "max_retries": 0}
    client = GLMClient(concurrency_limits={"glm-4.7": 1}, **options)
    stream = client.stream_chat(_request("held"))
    held = iter(stream)
    next(held)  # the stream is open and holds the slot
    read_fd, write_fd = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork with threads running
        pid = os.fork()
    if pid == 0:
        _child(lambda prompt: str(client.chat(_request(prompt)).message.content), write_fd)
    os.close(write_fd)
    try:
        ready, _, _ = select.select([read_fd], [], [], 30)
        report = os.read(read_fd, 1000) if ready else b"the child did not answer within 30 s"
    finally:
        os.close(read_fd)
        _reap(pid)
        stream.close()
        client.close()
    assert report == b"ok"


def _reap(pid: int) -> None:
    for _ in range(300):
        if os.waitpid(pid, os.WNOHANG)[0]:
            return
        threading.Event().wait(0.1)
    os.kill(pid, 9)
    os.waitpid(pid, 0)


# ---------------------------------------------------------------- two loops in two threads


async def _transport_calls(model: AsyncGLMClient, tag: str) -> list[tuple[str, str]]:
    async def chat(prompt: str) -> tuple[str, str]:
        return prompt, str((await model.chat(_request(prompt))).message.content)

    async def stream(prompt: str) -> tuple[str, str]:
        chunks = [chunk.content or "" async for chunk in await model.stream_chat(_request(prompt))]
        return prompt, "".join(chunks)

    calls = [chat(f"{tag} chat {i}") for i in range(CALLS)] + [stream(f"{tag} stream {i}") for i in range(CALLS)]
    return list(await asyncio.gather(*calls))


async def _chatglm_calls(model: ChatGLM, tag: str) -> list[tuple[str, str]]:
    async def chat(prompt: str) -> tuple[str, str]:
        return prompt, str((await model.ainvoke(prompt)).content)

    async def stream(prompt: str) -> tuple[str, str]:
        return prompt, "".join([str(chunk.content) async for chunk in model.astream(prompt)])

    calls = [chat(f"{tag} chat {i}") for i in range(CALLS)] + [stream(f"{tag} stream {i}") for i in range(CALLS)]
    return list(await asyncio.gather(*calls))


async def _glm_calls(model: GLM, tag: str) -> list[tuple[str, str]]:
    async def chat(prompt: str) -> tuple[str, str]:
        return prompt, str((await model.achat([ChatMessage(role="user", content=prompt)])).message.content)

    async def stream(prompt: str) -> tuple[str, str]:
        responses = await model.astream_chat([ChatMessage(role="user", content=prompt)])
        return prompt, "".join([r.delta or "" async for r in responses])

    calls = [chat(f"{tag} chat {i}") for i in range(CALLS)] + [stream(f"{tag} stream {i}") for i in range(CALLS)]
    return list(await asyncio.gather(*calls))


@pytest.mark.parametrize("kind", ["transport", "ChatGLM", "GLM"])
def test_one_instance_serves_two_event_loops_in_two_threads_at_once(glm_server: LocalGLMServer, kind: str) -> None:
    options: dict[str, Any] = {"api_key": glm_server.api_key, "base_url": glm_server.base_url, "max_retries": 0}
    runs: dict[str, Callable[[Any, str], Any]] = {
        "transport": _transport_calls,
        "ChatGLM": _chatglm_calls,
        "GLM": _glm_calls,
    }
    if kind == "transport":
        model: Any = AsyncGLMClient(**options)
    elif kind == "ChatGLM":
        model = ChatGLM(model="glm-4.7", **options)
    else:
        model = GLM(model="glm-4.7", thinking=False, **options)
    start = threading.Barrier(2, timeout=30)
    results: dict[str, Any] = {}

    def worker(tag: str) -> None:
        start.wait()
        try:
            results[tag] = asyncio.run(runs[kind](model, tag))
        except BaseException as exc:
            results[tag] = exc

    threads = [threading.Thread(target=worker, args=(tag,)) for tag in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for tag in ("one", "two"):
        assert not isinstance(results[tag], BaseException), results[tag]
        # The transport's stream keeps the leading newline the server sends (the adapters strip it).
        assert [answer.strip() for _, answer in results[tag]] == [echo(prompt) for prompt, _ in results[tag]]
    chat_requests = [r for r in glm_server.requests if r.path.endswith("/chat/completions")]
    assert len(chat_requests) == 4 * CALLS  # no hidden retries
    if kind != "transport":
        model.close()

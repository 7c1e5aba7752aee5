"""A hostile HTTP server for tests: raw asyncio sockets, so a test controls every byte and every pause.

The bundled local GLM server behaves like GLM; this one misbehaves on purpose: it drips bytes, sends
only keep-alive comments or one endless line, holds a body open after ``[DONE]``, cuts a body after
its headers, answers a stream with an HTML page. Each request (on a new or a kept-alive connection)
plays the next queued script, or the default one; each step is a tuple:

- ``("send", data)``: write ``data``;
- ``("sleep", seconds)``;
- ``("drip", data, interval)``: write ``data`` a byte at a time, ``interval`` apart;
- ``("repeat", data, interval)``: write ``data`` every ``interval`` until the client goes away;
- ``("close",)``: close the connection.

A script that ends without ``close`` keeps the connection for the next request. Every wait is
bounded: ``repeat`` and the end-of-script wait stop after ``MAX_SECONDS`` or when the server stops.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import deque
from collections.abc import Iterable
from typing import Any

__all__ = ["MAX_SECONDS", "HostileServer", "chunked", "head", "json_answer", "sse", "sse_answer"]

MAX_SECONDS = 20.0

Step = tuple[Any, ...]


def head(status: int = 200, content_type: str = "text/event-stream", **headers: str | int) -> bytes:
    """A status line and headers (``content_length=5`` -> ``Content-Length: 5``), then the blank line."""
    lines = [f"HTTP/1.1 {status} X", f"Content-Type: {content_type}"]
    lines += [f"{name.replace('_', '-').title()}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def chunked(data: bytes) -> bytes:
    """One chunk of a ``Transfer-Encoding: chunked`` body (``b""``: the terminating chunk)."""
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def sse(payload: Any) -> bytes:
    """One ``data:`` event (``"[DONE]"`` as is, anything else as JSON)."""
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return f"data: {text}\n\n".encode()


def chunk_event(content: str = "", finish: str | None = None, **delta: Any) -> dict[str, Any]:
    return {
        "id": "c1",
        "model": "glm-4.7",
        "created": 1,
        "choices": [{"index": 0, "delta": {"content": content, **delta}, "finish_reason": finish}],
    }


def sse_answer(text: str = "Hello", finish: str = "stop") -> bytes:
    """A whole, well-formed stream body: one token, the finish, ``[DONE]``."""
    return sse(chunk_event(text)) + sse(chunk_event("", finish)) + sse("[DONE]")


def json_answer(text: str = "Hello", finish: str = "stop") -> bytes:
    """A whole non-streaming chat answer with its headers."""
    body = json.dumps(
        {
            "id": "c1",
            "model": "glm-4.7",
            "created": 1,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
    ).encode()
    return head(content_type="application/json", content_length=len(body)) + body


class HostileServer:
    """``with HostileServer() as server: server.play(steps...)``; ``server.base_url`` for clients."""

    def __init__(self, default: Iterable[Step] | None = None) -> None:
        self.default: list[Step] | None = None if default is None else list(default)
        self.scripts: deque[list[Step]] = deque()
        self.requests: list[dict[str, Any]] = []
        self.connections = 0
        self._loop = asyncio.new_event_loop()
        self._stopping: asyncio.Event | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hostile-server", daemon=True)
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/paas/v4"

    def play(self, *steps: Step) -> HostileServer:
        """Queue one script for the next request."""
        self.scripts.append(list(steps))
        return self

    def __enter__(self) -> HostileServer:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the hostile server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._serve())
        self._loop.close()

    async def _serve(self) -> None:
        self._stopping = asyncio.Event()
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await self._stopping.wait()
            server.close()
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while await self._one_request(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.TimeoutError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            self._tasks.discard(task)

    async def _one_request(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Read a request, play its script; False when the connection is done."""
        request = await self._read_request(reader)
        if request is None:
            return False
        self.requests.append(request)
        script = self.scripts.popleft() if self.scripts else self.default
        if script is None:
            writer.write(head(500, "text/plain", content_length=0))
            return True
        for step in script:
            if not await self._step(step, reader, writer):
                return False
        return True

    async def _read_request(self, reader: asyncio.StreamReader) -> dict[str, Any] | None:
        try:
            header = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), MAX_SECONDS)
        except (asyncio.IncompleteReadError, asyncio.TimeoutError):
            return None
        lines = header.decode("latin-1").split("\r\n")
        fields = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
        length = int(next((v for k, v in fields.items() if k.lower() == "content-length"), "0"))
        body = await reader.readexactly(length)
        return {"line": lines[0], "headers": fields, "json": json.loads(body) if body else None}

    async def _step(self, step: Step, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        kind = step[0]
        if kind == "send":
            writer.write(step[1])
            await writer.drain()
        elif kind == "sleep":
            await self._pause(step[1])
        elif kind == "drip":
            for byte in step[1]:
                writer.write(bytes([byte]))
                await writer.drain()
                if not await self._pause(step[2]) or writer.is_closing():
                    return False
        elif kind == "repeat":
            return await self._repeat(step[1], step[2], writer)
        elif kind == "close":
            return False
        return True

    async def _repeat(self, data: bytes, interval: float, writer: asyncio.StreamWriter) -> bool:
        loop = asyncio.get_running_loop()
        end = loop.time() + MAX_SECONDS
        while loop.time() < end and not writer.is_closing():
            writer.write(data)
            await writer.drain()
            if not await self._pause(interval):
                break
        return False

    async def _pause(self, seconds: float) -> bool:
        """Sleep; False if the server is stopping."""
        assert self._stopping is not None
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except asyncio.TimeoutError:
            return True
        return False

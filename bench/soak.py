"""Soak: mixed requests through one ``ChatGLM``, one LlamaIndex ``GLM`` and one ``GLMEmbeddings``,
128 in flight, against the local server injecting random faults (429/503 with a short Retry-After,
connection dropped before the answer, dropped mid-stream, malformed event, answers and streams
stalled past the client's read timeout). The same three models also serve a share of the requests
from a second event loop in another thread, at the same time, and (where the platform can fork)
another share from a child process forked while their pools are busy.

    .venv/bin/python -m bench.soak [--requests 5000] [--concurrency 128] [--fault-rate 0.1]

Every request carries a unique marker (``Q000042``) from which the local server's deterministic
answer is known exactly: the chat echo, the tool-call arguments filled from the prompt, the
embedding vectors. The server's recorded requests, grouped by marker, give the attempts per
request. Prints the tallies and the invariants; exits 1 if one is violated: no answer duplicated,
silently truncated or wrong, no untyped error, every attempt seen by the server under its own
request id (a retry never reuses one), at most ``max_retries + 1`` attempts, no connection left
open on either side, RSS growth between the first and the last thousand requests under 10%.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import re
import resource
import select
import sys
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from langchain_core.runnables import Runnable
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from bench._common import API_KEY, control, local_server
from glm_transport import GLMError
from glm_transport.testing._embed import vector
from langchain_glm import ChatGLM, GLMEmbeddings
from llamaindex_glm import GLM

MARKER = re.compile(r"Q\d{6}")
REQUEST_ID = re.compile(r'"request_id":"([^"]+)"')
DIMENSIONS = 256
MAX_RSS_GROWTH = 0.10


@dataclass(frozen=True)
class SoakConfig:
    requests: int = 5000
    concurrency: int = 128
    max_retries: int = 2
    read_timeout: float = 1.0  # below slow_seconds, so the server's slow faults time out
    fault_rate: float = 0.1
    slow_seconds: float = 1.5
    retry_after: float = 0.05
    seed: int = 7
    second_loop_share: float = 0.1  # of the requests, sent from a second event loop in another thread
    fork_share: float = 0.1  # of the requests, sent from a forked child (where there is fork)

    def group_of(self, i: int) -> str:
        """``main``, ``loop2`` or ``fork``: where request ``i`` is sent from."""
        slot = (i * 7919) % 1000 / 1000  # spread evenly over the kinds of request
        if slot < self.second_loop_share:
            return "loop2"
        if slot < self.second_loop_share + self.fork_share and hasattr(os, "fork"):
            return "fork"
        return "main"

    def server_args(self) -> list[str]:
        return [
            f"--fault-rate={self.fault_rate}",
            f"--seed={self.seed}",
            f"--slow-seconds={self.slow_seconds}",
            f"--fault-retry-after={self.retry_after}",
        ]


@dataclass
class SoakResult:
    requests: int
    exact: int = 0
    errors: Counter[str] = field(default_factory=Counter)  # typed (GLMError) errors by class
    untyped: Counter[str] = field(default_factory=Counter)
    duplicated: int = 0
    truncated: int = 0
    wrong: list[str] = field(default_factory=list)
    attempts: Counter[int] = field(default_factory=Counter)  # attempts -> number of requests
    unseen: int = 0  # requests the server never recorded
    reused_ids: int = 0  # requests whose attempts shared a request_id
    groups: Counter[str] = field(default_factory=Counter)  # requests sent from each place
    client_busy: int = 0
    client_open: int = 0
    server_open: int = 0
    rss_first: int = 0
    rss_last: int = 0
    seconds: float = 0.0

    @property
    def max_attempts(self) -> int:
        return max(self.attempts, default=0)

    @property
    def rss_growth(self) -> float:
        return (self.rss_last - self.rss_first) / self.rss_first if self.rss_first else 0.0

    def violations(self, max_retries: int) -> list[str]:
        checks = [
            (self.exact + sum(self.errors.values()) == self.requests, "answers neither exact nor a typed error"),
            (not self.untyped, f"untyped errors: {dict(self.untyped)}"),
            (self.duplicated == 0, f"{self.duplicated} answers duplicated"),
            (self.truncated == 0, f"{self.truncated} answers silently truncated"),
            (not self.wrong, f"{len(self.wrong)} wrong answers, e.g. {self.wrong[:2]}"),
            (self.max_attempts <= max_retries + 1, f"a request made {self.max_attempts} attempts"),
            (self.unseen == 0, f"{self.unseen} requests never reached the server"),
            (self.reused_ids == 0, f"{self.reused_ids} requests reused a request id across attempts"),
            (self.client_busy + self.client_open == 0, "client connections left open"),
            (self.server_open == 0, f"{self.server_open} server connections left open"),
            (self.rss_growth < MAX_RSS_GROWTH, f"RSS grew {self.rss_growth:.1%}"),
        ]
        return [message for ok, message in checks if not ok]

    def lines(self) -> list[str]:
        errors = ", ".join(f"{name} {count}" for name, count in self.errors.most_common()) or "none"
        attempts = ", ".join(f"{n}: {count}" for n, count in sorted(self.attempts.items()))
        return [
            f"requests                                {self.requests} in {self.seconds:.1f} s",
            f"answered exactly                        {self.exact}",
            f"typed errors                            {sum(self.errors.values())} ({errors})",
            f"untyped errors                          {sum(self.untyped.values())}",
            f"duplicated / truncated / wrong answers  {self.duplicated} / {self.truncated} / {len(self.wrong)}",
            f"attempts per request (attempts: count)  {attempts}; max {self.max_attempts}",
            f"sent from                               {', '.join(f'{k} {v}' for k, v in sorted(self.groups.items()))}",
            f"never reached the server / reused ids   {self.unseen} / {self.reused_ids}",
            f"open connections at the end             client {self.client_busy} busy, "
            f"{self.client_open} open after close; server {self.server_open}",
            f"RSS first / last window                 {self.rss_first / 2**20:.1f} MiB / "
            f"{self.rss_last / 2**20:.1f} MiB ({self.rss_growth:+.1%})",
        ]


# ---------------------------------------------------------------- the requests


class Record(BaseModel):
    """Record a marker and its number."""

    marker: str
    n: int


def record(marker: str, n: int) -> str:
    """Record a marker and its number."""
    return f"{marker}={n}"


@dataclass
class Models:
    chat: ChatGLM
    llm: GLM
    embeddings: GLMEmbeddings
    tools: Runnable[Any, Any]
    structured: tuple[Runnable[Any, Any], Runnable[Any, Any]]
    li_tool: FunctionTool

    @classmethod
    def make(cls, base_url: str, api_key: str, config: SoakConfig) -> Models:
        timeout = httpx.Timeout(10.0, read=config.read_timeout)
        common: dict[str, Any] = {"api_key": api_key, "base_url": base_url, "max_retries": config.max_retries}
        chat = ChatGLM(model="glm-4.7", timeout=timeout, **common)
        return cls(
            chat=chat,
            llm=GLM(model="glm-4.7", thinking=False, timeout=config.read_timeout, **common),
            embeddings=GLMEmbeddings(model="embedding-3", dimensions=DIMENSIONS, timeout=timeout, **common),
            tools=chat.bind_tools([Record]),
            structured=(chat.with_structured_output(Record), chat.with_structured_output(Record, method="json_schema")),
            li_tool=FunctionTool.from_defaults(fn=record),
        )

    def async_clients(self) -> list[Any]:
        return [self.chat.async_client, self.llm.async_client, self.embeddings.async_client]

    async def aclose(self) -> None:
        for model in (self.chat, self.llm, self.embeddings):
            await model.aclose()


def echo(prompt: str) -> str:
    return f"Hello! You said: {prompt}"


async def lc_chat(m: Models, marker: str, i: int) -> tuple[Any, Any]:
    prompt = f"Say hello to {marker}."
    msg = await m.chat.ainvoke(prompt)
    reasoning = f"The user asks: Say hello to {marker}. I will answer briefly."
    return (msg.content, msg.additional_kwargs.get("reasoning_content")), (echo(prompt), reasoning)


async def lc_stream(m: Models, marker: str, i: int) -> tuple[Any, Any]:
    prompt = f"Stream hello to {marker}."
    content: list[str] = []
    reasoning: list[str] = []
    async for chunk in m.chat.astream(prompt):
        content.append(chunk.text)
        reasoning.append(chunk.additional_kwargs.get("reasoning_content", ""))
    expected = (echo(prompt), f"The user asks: Stream hello to {marker}. I will answer briefly.")
    return ("".join(content), "".join(reasoning)), expected


async def lc_tool(m: Models, marker: str, i: int) -> tuple[Any, Any]:
    msg = await m.tools.ainvoke(f"Store {marker} as number {i}.")
    return [(c["name"], c["args"]) for c in msg.tool_calls], [("Record", {"marker": marker, "n": i})]


async def lc_structured(m: Models, marker: str, i: int) -> tuple[Any, Any]:
    result = await m.structured[i % 2].ainvoke(f"Extract {marker} with number {i}.")
    return result, Record(marker=marker, n=i)


async def li_chat(m: Models, marker: str, i: int) -> tuple[Any, Any]:
    prompt = f"Greet {marker} please."
    response = await m.llm.achat([ChatMessage(role="user", content=prompt)])
    return response.message.content, echo(prompt)


async def li_stream(m: Models, marker: str, i: int) -> tuple[Any, Any]:
    prompt = f"Stream a greeting to {marker}."
    deltas = [r.delta or "" async for r in await m.llm.astream_chat([ChatMessage(role="user", content=prompt)])]
    return "".join(deltas), echo(prompt)


async def li_tool(m: Models, marker: str, i: int) -> tuple[Any, Any]:
    response = await m.llm.achat_with_tools([m.li_tool], user_msg=f"Keep {marker} as number {i}.")
    calls = m.llm.get_tool_calls_from_response(response, error_on_no_tool_call=False)
    return [(c.tool_name, c.tool_kwargs) for c in calls], [("record", {"marker": marker, "n": i})]


async def embed(m: Models, marker: str, i: int) -> tuple[Any, Any]:
    texts = [f"alpha {marker}", f"beta {marker} gamma"]
    vectors = await m.embeddings.aembed_documents(texts)
    # Uncached: the server's lru_cache would grow in this process and show up as RSS growth.
    return vectors, [list(vector.__wrapped__(text, DIMENSIONS)) for text in texts]


Kind = Callable[[Models, str, int], Awaitable[tuple[Any, Any]]]
KINDS: tuple[Kind, ...] = (lc_chat, lc_stream, lc_tool, lc_structured, li_chat, li_stream, li_tool, embed)


# ---------------------------------------------------------------- judging and counting


def judge(got: Any, expected: Any, marker: str) -> str:
    """``exact``, ``duplicated`` (more of the answer than was sent), ``truncated`` (a strict
    prefix, or fewer items, without an error) or ``wrong``."""
    if got == expected:
        return "exact"
    if isinstance(got, tuple) and isinstance(expected, tuple) and len(got) == len(expected):
        verdicts = [judge(g, e, marker) for g, e in zip(got, expected, strict=True)]
        return next((v for v in verdicts if v != "exact"), "exact")
    if isinstance(got, str) and isinstance(expected, str):
        if got.count(marker) > expected.count(marker) or (len(got) > len(expected) and expected in got):
            return "duplicated"
        return "truncated" if expected.startswith(got) else "wrong"
    if isinstance(got, list) and isinstance(expected, list) and len(got) != len(expected):
        return "duplicated" if len(got) > len(expected) else "truncated"
    return "wrong"


def rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # not Linux: the peak is the best there is
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def count_attempts(result: SoakResult, recorded: list[dict[str, Any]], markers: list[str]) -> None:
    """Attempts per marker from the server's recorded requests, and the request ids they used."""
    attempts: Counter[str] = Counter()
    ids: dict[str, list[str]] = {}
    for req in recorded:
        found = set(MARKER.findall(req["body"]))
        for marker in found:
            attempts[marker] += 1
            ids.setdefault(marker, []).extend(REQUEST_ID.findall(req["body"]))
        if len(found) != 1:
            result.wrong.append(f"a recorded request carries {len(found)} markers")
    result.attempts = Counter(attempts[marker] for marker in markers)
    result.unseen = result.attempts.pop(0, 0)
    result.reused_ids = sum(1 for values in ids.values() if len(values) != len(set(values)))


def pool_connections(http: httpx.AsyncClient | None, *, busy: bool) -> int:
    """Connections in an httpx pool (read-only inspection): busy ones, or all not yet closed."""
    if http is None:
        return 0
    pool = http._transport._pool  # type: ignore[attr-defined]
    return sum(1 for c in pool.connections if not c.is_closed() and (not busy or not c.is_idle()))


def server_open_connections(base_url: str, wait: float) -> int:
    """Open connections on the server, less the control request's own, once idle or after ``wait``."""
    deadline = time.monotonic() + wait
    while True:
        count = int(control(base_url, "stats")["open_connections"]) - 1
        if count <= 0 or time.monotonic() > deadline:
            return max(count, 0)
        time.sleep(0.1)


# ---------------------------------------------------------------- the run


async def one(models: Models, marker: str, i: int, result: SoakResult) -> None:
    """Send request ``i`` and judge its answer into ``result``."""
    try:
        got, expected = await KINDS[i % len(KINDS)](models, marker, i)
    except GLMError as exc:
        result.errors[type(exc).__name__] += 1
        return
    except Exception as exc:
        result.untyped[f"{type(exc).__name__}: {exc}"[:200]] += 1
        return
    verdict = judge(got, expected, marker)
    if verdict == "exact":
        result.exact += 1
    elif verdict == "duplicated":
        result.duplicated += 1
    elif verdict == "truncated":
        result.truncated += 1
    else:
        result.wrong.append(f"{marker}: {got!r:.120} != {expected!r:.120}")


async def run_group(
    models: Models,
    markers: list[str],
    indices: list[int],
    concurrency: int,
    result: SoakResult,
    on_done: Callable[[int], None] = lambda done: None,
) -> list[httpx.AsyncClient]:
    """Requests ``indices``, ``concurrency`` at a time, on the running loop; returns the loop's pools."""
    todo = iter(indices)
    done = 0

    async def worker() -> None:
        nonlocal done
        for i in todo:
            await one(models, markers[i], i, result)
            done += 1
            on_done(done)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return [await client._client() for client in models.async_clients()]


def merge(into: SoakResult, part: dict[str, Any]) -> None:
    into.exact += part["exact"]
    into.errors.update(part["errors"])
    into.untyped.update(part["untyped"])
    into.duplicated += part["duplicated"]
    into.truncated += part["truncated"]
    into.wrong.extend(part["wrong"])


def as_part(result: SoakResult) -> dict[str, Any]:
    keys = ("exact", "errors", "untyped", "duplicated", "truncated", "wrong")
    return {key: getattr(result, key) for key in keys}


class SideGroup(threading.Thread):
    """Runs a group of requests on a second event loop in this thread, or, with ``fork``, in a child
    forked from this thread once ``start_when`` is set (the parent's pools busy by then)."""

    def __init__(self, models: Models, markers: list[str], indices: list[int], *, fork: bool) -> None:
        super().__init__(name="soak-fork" if fork else "soak-loop2", daemon=True)
        self.args = (models, markers, indices)
        self.fork = fork
        self.start_when = threading.Event()
        self.part: dict[str, Any] | None = None
        self.pools: list[httpx.AsyncClient] = []
        self.on_exit: Callable[[], None] = lambda: None

    def _run_here(self) -> SoakResult:
        part = SoakResult(requests=0)
        models, markers, indices = self.args
        self.pools = asyncio.run(run_group(models, markers, indices, 16, part))
        return part

    def run(self) -> None:
        self.start_when.wait(600)
        try:
            self.part = as_part(self._run_here()) if not self.fork else self._run_in_child()
        except BaseException as exc:
            self.part = {**as_part(SoakResult(requests=0)), "untyped": {f"{type(exc).__name__}: {exc}"[:200]: 1}}
        finally:
            self.on_exit()

    def _run_in_child(self) -> dict[str, Any]:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: only this thread; the models' clients were reset by the fork
            try:
                os.write(write_fd, json.dumps(as_part(self._run_here())).encode())
            finally:
                os._exit(0)
        os.close(write_fd)
        chunks = []
        while select.select([read_fd], [], [], 600)[0]:
            data = os.read(read_fd, 1 << 16)
            if not data:
                break
            chunks.append(data)
        os.close(read_fd)
        os.waitpid(pid, 0)
        return dict(json.loads(b"".join(chunks)))


async def run_soak(base_url: str, api_key: str, config: SoakConfig) -> SoakResult:
    """Send ``config.requests`` mixed requests (128 at a time on this loop, the shares of the second
    loop and the forked child alongside), and judge them."""
    result = SoakResult(requests=config.requests)
    models = Models.make(base_url, api_key, config)
    markers = [f"Q{i:06d}" for i in range(config.requests)]
    groups: dict[str, list[int]] = {"main": [], "loop2": [], "fork": []}
    for i in range(config.requests):
        groups[config.group_of(i)].append(i)
    result.groups = Counter({name: len(indices) for name, indices in groups.items() if indices})
    window = max(1, min(1000, len(groups["main"]) // 5))
    sides = [SideGroup(models, markers, groups[name], fork=name == "fork") for name in ("loop2", "fork")]
    sides = [side for side, name in zip(sides, ("loop2", "fork"), strict=True) if groups[name]]

    def on_done(done: int) -> None:
        if done == window:
            gc.collect()
            result.rss_first = rss_bytes()
        if done == min(window, 64):
            for side in sides:
                side.start_when.set()

    loop, finished = asyncio.get_running_loop(), asyncio.Semaphore(0)
    for side in sides:
        side.on_exit = lambda: loop.call_soon_threadsafe(finished.release)
        side.start()
    start = time.perf_counter()
    try:
        pools = await run_group(models, markers, groups["main"], config.concurrency, result, on_done)
        for side in sides:
            side.start_when.set()
        for _ in sides:
            await finished.acquire()
        result.seconds = time.perf_counter() - start
        gc.collect()
        result.rss_last = rss_bytes()
        result.client_busy = sum(pool_connections(http, busy=True) for http in pools)
    finally:
        await models.aclose()
    for side in sides:
        merge(result, side.part or {**as_part(SoakResult(requests=0)), "untyped": {"side group lost": 1}})
    pools += [http for side in sides for http in side.pools]
    result.client_open = sum(pool_connections(http, busy=False) for http in pools)
    count_attempts(result, control(base_url, "requests"), markers)
    result.server_open = server_open_connections(base_url, wait=config.slow_seconds + 5)
    return result


# ---------------------------------------------------------------- hostile-wire probes (--probes)


def _probe_cases() -> list[tuple[str, str, list[tuple[Any, ...]], dict[str, Any]]]:
    from tests.hostile import chunk_event, head, json_answer, sse, sse_answer

    answer = json_answer("x" * 200)
    split = answer.index(b"\r\n\r\n") + 4
    stream_head = head()
    deadline = {"total_timeout": 1.0}
    return [
        (
            "1 body dripped a byte every 50 ms",
            "chat",
            [("send", answer[:split]), ("drip", answer[split:], 0.05)],
            deadline,
        ),
        ("1 keep-alive comments only", "stream", [("send", stream_head), ("repeat", b": ping\n\n", 0.05)], deadline),
        (
            "1 one endless data line",
            "stream",
            [("send", stream_head + b"data: "), ("repeat", b"x" * 4096, 0.01)],
            deadline,
        ),
        ("1 no status line for 15 s", "chat", [("sleep", 15), ("send", json_answer())], deadline),
        (
            "2 a 15 s gap after the first event",
            "stream",
            [("send", stream_head + sse(chunk_event("a"))), ("sleep", 15), ("send", sse_answer())],
            {**deadline, "timeout": 30},
        ),
        ("4 body held open after [DONE]", "stream", [("send", stream_head + sse_answer()), ("sleep", 15)], {}),
        (
            "9 Retry-After: 86400",
            "chat",
            [("send", head(429, "application/json", content_length=2, retry_after="86400") + b"{}")],
            {},
        ),
    ]


def _probe_once(mode: str, method: str, kwargs: dict[str, Any]) -> str:
    from glm_transport import AsyncGLMClient, GLMClient

    request = {"model": "glm-4.7", "messages": [{"role": "user", "content": "hi"}]}

    async def arun() -> Any:
        async with AsyncGLMClient(**kwargs) as client:
            if method == "stream":
                return [c async for c in await client.stream_chat(request)]
            return await client.chat(request)

    try:
        if mode == "async":
            asyncio.run(arun())
        else:
            with GLMClient(**kwargs) as client:
                _ = list(client.stream_chat(request)) if method == "stream" else client.chat(request)
    except GLMError as exc:
        return f"{type(exc).__name__}: {exc.message[:50]}"
    return "complete answer"


def run_probes() -> list[str]:
    """Each hostile-wire probe, sync and async: what came back and after how long."""
    from tests.hostile import HostileServer

    lines = []
    for name, method, script, options in _probe_cases():
        for mode in ("sync", "async"):
            with HostileServer() as server:
                server.play(*script)
                start = time.perf_counter()
                outcome = _probe_once(mode, method, {"api_key": "k", "base_url": server.base_url, **options})
                lines.append(f"{name:38} {mode:5} {time.perf_counter() - start:6.2f} s  {outcome}")
    lines.append(_probe_embeddings())
    return lines


def _probe_embeddings() -> str:
    import json as _json

    from glm_transport import GLMClient
    from tests.hostile import HostileServer, head

    data = [{"object": "embedding", "index": i, "embedding": [0.1]} for i in range(64)]
    body = _json.dumps({"model": "embedding-3", "data": data}).encode()
    with HostileServer(
        [("sleep", 0.4), ("send", head(content_type="application/json", content_length=len(body)) + body)]
    ) as server:
        start = time.perf_counter()
        try:
            with GLMClient(api_key="k", base_url=server.base_url, total_timeout=1.0) as client:
                client.embed(["t"] * 640)
            outcome = "complete answer"
        except GLMError as exc:
            outcome = f"{type(exc).__name__}: {exc.message[:50]}"
        elapsed, sent = time.perf_counter() - start, len(server.requests)
        return f"{'3 640 texts, 0.4 s per batch':38} sync  {elapsed:6.2f} s  {outcome} ({sent} batches sent)"


def main(argv: list[str] | None = None) -> int:
    defaults = SoakConfig()
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=defaults.requests)
    parser.add_argument("--concurrency", type=int, default=defaults.concurrency)
    parser.add_argument("--fault-rate", type=float, default=defaults.fault_rate)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--probes", action="store_true", help="run the hostile-wire probes instead")
    args = parser.parse_args(argv)
    if args.probes:
        print("\n".join(run_probes()))
        return 0
    config = SoakConfig(
        requests=args.requests, concurrency=args.concurrency, fault_rate=args.fault_rate, seed=args.seed
    )
    with local_server(*config.server_args()) as base_url:
        result = asyncio.run(run_soak(base_url, API_KEY, config))
    print(f"\n== soak: {config}")
    for line in result.lines():
        print("  " + line)
    violations = result.violations(config.max_retries)
    for message in violations:
        print(f"  VIOLATED: {message}")
    print("  all invariants hold" if not violations else f"  {len(violations)} invariants violated")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())

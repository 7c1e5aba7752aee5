"""``GLMClient`` and ``AsyncGLMClient``: the same methods, the async body the sync one plus
``await``. All decisions live in ``_base.py``, ``streaming.py`` and ``retry.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

import httpx

from ._base import BaseGLMClient, Call, ModelT, merge_rerank
from ._lifecycle import LoopClients, reset_after_fork
from ._owned import OwnedAsyncClient, OwnedClient
from .errors import GLMError
from .governor_limiter import SlotWaitTimeout
from .governor_send import agoverned_send, governed_send
from .streaming import ChatStreamParser
from .types import (
    ChatCompletion,
    ChatCompletionChunk,
    EmbeddingsResponse,
    RerankResponse,
    TokenizerResponse,
    WebSearchResponse,
)

__all__ = ["AsyncChatStream", "AsyncGLMClient", "ChatStream", "GLMClient"]

T = TypeVar("T")


# After ``[DONE]`` the rest of the body (the chunked terminator) is read for this long at most, so
# the connection can go back to the pool; a server that holds the body open costs no more.
DRAIN_SECONDS = 0.25


def _stream_kind(response: httpx.Response) -> str:
    """``error`` (a status or a JSON body), ``other`` (a content type that is not an event stream,
    e.g. a proxy's HTML page), or ``events`` (an event stream, or no content type at all)."""
    content_type: str = response.headers.get("content-type", "")
    if not response.is_success or content_type.startswith("application/json"):
        return "error"
    if content_type and not content_type.startswith("text/event-stream"):
        return "other"
    return "events"


class ChatStream:
    """Chunks of one streamed answer. Iterate it once; breaking out or ``close()`` releases the
    connection. Raises ``GLMStreamError`` if the stream is cut or malformed, never truncates silently.
    Reading stops at ``[DONE]``: a server that keeps the body open after it cannot turn a complete
    answer into an error.
    """

    def __init__(
        self,
        client: BaseGLMClient,
        response: httpx.Response,
        data: Iterator[bytes],
        parser: ChatStreamParser,
        pending: list[ChatCompletionChunk],
        call: Call,
    ) -> None:
        self._client = client
        self._call = call
        self.response = response
        self._data = data
        self._parser = parser
        self._pending = pending
        self.request_id = call.request_id

    def __iter__(self) -> Iterator[ChatCompletionChunk]:
        client, parser, call = self._client, self._parser, self._call
        request_id, deadline = call.request_id, call.deadline
        try:
            pending, self._pending = self._pending, []
            for chunk in pending:
                yield client._check_chunk(chunk, request_id)
            # An owned pool bounds each read by the deadline; a user's client is checked per chunk.
            check = not client._bounded and deadline.at != math.inf
            if not parser.done:
                for data in self._data:
                    if check and deadline.passed():
                        raise client._overall_timeout(request_id)
                    for chunk in parser.feed(data):
                        yield client._check_chunk(chunk, request_id)
                    if parser.done:
                        break
            if parser.done:
                self._drain()
            parser.finish()
        except httpx.HTTPError as exc:
            raise client._failure(exc, call, events=parser.events) from None
        finally:
            self.response.close()

    def _drain(self) -> None:
        if not self._client._bounded:
            return  # no way to bound the read: closing costs only the connection's reuse
        self._call.deadline.at = min(self._call.deadline.at, time.monotonic() + DRAIN_SECONDS)
        with contextlib.suppress(httpx.HTTPError):
            for _ in self._data:
                pass

    def close(self) -> None:
        self.response.close()

    def __enter__(self) -> ChatStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncChatStream:
    """The async ``ChatStream``: ``async for``; ``aclose()`` or leaving ``async with`` releases it."""

    def __init__(
        self,
        client: BaseGLMClient,
        response: httpx.Response,
        data: AsyncIterator[bytes],
        parser: ChatStreamParser,
        pending: list[ChatCompletionChunk],
        call: Call,
    ) -> None:
        self._client = client
        self._call = call
        self.response = response
        self._data = data
        self._parser = parser
        self._pending = pending
        self.request_id = call.request_id

    async def __aiter__(self) -> AsyncIterator[ChatCompletionChunk]:
        client, parser, call = self._client, self._parser, self._call
        request_id, deadline = call.request_id, call.deadline
        try:
            pending, self._pending = self._pending, []
            for chunk in pending:
                yield client._check_chunk(chunk, request_id)
            # An owned pool bounds each read by the deadline; a user's client is checked per chunk.
            check = not client._bounded and deadline.at != math.inf
            if not parser.done:
                async for data in self._data:
                    if check and deadline.passed():
                        raise client._overall_timeout(request_id)
                    for chunk in parser.feed(data):
                        yield client._check_chunk(chunk, request_id)
                    if parser.done:
                        break
            if parser.done:
                await self._drain()
            parser.finish()
        except httpx.HTTPError as exc:
            raise client._failure(exc, call, events=parser.events) from None
        finally:
            await self.response.aclose()

    async def _drain(self) -> None:
        if not self._client._bounded:
            return
        self._call.deadline.at = min(self._call.deadline.at, time.monotonic() + DRAIN_SECONDS)
        with contextlib.suppress(httpx.HTTPError):
            async for _ in self._data:
                pass

    async def aclose(self) -> None:
        await self.response.aclose()

    async def __aenter__(self) -> AsyncChatStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class GLMClient(BaseGLMClient):
    """Synchronous GLM client.

    Args:
        api_key: the key; else ``ZHIPUAI_API_KEY``, else ``ZAI_API_KEY``.
        base_url: a URL or one of ``china``, ``international``, ``china-coding``,
            ``international-coding``; else ``ZHIPUAI_BASE_URL``, else the China endpoint.
        timeout: seconds or an ``httpx.Timeout``; the read timeout bounds the gap between chunks.
        max_retries: retries after the first attempt (2 means at most 3 attempts).
        default_headers: extra headers on every request.
        http_client: an ``httpx.Client`` to use; it is never closed by us.
        use_jwt: send a short-lived JWT signed with an ``id.secret`` key instead of the key.
        raise_on_sensitive: raise ``GLMContentFilterError`` on ``finish_reason == "sensitive"``.
        total_timeout: seconds for the whole call, retries and streaming included.
    """

    def __init__(self, api_key: Any = None, *, http_client: httpx.Client | None = None, **kwargs: Any) -> None:
        super().__init__(api_key, **kwargs)
        self._http = http_client
        self._owns_http = http_client is None
        self._bounded = self._owns_http
        if http_client is not None:
            self._adopt_headers(http_client.headers)
        self._lock = threading.Lock()
        reset_after_fork(self)

    @property
    def http_client(self) -> httpx.Client:
        http = self._http
        if http is None:
            with self._lock:
                if self._http is None:
                    owned = OwnedClient(self.base_url, self.timeout, self.limits)
                    self._bounded = owned.bounded
                    self._http = owned
                http = self._http
        return http

    def _sender(self) -> Callable[..., httpx.Response]:
        http = self.http_client
        return http.send_direct if isinstance(http, OwnedClient) else http.send

    def _after_fork(self) -> None:
        # A forked child: the inherited pool's sockets are the parent's too; make fresh ones.
        self._lock = threading.Lock()
        self._auth.after_fork()
        if self._owns_http:
            self._http = None

    def close(self) -> None:
        if self._http is not None and self._owns_http:
            self._http.close()
            self._http = None

    def __del__(self) -> None:
        # A client dropped without close() (``GLMEmbeddings(...).embed_query(...)`` on a temporary) must not
        # leave pooled sockets to the garbage collector: close what we own, as the OpenAI SDK does.
        with contextlib.suppress(Exception):  # never raise from a finalizer, e.g. at interpreter shutdown
            self.close()

    def __enter__(self) -> GLMClient:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def _send(self, call: Call, consume: Callable[[httpx.Response], T]) -> T:
        """The one retry loop: each pass is one attempt (``_attempt`` builds it, ``consume`` reads it)."""
        while True:
            try:
                return governed_send(
                    self, self._attempt(call), self._sender(), consume, model=call.model, deadline=call.deadline.at
                )
            except httpx.HTTPError as exc:
                error = self._failure(exc, call)
            except GLMError as exc:
                error = exc
            except SlotWaitTimeout:  # queued for an in-flight slot until the deadline (docs/scale.md)
                raise self._overall_timeout(call.request_id) from None
            time.sleep(self._retry_delay(call, error))
            call.next_attempt()

    def _json(self, call: Call, model: type[ModelT]) -> ModelT:
        def consume(response: httpx.Response) -> ModelT:
            try:
                content = response.read()
            except httpx.HTTPError as exc:
                raise self._body_failure(exc, response, call) from None
            finally:
                response.close()
            return self._parse(response, content, model, call.request_id)

        return self._send(call, consume)

    def chat(self, request: Mapping[str, Any]) -> ChatCompletion:
        """``POST /chat/completions`` without streaming; ``request`` is a ``ChatCompletionRequest``.

        A ``request_id`` in ``request`` is sent as given on every attempt; without one, each attempt
        gets a fresh id (GLM refuses a repeated id with code 1231).
        """
        return self._json(self._chat_call(request, stream=False), ChatCompletion)

    def stream_chat(self, request: Mapping[str, Any]) -> ChatStream:
        """Stream a chat answer. Returns once the first event has arrived: failures before it are
        retried, failures after it are raised from the iteration and never retried."""
        call = self._chat_call(request, stream=True)

        def consume(response: httpx.Response) -> ChatStream:
            try:
                data = response.iter_bytes()
                kind = _stream_kind(response)
                if kind != "events":
                    first = response.read() if kind == "error" else next(data, b"")
                    raise self._stream_error(kind, response, first, call.request_id)
                parser = ChatStreamParser(call.request_id)
                for piece in data:
                    pending = parser.feed(piece)
                    if pending or parser.done:
                        return ChatStream(self, response, data, parser, pending, call)
                    if call.deadline.passed():  # keep-alive comments only, on a user's own client
                        raise self._overall_timeout(call.request_id)
                parser.finish()
                return ChatStream(self, response, iter(()), parser, [], call)
            except BaseException:
                response.close()
                raise

        return self._send(call, consume)

    def embeddings(
        self, texts: Sequence[str], *, model: str = "embedding-3", dimensions: int | None = None, batch_size: int = 64
    ) -> list[EmbeddingsResponse]:
        """One ``POST /embeddings`` per batch of at most ``batch_size`` texts, in order;
        ``total_timeout`` bounds them all together."""
        deadline = self._deadline()
        return [
            self._json(self._call("/embeddings", body, deadline=deadline), EmbeddingsResponse)
            for body in self._embedding_bodies(texts, model, dimensions, batch_size)
        ]

    def embed(self, texts: Sequence[str], **kwargs: Any) -> list[list[float]]:
        """Vectors for ``texts`` in order; ``[]`` for ``[]`` (see ``embeddings`` for options)."""
        return [vector for response in self.embeddings(texts, **kwargs) for vector in response.vectors()]

    def rerank(
        self,
        query: str,
        documents: Sequence[str],
        *,
        model: str = "rerank",
        top_n: int | None = None,
        return_documents: bool = False,
    ) -> RerankResponse:
        """``POST /rerank``; more than 128 documents go in several requests, merged by score."""
        parts, deadline = self._rerank_bodies(query, documents, model, top_n, return_documents), self._deadline()
        return merge_rerank(
            [(part, self._json(self._call("/rerank", b, deadline=deadline), RerankResponse)) for part, b in parts],
            top_n,
        )

    def tokenize(
        self, messages: Sequence[Mapping[str, Any]], *, model: str, tools: Sequence[Mapping[str, Any]] | None = None
    ) -> TokenizerResponse:
        return self._json(self._call("/tokenizer", self._tokenizer_body(messages, model, tools)), TokenizerResponse)

    def web_search(
        self, query: str, *, search_engine: str | None = None, count: int | None = None, **options: Any
    ) -> WebSearchResponse:
        body = self._web_search_body(query, search_engine, count, options)
        return self._json(self._call("/web_search", body), WebSearchResponse)


class AsyncGLMClient(BaseGLMClient):
    """Asynchronous GLM client: the methods of ``GLMClient``, awaited. An owned ``httpx.AsyncClient``
    is made per event loop on first use there, so one client serves several loops (threads, successive
    ``asyncio.run`` calls) at once; each loop's is closed with that loop or by ``aclose()`` on it.
    """

    def __init__(
        self,
        api_key: Any = None,
        *,
        http_client: httpx.AsyncClient | None = None,
        max_concurrency: int = 8,
        **kwargs: Any,
    ) -> None:
        super().__init__(api_key, **kwargs)
        self._given = http_client
        self._owns_http = http_client is None
        self._bounded = self._owns_http
        if http_client is not None:
            self._adopt_headers(http_client.headers)
        self._loops = LoopClients(_http_maker(weakref.ref(self), self.base_url, self.timeout, self.limits))
        self.max_concurrency = max_concurrency
        reset_after_fork(self)

    async def _client(self) -> httpx.AsyncClient:
        return self._given if self._given is not None else await self._loops.get()

    @property
    def _http(self) -> httpx.AsyncClient | None:
        """The user's client, else the owned client made last (for inspection in tests and benchmarks)."""
        return self._given if self._given is not None else self._loops.last

    @property
    def _loop(self) -> asyncio.AbstractEventLoop | None:
        return self._loops.last_loop

    def _after_fork(self) -> None:
        self._auth.after_fork()
        self._loops.forget()

    async def aclose(self) -> None:
        """Close the owned client of the running event loop (a user's client is never closed)."""
        if self._owns_http:
            await self._loops.aclose()

    async def __aenter__(self) -> AsyncGLMClient:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def _send(self, call: Call, consume: Callable[[httpx.Response], Awaitable[T]]) -> T:
        """The one retry loop, awaited (see ``GLMClient._send``)."""
        while True:
            try:
                http = await self._client()
                send = http.send_direct if isinstance(http, OwnedAsyncClient) else http.send
                return await agoverned_send(
                    self, self._attempt(call), send, consume, model=call.model, deadline=call.deadline.at
                )
            except httpx.HTTPError as exc:
                error = self._failure(exc, call)
            except GLMError as exc:
                error = exc
            except SlotWaitTimeout:  # queued for an in-flight slot until the deadline (docs/scale.md)
                raise self._overall_timeout(call.request_id) from None
            await asyncio.sleep(self._retry_delay(call, error))
            call.next_attempt()

    async def _json(self, call: Call, model: type[ModelT]) -> ModelT:
        async def consume(response: httpx.Response) -> ModelT:
            try:
                content = await response.aread()
            except httpx.HTTPError as exc:
                raise self._body_failure(exc, response, call) from None
            finally:
                await response.aclose()
            return self._parse(response, content, model, call.request_id)

        return await self._send(call, consume)

    async def chat(self, request: Mapping[str, Any]) -> ChatCompletion:
        return await self._json(self._chat_call(request, stream=False), ChatCompletion)

    async def stream_chat(self, request: Mapping[str, Any]) -> AsyncChatStream:
        call = self._chat_call(request, stream=True)

        async def consume(response: httpx.Response) -> AsyncChatStream:
            try:
                data = response.aiter_bytes()
                kind = _stream_kind(response)
                if kind != "events":
                    first = await response.aread() if kind == "error" else await anext_or(data, b"")
                    raise self._stream_error(kind, response, first, call.request_id)
                parser = ChatStreamParser(call.request_id)
                async for piece in data:
                    pending = parser.feed(piece)
                    if pending or parser.done:
                        return AsyncChatStream(self, response, data, parser, pending, call)
                    if call.deadline.passed():
                        raise self._overall_timeout(call.request_id)
                parser.finish()
                return AsyncChatStream(self, response, _empty(), parser, [], call)
            except BaseException:
                await response.aclose()
                raise

        return await self._send(call, consume)

    async def embeddings(
        self, texts: Sequence[str], *, model: str = "embedding-3", dimensions: int | None = None, batch_size: int = 64
    ) -> list[EmbeddingsResponse]:
        """Batches sent concurrently, at most ``max_concurrency`` at a time; results in order."""
        bodies, deadline = self._embedding_bodies(texts, model, dimensions, batch_size), self._deadline()
        limit = asyncio.Semaphore(self.max_concurrency)

        async def one(body: dict[str, Any]) -> EmbeddingsResponse:
            async with limit:
                return await self._json(self._call("/embeddings", body, deadline=deadline), EmbeddingsResponse)

        return list(await asyncio.gather(*(one(body) for body in bodies)))

    async def embed(self, texts: Sequence[str], **kwargs: Any) -> list[list[float]]:
        return [vector for response in await self.embeddings(texts, **kwargs) for vector in response.vectors()]

    async def rerank(
        self,
        query: str,
        documents: Sequence[str],
        *,
        model: str = "rerank",
        top_n: int | None = None,
        return_documents: bool = False,
    ) -> RerankResponse:
        """Batches of 128 documents sent concurrently (at most ``max_concurrency``), merged by score."""
        parts, deadline = self._rerank_bodies(query, documents, model, top_n, return_documents), self._deadline()
        limit = asyncio.Semaphore(self.max_concurrency)

        async def one(body: dict[str, Any]) -> RerankResponse:
            async with limit:
                return await self._json(self._call("/rerank", body, deadline=deadline), RerankResponse)

        responses = await asyncio.gather(*(one(body) for _, body in parts))
        return merge_rerank([(part, response) for (part, _), response in zip(parts, responses, strict=True)], top_n)

    async def tokenize(
        self, messages: Sequence[Mapping[str, Any]], *, model: str, tools: Sequence[Mapping[str, Any]] | None = None
    ) -> TokenizerResponse:
        body = self._tokenizer_body(messages, model, tools)
        return await self._json(self._call("/tokenizer", body), TokenizerResponse)

    async def web_search(
        self, query: str, *, search_engine: str | None = None, count: int | None = None, **options: Any
    ) -> WebSearchResponse:
        body = self._web_search_body(query, search_engine, count, options)
        return await self._json(self._call("/web_search", body), WebSearchResponse)


def _http_maker(
    owner: Callable[[], AsyncGLMClient | None], base_url: str, timeout: httpx.Timeout, limits: httpx.Limits
) -> Callable[[], httpx.AsyncClient]:
    """Makes an owned ``httpx.AsyncClient``; holds its owner weakly, so owner and pools form no cycle."""

    def make() -> httpx.AsyncClient:
        http = OwnedAsyncClient(base_url, timeout, limits)
        client = owner()
        if client is not None:
            client._bounded = http.bounded
        return http

    return make


async def anext_or(data: AsyncIterator[bytes], default: bytes) -> bytes:
    """``anext(data, default)``, which Python 3.10 has only as a builtin without typing support."""
    async for item in data:
        return item
    return default


async def _empty() -> AsyncIterator[bytes]:
    return
    yield b""  # pragma: no cover - makes this an async generator

"""``GLMClient`` and ``AsyncGLMClient``: the same methods, the async body the sync one plus
``await``. All decisions live in ``_base.py``, ``streaming.py`` and ``retry.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

import httpx

from ._base import BaseGLMClient, ModelT, merge_rerank, transport_error
from .errors import GLMError
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


def _is_json(response: httpx.Response) -> bool:
    content_type: str = response.headers.get("content-type", "")
    return content_type.startswith("application/json")


class ChatStream:
    """Chunks of one streamed answer. Iterate it once; breaking out or ``close()`` releases the
    connection. Raises ``GLMStreamError`` if the stream is cut or malformed, never truncates silently.
    """

    def __init__(
        self,
        client: BaseGLMClient,
        response: httpx.Response,
        data: Iterator[bytes],
        parser: ChatStreamParser,
        pending: list[ChatCompletionChunk],
        request_id: str,
        deadline: float | None = None,
    ) -> None:
        self._client = client
        self._deadline = deadline
        self.response = response
        self._data = data
        self._parser = parser
        self._pending = pending
        self.request_id = request_id

    def __iter__(self) -> Iterator[ChatCompletionChunk]:
        client, parser, request_id, deadline = self._client, self._parser, self.request_id, self._deadline
        try:
            pending, self._pending = self._pending, []
            for chunk in pending:
                yield client._check_chunk(chunk, request_id)
            for data in self._data:
                if deadline is not None and time.monotonic() > deadline:
                    raise client._overall_timeout(request_id)
                for chunk in parser.feed(data):
                    yield client._check_chunk(chunk, request_id)
            parser.finish()
        except httpx.HTTPError as exc:
            raise transport_error(exc, request_id, events=parser.events) from None
        finally:
            self.response.close()

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
        request_id: str,
        deadline: float | None = None,
    ) -> None:
        self._client = client
        self._deadline = deadline
        self.response = response
        self._data = data
        self._parser = parser
        self._pending = pending
        self.request_id = request_id

    async def __aiter__(self) -> AsyncIterator[ChatCompletionChunk]:
        client, parser, request_id, deadline = self._client, self._parser, self.request_id, self._deadline
        try:
            pending, self._pending = self._pending, []
            for chunk in pending:
                yield client._check_chunk(chunk, request_id)
            async for data in self._data:
                if deadline is not None and time.monotonic() > deadline:
                    raise client._overall_timeout(request_id)
                for chunk in parser.feed(data):
                    yield client._check_chunk(chunk, request_id)
            parser.finish()
        except httpx.HTTPError as exc:
            raise transport_error(exc, request_id, events=parser.events) from None
        finally:
            await self.response.aclose()

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
        if http_client is not None:
            self._adopt_headers(http_client.headers)
        self._lock = threading.Lock()

    @property
    def http_client(self) -> httpx.Client:
        http = self._http
        if http is None:
            with self._lock:
                if self._http is None:
                    self._http = httpx.Client(timeout=self.timeout, limits=self.limits)
                http = self._http
        return http

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

    def _send(
        self, request: httpx.Request, request_id: str, consume: Callable[[httpx.Response], T], deadline: float | None
    ) -> T:
        attempt = 0
        while True:
            try:
                self._start_attempt(request, deadline, request_id)
                return governed_send(self, request, self.http_client.send, consume)
            except httpx.HTTPError as exc:
                error: GLMError = transport_error(exc, request_id)
            except GLMError as exc:
                error = exc
            time.sleep(self._retry_delay(attempt, error, request, deadline))
            attempt += 1

    def _json(self, request: httpx.Request, request_id: str, model: type[ModelT]) -> ModelT:
        def consume(response: httpx.Response) -> ModelT:
            try:
                content = response.read()
            finally:
                response.close()
            return self._parse(response, content, model, request_id)

        return self._send(request, request_id, consume, self._deadline())

    def chat(self, request: Mapping[str, Any]) -> ChatCompletion:
        """``POST /chat/completions`` without streaming; ``request`` is a ``ChatCompletionRequest``."""
        http_request, request_id = self._chat_request(request, stream=False)
        return self._json(http_request, request_id, ChatCompletion)

    def stream_chat(self, request: Mapping[str, Any]) -> ChatStream:
        """Stream a chat answer. Returns once the first event has arrived: failures before it are
        retried, failures after it are raised from the iteration and never retried."""
        http_request, request_id = self._chat_request(request, stream=True)
        deadline = self._deadline()

        def consume(response: httpx.Response) -> ChatStream:
            try:
                if not response.is_success or _is_json(response):
                    raise self._stream_status_error(response, response.read(), request_id)
                parser, data = ChatStreamParser(request_id), response.iter_bytes()
                for piece in data:
                    pending = parser.feed(piece)
                    if pending or parser.done:
                        return ChatStream(self, response, data, parser, pending, request_id, deadline)
                parser.finish()
                return ChatStream(self, response, iter(()), parser, [], request_id, deadline)
            except BaseException:
                response.close()
                raise

        return self._send(http_request, request_id, consume, deadline)

    def embeddings(
        self, texts: Sequence[str], *, model: str = "embedding-3", dimensions: int | None = None, batch_size: int = 64
    ) -> list[EmbeddingsResponse]:
        """One ``POST /embeddings`` per batch of at most ``batch_size`` texts, in order."""
        return [
            self._json(self._request("/embeddings", body), body["request_id"], EmbeddingsResponse)
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
        parts = self._rerank_bodies(query, documents, model, top_n, return_documents)
        return merge_rerank(
            [
                (part, self._json(self._request("/rerank", body), body["request_id"], RerankResponse))
                for part, body in parts
            ],
            top_n,
        )

    def tokenize(
        self, messages: Sequence[Mapping[str, Any]], *, model: str, tools: Sequence[Mapping[str, Any]] | None = None
    ) -> TokenizerResponse:
        body = self._tokenizer_body(messages, model, tools)
        return self._json(self._request("/tokenizer", body), body["request_id"], TokenizerResponse)

    def web_search(
        self, query: str, *, search_engine: str | None = None, count: int | None = None, **options: Any
    ) -> WebSearchResponse:
        body = self._web_search_body(query, search_engine, count, options)
        return self._json(self._request("/web_search", body), body["request_id"], WebSearchResponse)


class AsyncGLMClient(BaseGLMClient):
    """Asynchronous GLM client: the methods of ``GLMClient``, awaited. An owned ``httpx.AsyncClient``
    is made on first use and remade when used from another event loop (e.g. a second ``asyncio.run``).
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
        self._http = http_client
        self._owns_http = http_client is None
        if http_client is not None:
            self._adopt_headers(http_client.headers)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closer: AsyncIterator[None] | None = None
        self.max_concurrency = max_concurrency

    async def _client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        http = self._http
        if http is None or (self._owns_http and self._loop is not loop):
            http = self._http = httpx.AsyncClient(timeout=self.timeout, limits=self.limits)
            self._loop = loop
            # Closed when its loop shuts down (asyncio.run finalises async generators then), so a
            # client used from successive asyncio.run calls leaves no socket on a dead loop.
            self._closer = _aclose_at_loop_shutdown(http)
            await self._closer.__anext__()
        return http

    async def aclose(self) -> None:
        if self._http is not None and self._owns_http:
            await self._http.aclose()
            self._http = None

    async def __aenter__(self) -> AsyncGLMClient:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def _send(
        self,
        request: httpx.Request,
        request_id: str,
        consume: Callable[[httpx.Response], Awaitable[T]],
        deadline: float | None,
    ) -> T:
        attempt = 0
        while True:
            try:
                self._start_attempt(request, deadline, request_id)
                return await agoverned_send(self, request, (await self._client()).send, consume)
            except httpx.HTTPError as exc:
                error: GLMError = transport_error(exc, request_id)
            except GLMError as exc:
                error = exc
            await asyncio.sleep(self._retry_delay(attempt, error, request, deadline))
            attempt += 1

    async def _json(self, request: httpx.Request, request_id: str, model: type[ModelT]) -> ModelT:
        async def consume(response: httpx.Response) -> ModelT:
            try:
                content = await response.aread()
            finally:
                await response.aclose()
            return self._parse(response, content, model, request_id)

        return await self._send(request, request_id, consume, self._deadline())

    async def chat(self, request: Mapping[str, Any]) -> ChatCompletion:
        http_request, request_id = self._chat_request(request, stream=False)
        return await self._json(http_request, request_id, ChatCompletion)

    async def stream_chat(self, request: Mapping[str, Any]) -> AsyncChatStream:
        http_request, request_id = self._chat_request(request, stream=True)
        deadline = self._deadline()

        async def consume(response: httpx.Response) -> AsyncChatStream:
            try:
                if not response.is_success or _is_json(response):
                    raise self._stream_status_error(response, await response.aread(), request_id)
                parser, data = ChatStreamParser(request_id), response.aiter_bytes()
                async for piece in data:
                    pending = parser.feed(piece)
                    if pending or parser.done:
                        return AsyncChatStream(self, response, data, parser, pending, request_id, deadline)
                parser.finish()
                return AsyncChatStream(self, response, _empty(), parser, [], request_id, deadline)
            except BaseException:
                await response.aclose()
                raise

        return await self._send(http_request, request_id, consume, deadline)

    async def embeddings(
        self, texts: Sequence[str], *, model: str = "embedding-3", dimensions: int | None = None, batch_size: int = 64
    ) -> list[EmbeddingsResponse]:
        """Batches sent concurrently, at most ``max_concurrency`` at a time; results in order."""
        bodies = self._embedding_bodies(texts, model, dimensions, batch_size)
        limit = asyncio.Semaphore(self.max_concurrency)

        async def one(body: dict[str, Any]) -> EmbeddingsResponse:
            async with limit:
                return await self._json(self._request("/embeddings", body), body["request_id"], EmbeddingsResponse)

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
        parts = self._rerank_bodies(query, documents, model, top_n, return_documents)
        limit = asyncio.Semaphore(self.max_concurrency)

        async def one(body: dict[str, Any]) -> RerankResponse:
            async with limit:
                return await self._json(self._request("/rerank", body), body["request_id"], RerankResponse)

        responses = await asyncio.gather(*(one(body) for _, body in parts))
        return merge_rerank([(part, response) for (part, _), response in zip(parts, responses, strict=True)], top_n)

    async def tokenize(
        self, messages: Sequence[Mapping[str, Any]], *, model: str, tools: Sequence[Mapping[str, Any]] | None = None
    ) -> TokenizerResponse:
        body = self._tokenizer_body(messages, model, tools)
        return await self._json(self._request("/tokenizer", body), body["request_id"], TokenizerResponse)

    async def web_search(
        self, query: str, *, search_engine: str | None = None, count: int | None = None, **options: Any
    ) -> WebSearchResponse:
        body = self._web_search_body(query, search_engine, count, options)
        return await self._json(self._request("/web_search", body), body["request_id"], WebSearchResponse)


async def _aclose_at_loop_shutdown(http: httpx.AsyncClient) -> AsyncIterator[None]:
    try:
        yield
    finally:
        await http.aclose()


async def _empty() -> AsyncIterator[bytes]:
    return
    yield b""  # pragma: no cover - makes this an async generator

"""What the sync and async clients share: configuration, request building, response parsing and
the retry decision. Everything here is free of I/O; ``client.py`` adds the thin I/O drivers.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from ._deadline import Deadline, bounded_timeouts
from ._fasturl import parsed_url
from ._version import __version__
from .auth import GLMAuth
from .config import resolve_api_key, resolve_base_url, resolve_timeout
from .errors import (
    GLMAPIStatusError,
    GLMConfigurationError,
    GLMConnectionError,
    GLMContentFilterError,
    GLMError,
    GLMIncompleteResponseError,
    GLMInterruptedError,
    GLMInvalidRequestError,
    GLMResponseValidationError,
    GLMStreamError,
    GLMTimeoutError,
    error_from_response,
    is_error_envelope,
    redact,
)
from .governor import Governor, governed_model, model_of
from .retry import RetryPolicy, parse_retry_after
from .types import ChatCompletion, ChatCompletionChunk, RerankResponse, RerankUsage
from .validation import (
    MAX_RERANK_DOCUMENTS,
    embedding_model,
    normalize_chat_request,
    validate_embedding_input,
    validate_rerank_request,
)

__all__ = ["BaseGLMClient", "Call", "merge_rerank", "plan_batches"]

logger = logging.getLogger("glm_transport")
ModelT = TypeVar("ModelT", bound=BaseModel)

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_JSON = "application/json"
# A socket timeout this close to the deadline is the deadline's (timers may fire a hair early).
_DEADLINE_SLACK = 0.01


def plan_batches(count: int, batch_size: int) -> list[slice]:
    """Slices of at most ``batch_size`` covering ``range(count)`` in order."""
    return [slice(start, min(start + batch_size, count)) for start in range(0, count, batch_size)]


def merge_rerank(parts: Sequence[tuple[slice, RerankResponse]], top_n: int | None) -> RerankResponse:
    """Results of several rerank batches as one answer: indices back in the caller's numbering,
    best score first, at most ``top_n`` (0 or ``None``: all), usage summed."""
    if not parts:
        return RerankResponse(results=[])
    results = [
        result.model_copy(update={"index": result.index + part.start})
        for part, response in parts
        for result in response.results
    ]
    results.sort(key=lambda result: (-result.relevance_score, result.index))
    if top_n:
        results = results[:top_n]
    first = parts[0][1]
    usage = RerankUsage(
        prompt_tokens=sum(r.usage.prompt_tokens for _, r in parts if r.usage),
        total_tokens=sum(r.usage.total_tokens for _, r in parts if r.usage),
    )
    return first.model_copy(update={"results": results, "usage": usage})


def new_request_id() -> str:
    return uuid.uuid4().hex


class Call:
    """One logical call across its attempts: the body, the deadline they share, the attempt count.

    A ``request_id`` we generated is fresh for every attempt: GLM answers a repeated id with 1231
    ("You already have a request") when the first attempt did reach it. One the caller passed is
    kept as given on every attempt (the caller asked for that id; a retry may then meet 1231).
    ``Call.of_request`` wraps a request built elsewhere (a GET, a multipart upload): it is sent as
    built on every attempt.
    """

    __slots__ = (
        "attempt",
        "body",
        "content",
        "deadline",
        "fresh_ids",
        "model",
        "path",
        "prepared",
        "request_id",
        "stream",
    )

    def __init__(self, path: str, body: dict[str, Any], deadline: Deadline, *, stream: bool = False) -> None:
        self.path = path
        self.fresh_ids = "request_id" not in body
        if self.fresh_ids:
            body["request_id"] = new_request_id()
        self.body = body
        self.request_id = str(body["request_id"])
        self.content = encode_body(body)
        self.deadline = deadline
        self.stream = stream
        self.attempt = 0
        self.prepared: httpx.Request | None = None
        self.model = governed_model(path, body)  # whose in-flight budget its attempts draw on

    @classmethod
    def of_request(cls, request: httpx.Request, request_id: str, deadline: Deadline) -> Call:
        call = cls(request.url.path, {"request_id": request_id}, deadline)
        call.prepared, call.fresh_ids = request, False
        return call

    def next_attempt(self) -> None:
        self.attempt += 1
        if self.fresh_ids:
            self.request_id = self.body["request_id"] = new_request_id()
            self.content = encode_body(self.body)


def encode_body(body: Mapping[str, Any]) -> bytes:
    """The JSON bytes of a body, or ``GLMInvalidRequestError`` naming the value that has none (a
    set, bytes, an object, a lone surrogate); found only on failure, so the usual path pays nothing."""
    try:
        return _dumps(body).encode()
    except (TypeError, ValueError, UnicodeEncodeError):
        try:
            where = _unencodable(body, "body") or "body"
        except RecursionError:
            where = "body (a circular reference)"
        raise GLMInvalidRequestError(f"request field {where} cannot be sent as JSON") from None


def _unencodable(value: Any, path: str) -> str:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"{path} (a {type(key).__name__} key)"
            found = _unencodable(item, f"{path}.{key}")
            if found:
                return found
        return ""
    if isinstance(value, (list, tuple)):
        return next((found for n, item in enumerate(value) if (found := _unencodable(item, f"{path}[{n}]"))), "")
    if isinstance(value, str):
        try:
            value.encode()
        except UnicodeEncodeError:
            return f"{path} (a lone surrogate in the text)"
        return ""
    if value is None or isinstance(value, (bool, int, float)):
        return ""
    return f"{path} (a {type(value).__name__})"


def transport_error(exc: httpx.HTTPError, request_id: str | None, *, events: int = 0) -> GLMError:
    """An httpx failure as our type: before the first event it is a retryable connection or
    timeout error; once events were delivered it is a stream error (or a timeout) that the retry
    layer will not repeat."""
    name = type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        where = f"after {events} stream events" if events else "waiting for the GLM API"
        return GLMTimeoutError(f"{name}: timed out {where}", request_id=request_id)
    if events:
        return GLMStreamError(f"stream cut after {events} events ({name}: {exc})", request_id=request_id)
    return GLMConnectionError(f"connection to the GLM API failed ({name}: {exc})", request_id=request_id)


class BaseGLMClient:
    """Settings and the pure steps of a call; see ``GLMClient`` for the parameters."""

    def __init__(
        self,
        api_key: str | SecretStr | None = None,
        *,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = 2,
        default_headers: Mapping[str, str] | None = None,
        use_jwt: bool = False,
        raise_on_sensitive: bool = False,
        retry_policy: RetryPolicy | None = None,
        limits: httpx.Limits | None = None,
        total_timeout: float | None = None,
        concurrency_tier: str | None = None,
        concurrency_limits: Mapping[str, int] | None = None,
        concurrency_redis_url: str | SecretStr | None = None,
    ) -> None:
        self.api_key = resolve_api_key(api_key)
        self.base_url = resolve_base_url(base_url)
        self.timeout = resolve_timeout(timeout)
        self.retry_policy = retry_policy or RetryPolicy(max_retries=max_retries)
        self.raise_on_sensitive = raise_on_sensitive
        self.limits = limits or httpx.Limits(max_connections=256, max_keepalive_connections=64)
        self._auth = GLMAuth(self.api_key, use_jwt=use_jwt)
        self._headers = {
            "Content-Type": "application/json; charset=UTF-8",
            "User-Agent": f"glm-integrations/{__version__}",
            **dict(default_headers or {}),
        }
        self._timeout_ext = self.timeout.as_dict()
        if total_timeout is not None and total_timeout <= 0:
            raise GLMConfigurationError(f"total_timeout must be positive, got {total_timeout!r}")
        self.total_timeout = total_timeout
        self._bounded = False  # set by a client whose pool enforces deadlines per socket operation
        self.governor = Governor.resolve(  # the in-flight limits (docs/scale.md)
            endpoint=self.base_url,
            secret=self.api_key.get_secret_value(),
            concurrency_tier=concurrency_tier,
            concurrency_limits=concurrency_limits,
            concurrency_redis_url=concurrency_redis_url,
        )

    @property
    def max_retries(self) -> int:
        return self.retry_policy.max_retries

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, max_retries={self.max_retries})"

    def _adopt_headers(self, client_headers: httpx.Headers) -> None:
        """A user's own httpx client: its headers (a proxy's, say) go on our requests too, which are built
        without the client for speed; ours (auth, content type) win on a clash."""
        self._headers = {**dict(client_headers), **self._headers}

    # ------------------------------------------------------------ requests

    def _request(
        self,
        path: str,
        content: bytes | Mapping[str, Any],
        *,
        stream: bool = False,
        timeout: Mapping[str, Any] | None = None,
    ) -> httpx.Request:
        if not isinstance(content, bytes):
            content = encode_body(content)
        headers = dict(self._headers)
        headers["Accept"] = "text/event-stream" if stream else _JSON
        headers["Authorization"] = self._auth.header_value()
        return httpx.Request(
            "POST",
            parsed_url(self.base_url + path),
            content=content,
            headers=headers,
            extensions={"timeout": self._timeout_ext if timeout is None else timeout},
        )

    def _call(
        self, path: str, body: Mapping[str, Any], *, stream: bool = False, deadline: Deadline | None = None
    ) -> Call:
        """A call of its own deadline (``total_timeout`` from now), or part of a larger one (batches)."""
        return Call(path, dict(body), deadline or self._deadline(), stream=stream)

    def _prepared(self, request: httpx.Request, request_id: str) -> Call:
        """A call of a request built elsewhere (``Call.of_request``), with its own deadline."""
        call = Call.of_request(request, request_id, self._deadline())
        call.model = model_of(request, self.base_url)
        return call

    def _chat_call(self, request: Mapping[str, Any], *, stream: bool) -> Call:
        return self._call("/chat/completions", normalize_chat_request(request, stream=stream), stream=stream)

    def _embedding_bodies(
        self, texts: Sequence[str], model: str, dimensions: int | None, batch_size: int
    ) -> list[dict[str, Any]]:
        info = embedding_model(model, batch_size, texts, "embed() takes")
        validate_embedding_input(texts, info, dimensions)
        extra = {} if dimensions is None else {"dimensions": dimensions}
        return [{"model": model, "input": list(texts[part]), **extra} for part in plan_batches(len(texts), batch_size)]

    @staticmethod
    def _rerank_bodies(
        query: str, documents: Sequence[str], model: str, top_n: int | None, return_documents: bool
    ) -> list[tuple[slice, dict[str, Any]]]:
        """One body per 128 documents (wire notes §8); ``merge_rerank`` puts the answers back together."""
        if isinstance(documents, str):
            raise GLMInvalidRequestError("rerank() takes a list of documents, not a string")
        if top_n is not None and top_n < 0:
            raise GLMInvalidRequestError(f"top_n must be >= 0, got {top_n}")
        parts = plan_batches(len(documents), MAX_RERANK_DOCUMENTS)
        bodies = []
        for part in parts:
            validate_rerank_request(query, documents[part])
            body: dict[str, Any] = {
                "model": model,
                "query": query,
                "documents": list(documents[part]),
            }
            if top_n:
                body["top_n"] = min(top_n, part.stop - part.start)
            if return_documents:
                body["return_documents"] = True
            bodies.append((part, body))
        return bodies

    @staticmethod
    def _tokenizer_body(
        messages: Sequence[Mapping[str, Any]], model: str, tools: Sequence[Mapping[str, Any]] | None
    ) -> dict[str, Any]:
        if not messages:
            raise GLMInvalidRequestError("tokenize() needs at least one message")
        body: dict[str, Any] = {"model": model, "messages": [dict(m) for m in messages]}
        if tools:
            body["tools"] = [dict(t) for t in tools]
        return body

    def _web_search_body(
        self, query: str, search_engine: str | None, count: int | None, options: Mapping[str, Any]
    ) -> dict[str, Any]:
        # The two platforms name their engines differently (wire notes §3.3, §8b).
        if search_engine is None:
            search_engine = "search-prime" if "z.ai" in self.base_url else "search_std"
        if not isinstance(query, str) or not query.strip():
            raise GLMInvalidRequestError("web search needs a non-empty query")
        if count is not None and not 1 <= count <= 50:
            raise GLMInvalidRequestError(f"web search count must be from 1 to 50, got {count}")
        body: dict[str, Any] = {
            "search_query": query,
            "search_engine": search_engine,
            **options,
        }
        if count is not None:
            body["count"] = count
        return body

    # ------------------------------------------------------------ responses

    def _status_error(self, response: httpx.Response, content: bytes, request_id: str | None) -> GLMAPIStatusError:
        secrets = self._auth.secrets()
        if response.status_code == 401:
            self._auth.invalidate()
        return error_from_response(
            response.status_code,
            redact(content, secrets),
            request_id=request_id,
            retry_after=parse_retry_after(response.headers),
        )

    def _parse(self, response: httpx.Response, content: bytes, model: type[ModelT], request_id: str | None) -> ModelT:
        """A whole JSON answer: an error for a non-2xx status or a 2xx error envelope, else the model."""
        if not response.is_success:
            raise self._status_error(response, content, request_id)
        try:
            data = json.loads(content)
        except ValueError:
            snippet = content[:120].decode("utf-8", "replace")
            raise GLMResponseValidationError(
                f"GLM answered {response.status_code} with a body that is not JSON: {snippet!r}", request_id=request_id
            ) from None
        if is_error_envelope(data):
            raise self._status_error(response, content, request_id)
        try:
            result = model.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, err['loc'])) or 'body'}: {err['msg']}" for err in exc.errors()[:3]
            )
            raise GLMResponseValidationError(
                f"GLM answer is not a {model.__name__} ({problems})", request_id=request_id
            ) from None
        if isinstance(result, ChatCompletion):
            if result.request_id is None:
                result.request_id = request_id
            self._check_finish(result.finish_reason, request_id, result)
        return result

    def _body_failure(self, exc: httpx.HTTPError, response: httpx.Response, call: Call) -> GLMError:
        """The body of a non-streaming answer failed after its status and headers arrived. A 2xx
        answer was computed, and billed, before its headers were sent, so it is not retried (a
        retry could bill it three times); an error status is classified by the status alone."""
        if isinstance(exc, httpx.TimeoutException) and call.deadline.remaining() < _DEADLINE_SLACK:
            return self._overall_timeout(call.request_id)
        if not response.is_success:
            return self._status_error(response, b"", call.request_id)
        return GLMIncompleteResponseError(
            f"the answer (HTTP {response.status_code}) was cut after its headers ({type(exc).__name__}); "
            "the request reached GLM, so it is not retried",
            request_id=call.request_id,
        )

    def _stream_status_error(self, response: httpx.Response, content: bytes, request_id: str) -> GLMError:
        """A streaming call answered with a JSON body instead of events (wire notes §5.5)."""
        if not response.is_success:
            return self._status_error(response, content, request_id)
        try:
            data = json.loads(content)
        except ValueError:
            data = None
        if is_error_envelope(data):
            return self._status_error(response, content, request_id)
        return GLMResponseValidationError("expected an event stream, got a JSON body", request_id=request_id)

    def _stream_error(self, kind: str, response: httpx.Response, first: bytes, request_id: str) -> GLMError:
        if kind == "error":
            return self._stream_status_error(response, first, request_id)
        return self._not_an_event_stream(response, first, request_id)

    @staticmethod
    def _not_an_event_stream(response: httpx.Response, first: bytes, request_id: str) -> GLMError:
        """A 2xx answer to a streaming call with another content type (a proxy's login page)."""
        snippet = first[:120].decode("utf-8", "replace")
        return GLMResponseValidationError(
            f"expected an event stream, got {response.headers.get('content-type')!r} "
            f"(HTTP {response.status_code}): {snippet!r}",
            request_id=request_id,
        )

    def _check_finish(self, finish_reason: str | None, request_id: str | None, partial: Any = None) -> None:
        if finish_reason == "network_error":
            raise GLMInterruptedError(
                "GLM's inference failed midway (finish_reason 'network_error'); the answer is incomplete",
                request_id=request_id,
                partial=partial,
            )
        if finish_reason == "sensitive" and self.raise_on_sensitive:
            raise GLMContentFilterError(
                "GLM's content filter stopped the answer (finish_reason 'sensitive')",
                status_code=200,
                code="1301",
                request_id=request_id,
            )

    def _check_chunk(self, chunk: ChatCompletionChunk, request_id: str) -> ChatCompletionChunk:
        if chunk.finish_reason is not None:
            self._check_finish(chunk.finish_reason, request_id)
        return chunk

    # ------------------------------------------------------------ retry and deadline

    def _deadline(self) -> Deadline:
        """When the whole call, retries, batches and streaming included, must be over (``total_timeout``)."""
        return Deadline(self.total_timeout)

    def _attempt(self, call: Call) -> httpx.Request:
        """The request of the next attempt, its timeouts bounded by what is left of the deadline
        (per socket operation where the pool is ours, see ``_deadline.py``; else per attempt)."""
        left = call.deadline.remaining()
        if left <= 0:
            raise self._overall_timeout(call.request_id)
        if left == float("inf") and not (call.stream and self._bounded):
            timeout: dict[str, Any] = self._timeout_ext  # nothing to bound (a stream's drain needs it)
        elif self._bounded:
            timeout = bounded_timeouts(self._timeout_ext, call.deadline)
        else:
            timeout = {key: left if value is None else min(value, left) for key, value in self._timeout_ext.items()}
        if call.prepared is not None:
            call.prepared.extensions["timeout"] = timeout
            return call.prepared
        return self._request(call.path, call.content, stream=call.stream, timeout=timeout)

    def _failure(self, exc: httpx.HTTPError, call: Call, *, events: int = 0) -> GLMError:
        if isinstance(exc, httpx.TimeoutException) and call.deadline.remaining() < _DEADLINE_SLACK:
            return self._overall_timeout(call.request_id)
        return transport_error(exc, call.request_id, events=events)

    def _overall_timeout(self, request_id: str) -> GLMTimeoutError:
        return GLMTimeoutError(f"overall timeout of {self.total_timeout}s exceeded", request_id=request_id)

    def _retry_delay(self, call: Call, error: GLMError) -> float:
        """Seconds before the next attempt, or re-raise ``error`` when the policy (or the deadline) says stop."""
        delay = self.retry_policy.next_delay(call.attempt, error)
        if delay is None or delay >= call.deadline.remaining():
            raise error
        logger.info(
            "GLM %s failed (%s: %s); retry %d/%d in %.2fs",
            call.path,
            type(error).__name__,
            error.message,
            call.attempt + 1,
            self.retry_policy.max_retries,
            delay,
        )
        return delay

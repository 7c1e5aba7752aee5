"""The transport's errors, made catchable as langchain-core's ``ModelError`` family too.

Each class here subclasses one transport error and the matching ``langchain_core.exceptions``
class, so ``except GLMRateLimitError`` and ``except ModelRateLimitError`` both catch a 429. The
mapping lives in one table; ``mapped_errors()`` applies it where the adapter calls the transport.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelError,
    ModelInvalidRequestError,
    ModelNotFoundError,
    ModelPermissionDeniedError,
    ModelRateLimitError,
    ModelTimeoutError,
)

from glm_transport import errors

__all__ = ["as_langchain_error", "mapped_errors"]


class GLMAPIStatusError(errors.GLMAPIStatusError, ModelError):
    """An API error of no more specific kind."""


class GLMBadRequestError(errors.GLMBadRequestError, ModelInvalidRequestError):
    """400: a parameter the API rejected."""


class GLMContextWindowExceededError(errors.GLMContextWindowExceededError, ContextOverflowError):
    """The prompt is longer than the model's context window."""


class GLMContentFilterError(errors.GLMContentFilterError, ModelInvalidRequestError):
    """GLM's content moderation blocked the input or output."""


class GLMAuthenticationError(errors.GLMAuthenticationError, ModelAuthenticationError):
    """401: the key is missing, invalid or expired."""


class GLMPermissionDeniedError(errors.GLMPermissionDeniedError, ModelPermissionDeniedError):
    """403: no permission for this API or model."""


class GLMNotFoundError(errors.GLMNotFoundError, ModelNotFoundError):
    """404: unknown path, model feature or task."""


class GLMRateLimitError(errors.GLMRateLimitError, ModelRateLimitError):
    """429 that clears by itself (concurrency, frequency)."""


class GLMQuotaExceededError(errors.GLMQuotaExceededError, ModelRateLimitError):
    """429 that retrying will not clear (balance, daily quota, plan limits)."""

    is_retryable = False


class GLMOverloadedError(errors.GLMOverloadedError, ModelRateLimitError, ModelAPIError):
    """GLM's "model overloaded" (1305 with HTTP 429, or HTTP 503): a throttle and a server failure."""


class GLMServerError(errors.GLMServerError, ModelAPIError):
    """5xx and GLM's server-side failure codes."""


class GLMInterruptedError(errors.GLMInterruptedError, ModelAPIError):
    """GLM ended the answer with ``finish_reason: "network_error"``; retryable."""


class GLMIncompleteResponseError(errors.GLMIncompleteResponseError, ModelAPIError):
    """A non-streaming answer cut after its headers; never retried (GLM billed it)."""

    is_retryable = False


class GLMConnectionError(errors.GLMConnectionError, ModelConnectionError):
    """The connection failed before any byte of the answer."""


class GLMTimeoutError(errors.GLMTimeoutError, ModelTimeoutError):
    """Connect, read or overall timeout."""


class GLMStreamError(errors.GLMStreamError, ModelAPIError):
    """A stream cut short or malformed; never retried once events were delivered."""

    is_retryable = False


class GLMResponseValidationError(errors.GLMResponseValidationError, ModelAPIError):
    """A 2xx answer that is not the documented shape."""

    is_retryable = False


class GLMInvalidRequestError(errors.GLMInvalidRequestError, ModelInvalidRequestError):
    """Input GLM would reject, caught before any request was sent."""


_MAPPED: dict[type[errors.GLMError], type[errors.GLMError]] = {
    base: adapter
    for adapter in (
        GLMAPIStatusError,
        GLMBadRequestError,
        GLMContextWindowExceededError,
        GLMContentFilterError,
        GLMAuthenticationError,
        GLMPermissionDeniedError,
        GLMNotFoundError,
        GLMRateLimitError,
        GLMQuotaExceededError,
        GLMOverloadedError,
        GLMServerError,
        GLMInterruptedError,
        GLMIncompleteResponseError,
        GLMConnectionError,
        GLMTimeoutError,
        GLMStreamError,
        GLMResponseValidationError,
        GLMInvalidRequestError,
    )
    for base in adapter.__bases__[:1]
}


def as_langchain_error(exc: errors.GLMError) -> errors.GLMError:
    """``exc`` as the adapter class of its exact type (same attributes), or ``exc`` itself."""
    adapter = _MAPPED.get(type(exc))
    if adapter is None:
        return exc
    mapped = adapter.__new__(adapter, *exc.args)
    mapped.__dict__.update(exc.__dict__)
    return mapped.with_traceback(exc.__traceback__)


@contextmanager
def mapped_errors() -> Iterator[None]:
    """Re-raise transport errors as their langchain-core-catchable subclasses."""
    try:
        yield
    except errors.GLMError as exc:
        mapped = as_langchain_error(exc)
        if mapped is exc:
            raise
        raise mapped from None

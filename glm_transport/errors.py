"""The error hierarchy shared by the transport and both adapters.

Every error raised by this package derives from :class:`GLMError` and says, through
``retryable``, whether sending the same request again could succeed. Status errors carry the
HTTP status, GLM's business ``code`` (normalised to a string, wire notes §6.1), the server's
``message`` and the ``request_id`` of the call. No message ever contains the API key: messages
are built from the response body and our own text only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

__all__ = [
    "GLMAPIStatusError",
    "GLMAuthenticationError",
    "GLMBadRequestError",
    "GLMConfigurationError",
    "GLMConnectionError",
    "GLMContentFilterError",
    "GLMContextWindowExceededError",
    "GLMError",
    "GLMIncompleteResponseError",
    "GLMInterruptedError",
    "GLMInvalidRequestError",
    "GLMNotFoundError",
    "GLMOverloadedError",
    "GLMPermissionDeniedError",
    "GLMQuotaExceededError",
    "GLMRateLimitError",
    "GLMResponseValidationError",
    "GLMServerError",
    "GLMStreamError",
    "GLMTimeoutError",
    "error_from_body",
    "error_from_response",
    "redact",
]


class GLMError(Exception):
    """Root of every error this package raises."""

    retryable: ClassVar[bool] = False

    def __init__(self, message: str, *, request_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.request_id = request_id

    def __str__(self) -> str:
        return self.message if self.request_id is None else f"{self.message} (request_id={self.request_id})"


class GLMConfigurationError(GLMError, ValueError):
    """The client is misconfigured (no API key, a base URL without a scheme, ...)."""


class GLMInvalidRequestError(GLMError, ValueError):
    """Input the API would reject, caught before any request is sent."""


class GLMConnectionError(GLMError):
    """The connection failed before any byte of the response arrived."""

    retryable = True


class GLMTimeoutError(GLMError):
    """Connect, read (the gap between stream chunks) or overall timeout."""

    retryable = True


class GLMStreamError(GLMError):
    """A stream that was cut short, carried a malformed event, or never reached ``[DONE]``."""


class GLMIncompleteResponseError(GLMError):
    """A non-streaming answer whose status line and headers arrived but whose body was cut or stalled.

    The request reached GLM, which computes (and bills) the answer before it sends the headers, so
    it is not retried: sending it again could bill it a second and third time.
    """


class GLMResponseValidationError(GLMError):
    """A 2xx answer whose body is not the shape the API documents (e.g. a proxy's page)."""


class GLMAPIStatusError(GLMError):
    """The API answered with an error (an HTTP status >= 400 or an error envelope)."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message, request_id=request_id)
        self.status_code = status_code
        self.code = code
        self.retry_after = retry_after
        self.body = body

    def __str__(self) -> str:
        head = f"Error code: {self.status_code}"
        if self.code:
            head += f" (GLM code {self.code})"
        return f"{head} - {super().__str__()}"


class GLMBadRequestError(GLMAPIStatusError):
    """400: a parameter the API rejected."""


class GLMContextWindowExceededError(GLMBadRequestError):
    """The prompt is longer than the model's context window (code 1261 or the finish reason)."""


class GLMContentFilterError(GLMBadRequestError):
    """Content moderation blocked the input or output (code 1301, finish reason ``sensitive``)."""


class GLMAuthenticationError(GLMAPIStatusError):
    """401: the key is missing, invalid or expired."""


class GLMPermissionDeniedError(GLMAPIStatusError):
    """403 (and 434): no permission for this API or model."""


class GLMNotFoundError(GLMAPIStatusError):
    """404: unknown path, model feature or task."""


class GLMRateLimitError(GLMAPIStatusError):
    """429 with a code that clears by itself (1302 concurrency, 1303 frequency)."""

    retryable = True


class GLMQuotaExceededError(GLMRateLimitError):
    """429 whose code will not clear by retrying: balance, daily quota, plan limits (1113, 1304, 1308+)."""

    retryable = False


class GLMOverloadedError(GLMAPIStatusError):
    """The model is overloaded (1305, 1312, HTTP 503)."""

    retryable = True


class GLMServerError(GLMAPIStatusError):
    """5xx and the server-side failure codes (500, 1200, 1230, 1234)."""

    retryable = True


class GLMInterruptedError(GLMServerError):
    """GLM ended the answer with ``finish_reason: "network_error"``: inference failed midway and
    GLM's reference says to treat it as a failure of the whole call (wire notes §5.5, §11.8). Retryable;
    ``partial`` is what arrived (the ``ChatCompletion`` of a non-streaming call; a stream's chunks
    were already delivered one by one)."""

    def __init__(self, message: str, *, partial: Any = None, **kwargs: Any) -> None:
        super().__init__(message, status_code=200, **kwargs)
        self.partial = partial


# Spec §6.3; the retry column there is the note's classification, which we follow.
_CODE_CLASSES: Mapping[str, type[GLMAPIStatusError]] = {
    **dict.fromkeys(("1000", "1001", "1002", "1003", "1004", "1005"), GLMAuthenticationError),
    **dict.fromkeys(("1100", "1110", "1111", "1112", "1121"), GLMPermissionDeniedError),
    **dict.fromkeys(("1220", "1300"), GLMPermissionDeniedError),
    **dict.fromkeys(("1210", "1211", "1212", "1213", "1214", "1215", "1221", "1222", "1231"), GLMBadRequestError),
    "1261": GLMContextWindowExceededError,
    "1301": GLMContentFilterError,
    **dict.fromkeys(("1302", "1303"), GLMRateLimitError),
    **dict.fromkeys(("1305", "1312"), GLMOverloadedError),
    **dict.fromkeys(("500", "1120", "1200", "1230", "1234"), GLMServerError),
    "1113": GLMQuotaExceededError,
    "1304": GLMQuotaExceededError,
    **{str(code): GLMQuotaExceededError for code in range(1308, 1322) if code != 1312},
}

_STATUS_CLASSES: Mapping[int, type[GLMAPIStatusError]] = {
    400: GLMBadRequestError,
    401: GLMAuthenticationError,
    403: GLMPermissionDeniedError,
    404: GLMNotFoundError,
    413: GLMBadRequestError,
    422: GLMBadRequestError,
    429: GLMRateLimitError,
    434: GLMPermissionDeniedError,
    435: GLMBadRequestError,
    503: GLMOverloadedError,
}

_MAX_MESSAGE = 500


def _error_fields(body: Any) -> tuple[str | None, str | None]:
    """(code, message) from either error schema of wire notes §12.1, codes normalised to strings."""
    if not isinstance(body, dict):
        return None, None
    inner = body.get("error", body)
    if isinstance(inner, str):
        return None, inner
    if not isinstance(inner, dict):
        return None, None
    code, message = inner.get("code"), inner.get("message")
    return (
        None if code is None else str(code),
        None if message is None else str(message),
    )


def is_error_envelope(body: Any) -> bool:
    """True for ``{"error": {...}}`` and ``{"code": ..., "message": ...}`` without ``choices``."""
    if not isinstance(body, dict):
        return False
    if "error" in body and body["error"] is not None:
        return True
    return "code" in body and "message" in body and "choices" not in body and "data" not in body


def error_from_body(
    status_code: int,
    body: Any,
    *,
    request_id: str | None = None,
    retry_after: float | None = None,
    fallback_message: str = "",
) -> GLMAPIStatusError:
    """Classify an error by GLM's business code first, then by HTTP status (wire notes §6.4)."""
    code, message = _error_fields(body)
    cls = _CODE_CLASSES.get(code or "")
    if cls is None:
        cls = _STATUS_CLASSES.get(status_code)
    if cls is None:
        cls = GLMServerError if status_code >= 500 else GLMAPIStatusError
    text = (message or fallback_message or "GLM API error")[:_MAX_MESSAGE]
    return cls(text, status_code=status_code, code=code, request_id=request_id, retry_after=retry_after, body=body)


def redact(content: bytes, secrets: Sequence[str]) -> bytes:
    """``content`` with every secret (the key, a JWT) replaced, e.g. a 401 body echoing the header."""
    for secret in secrets:
        if secret and secret.encode() in content:
            content = content.replace(secret.encode(), b"[redacted]")
    return content


def error_from_response(
    status_code: int,
    content: bytes,
    *,
    request_id: str | None = None,
    retry_after: float | None = None,
) -> GLMAPIStatusError:
    """An error from a non-2xx answer; a body that is not JSON is kept, shortened, as the message."""
    try:
        body: Any = json.loads(content) if content else None
    except ValueError:
        body = None
    fallback = content.decode("utf-8", "replace").strip()[:200] or f"HTTP {status_code}"
    return error_from_body(status_code, body, request_id=request_id, retry_after=retry_after, fallback_message=fallback)

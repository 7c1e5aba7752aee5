"""Framework-free GLM transport: configuration, auth, retries, SSE, wire types, the model catalogue.

"wire notes §N" in this code base cites the project's GLM wire notes, ``docs/wire-notes.md``.
"""

from typing import TYPE_CHECKING

from ._lazy import lazy_exports
from ._version import __version__

if TYPE_CHECKING:
    from .auth import GLMAuth
    from .catalog import ModelInfo, get_model_info, list_models
    from .client import AsyncChatStream, AsyncGLMClient, ChatStream, GLMClient
    from .config import CHINA, CHINA_CODING, ENDPOINTS, INTERNATIONAL, INTERNATIONAL_CODING
    from .errors import (
        GLMAPIStatusError,
        GLMAuthenticationError,
        GLMBadRequestError,
        GLMConfigurationError,
        GLMConnectionError,
        GLMContentFilterError,
        GLMContextWindowExceededError,
        GLMError,
        GLMIncompleteResponseError,
        GLMInterruptedError,
        GLMInvalidRequestError,
        GLMNotFoundError,
        GLMOverloadedError,
        GLMPermissionDeniedError,
        GLMQuotaExceededError,
        GLMRateLimitError,
        GLMResponseValidationError,
        GLMServerError,
        GLMStreamError,
        GLMTimeoutError,
    )
    from .pair import ClientPair
    from .retry import RetryPolicy
    from .streaming import ChatStreamParser, StreamAccumulator
    from .types import ChatCompletion, ChatCompletionChunk, Usage

_EXPORTS = {
    ".auth": ("GLMAuth",),
    ".catalog": ("ModelInfo", "get_model_info", "list_models"),
    ".client": ("AsyncChatStream", "AsyncGLMClient", "ChatStream", "GLMClient"),
    ".config": ("CHINA", "CHINA_CODING", "ENDPOINTS", "INTERNATIONAL", "INTERNATIONAL_CODING"),
    ".errors": (
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
    ),
    ".pair": ("ClientPair",),
    ".retry": ("RetryPolicy",),
    ".streaming": ("ChatStreamParser", "StreamAccumulator"),
    ".types": ("ChatCompletion", "ChatCompletionChunk", "Usage"),
}
__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)

__all__ = [
    "CHINA",
    "CHINA_CODING",
    "ENDPOINTS",
    "INTERNATIONAL",
    "INTERNATIONAL_CODING",
    "AsyncChatStream",
    "AsyncGLMClient",
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatStream",
    "ChatStreamParser",
    "ClientPair",
    "GLMAPIStatusError",
    "GLMAuth",
    "GLMAuthenticationError",
    "GLMBadRequestError",
    "GLMClient",
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
    "ModelInfo",
    "RetryPolicy",
    "StreamAccumulator",
    "Usage",
    "__version__",
    "get_model_info",
    "list_models",
]

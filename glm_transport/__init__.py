"""Framework-free GLM transport: configuration, auth, retries, SSE, wire types, the model catalogue."""

from ._version import __version__
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

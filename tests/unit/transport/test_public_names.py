"""The transport's public names, pinned: removing or renaming one is a breaking change."""

from __future__ import annotations

import glm_transport
import glm_transport.testing


def test_glm_transport_public_names() -> None:
    assert sorted(glm_transport.__all__) == sorted(
        [
            *("CHINA", "CHINA_CODING", "ENDPOINTS", "INTERNATIONAL", "INTERNATIONAL_CODING"),
            *("AsyncChatStream", "AsyncGLMClient", "ChatStream", "GLMClient", "GLMAuth", "RetryPolicy", "ClientPair"),
            *("ChatCompletion", "ChatCompletionChunk", "ChatStreamParser", "StreamAccumulator", "Usage"),
            *("GLMError", "GLMAPIStatusError", "GLMAuthenticationError", "GLMBadRequestError"),
            *("GLMConfigurationError", "GLMConnectionError", "GLMContentFilterError", "GLMContextWindowExceededError"),
            *("GLMInvalidRequestError", "GLMNotFoundError", "GLMOverloadedError", "GLMPermissionDeniedError"),
            *("GLMIncompleteResponseError", "GLMInterruptedError"),
            *("GLMQuotaExceededError", "GLMRateLimitError", "GLMResponseValidationError", "GLMServerError"),
            *("GLMStreamError", "GLMTimeoutError", "ModelInfo", "__version__", "get_model_info", "list_models"),
        ]
    )
    assert all(hasattr(glm_transport, name) for name in glm_transport.__all__)


def test_glm_transport_testing_public_names() -> None:
    assert sorted(glm_transport.testing.__all__) == sorted(
        [
            *("LocalGLMServer", "RecordedRequest", "Reply", "ChatReply", "DisconnectReply", "FinishReply"),
            *("Http200ErrorReply", "InBandErrorReply", "JsonReply", "MalformedEventReply"),
            *("MidStreamDisconnectReply", "RawReply", "SlowReply", "StatusReply"),
        ]
    )
    assert all(hasattr(glm_transport.testing, name) for name in glm_transport.testing.__all__)

"""A GLM-compatible local HTTP server for tests and benchmarks (standard library + PyJWT only)."""

from ._app import RecordedRequest
from ._replies import (
    ChatReply,
    DisconnectReply,
    FinishReply,
    Http200ErrorReply,
    InBandErrorReply,
    JsonReply,
    MalformedEventReply,
    MidStreamDisconnectReply,
    RawReply,
    Reply,
    SlowReply,
    StatusReply,
)
from ._server import LocalGLMServer

__all__ = [
    "ChatReply",
    "DisconnectReply",
    "FinishReply",
    "Http200ErrorReply",
    "InBandErrorReply",
    "JsonReply",
    "LocalGLMServer",
    "MalformedEventReply",
    "MidStreamDisconnectReply",
    "RawReply",
    "RecordedRequest",
    "Reply",
    "SlowReply",
    "StatusReply",
]

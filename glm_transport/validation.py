"""Checks and rewrites of a request before it is sent: bad input fails here, with a message
that names the problem, and never reaches the network (spec §3, §3.5, §7, §8, §11.2-3).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from .catalog import ModelInfo, lookup_model
from .errors import GLMInvalidRequestError
from .mcp import reveal_tool
from .types import ChatCompletionRequest

__all__ = [
    "MAX_STOP_SEQUENCES",
    "MAX_TOOLS",
    "TOOL_NAME_PATTERN",
    "normalize_chat_request",
    "validate_embedding_input",
    "validate_rerank_request",
]

# Spec §12.3: maxItems is 1 in BigModel's docs and Z.ai's Jan-2026 page, 4 in Z.ai's OpenAPI,
# and every text says "only one stop word". We accept and send at most one.
MAX_STOP_SEQUENCES = 1
MAX_TOOLS = 128
MAX_TOKENS_LIMIT = 131_072
TOOL_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
MAX_RERANK_DOCUMENTS = 128
MAX_RERANK_TEXT = 4_096
_ROLES = frozenset(("system", "user", "assistant", "tool"))
_BUILTIN_TOOLS = frozenset(("web_search", "retrieval", "mcp"))


def _fail(message: str) -> GLMInvalidRequestError:
    return GLMInvalidRequestError(message)


def normalize_chat_request(request: Mapping[str, Any], *, stream: bool) -> ChatCompletionRequest:
    """A copy of ``request`` ready for the wire, or ``GLMInvalidRequestError``.

    Rewrites: ``None`` values are dropped (spec §11.2); ``temperature == 0`` becomes
    ``do_sample: false`` without a temperature (spec §3.5: greedy, never a silent 0.01); a single
    ``stop`` string becomes a one-item list; ``tool_stream`` is dropped on a non-streaming call,
    where the API rejects it and it means nothing; an empty function ``parameters`` becomes an
    empty object schema (spec §3.3).
    """
    body: dict[str, Any] = {key: value for key, value in request.items() if value is not None}
    model = body.get("model")
    if not isinstance(model, str) or not model.strip():
        raise _fail("'model' is required: a GLM model id such as 'glm-4.7'")
    # The catalogue informs, never refuses (docs/wire-notes.md §9): an unknown id warns once and is sent.
    lookup_model(model)
    _check_messages(body.get("messages"))
    _check_sampling(body)
    if "stop" in body:
        body["stop"] = _check_stop(body["stop"])
    if "tools" in body:
        body["tools"] = _check_tools(body["tools"])
        if not body["tools"]:
            del body["tools"]
    choice = body.get("tool_choice")
    if choice is not None and choice != "auto":
        raise _fail(
            f"tool_choice {choice!r} is not accepted by GLM, which only documents 'auto' (spec §3.5); "
            "the adapters emulate other choices by narrowing the tools offered"
        )
    fmt = body.get("response_format")
    if fmt is not None and (not isinstance(fmt, Mapping) or fmt.get("type") not in ("text", "json_object")):
        raise _fail("response_format must be {'type': 'text'} or {'type': 'json_object'}; GLM has no json_schema")
    thinking = body.get("thinking")
    if thinking is not None and (
        not isinstance(thinking, Mapping) or thinking.get("type") not in ("enabled", "disabled")
    ):
        raise _fail("thinking must be {'type': 'enabled' | 'disabled', 'clear_thinking'?: bool}")
    if not stream:
        body.pop("tool_stream", None)
        body.pop("stream", None)
    else:
        body["stream"] = True
    for key, low, high in (("request_id", 6, 64), ("user_id", 6, 128)):
        value = body.get(key)
        if value is not None and not (isinstance(value, str) and low <= len(value) <= high):
            raise _fail(f"{key} must be a string of {low} to {high} characters")
    return body  # type: ignore[return-value]


def _check_messages(messages: Any) -> None:
    if not isinstance(messages, Sequence) or isinstance(messages, (str, bytes)) or not messages:
        raise _fail("messages must be a non-empty list")
    roles = set()
    for position, message in enumerate(messages):
        if not isinstance(message, Mapping):
            raise _fail(f"messages[{position}] must be a dict with 'role' and 'content'")
        role = message.get("role")
        if role not in _ROLES:
            raise _fail(f"messages[{position}] has role {role!r}; GLM accepts system, user, assistant, tool")
        roles.add(role)
        content = message.get("content")
        if role == "tool" and not message.get("tool_call_id"):
            raise _fail(f"messages[{position}] is a tool result without 'tool_call_id'")
        if role == "assistant":
            if content is None and not message.get("tool_calls"):
                raise _fail(f"messages[{position}] is an assistant message with neither content nor tool_calls")
        elif isinstance(content, list):
            if role != "user":
                raise _fail(f"messages[{position}]: only user messages may carry content parts; {role} needs text")
            _check_parts(content, position)
        elif not isinstance(content, str):
            raise _fail(f"messages[{position}] ({role}) content must be a string")
    if roles <= {"system"} or roles <= {"assistant"}:
        raise _fail("messages must not consist only of system or only of assistant messages (spec §3.1)")


def _check_parts(parts: list[Any], position: int) -> None:
    # Whether the model takes images is the server's call (a catalogue value, wire notes §9).
    for part in parts:
        kind = part.get("type") if isinstance(part, Mapping) else None
        if kind is None:
            raise _fail(f"messages[{position}] has a content part without a 'type'")


def _check_sampling(body: dict[str, Any]) -> None:
    temperature = body.get("temperature")
    if temperature is not None:
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not 0 <= temperature <= 1:
            raise _fail(f"temperature must be between 0 and 1 for GLM, got {temperature!r}")
        if temperature == 0:
            del body["temperature"]
            body["do_sample"] = False
    top_p = body.get("top_p")
    if top_p is not None and (isinstance(top_p, bool) or not isinstance(top_p, (int, float)) or not 0.01 <= top_p <= 1):
        raise _fail(f"top_p must be between 0.01 and 1 for GLM, got {top_p!r}")
    max_tokens = body.get("max_tokens")
    if max_tokens is not None:
        # Only the documented range (wire notes §3.1); a model's own cap is the server's to enforce.
        limit = MAX_TOKENS_LIMIT
        if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or not 1 <= max_tokens <= limit:
            raise _fail(f"max_tokens must be an integer from 1 to {limit}, got {max_tokens!r}")


def _check_stop(stop: Any) -> list[str]:
    words = [stop] if isinstance(stop, str) else list(stop)
    if not all(isinstance(word, str) and word for word in words):
        raise _fail("stop must be a non-empty string or a list of them")
    if len(words) > MAX_STOP_SEQUENCES:
        raise _fail(f"GLM accepts at most {MAX_STOP_SEQUENCES} stop sequence, got {len(words)}: {words!r}")
    return words


def _check_tools(tools: Any) -> list[Any]:
    if not isinstance(tools, list):
        raise _fail("tools must be a list")
    if len(tools) > MAX_TOOLS:
        raise _fail(f"GLM accepts at most {MAX_TOOLS} tools, got {len(tools)}")
    checked = []
    for position, declared in enumerate(tools):
        tool = reveal_tool(declared)  # an MCP declaration's secret headers enter the body only here
        kind = tool.get("type") if isinstance(tool, Mapping) else None
        if kind in _BUILTIN_TOOLS:
            if not isinstance(tool.get(kind), Mapping):
                raise _fail(f"tools[{position}] of type {kind!r} needs a {kind!r} object")
            if kind == "retrieval" and not tool[kind].get("knowledge_id"):
                raise _fail(f"tools[{position}]: the retrieval tool needs a 'knowledge_id'")
            checked.append(dict(tool))
            continue
        if kind != "function" or not isinstance(tool.get("function"), Mapping):
            raise _fail(f"tools[{position}] must be {{'type': 'function', 'function': {{...}}}} or a built-in tool")
        function = dict(tool["function"])
        name = function.get("name")
        if not isinstance(name, str) or not TOOL_NAME_PATTERN.match(name):
            raise _fail(
                f"tools[{position}] has the name {name!r}; GLM needs 1-64 characters of letters, digits, '_' or '-'"
            )
        params = function.get("parameters")
        if params is None or params == {}:
            function["parameters"] = {"type": "object", "properties": {}}
        elif not isinstance(params, Mapping) or params.get("type", "object") != "object":
            raise _fail(f"tool {name!r}: parameters must be a JSON Schema of type 'object'")
        elif not isinstance(params.get("properties", {}), Mapping):
            raise _fail(f"tool {name!r}: parameters.properties must be an object")
        checked.append({"type": "function", "function": function})
    return checked


def validate_embedding_input(texts: Sequence[Any], info: ModelInfo, dimensions: int | None) -> None:
    """Inputs the embeddings endpoint rejects (spec §7): non-strings, empty strings, bad dimensions."""
    for position, text in enumerate(texts):
        if not isinstance(text, str):
            raise _fail(f"embedding input {position} is {type(text).__name__}, not a string (GLM takes text only)")
        if not text.strip():
            raise _fail(f"embedding input {position} is empty; GLM rejects empty input")
    allowed = info.embedding_dimensions if info.known else ()
    if dimensions is not None and allowed and dimensions not in allowed:
        raise _fail(f"{info.id!r} supports dimensions {', '.join(map(str, allowed))}; got {dimensions}")


def validate_rerank_request(query: str, documents: Sequence[Any]) -> None:
    """Spec §8: a query and documents of at most 4,096 characters, at most 128 documents."""
    if not isinstance(query, str) or not query.strip():
        raise _fail("rerank query must be a non-empty string")
    if len(query) > MAX_RERANK_TEXT:
        raise _fail(f"rerank query is {len(query)} characters; GLM accepts at most {MAX_RERANK_TEXT}")
    if len(documents) > MAX_RERANK_DOCUMENTS:
        raise _fail(f"GLM reranks at most {MAX_RERANK_DOCUMENTS} documents per request, got {len(documents)}")
    for position, document in enumerate(documents):
        if not isinstance(document, str):
            raise _fail(f"rerank document {position} is not a string")
        if len(document) > MAX_RERANK_TEXT:
            raise _fail(
                f"rerank document {position} is {len(document)} characters; GLM accepts at most {MAX_RERANK_TEXT}"
            )

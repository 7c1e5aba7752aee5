"""Checks and rewrites of a request before it is sent: bad input fails here, with a message
that names the problem, and never reaches the network (wire notes §3, §3.5, §7, §8, §11.2-3).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .catalog import EMBEDDING_MAX_BATCH, ModelInfo, get_model_info, lookup_model
from .dialect.request import reveal_tool
from .errors import GLMInvalidRequestError

if TYPE_CHECKING:
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


# ---------------------------------------------------------------- one check per field
# Each takes (field name, value, model info) and returns the value to send, or raises.

Check = Callable[[str, Any, ModelInfo], Any]


def _number(low: float, high: float) -> Check:
    def check(name: str, value: Any, info: ModelInfo) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise _fail(f"{name} must be between {low:g} and {high:g} for GLM, got {value!r}")
        return value

    return check


def _max_tokens(name: str, value: Any, info: ModelInfo) -> Any:
    # Only the documented range (wire notes §3.1); a model's own cap is the server's to enforce.
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TOKENS_LIMIT:
        raise _fail(f"max_tokens must be an integer from 1 to {MAX_TOKENS_LIMIT}, got {value!r}")
    return value


def _boolean(name: str, value: Any, info: ModelInfo) -> Any:
    if not isinstance(value, bool):
        raise _fail(f"{name} must be true or false, got {value!r}")
    return value


def _text(low: int, high: int) -> Check:
    def check(name: str, value: Any, info: ModelInfo) -> Any:
        if not (isinstance(value, str) and low <= len(value) <= high):
            raise _fail(f"{name} must be a string of {low} to {high} characters")
        return value

    return check


def _stop(name: str, stop: Any, info: ModelInfo) -> list[str]:
    if isinstance(stop, str):
        words: list[Any] = [stop]
    elif isinstance(stop, (list, tuple)):
        words = list(stop)
    else:
        raise _fail(f"stop must be a non-empty string or a list of them, got {type(stop).__name__}")
    if not all(isinstance(word, str) and word for word in words):
        raise _fail("stop must be a non-empty string or a list of them")
    if len(words) > MAX_STOP_SEQUENCES:
        raise _fail(f"GLM accepts at most {MAX_STOP_SEQUENCES} stop sequence, got {len(words)}: {words!r}")
    return words


def _tool_choice(name: str, choice: Any, info: ModelInfo) -> Any:
    if choice != "auto":
        raise _fail(
            f"tool_choice {choice!r} is not accepted by GLM, which only documents 'auto' (wire notes §3.5); "
            "the adapters emulate other choices by narrowing the tools offered"
        )
    return choice


def _response_format(name: str, fmt: Any, info: ModelInfo) -> Any:
    if not isinstance(fmt, Mapping) or fmt.get("type") not in ("text", "json_object"):
        raise _fail("response_format must be {'type': 'text'} or {'type': 'json_object'}; GLM has no json_schema")
    return fmt


def _thinking(name: str, thinking: Any, info: ModelInfo) -> Any:
    if not isinstance(thinking, Mapping) or thinking.get("type") not in ("enabled", "disabled"):
        raise _fail("thinking must be {'type': 'enabled' | 'disabled', 'clear_thinking'?: bool}")
    return thinking


def _messages(name: str, messages: Any, info: ModelInfo) -> Any:
    _check_messages(messages, info)
    return messages


def _tools(name: str, tools: Any, info: ModelInfo) -> Any:
    return _check_tools(tools, info)


# The fields checked, in this order; a field not listed is sent as given.
_FIELD_CHECKS: tuple[tuple[str, Check], ...] = (
    ("messages", _messages),
    ("temperature", _number(0, 1)),
    ("top_p", _number(0.01, 1)),
    ("max_tokens", _max_tokens),
    ("do_sample", _boolean),
    ("stream", _boolean),
    ("tool_stream", _boolean),
    ("stop", _stop),
    ("tools", _tools),
    ("tool_choice", _tool_choice),
    ("response_format", _response_format),
    ("thinking", _thinking),
    ("request_id", _text(6, 64)),
    ("user_id", _text(6, 128)),
)


def _model(model: Any) -> ModelInfo:
    if not isinstance(model, str) or not model.strip():
        raise _fail("'model' is required: a GLM model id such as 'glm-4.7'")
    if model != model.strip() or not model.isprintable() or " " in model:
        raise _fail(f"model id {model!r} contains whitespace or a control character")
    # The catalogue informs, never refuses (docs/wire-notes.md §9): an unknown id warns once and is sent.
    return lookup_model(model)


def normalize_chat_request(request: Mapping[str, Any], *, stream: bool) -> ChatCompletionRequest:
    """A copy of ``request`` ready for the wire, or ``GLMInvalidRequestError``.

    Each field is checked by its entry in ``_FIELD_CHECKS``. Rewrites: ``None`` values are dropped
    (wire notes §11.2); ``temperature == 0`` becomes ``do_sample: false`` without a temperature (wire notes §3.5:
    greedy, never a silent 0.01); a single ``stop`` string becomes a one-item list; ``tool_stream``
    is dropped on a non-streaming call, where the API rejects it and it means nothing; an empty
    function ``parameters`` becomes an empty object schema (wire notes §3.3); an empty ``tools`` is dropped.
    """
    body: dict[str, Any] = {key: value for key, value in request.items() if value is not None}
    info = _model(body.get("model"))
    if "messages" not in body:
        raise _fail("messages must be a non-empty list")
    for key, check in _FIELD_CHECKS:
        if key in body:
            body[key] = check(key, body[key], info)
    if body.get("temperature") == 0:
        del body["temperature"]
        body["do_sample"] = False
    if "tools" in body and not body["tools"]:
        del body["tools"]
    if stream:
        body["stream"] = True
    else:
        body.pop("tool_stream", None)
        body.pop("stream", None)
    return body  # type: ignore[return-value]


# ---------------------------------------------------------------- messages and tools


def _check_messages(messages: Any, info: ModelInfo) -> None:
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
        _ROLE_CHECKS[role](message, position, info)
    if roles <= {"system"} or roles <= {"assistant"}:
        raise _fail("messages must not consist only of system or only of assistant messages (wire notes §3.1)")


def _check_user(message: Mapping[str, Any], position: int, info: ModelInfo) -> None:
    content = message.get("content")
    if isinstance(content, list):
        if not content:
            raise _fail(f"messages[{position}] (user) has an empty list of content parts; GLM rejects empty input")
        _check_parts(content, position, info)
    elif not isinstance(content, str):
        raise _fail(f"messages[{position}] (user) content must be a string or a list of parts")
    elif not content:
        raise _fail(f"messages[{position}] (user) content is empty; GLM rejects empty input (code 1214)")


def _check_text(message: Mapping[str, Any], position: int, info: ModelInfo) -> None:
    content = message.get("content")
    role = message.get("role")
    if isinstance(content, list):
        raise _fail(f"messages[{position}]: only user messages may carry content parts; {role} needs text")
    if not isinstance(content, str):
        raise _fail(f"messages[{position}] ({role}) content must be a string")
    if role == "tool" and not message.get("tool_call_id"):
        raise _fail(f"messages[{position}] is a tool result without 'tool_call_id'")


def _check_assistant(message: Mapping[str, Any], position: int, info: ModelInfo) -> None:
    content, tool_calls = message.get("content"), message.get("tool_calls")
    if content is None and not tool_calls:
        raise _fail(f"messages[{position}] is an assistant message with neither content nor tool_calls")
    if content is not None and not isinstance(content, str):
        raise _fail(f"messages[{position}] (assistant) content must be a string")
    if tool_calls is None:
        return
    if not isinstance(tool_calls, list):
        raise _fail(f"messages[{position}].tool_calls must be a list, got {type(tool_calls).__name__}")
    for n, call in enumerate(tool_calls):
        function = call.get("function") if isinstance(call, Mapping) else None
        if not isinstance(function, Mapping):
            raise _fail(f"messages[{position}].tool_calls[{n}] needs a 'function' object with name and arguments")
        if not isinstance(function.get("name"), str) or not isinstance(function.get("arguments", ""), (str, Mapping)):
            raise _fail(f"messages[{position}].tool_calls[{n}].function needs a string name and string arguments")


_ROLE_CHECKS: Mapping[str, Callable[[Mapping[str, Any], int, ModelInfo], None]] = {
    "user": _check_user,
    "system": _check_text,
    "tool": _check_text,
    "assistant": _check_assistant,
}


def _check_parts(parts: list[Any], position: int, info: ModelInfo) -> None:
    # Whether the model takes images is the server's call (a catalogue value, wire notes §9).
    for n, part in enumerate(parts):
        kind = part.get("type") if isinstance(part, Mapping) else None
        if kind is None:
            raise _fail(f"messages[{position}] has a content part without a 'type'")
        if kind == "text" and not isinstance(part.get("text"), str):
            raise _fail(f"messages[{position}].content[{n}] is a text part whose 'text' is not a string")


def _check_tools(tools: Any, info: ModelInfo) -> list[Any]:
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


def embedding_model(model: str, batch_size: int, texts: Any, caller: str) -> ModelInfo:
    """The model's catalogue entry, once ``batch_size`` fits its per-request limit and ``texts`` is not
    a lone string (``caller`` names who takes the list, for the message)."""
    info = get_model_info(model)
    limit = info.max_batch or EMBEDDING_MAX_BATCH
    if not 1 <= batch_size <= limit:
        raise _fail(f"batch_size must be from 1 to {limit} for {model!r}, got {batch_size}")
    if isinstance(texts, str):
        raise _fail(f"{caller} a list of strings; wrap a single text in a list")
    return info


def validate_embedding_input(texts: Sequence[Any], info: ModelInfo, dimensions: int | None) -> None:
    """Inputs the embeddings endpoint rejects (wire notes §7): non-strings, empty strings, bad dimensions."""
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

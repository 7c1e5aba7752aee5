"""Request validation as the real API does it (docs/wire-notes.md §3), raising ``ApiError`` (HTTP 400).

Unknown fields are ignored, and explicit ``null`` is accepted for every optional field: the
official SDK sends ``"thinking": null`` and ``"response_format": null`` on every call (§3.1).
Per-model limits (§3.4, §9: output cap, tools, JSON mode, image and video counts) come from the
server's own catalogue and are checked only where the wire notes state them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from . import _catalog
from ._errors import ApiError, invalid, missing

_ROLES = ("system", "user", "assistant", "tool")
_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_TOOL_TYPES = ("function", "web_search", "retrieval", "mcp")
_MEDIA_PARTS = ("image_url", "video_url", "file_url", "file")
MAX_TOOLS = 128
MAX_TOKENS = 131072
# BM-DOCS and the Jan-2026 Z.ai pages say maxItems 1, the newest OpenAPI says 4, and every text
# says "only one stop word" (wire notes §3.1, §12.3): the strict reading is enforced here.
MAX_STOP = 1


def parse_body(body: bytes) -> dict[str, Any]:
    """The JSON object in ``body``; code 1210 when it is not one."""
    try:
        value = json.loads(body)
    except ValueError:
        raise ApiError(400, "1210", "Request body is not valid JSON.") from None
    if not isinstance(value, dict):
        raise ApiError(400, "1210", "Request body must be a JSON object.")
    return value


def require_model(body: Mapping[str, Any]) -> str:
    model = body.get("model")
    if model is None or model == "":
        raise missing("model")
    if not isinstance(model, str):
        raise invalid("model", "must be a string")
    if not _catalog.is_known(model):
        raise ApiError(400, "1211", f"Unknown Model, please check the model code: {model}")
    return model


def unsupported(model: str, what: str) -> ApiError:
    return ApiError(400, "1210", f"Model {model} does not support {what}.")


def validate_chat(body: Mapping[str, Any]) -> str:
    """Check a chat request; returns the model id."""
    model = require_model(body)
    if not _catalog.is_chat(model):
        raise ApiError(400, "1212", f"Model {model} does not support chat/completions.")
    messages = validate_messages(body.get("messages"), model)
    _check_sampling(body)
    _check_tools(body)
    _check_switches(body)
    _check_model_limits(body, messages, model)
    return model


def validate_messages(messages: Any, model: str) -> list[dict[str, Any]]:
    if messages is None:
        raise missing("messages")
    if not isinstance(messages, list):
        raise invalid("messages", "must be an array")
    if not messages:
        raise invalid("messages", "cannot be empty")
    roles = set()
    for i, message in enumerate(messages):
        roles.add(_check_message(i, message, model))
    if roles == {"system"} or roles == {"assistant"}:
        raise invalid("messages", f"cannot consist only of {roles.pop()} messages")
    return messages


def _check_message(i: int, message: Any, model: str) -> str:
    where = f"messages[{i}]"
    if not isinstance(message, Mapping):
        raise invalid(where, "must be an object")
    role = message.get("role")
    if role is None:
        raise missing(f"{where}.role")
    if role not in _ROLES:
        raise invalid(f"{where}.role", f"unknown role {role!r}")
    content = message.get("content")
    if role == "user":
        _check_user_content(where, content, model)
    elif role == "assistant":
        if content is not None and not isinstance(content, str):
            raise invalid(f"{where}.content", "must be a string")
        _check_tool_calls(where, message.get("tool_calls"))
    else:
        if content is None:
            raise missing(f"{where}.content")
        if not isinstance(content, str):
            raise invalid(f"{where}.content", "must be a string")
        if role == "tool":
            call_id = message.get("tool_call_id")
            if call_id is None or call_id == "":
                raise missing(f"{where}.tool_call_id")
            if not isinstance(call_id, str):
                raise invalid(f"{where}.tool_call_id", "must be a string")
    return str(role)


def _check_user_content(where: str, content: Any, model: str) -> None:
    if content is None:
        raise missing(f"{where}.content")
    if isinstance(content, str):
        return
    if not isinstance(content, list) or not content:
        raise invalid(f"{where}.content", "must be a string or a non-empty array of parts")
    for j, part in enumerate(content):
        at = f"{where}.content[{j}]"
        kind = part.get("type") if isinstance(part, Mapping) else None
        if kind == "text":
            if not isinstance(part.get("text"), str):
                raise invalid(f"{at}.text", "must be a string")
        elif kind in _MEDIA_PARTS:
            if not _catalog.has_vision(model):
                raise unsupported(model, f"{kind} input")
            if not isinstance(part.get(kind), Mapping):
                raise invalid(f"{at}.{kind}", "must be an object")
        elif kind == "input_audio":
            if not _catalog.hears(model):
                raise unsupported(model, "audio input")
        else:
            raise invalid(f"{at}.type", f"unknown content part type {kind!r}")


def _check_tool_calls(where: str, calls: Any) -> None:
    if calls is None:
        return
    if not isinstance(calls, list):
        raise invalid(f"{where}.tool_calls", "must be an array")
    for j, call in enumerate(calls):
        fn = call.get("function") if isinstance(call, Mapping) else None
        if not isinstance(fn, Mapping) or not isinstance(fn.get("name"), str):
            raise invalid(f"{where}.tool_calls[{j}].function", "must carry a name")
        if not isinstance(fn.get("arguments", ""), str | Mapping):
            raise invalid(f"{where}.tool_calls[{j}].function.arguments", "must be a JSON string")


def _number(body: Mapping[str, Any], name: str) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid(name, "must be a number")
    return float(value)


def _check_sampling(body: Mapping[str, Any]) -> None:
    temperature = _number(body, "temperature")
    if temperature is not None and not 0.0 <= temperature <= 1.0:
        raise invalid("temperature", "must be between 0.0 and 1.0")
    top_p = _number(body, "top_p")
    if top_p is not None and not 0.01 <= top_p <= 1.0:
        raise invalid("top_p", "must be between 0.01 and 1.0")
    max_tokens = body.get("max_tokens")
    if max_tokens is not None:
        if isinstance(max_tokens, bool) or not isinstance(max_tokens, int):
            raise invalid("max_tokens", "must be an integer")
        if not 1 <= max_tokens <= MAX_TOKENS:
            raise invalid("max_tokens", f"must be between 1 and {MAX_TOKENS}")
    stop = body.get("stop")
    if stop is not None:
        words = [stop] if isinstance(stop, str) else stop
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise invalid("stop", "must be an array of strings")
        if len(words) > MAX_STOP:
            raise invalid("stop", f"at most {MAX_STOP} stop word is supported")
    for name in ("stream", "do_sample", "tool_stream"):
        if body.get(name) is not None and not isinstance(body.get(name), bool):
            raise invalid(name, "must be a boolean")
    # Lengths from docs/wire-notes.md §3.1: request_id 6-64 (Z.ai), user_id 6-128 characters.
    for name, low, high in (("request_id", 6, 64), ("user_id", 6, 128)):
        value = body.get(name)
        if value is not None and not (isinstance(value, str) and low <= len(value) <= high):
            raise invalid(name, f"must be a string of {low} to {high} characters")


def _check_tools(body: Mapping[str, Any]) -> None:
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            raise invalid("tools", "must be an array")
        if len(tools) > MAX_TOOLS:
            raise invalid("tools", f"at most {MAX_TOOLS} tools are supported")
        for i, tool in enumerate(tools):
            _check_tool(i, tool)
    choice = body.get("tool_choice")
    # Only "auto" is documented (wire notes §3.1, §3.5); the object form and other strings are refused.
    if choice is not None and choice != "auto":
        raise invalid("tool_choice", 'only "auto" is supported')


def _check_tool(i: int, tool: Any) -> None:
    where = f"tools[{i}]"
    kind = tool.get("type") if isinstance(tool, Mapping) else None
    if kind not in _TOOL_TYPES:
        raise invalid(f"{where}.type", f"unknown tool type {kind!r}")
    spec = tool.get(kind)
    if kind == "function":
        if not isinstance(spec, Mapping):
            raise missing(f"{where}.function")
        name = spec.get("name")
        if not isinstance(name, str) or not _TOOL_NAME.match(name):
            raise invalid(f"{where}.function.name", "must match ^[a-zA-Z0-9_-]{1,64}$")
        params = spec.get("parameters")
        if params is not None and not isinstance(params, Mapping):
            raise invalid(f"{where}.function.parameters", "must be a JSON Schema object")
    elif kind == "retrieval":
        if not isinstance(spec, Mapping) or not isinstance(spec.get("knowledge_id"), str):
            raise missing(f"{where}.retrieval.knowledge_id")
    elif spec is not None and not isinstance(spec, Mapping):
        raise invalid(f"{where}.{kind}", "must be an object")


def _check_switches(body: Mapping[str, Any]) -> None:
    fmt = body.get("response_format")
    if fmt is not None:
        kind = fmt.get("type") if isinstance(fmt, Mapping) else None
        if kind not in ("text", "json_object"):
            raise invalid("response_format.type", 'must be "text" or "json_object"')
    thinking = body.get("thinking")
    if thinking is not None:
        if not isinstance(thinking, Mapping):
            raise invalid("thinking", "must be an object")
        if thinking.get("type", "enabled") not in ("enabled", "disabled"):
            raise invalid("thinking.type", 'must be "enabled" or "disabled"')
        clear = thinking.get("clear_thinking")
        if clear is not None and not isinstance(clear, bool):
            raise invalid("thinking.clear_thinking", "must be a boolean")
    if body.get("tool_stream") and not body.get("stream"):
        raise invalid("tool_stream", "requires stream=true")


def _check_model_limits(body: Mapping[str, Any], messages: list[dict[str, Any]], model: str) -> None:
    """What this model refuses although the request is well formed (wire notes §3.4, §9)."""
    lim = _catalog.limits(model)
    max_tokens = body.get("max_tokens")
    if isinstance(max_tokens, int) and max_tokens > lim.max_output:
        raise invalid("max_tokens", f"must be between 1 and {lim.max_output} for model {model}")
    if lim.tools is False:
        if body.get("tools"):
            raise unsupported(model, "tools")
        if any(m.get("role") == "tool" for m in messages):
            raise unsupported(model, "tool messages")
    effort = body.get("reasoning_effort")
    if effort is not None and effort not in lim.efforts:
        raise invalid("reasoning_effort", f"must be one of {', '.join(lim.efforts)} for model {model}")
    fmt = body.get("response_format")
    if lim.json_mode is False and isinstance(fmt, Mapping) and fmt.get("type") == "json_object":
        raise unsupported(model, "response_format json_object")
    _check_media(messages, model, lim)


def _check_media(messages: list[dict[str, Any]], model: str, lim: _catalog.Limits) -> None:
    parts = [
        part
        for m in messages
        if m.get("role") == "user" and isinstance(m.get("content"), list)
        for part in m["content"]
        if isinstance(part, Mapping)
    ]
    kinds = [part.get("type") for part in parts]
    images, videos = kinds.count("image_url"), kinds.count("video_url")
    if lim.images is not None and images > lim.images:
        raise invalid("messages", f"model {model} accepts at most {lim.images} image(s) per request")
    if lim.videos is not None and videos > lim.videos:
        raise invalid("messages", f"model {model} accepts at most {lim.videos} video(s) per request")
    if "file_url" in kinds and (images or videos):
        raise invalid("messages", "file_url cannot be combined with image_url or video_url")
    for m in messages if lim.video_first else ():
        content = m.get("content")
        if not isinstance(content, list):
            continue
        if any(p.get("type") == "video_url" for p in content) and content[0].get("type") != "video_url":
            raise invalid("messages", f"model {model} needs the video_url part first")
    if not lim.base64_images:
        for part in parts:
            url = part.get("image_url", {}).get("url") if part.get("type") == "image_url" else None
            if isinstance(url, str) and not url.startswith(("http://", "https://")):
                raise invalid("image_url.url", f"model {model} accepts image URLs only, not base64")

"""GLM request rules, once for both adapters: from GLM-level options and wire messages to a
chat request body (docs/wire-notes.md §3).

The adapters turn framework messages and tools into wire dicts; everything GLM-specific about
the rest of the request is decided here: thinking and preserved thinking, ``tool_choice`` and
its emulation (GLM documents only ``"auto"``), built-in tool defaults per endpoint, JSON mode and
JSON-schema emulation, ``stop``, ``tool_stream``, and the fields GLM does not document, which
are mapped to GLM behaviour or refused, never forwarded. Sampling rewrites (``temperature=0``
to ``do_sample: false``) and range checks happen in ``glm_transport.validation`` on every
request, so they are not repeated here.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from glm_transport.catalog import ModelInfo, get_model_info
from glm_transport.errors import GLMInvalidRequestError

__all__ = [
    "BUILTIN_TOOLS",
    "DEFAULT_RULES",
    "ResponseRules",
    "add_instructions",
    "build_chat_request",
    "check_options",
    "check_tool_choice",
    "default_search_engine",
    "json_schema_instruction",
    "preserves_thinking",
    "thinking_param",
    "tool_choice_plan",
]

BUILTIN_TOOLS = frozenset(("web_search", "retrieval", "mcp"))
_FORCE = frozenset(("any", "required"))
# Wire notes §3.3: each platform names its search engines differently; Z.ai documents one.
_ZAI_SEARCH_ENGINE = "search_pro_jina"
_BIGMODEL_SEARCH_ENGINE = "search_std"


def _invalid(message: str) -> GLMInvalidRequestError:
    return GLMInvalidRequestError(message)


def is_mcp_tool(value: Any) -> bool:
    """``isinstance(value, MCPServerTool)``; the pydantic model loads only when someone makes one
    (``glm_transport.mcp``), and until then nothing can be one."""
    mcp = sys.modules.get("glm_transport.mcp")
    return mcp is not None and isinstance(value, mcp.MCPServerTool)


def reveal_tool(tool: Any) -> Any:
    """``tool`` as it goes on the wire: an MCP declaration becomes its dict, header values revealed;
    anything else is returned as is."""
    return tool.to_wire() if is_mcp_tool(tool) else tool


@dataclass(frozen=True)
class ResponseRules:
    """What the request asked of the answer that GLM itself cannot do, applied on the response side.

    Attributes:
        first_call_only: ``parallel_tool_calls=False``: keep only the first function call.
        inline_markup: read ``<think>`` and the box markers in the content as markup (models that
            write their reasoning inline, the vision models, and ids the catalogue does not know);
            a known text model's content is taken literally, so an answer about ``<think>`` tags
            keeps them.
    """

    first_call_only: bool = False
    inline_markup: bool = True


DEFAULT_RULES = ResponseRules()


# ---------------------------------------------------------------- thinking


def preserves_thinking(thinking: Any, preserve_thinking: bool | None) -> bool:
    """Whether earlier turns' reasoning is kept (wire notes §3.1 "Preserved Thinking").

    An explicit ``clear_thinking`` in a ``thinking`` dict wins over ``preserve_thinking``.
    """
    if isinstance(thinking, Mapping) and isinstance(thinking.get("clear_thinking"), bool):
        return not thinking["clear_thinking"]
    return bool(preserve_thinking)


def thinking_param(thinking: Any, preserve_thinking: bool | None, info: ModelInfo) -> dict[str, Any] | None:
    """The wire ``thinking`` object, or ``None`` to leave the model's default.

    ``True``/``False`` switch thinking; a dict is GLM's object (``type`` defaults to enabled).
    Preserved thinking adds ``clear_thinking: false`` whether thinking is on or off this turn
    (the history's reasoning is kept either way); on a catalogued model without thinking, a
    ``preserve_thinking`` with no explicit ``thinking`` sends nothing (there is nothing to keep).
    """
    if thinking is None:
        value: dict[str, Any] | None = None
    elif isinstance(thinking, bool):
        value = {"type": "enabled" if thinking else "disabled"}
    elif isinstance(thinking, Mapping):
        value = {"type": "enabled", **thinking}
    else:
        raise _invalid("thinking must be True, False or {'type': 'enabled'|'disabled', 'clear_thinking': bool}")
    if value is None and (not preserve_thinking or (info.known and not info.supports_thinking)):
        return None
    if preserves_thinking(thinking, preserve_thinking):
        value = {"type": "enabled", **(value or {}), "clear_thinking": False}
    return value


def _strip_reasoning(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Earlier reasoning goes back only with preserved thinking (wire notes §3.1, §3.2)."""
    if not any("reasoning_content" in message for message in messages):
        return messages
    return [
        {key: value for key, value in message.items() if key != "reasoning_content"}
        if "reasoning_content" in message
        else message
        for message in messages
    ]


# ---------------------------------------------------------------- tools and tool_choice


def _choice(tool_choice: Any) -> str | None:
    """A ``tool_choice`` in any framework's spelling as ``None``, ``auto``, ``none``, ``required`` or a name."""
    if tool_choice is None or tool_choice is True or tool_choice is False:
        return {None: None, True: "required", False: "none"}[tool_choice]
    if isinstance(tool_choice, str):
        return "required" if tool_choice in _FORCE else tool_choice
    if isinstance(tool_choice, Mapping):
        function = tool_choice.get("function")
        name = function.get("name") if isinstance(function, Mapping) else tool_choice.get("name")
        if isinstance(name, str):
            return name
        kind = tool_choice.get("type")
        if kind in ("auto", "none", *_FORCE):
            return _choice(kind)
    raise _invalid(
        f"unsupported tool_choice {tool_choice!r}: use 'auto', 'none', 'any'/'required', a tool name "
        "or {'type': 'function', 'function': {'name': ...}}"
    )


def _function_names(tools: Sequence[Mapping[str, Any]]) -> list[str]:
    return [tool["function"]["name"] for tool in tools if _kind(tool) == "function"]


def _call_instruction(names: Sequence[str]) -> str:
    which = (
        f"the tool `{names[0]}`"
        if len(names) == 1
        else "one or more of the tools " + ", ".join(f"`{name}`" for name in names)
    )
    return f"You must answer by calling {which}; do not answer with text alone."


def _copy(tool: Any) -> Any:
    """A tool dict's own copy; an MCP declaration stays itself, so its secret headers enter the
    body only when the request is validated (``glm_transport.mcp.reveal_tool``)."""
    return tool if is_mcp_tool(tool) else dict(tool)


def _kind(tool: Any) -> Any:
    return "mcp" if is_mcp_tool(tool) else tool.get("type")


def tool_choice_plan(
    tools: Sequence[Mapping[str, Any]], tool_choice: Any, *, required: bool = False
) -> tuple[list[dict[str, Any]], str | None]:
    """``(tools to offer, instruction to add)`` for a ``tool_choice`` (wire notes §3.1, §3.5).

    GLM documents only ``"auto"``, and a choice only governs function tools, so built-in tools
    (web_search, retrieval, mcp, run on GLM's side) are always kept. ``"none"``/``False``
    offers no function tool; ``"any"``/``"required"``/``True`` (or ``required``) offers the
    function tools with an instruction to call one; a name offers that function alone with an
    instruction to call it. The model is asked, not forced: it may still answer in text.
    """
    offered = [_copy(tool) for tool in tools]
    choice = _choice(tool_choice)
    if choice in (None, "auto") and not required:
        return offered, None
    builtins = [tool for tool in offered if _kind(tool) != "function"]
    if choice == "none":
        return builtins, None
    names = _function_names(offered)
    if choice in (None, "auto", "required"):
        if not names:
            raise _invalid(f"tool_choice={tool_choice!r} needs at least one function tool")
        return offered, _call_instruction(names)
    chosen = [tool for tool in offered if _kind(tool) == "function" and tool["function"]["name"] == choice]
    if not chosen:
        raise _invalid(f"tool_choice {tool_choice!r} names no bound tool; the tools are {names}")
    return [*chosen, *builtins], _call_instruction([str(choice)])


def check_tool_choice(tools: Sequence[Mapping[str, Any]], tool_choice: Any) -> None:
    """Fail at bind time for a choice that names no tool or forces a call without function tools."""
    tool_choice_plan(tools, tool_choice)


def default_search_engine(base_url: str | None) -> str:
    """The ``search_engine`` a web_search tool gets when none is given (wire notes §3.3)."""
    return _ZAI_SEARCH_ENGINE if base_url and "z.ai" in base_url else _BIGMODEL_SEARCH_ENGINE


def _complete_builtin(tool: dict[str, Any], base_url: Any) -> dict[str, Any]:
    """A web_search tool with its required engine and ``enable`` filled in (GLM's default is off).

    ``base_url`` may be a function returning it, called only here (resolving it costs ~40 µs).
    """
    if _kind(tool) != "web_search":
        return tool
    options = tool.get("web_search")
    options = dict(options) if isinstance(options, Mapping) else {}
    if "search_engine" not in options:
        options["search_engine"] = default_search_engine(base_url() if callable(base_url) else base_url)
    options.setdefault("enable", True)
    return {**tool, "web_search": options}


def _web_search_tool(option: Any) -> dict[str, Any] | None:
    if not option:
        return None
    return {"type": "web_search", "web_search": dict(option) if isinstance(option, Mapping) else {}}


# ---------------------------------------------------------------- response format


def json_schema_instruction(schema: Mapping[str, Any]) -> str:
    """The system instruction that emulates a JSON-schema response format (GLM has only json_object)."""
    return (
        "Answer with a single JSON object and nothing else. It must conform to this JSON Schema:\n"
        f"```json\n{json.dumps(schema, ensure_ascii=False)}\n```"
    )


def _response_format(fmt: Any) -> tuple[dict[str, Any] | None, str | None]:
    if fmt is None:
        return None, None
    if not isinstance(fmt, Mapping):
        raise _invalid("response_format must be a dict such as {'type': 'json_object'}")
    if fmt.get("type") != "json_schema":
        return dict(fmt), None
    spec = fmt.get("json_schema")
    schema = spec.get("schema", spec) if isinstance(spec, Mapping) else fmt.get("schema")
    if not isinstance(schema, Mapping):
        raise _invalid("a json_schema response_format needs {'json_schema': {'schema': {...}}}")
    return {"type": "json_object"}, json_schema_instruction(schema)


def add_instructions(messages: list[dict[str, Any]], instructions: Sequence[str]) -> list[dict[str, Any]]:
    """``messages`` with ``instructions`` appended to the leading system message (or a new one first).

    First rather than last, because the model reads the last turn as the one to answer.
    """
    if not instructions:
        return messages
    text = "\n\n".join(instructions)
    if messages and messages[0].get("role") == "system" and isinstance(messages[0].get("content"), str):
        first = messages[0]
        content = f"{first['content']}\n\n{text}" if first["content"] else text
        return [{**first, "content": content}, *messages[1:]]
    return [{"role": "system", "content": text}, *messages]


# ---------------------------------------------------------------- fields GLM does not document


def _undocumented(params: dict[str, Any]) -> ResponseRules:
    """Map or refuse the OpenAI-style fields GLM does not document (wire notes §3.1); never forward them."""
    first_only = False
    if "parallel_tool_calls" in params:
        value = params.pop("parallel_tool_calls")
        if not isinstance(value, bool):
            raise _invalid(f"parallel_tool_calls must be True or False, got {value!r}")
        first_only = value is False  # GLM may return several calls; False keeps the first
    n = params.pop("n", None)
    if n is not None and n != 1:
        raise _invalid(f"n={n!r}: GLM returns one choice per request; make {n} calls instead")
    strict = params.pop("strict", None)
    if strict:
        raise _invalid(
            "strict=True: GLM has no strict tool or schema mode; use with_structured_output(strict=True), "
            "which validates the answer on our side"
        )
    for name in ("presence_penalty", "frequency_penalty"):
        value = params.pop(name, None)
        if value:
            raise _invalid(f"{name}={value!r}: GLM has no {name.replace('_', ' ')}")
    for name in ("logprobs", "top_logprobs", "logit_bias"):
        value = params.pop(name, None)
        if value:
            raise _invalid(f"{name}={value!r}: GLM does not return log probabilities or take logit biases")
    options = params.pop("stream_options", None)
    if options and dict(options) != {"include_usage": True}:
        raise _invalid(f"stream_options={options!r}: GLM always sends usage on the last chunk, and takes no options")
    return ResponseRules(first_call_only=first_only)


def check_options(options: Mapping[str, Any]) -> ResponseRules:
    """Refuse, at bind time, the undocumented fields ``build_chat_request`` would refuse at call time."""
    return _undocumented(dict(options))


# ---------------------------------------------------------------- the request


def _stop(stop: Any) -> list[str] | None:
    if stop is None or stop == [] or stop == "":
        return None
    return [stop] if isinstance(stop, str) else list(stop)


def _tool_stream(value: Any, tools: Sequence[Mapping[str, Any]], info: ModelInfo, stream: bool) -> bool | None:
    """Streamed tool arguments (wire notes §3.1, §5.4): only on streams; on by default where the
    model supports it and a function tool is offered; an explicit value is sent as given."""
    if not stream:
        return None
    if value is None:
        return True if info.tool_stream and _function_names(tools) else None
    return bool(value)


def build_chat_request(
    options: Mapping[str, Any], messages: Sequence[Mapping[str, Any]], *, stream: bool
) -> tuple[dict[str, Any], ResponseRules]:
    """The GLM request body for ``options`` and wire ``messages``, and the rules for its answer.

    ``options`` holds wire fields (``None`` means unset) plus ``preserve_thinking``,
    ``tool_required``, ``web_search`` (``True`` or the tool's options: adds GLM's built-in
    web search) and ``base_url`` (the endpoint, or a function returning it: picks endpoint
    defaults). ``tools`` are wire tool dicts.
    Fields no rule knows (``seed``, ``watermark_enabled``, ``meta``, ...) are sent as given.
    """
    params = {key: value for key, value in options.items() if value is not None}
    base_url = params.pop("base_url", None)
    preserve = params.pop("preserve_thinking", None)
    required = bool(params.pop("tool_required", False))
    info = get_model_info(params["model"])
    rules = replace(_undocumented(params), inline_markup=info.thinking == "tagged" or info.vision or not info.known)
    instructions: list[str] = []

    thinking = thinking_param(params.pop("thinking", None), preserve, info)
    if thinking is not None:
        params["thinking"] = thinking
    fmt, instruction = _response_format(params.pop("response_format", None))
    if fmt is not None:
        params["response_format"] = fmt
    if instruction:
        instructions.append(instruction)

    tools = [_copy(tool) for tool in params.pop("tools", None) or ()]
    web_search = _web_search_tool(params.pop("web_search", None))
    if web_search is not None:
        tools.append(web_search)
    offered, instruction = tool_choice_plan(tools, params.pop("tool_choice", None), required=required)
    if instruction:
        instructions.append(instruction)
    if offered:
        params["tools"] = [_complete_builtin(tool, base_url) for tool in offered]
        if _function_names(offered):
            params["tool_choice"] = "auto"  # the one choice GLM documents, for function tools
    tool_stream = _tool_stream(params.pop("tool_stream", None), offered, info, stream)
    if tool_stream is not None:
        params["tool_stream"] = tool_stream

    stop = _stop(params.pop("stop", None))
    if stop is not None:
        params["stop"] = stop
    wire = [dict(message) for message in messages]
    if not preserves_thinking(options.get("thinking"), preserve):
        wire = _strip_reasoning(wire)
    params["messages"] = add_instructions(wire, instructions)
    return params, rules

"""``with_structured_output`` for GLM: the three methods and their emulations.

GLM documents no way to force a tool and no JSON-schema response format (wire notes §3.1, §3.5),
so: ``function_calling`` offers the schema as the only tool (``tool_choice`` by name);
``json_mode`` uses GLM's ``json_object``; ``json_schema`` asks for a ``json_schema`` response
format. The emulations of both (the instruction to call the tool, JSON mode plus the schema in
a system instruction) are the dialect's (``glm_transport.dialect``), shared with LlamaIndex.
Each parses and validates on our side (``strict=True`` also checks required and unknown keys of
dict schemas), raising ``OutputParserException`` when the answer does not fit.
"""

from __future__ import annotations

from collections.abc import Mapping
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.exceptions import OutputParserException
from langchain_core.output_parsers import JsonOutputKeyToolsParser, JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.openai_tools import PydanticToolsParser
from langchain_core.runnables import Runnable, RunnableLambda, RunnableMap, RunnablePassthrough
from langchain_core.utils.function_calling import convert_to_json_schema, convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel, LanguageModelInput

__all__ = ["Method", "structured_output"]

Method = Literal["function_calling", "json_mode", "json_schema"]


def _strict_check(schema: Mapping[str, Any]) -> Runnable[Any, Any]:
    required = set(schema.get("required") or ())
    known = set(schema.get("properties") or ())
    closed = schema.get("additionalProperties") is False

    def check(value: Any) -> Any:
        if not isinstance(value, dict):
            raise OutputParserException(f"expected a JSON object, got {type(value).__name__}")
        missing = required - value.keys()
        extra = value.keys() - known if closed else set()
        if missing or extra:
            raise OutputParserException(
                f"answer does not match the schema: missing {sorted(missing)}, unexpected {sorted(extra)}"
            )
        return value

    return RunnableLambda(check)


def _parser(schema: Any, method: Method, name: str | None, strict: bool | None) -> Runnable[Any, Any]:
    pydantic = is_basemodel_subclass(schema) if isinstance(schema, type) else False
    if method == "function_calling":
        if pydantic:
            return PydanticToolsParser(tools=[schema], first_tool_only=True)
        parser: Runnable[Any, Any] = JsonOutputKeyToolsParser(key_name=name or "", first_tool_only=True)
    elif pydantic:
        return PydanticOutputParser(pydantic_object=schema)
    else:
        parser = JsonOutputParser()
    if strict and schema is not None:
        parser = parser | _strict_check(convert_to_json_schema(schema))
    return parser


def structured_output(
    model: BaseChatModel,
    schema: Any,
    *,
    method: Method,
    include_raw: bool,
    strict: bool | None,
    kwargs: Mapping[str, Any],
) -> Runnable[LanguageModelInput, Any]:
    if kwargs:
        raise ValueError(f"unexpected arguments for with_structured_output: {sorted(kwargs)}")
    if method != "json_mode" and schema is None:
        raise ValueError(f"with_structured_output(method={method!r}) needs a schema")
    trace = {"kwargs": {"method": method, "strict": strict}, "schema": schema}
    name: str | None = None
    if method == "function_calling":
        name = convert_to_openai_tool(schema)["function"]["name"]
        llm = model.bind_tools([schema], tool_choice=name, ls_structured_output_format=trace)
    elif method == "json_mode":
        llm = model.bind(response_format={"type": "json_object"}, ls_structured_output_format=trace)
    elif method == "json_schema":
        json_schema = convert_to_json_schema(schema)
        fmt = {
            "type": "json_schema",
            "json_schema": {"name": json_schema.get("title", "answer"), "schema": json_schema},
        }
        llm = model.bind(response_format=fmt, ls_structured_output_format=trace)
    else:
        raise ValueError(f"method must be 'function_calling', 'json_mode' or 'json_schema', got {method!r}")
    parser = _parser(schema, method, name, strict)
    if not include_raw:
        return llm | parser
    parsed = RunnablePassthrough.assign(parsed=itemgetter("raw") | parser, parsing_error=lambda _: None)
    fallback = RunnablePassthrough.assign(parsed=lambda _: None)
    return RunnableMap(raw=llm) | parsed.with_fallbacks([fallback], exception_key="parsing_error")

"""``with_structured_output``: the three methods (``json_schema`` emulated: GLM has only
``json_object``), pydantic/TypedDict/JSON-schema targets, ``include_raw``, ``strict``, and the
``ls_structured_output_format`` tracing parameter."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.exceptions import OutputParserException
from langchain_core.messages import AIMessage
from langchain_core.runnables import Runnable
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from glm_transport.testing import LocalGLMServer, Reply
from langchain_glm import ChatGLM

from .conftest import MODES, Models, last_body

METHODS = ("function_calling", "json_mode", "json_schema")
PROMPT = 'Extract the person: Ada, 36. Answer in JSON with "name" and "age".'


class Person(BaseModel):
    """A person."""

    name: str = Field(description="First name")
    age: int = Field(description="Age in years")


class PersonDict(TypedDict):
    """A person."""

    name: str
    age: int


PERSON_SCHEMA: dict[str, Any] = {
    "title": "Person",
    "description": "A person.",
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
    "additionalProperties": False,
}
ADA = Reply.chat('{"name": "Ada", "age": 36}')
SCHEMAS = {"pydantic": Person, "typeddict": PersonDict, "json schema": PERSON_SCHEMA}


def final(models: Models, runnable: Runnable[Any, Any], mode: str, value: Any) -> Any:
    """The result of invoke/ainvoke, or the last (complete) value of a stream."""
    if mode in ("invoke", "ainvoke"):
        return models.call(runnable, mode, value)
    if mode == "stream":
        return list(runnable.stream(value))[-1]

    async def last() -> Any:
        return [item async for item in runnable.astream(value)][-1]

    return models.run(last)


def check_person(result: Any, kind: str) -> None:
    if kind == "pydantic":
        assert isinstance(result, Person)
        result = result.model_dump()
    assert isinstance(result, dict)
    assert set(result) == {"name", "age"}
    assert isinstance(result["name"], str)
    assert isinstance(result["age"], int)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("kind", list(SCHEMAS))
def test_each_method_returns_the_schema(
    chat: ChatGLM, models: Models, glm_server: LocalGLMServer, mode: str, method: str, kind: str
) -> None:
    if method == "json_mode":  # the schema is not sent in JSON mode: the prompt must describe it
        glm_server.enqueue(ADA)
    structured = chat.with_structured_output(SCHEMAS[kind], method=method)  # type: ignore[arg-type]
    check_person(final(models, structured, mode, PROMPT), kind)


@pytest.mark.parametrize(
    ("method", "expect"),
    [
        ("function_calling", {"tools": ["Person"], "response_format": None}),
        ("json_mode", {"tools": None, "response_format": {"type": "json_object"}}),
        ("json_schema", {"tools": None, "response_format": {"type": "json_object"}}),
    ],
)
def test_what_each_method_sends(chat: ChatGLM, glm_server: LocalGLMServer, method: str, expect: dict[str, Any]) -> None:
    glm_server.enqueue(ADA)
    chat.with_structured_output(Person, method=method).invoke(PROMPT)  # type: ignore[arg-type]
    body = last_body(glm_server)
    tools = [t["function"]["name"] for t in body["tools"]] if "tools" in body else None
    assert tools == expect["tools"]
    # GLM cannot force a tool: offering one alone, with an instruction to call it, does
    assert body.get("tool_choice") == ("auto" if expect["tools"] else None)
    assert body.get("response_format") == expect["response_format"]
    instruction = body["messages"][0]
    if method == "json_schema":  # the schema travels in a system instruction
        assert instruction["role"] == "system"
        assert '"age"' in instruction["content"]
        assert "JSON Schema" in instruction["content"]
    elif method == "function_calling":  # the emulated forcing asks for the one tool
        assert instruction["role"] == "system"
        assert "calling the tool `Person`" in instruction["content"]
    else:
        assert instruction["role"] == "user"


@pytest.mark.parametrize("mode", ["invoke", "ainvoke"])
@pytest.mark.parametrize("method", METHODS)
def test_include_raw_returns_raw_parsed_and_error(
    chat: ChatGLM, models: Models, glm_server: LocalGLMServer, mode: str, method: str
) -> None:
    if method == "json_mode":
        glm_server.enqueue(ADA)
    result = models.call(chat.with_structured_output(Person, method=method, include_raw=True), mode, PROMPT)  # type: ignore[arg-type]
    assert isinstance(result, dict)
    assert isinstance(result["raw"], AIMessage)
    assert isinstance(result["parsed"], Person)
    assert result["parsing_error"] is None


@pytest.mark.parametrize("method", METHODS)
def test_include_raw_keeps_a_parsing_error_instead_of_raising(
    chat: ChatGLM, glm_server: LocalGLMServer, method: str
) -> None:
    if method == "function_calling":
        glm_server.enqueue(Reply.chat("", tool_calls=[{"name": "Person", "arguments": {"name": "Ada"}}]))
    else:
        glm_server.enqueue(Reply.chat('{"name": "Ada"}'))
    result = chat.with_structured_output(Person, method=method, include_raw=True).invoke(PROMPT)  # type: ignore[arg-type]
    assert isinstance(result, dict)
    assert result["parsed"] is None
    assert isinstance(result["parsing_error"], Exception)
    assert isinstance(result["raw"], AIMessage)


@pytest.mark.parametrize("method", METHODS)
def test_strict_rejects_an_answer_that_breaks_a_dict_schema(
    chat: ChatGLM, glm_server: LocalGLMServer, method: str
) -> None:
    extra = {"name": "Ada", "age": 36, "city": "London"}
    if method == "function_calling":
        glm_server.enqueue(Reply.chat("", tool_calls=[{"name": "Person", "arguments": extra}]))
    else:
        glm_server.enqueue(Reply.chat('{"name": "Ada", "age": 36, "city": "London"}'))
    with pytest.raises(OutputParserException, match="unexpected \\['city'\\]"):
        chat.with_structured_output(PERSON_SCHEMA, method=method, strict=True).invoke(PROMPT)  # type: ignore[arg-type]


def test_without_strict_a_dict_schema_answer_passes_as_is(chat: ChatGLM, glm_server: LocalGLMServer) -> None:
    glm_server.enqueue(Reply.chat('{"name": "Ada"}'))
    assert chat.with_structured_output(PERSON_SCHEMA, method="json_mode").invoke(PROMPT) == {"name": "Ada"}


def test_strict_is_not_sent_since_glm_has_no_strict_mode(chat: ChatGLM, glm_server: LocalGLMServer) -> None:
    chat.with_structured_output(Person, strict=True).invoke(PROMPT)
    assert "strict" not in last_body(glm_server)["tools"][0]["function"]


def test_json_mode_without_a_schema_returns_a_dict(chat: ChatGLM) -> None:
    result = chat.with_structured_output(method="json_mode").invoke(PROMPT)
    assert isinstance(result, dict)
    assert set(result) == {"name", "age"}


@pytest.mark.parametrize("method", ["function_calling", "json_schema"])
def test_a_schema_is_required_where_the_method_needs_one(chat: ChatGLM, method: str) -> None:
    with pytest.raises(ValueError, match="needs a schema"):
        chat.with_structured_output(None, method=method)  # type: ignore[arg-type]


def test_unknown_arguments_are_refused(chat: ChatGLM) -> None:
    with pytest.raises(ValueError, match="unexpected arguments"):
        chat.with_structured_output(Person, bogus=True)


class _StartParams(BaseCallbackHandler):
    def __init__(self) -> None:
        self.params: list[dict[str, Any]] = []

    def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
        self.params.append(kwargs["options"])


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("kind", list(SCHEMAS))
def test_ls_structured_output_format_is_traced(
    chat: ChatGLM, glm_server: LocalGLMServer, method: str, kind: str
) -> None:
    glm_server.enqueue(ADA)
    handler = _StartParams()
    chat.with_structured_output(SCHEMAS[kind], method=method).invoke(PROMPT, config={"callbacks": [handler]})  # type: ignore[arg-type]
    traced = handler.params[0]["ls_structured_output_format"]
    assert traced["kwargs"]["method"] == method
    assert traced["schema"]["title"] in ("Person", "PersonDict")
    assert set(traced["schema"]["properties"]) == {"name", "age"}

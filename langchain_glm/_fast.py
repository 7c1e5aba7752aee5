"""LangChain's output objects for the common cases, built without validation.

Per streamed token a provider builds an ``AIMessageChunk`` and a ``ChatGenerationChunk``, and per
call an ``AIMessage``, a ``ChatGeneration`` and a ``ChatResult``; validating them costs about 8 µs
a token (most of what ``ChatGLM`` adds to the transport per token) and ~10 µs a call, while every
field of a text token or a plain answer is already known and well-typed here. So these builders
fill the objects the way pydantic's ``model_construct`` does (the path langchain-core's own tracer
takes for its runs), from shapes that langchain-core itself validated once at import: the fields,
their order, their defaults and the ``fields_set`` are the installed langchain-core's own. Mutable
defaults are fresh per object. ``tests/unit/perf`` checks each result equals the validated object,
merges the same with ``+`` and serializes the same. Anything with tool calls, list content or
reasoning goes through validation as before.
"""

from __future__ import annotations

from typing import Any, TypeVar

from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import BaseModel

__all__ = ["ai_result", "text_chunk"]

_M = TypeVar("_M", bound=BaseModel)
_new = object.__new__
_set = object.__setattr__


class _Shape:
    """What validation leaves on an instance: fields in order, fresh containers, fields set, extra."""

    __slots__ = ("extra", "fields", "fields_set", "fresh_dicts", "fresh_lists")

    def __init__(self, probe: BaseModel, given: tuple[str, ...]) -> None:
        self.fields = dict(probe.__dict__)
        self.fresh_lists = tuple(k for k, v in self.fields.items() if isinstance(v, list) and k not in given)
        self.fresh_dicts = tuple(k for k, v in self.fields.items() if isinstance(v, dict) and k not in given)
        self.fields_set = frozenset(probe.__pydantic_fields_set__)
        self.extra = probe.__pydantic_extra__

    def build(self, cls: type[_M], values: dict[str, Any]) -> _M:
        fields = self.fields.copy()
        fields.update(values)
        for key in self.fresh_lists:
            fields[key] = []
        for key in self.fresh_dicts:
            fields[key] = {}
        obj = _new(cls)
        _set(obj, "__dict__", fields)
        _set(obj, "__pydantic_fields_set__", set(self.fields_set))
        _set(obj, "__pydantic_extra__", None if self.extra is None else dict(self.extra))
        _set(obj, "__pydantic_private__", None)
        return obj


_CHUNK_GIVEN = ("content", "id", "response_metadata")
_CHUNK = _Shape(AIMessageChunk(content="p", id="p", response_metadata={}), _CHUNK_GIVEN)
_GENERATION_CHUNK = _Shape(ChatGenerationChunk(message=AIMessageChunk(content="p")), ("message", "text"))

_MESSAGE_GIVEN = ("content", "additional_kwargs", "usage_metadata", "response_metadata", "id")
_MESSAGE = _Shape(  # to_chat_result passes empty tool-call lists too: they count as set
    AIMessage(
        content="p",
        additional_kwargs={},
        tool_calls=[],
        invalid_tool_calls=[],
        usage_metadata=None,
        response_metadata={},
        id="p",
    ),
    _MESSAGE_GIVEN,
)
_GENERATION = _Shape(ChatGeneration(message=AIMessage(content="p")), ("message", "text"))
_RESULT = _Shape(ChatResult(generations=[], llm_output={}), ("generations", "llm_output"))


def text_chunk(content: str, message_id: str | None, response_metadata: dict[str, Any]) -> ChatGenerationChunk:
    """``ChatGenerationChunk(message=AIMessageChunk(content=content, id=message_id,
    response_metadata=response_metadata))``, equal to the validated one."""
    message = _CHUNK.build(
        AIMessageChunk, {"content": content, "id": message_id, "response_metadata": response_metadata}
    )
    return _GENERATION_CHUNK.build(ChatGenerationChunk, {"text": content, "message": message})


def ai_result(
    content: str,
    additional_kwargs: dict[str, Any],
    usage_metadata: UsageMetadata | None,
    response_metadata: dict[str, Any],
    message_id: str | None,
    llm_output: dict[str, Any],
) -> ChatResult:
    """``ChatResult(generations=[ChatGeneration(message=AIMessage(...))], llm_output=llm_output)`` for
    an answer without tool calls, equal to the validated one (``usage_metadata`` as built by
    ``usage_metadata()``: plain ints and the token-detail dicts)."""
    message = _MESSAGE.build(
        AIMessage,
        {
            "content": content,
            "additional_kwargs": additional_kwargs,
            "usage_metadata": usage_metadata,
            "response_metadata": response_metadata,
            "id": message_id,
        },
    )
    generation = _GENERATION.build(ChatGeneration, {"text": content, "message": message})
    return _RESULT.build(ChatResult, {"generations": [generation], "llm_output": llm_output})

"""The streamed text token as LangChain objects, built without validation.

Per streamed token a provider builds an ``AIMessageChunk`` and a ``ChatGenerationChunk``; validating
them costs about 8 µs of the ~10 µs a token costs in ``ChatGLM`` on top of the transport, while the
fields of a plain text token are fully known. So ``text_chunk`` fills the objects the way pydantic's
``model_construct`` does (the path langchain-core's own tracer takes for its runs), from a template
that langchain-core itself validated once at import: every field, its defaults and the
``fields_set`` are langchain-core's, whatever version is installed. Mutable defaults are fresh per
chunk. ``tests/unit/perf`` checks the result equals the validated objects, merges the same with
``+``, and serializes the same.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk

__all__ = ["text_chunk"]

_new = object.__new__
_set = object.__setattr__


def _probe() -> tuple[AIMessageChunk, ChatGenerationChunk]:
    message = AIMessageChunk(content="probe", id="probe", response_metadata={})
    return message, ChatGenerationChunk(message=message)


_MESSAGE, _GENERATION = _probe()
_MESSAGE_FIELDS = dict(_MESSAGE.__dict__)  # key order as validation leaves it (repr follows it)
_FRESH_LISTS = tuple(key for key, value in _MESSAGE_FIELDS.items() if isinstance(value, list))
_FRESH_DICTS = tuple(
    key for key, value in _MESSAGE_FIELDS.items() if isinstance(value, dict) and key != "response_metadata"
)
_MESSAGE_SET = frozenset(_MESSAGE.__pydantic_fields_set__)
_MESSAGE_EXTRA = _MESSAGE.__pydantic_extra__
_GENERATION_FIELDS = dict(_GENERATION.__dict__)
_GENERATION_SET = frozenset(_GENERATION.__pydantic_fields_set__)


def text_chunk(content: str, message_id: str | None, response_metadata: dict[str, Any]) -> ChatGenerationChunk:
    """``ChatGenerationChunk(message=AIMessageChunk(content=content, id=message_id,
    response_metadata=response_metadata))``, equal to the validated one, without validating."""
    fields = _MESSAGE_FIELDS.copy()
    fields["content"] = content
    fields["id"] = message_id
    fields["response_metadata"] = response_metadata
    for key in _FRESH_LISTS:
        fields[key] = []
    for key in _FRESH_DICTS:
        fields[key] = {}
    message = _new(AIMessageChunk)
    _set(message, "__dict__", fields)
    _set(message, "__pydantic_fields_set__", set(_MESSAGE_SET))
    _set(message, "__pydantic_extra__", None if _MESSAGE_EXTRA is None else dict(_MESSAGE_EXTRA))
    _set(message, "__pydantic_private__", None)
    outer = _GENERATION_FIELDS.copy()
    outer["text"] = content
    outer["message"] = message
    generation = _new(ChatGenerationChunk)
    _set(generation, "__dict__", outer)
    _set(generation, "__pydantic_fields_set__", set(_GENERATION_SET))
    _set(generation, "__pydantic_extra__", None)
    _set(generation, "__pydantic_private__", None)
    return generation

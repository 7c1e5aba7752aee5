"""Objects built on the fast paths are the objects validation would build: equal, equally merged
with ``+``, serialized and printed alike, and independent of each other."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from glm_transport._fasturl import parsed_url
from glm_transport.streaming import parse_chunk
from glm_transport.types import ChatCompletion
from langchain_glm._convert import PROVIDER, StreamConverter, to_chat_result
from langchain_glm._fast import text_chunk

TEXTS = ["Hello", " world", "\u4f60\u597d", "x" * 500, "  "]


def validated(content: str, message_id: str | None) -> ChatGenerationChunk:
    message = AIMessageChunk(content=content, id=message_id, response_metadata={"model_provider": PROVIDER})
    return ChatGenerationChunk(message=message)


def fast(content: str, message_id: str | None) -> ChatGenerationChunk:
    return text_chunk(content, message_id, {"model_provider": PROVIDER})


@pytest.mark.parametrize("message_id", ["chatcmpl-1", None])
@pytest.mark.parametrize("content", TEXTS)
def test_a_fast_text_chunk_equals_the_validated_one(content: str, message_id: str | None) -> None:
    ours, theirs = fast(content, message_id), validated(content, message_id)
    assert ours == theirs
    assert ours.message == theirs.message
    assert repr(ours) == repr(theirs)
    assert ours.model_dump() == theirs.model_dump()
    assert ours.model_dump(exclude_unset=True) == theirs.model_dump(exclude_unset=True)
    assert ours.message.model_fields_set == theirs.message.model_fields_set
    assert ours.model_fields_set == theirs.model_fields_set
    assert ours.text == theirs.text == ours.message.text


def test_fast_chunks_merge_with_plus_as_validated_ones_do() -> None:
    last = ChatGenerationChunk(
        message=AIMessageChunk(
            content="",
            usage_metadata={"input_tokens": 3, "output_tokens": 5, "total_tokens": 8},
            response_metadata={"finish_reason": "stop"},
            chunk_position="last",
        ),
        generation_info={"finish_reason": "stop"},
    )
    ours = [fast(text, "chatcmpl-1") for text in TEXTS] + [last]
    theirs = [validated(text, "chatcmpl-1") for text in TEXTS] + [last]
    merged_ours, merged_theirs = ours[0], theirs[0]
    for chunk in ours[1:]:
        merged_ours = merged_ours + chunk
    for chunk in theirs[1:]:
        merged_theirs = merged_theirs + chunk
    assert merged_ours == merged_theirs
    assert merged_ours.message.content == "".join(TEXTS)
    assert (
        fast("a", None).message + validated("b", None).message
        == validated("a", None).message + validated("b", None).message
    )


def test_fast_chunks_share_no_mutable_state() -> None:
    first, second = fast("a", "id"), fast("b", "id")
    first.message.additional_kwargs["k"] = 1
    first.message.tool_call_chunks.append({"type": "tool_call_chunk", "name": "f", "args": "", "id": "1", "index": 0})
    first.message.response_metadata["x"] = 1
    assert second.message.additional_kwargs == {}
    assert second.message.tool_call_chunks == []
    assert second.message.response_metadata == {"model_provider": PROVIDER}
    assert fast("c", "id").message.additional_kwargs == {}


def test_a_fast_chunk_takes_the_assignments_langchain_core_makes_while_streaming() -> None:
    ours, theirs = fast("a", None), validated("a", None)
    for chunk in (ours, theirs):
        chunk.message.id = "lc_run-1"
        chunk.message.response_metadata = {**chunk.message.response_metadata, "finish_reason": None}
    assert ours == theirs


def test_the_stream_converter_emits_the_validated_text_chunk() -> None:
    converter = StreamConverter("req-1")
    data = {"id": "chatcmpl-9", "model": "glm-4-plus", "choices": [{"index": 0, "delta": {"content": "\nHi"}}]}
    out = converter.convert(parse_chunk(data))
    assert out == validated("Hi", "chatcmpl-9")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/api/paas/v4/chat/completions",
        "https://open.bigmodel.cn/api/paas/v4/embeddings?x=1&y=%20z",
        "https://api.z.ai/api/coding/paas/v4/chat/completions",
    ],
)
def test_a_cached_url_is_the_url_httpx_parses(url: str) -> None:
    assert parsed_url(url) == httpx.URL(url)
    assert parsed_url(url) is parsed_url(url)
    request = httpx.Request("POST", parsed_url(url), content=b"{}")
    assert request.url == httpx.Request("POST", url, content=b"{}").url
    assert request.headers["host"] == httpx.Request("POST", url).headers["host"]


def _completion(**overrides: Any) -> ChatCompletion:
    message = {"role": "assistant", "content": "\nHello there", **overrides.pop("message", {})}
    body = {
        "id": "chatcmpl-7",
        "request_id": "req-7",
        "created": 1,
        "model": "glm-4-plus",
        "choices": [{"index": 0, "finish_reason": "stop", "message": message}],
        **overrides,
    }
    return ChatCompletion.model_validate(body)


def _validated_result(result: ChatResult) -> ChatResult:
    message = result.generations[0].message
    assert isinstance(message, AIMessage)
    rebuilt = AIMessage(
        content=message.content,
        additional_kwargs=message.additional_kwargs,
        tool_calls=[],
        invalid_tool_calls=[],
        usage_metadata=message.usage_metadata,
        response_metadata=message.response_metadata,
        id=message.id,
    )
    return ChatResult(generations=[ChatGeneration(message=rebuilt)], llm_output=result.llm_output)


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}},
        {
            "usage": {
                "prompt_tokens": 5,
                "completion_tokens": 7,
                "total_tokens": 12,
                "prompt_tokens_details": {"cached_tokens": 2},
                "completion_tokens_details": {"reasoning_tokens": 3},
            },
            "message": {"reasoning_content": "thinking"},
        },
        {"message": {"content": ""}, "web_search": [{"title": "t", "link": "https://x", "content": "c"}]},
    ],
)
def test_a_fast_chat_result_equals_the_validated_one(overrides: dict[str, Any]) -> None:
    ours = to_chat_result(_completion(**overrides))
    theirs = _validated_result(ours)
    assert ours == theirs
    assert repr(ours) == repr(theirs)
    assert ours.model_dump() == theirs.model_dump()
    assert ours.generations[0].message.model_fields_set == theirs.generations[0].message.model_fields_set
    assert ours.generations[0].text == ours.generations[0].message.text
    assert ours.generations[0].message.content == overrides.get("message", {}).get("content", "Hello there")


def test_fast_chat_results_share_no_mutable_state() -> None:
    first, second = to_chat_result(_completion()), to_chat_result(_completion())
    first.generations[0].message.tool_calls.append({"name": "f", "args": {}, "id": "1", "type": "tool_call"})
    assert second.generations[0].message.tool_calls == []


def test_an_answer_with_tool_calls_still_goes_through_validation() -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}}
    result = to_chat_result(_completion(message={"tool_calls": [call]}))
    message = result.generations[0].message
    assert isinstance(message, AIMessage)
    assert message.tool_calls == [{"name": "f", "args": {"a": 1}, "id": "c1", "type": "tool_call"}]

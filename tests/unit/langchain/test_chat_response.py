"""What ``ChatGLM`` returns: content, reasoning (as ``additional_kwargs`` and as standard content
blocks, also with ``output_version="v1"`` and in ``astream_events``), usage, response metadata,
finish reasons and web search results, in every mode."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, SystemMessage
from langchain_core.tools import tool

from glm_transport.testing import LocalGLMServer, Reply
from langchain_glm import ChatGLM

from .conftest import MODES, STREAM_MODES, Models, last_body

WEB_SEARCH = {"type": "web_search", "web_search": {"search_engine": "search_std", "search_result": True}}


@tool
def get_weather(city: str) -> str:
    """The current weather in a city."""
    return f"Sunny in {city}"


def reasoning_then_tool_call() -> Reply:
    """GLM-4.7-Flash style: reasoning, then a tool call with no text in between (wire notes §5.2)."""
    return Reply.chat(
        content="",
        reasoning="The user wants weather; I will call the tool.",
        tool_calls=[{"name": "get_weather", "arguments": {"city": "Paris"}}],
    )


@pytest.mark.parametrize("mode", MODES)
def test_answer_carries_text_reasoning_and_usage(chat: ChatGLM, models: Models, mode: str) -> None:
    answer = models.call(chat, mode, "What is 2 + 2?")
    assert isinstance(answer, AIMessage)
    assert "2 + 2" in answer.text
    assert not answer.text.startswith("\n")
    assert answer.additional_kwargs["reasoning_content"].startswith("The user asks")
    usage = answer.usage_metadata
    assert usage is not None
    assert usage["input_tokens"] > 0
    assert usage["output_tokens"] > 0
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert usage.get("output_token_details", {}).get("reasoning", 0) > 0


@pytest.mark.parametrize("mode", MODES)
def test_usage_reports_cache_reads_from_glm_context_cache(chat: ChatGLM, models: Models, mode: str) -> None:
    prefix = SystemMessage("You are a careful assistant. " * 50)
    models.call(chat, mode, [prefix, HumanMessage("Say hi.")])
    answer = models.call(chat, mode, [prefix, HumanMessage("Say bye.")])
    assert answer.usage_metadata is not None
    assert answer.usage_metadata.get("input_token_details", {}).get("cache_read", 0) > 0


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("stream_usage", ["final", "separate"])
def test_usage_is_counted_once_wherever_the_stream_sends_it(
    chat: ChatGLM, models: Models, glm_server: LocalGLMServer, mode: str, stream_usage: str
) -> None:
    glm_server.stream_usage = stream_usage  # on the finish chunk, or a later chunk of its own (wire notes §5.3)
    glm_server.enqueue(Reply.chat("four words of text", usage={"prompt_tokens": 7, "completion_tokens": 4}))
    answer = models.call(chat, mode, "hi")
    assert answer.usage_metadata is not None
    assert (answer.usage_metadata["input_tokens"], answer.usage_metadata["output_tokens"]) == (7, 4)
    assert answer.usage_metadata["total_tokens"] == 11


@pytest.mark.parametrize("mode", MODES)
def test_response_metadata_names_model_finish_reason_and_ids(
    chat: ChatGLM, models: Models, glm_server: LocalGLMServer, mode: str
) -> None:
    answer = models.call(chat, mode, "hi")
    metadata = answer.response_metadata
    assert metadata["model_provider"] == "zhipuai"
    assert metadata["model_name"] == "glm-4.7"
    assert metadata["finish_reason"] == "stop"  # once, even when stream chunks are added up
    assert metadata["id"]
    assert answer.id == metadata["id"]
    assert metadata["request_id"] == last_body(glm_server)["request_id"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("finish_reason", ["length", "sensitive"])  # network_error raises: tests/unit/reliability
def test_abnormal_finish_reasons_are_reported(
    chat: ChatGLM, models: Models, glm_server: LocalGLMServer, mode: str, finish_reason: str
) -> None:
    glm_server.enqueue(Reply.finish(finish_reason, content="partial answer"))
    answer = models.call(chat, mode, "tell me something")
    assert answer.response_metadata["finish_reason"] == finish_reason
    assert answer.text == "partial answer"


@pytest.mark.parametrize("mode", MODES)
def test_web_search_results_land_in_response_metadata(chat: ChatGLM, models: Models, mode: str) -> None:
    answer = models.call(chat.bind_tools([WEB_SEARCH]), mode, "latest GLM release")
    results = answer.response_metadata["web_search"]
    assert len(results) == 3
    assert all(result["link"].startswith("http") and result["title"] for result in results)
    assert answer.tool_calls == []  # GLM runs its web search itself


def test_no_web_search_key_without_results(chat: ChatGLM) -> None:
    assert "web_search" not in chat.invoke("hi").response_metadata


@pytest.mark.parametrize("mode", MODES)
def test_reasoning_is_a_standard_content_block_before_the_text(chat: ChatGLM, models: Models, mode: str) -> None:
    blocks = models.call(chat, mode, "hi").content_blocks
    assert [block["type"] for block in blocks] == ["reasoning", "text"]
    assert blocks[0].get("reasoning", "").startswith("The user asks")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("output_version", ["v0", "v1"])
def test_reasoning_never_merges_into_the_following_tool_call(
    models: Models, glm_server: LocalGLMServer, mode: str, output_version: str
) -> None:
    chat = models.chat(output_version=output_version)
    glm_server.enqueue(reasoning_then_tool_call())
    answer = models.call(chat.bind_tools([get_weather]), mode, "weather in Paris?")
    assert answer.tool_calls == [
        {"name": "get_weather", "args": {"city": "Paris"}, "id": answer.tool_calls[0]["id"], "type": "tool_call"}
    ]
    blocks = answer.content_blocks
    assert [block["type"] for block in blocks] == ["reasoning", "tool_call"]
    assert blocks[0].get("reasoning") == "The user wants weather; I will call the tool."
    assert blocks[1].get("args") == {"city": "Paris"}
    if output_version == "v1":
        assert isinstance(answer.content, list)
        assert [block["type"] for block in answer.content] == ["reasoning", "tool_call"]


@pytest.mark.parametrize("mode", STREAM_MODES)
def test_streamed_block_indices_differ_by_kind(chat: ChatGLM, models: Models, mode: str) -> None:
    chunks = models.chunks(chat.bind_tools([get_weather]), mode, "weather in Paris?")
    indices: dict[str, set[Any]] = {}
    for chunk in chunks:
        for block in chunk.content_blocks:
            indices.setdefault(block["type"], set()).add(block.get("index"))
    assert set(indices) >= {"reasoning", "text", "tool_call_chunk"}
    assert len(indices["reasoning"]) == len(indices["text"]) == len(indices["tool_call_chunk"]) == 1
    assert indices["reasoning"].isdisjoint(indices["text"] | indices["tool_call_chunk"])
    assert indices["text"].isdisjoint(indices["tool_call_chunk"])


def test_astream_events_show_reasoning_then_the_tool_call_apart(models: Models, glm_server: LocalGLMServer) -> None:
    chat = models.chat(output_version="v1")
    glm_server.enqueue(reasoning_then_tool_call())

    async def events() -> list[dict[str, Any]]:
        found = []
        async for event in chat.bind_tools([get_weather]).astream_events("weather in Paris?", version="v2"):
            if event["event"] == "on_chat_model_stream":
                found.extend(event["data"]["chunk"].content)
            elif event["event"] == "on_chat_model_end":
                found.append({"type": "end", "output": event["data"]["output"]})
        return found

    found = models.run(events)
    streamed = [block for block in found if block["type"] != "end"]
    reasoning = {block["index"] for block in streamed if block["type"] == "reasoning"}
    calls = {block["index"] for block in streamed if block["type"] == "tool_call_chunk"}
    assert reasoning and calls and reasoning.isdisjoint(calls)
    final = found[-1]["output"]
    assert [block["type"] for block in final.content] == ["reasoning", "tool_call"]
    assert final.tool_calls[0]["args"] == {"city": "Paris"}


@pytest.mark.parametrize("mode", STREAM_MODES)
def test_stream_yields_reasoning_and_text_as_they_arrive(chat: ChatGLM, models: Models, mode: str) -> None:
    chunks = models.chunks(chat, mode, "Tell me a joke")
    assert all(isinstance(chunk, AIMessageChunk) for chunk in chunks)
    reasoning = [c for c in chunks if c.additional_kwargs.get("reasoning_content")]
    text = [c for c in chunks if c.text]
    assert len(reasoning) > 1
    assert len(text) > 1
    assert chunks.index(reasoning[-1]) < chunks.index(text[0])  # GLM thinks first (wire notes §5.2)
    assert chunks[-1].chunk_position == "last"
    assert [c for c in chunks if c.usage_metadata] == [chunks[-1]]


def test_thinking_disabled_gives_no_reasoning(models: Models) -> None:
    answer = models.chat(thinking=False).invoke("hi")
    assert "reasoning_content" not in answer.additional_kwargs
    assert [block["type"] for block in answer.content_blocks] == ["text"]


@pytest.mark.parametrize("mode", MODES)
def test_glm_builtin_tool_calls_are_kept_apart_from_function_calls(
    chat: ChatGLM, models: Models, glm_server: LocalGLMServer, mode: str
) -> None:
    glm_server.enqueue(
        Reply.chat(
            "Searched.",
            tool_calls=[
                {"type": "web_search", "name": "web_search", "arguments": {"q": "x"}},
                {"name": "get_weather", "arguments": {"city": "Rome"}},
            ],
        )
    )
    answer = models.call(chat.bind_tools([get_weather, WEB_SEARCH]), mode, "weather in Rome")
    assert [call["name"] for call in answer.tool_calls] == ["get_weather"]

"""Bad input fails before sending, with a message that names the problem; good input is rewritten
to what the wire accepts (wire notes §3.5, §11)."""

from __future__ import annotations

from typing import Any

import pytest

from glm_transport import GLMInvalidRequestError, get_model_info, list_models
from glm_transport.validation import normalize_chat_request, validate_embedding_input, validate_rerank_request

USER = [{"role": "user", "content": "hi"}]


def req(**kw: Any) -> dict[str, Any]:
    return {"model": "glm-4.7", "messages": USER, **kw}


@pytest.mark.parametrize(
    ("request_", "match"),
    [
        ({"messages": USER}, "'model' is required"),
        (req(messages=[]), "non-empty list"),
        (req(messages=[{"role": "system", "content": "s"}]), "only of system"),
        (req(messages=[{"role": "function", "content": "x"}]), "role 'function'"),
        (req(messages=[{"role": "user", "content": "a"}, {"role": "tool", "content": "r"}]), "tool_call_id"),
        (req(messages=[{"role": "user", "content": 3}]), "content must be a string"),
        (
            req(messages=[{"role": "user", "content": "a"}, {"role": "assistant", "content": None}]),
            "neither content nor tool_calls",
        ),
        (req(messages=[{"role": "system", "content": [{"type": "text", "text": "x"}]}, *USER]), "only user messages"),
        (req(temperature=1.5), "temperature must be between 0 and 1"),
        (req(temperature=-0.1), "temperature"),
        (req(top_p=0), "top_p must be between 0.01 and 1"),
        (req(max_tokens=0), "max_tokens must be an integer from 1 to 131072"),
        (req(max_tokens=200_000), "max_tokens"),
        (req(stop=["a", "b"]), "at most 1 stop sequence"),
        (req(stop=[""]), "non-empty string"),
        (req(tools=[{"type": "function", "function": {"name": "bad name"}}]), "name 'bad name'"),
        (req(tools=[{"type": "function", "function": {"name": "x" * 65}}]), "1-64 characters"),
        (
            req(tools=[{"type": "function", "function": {"name": "f", "parameters": {"type": "array"}}}]),
            "type 'object'",
        ),
        (req(tools=[{"type": "retrieval", "retrieval": {}}]), "knowledge_id"),
        (req(tools=[{"type": "function", "function": {"name": f"f{i}"}} for i in range(129)]), "at most 128 tools"),
        (req(tool_choice="required"), "only documents 'auto'"),
        (req(response_format={"type": "json_schema"}), "no json_schema"),
        (req(thinking={"type": "on"}), "thinking must be"),
        (req(request_id="abc"), "request_id must be a string of 6 to 64"),
    ],
)
def test_bad_chat_requests_fail_before_sending(request_: dict[str, Any], match: str) -> None:
    with pytest.raises(GLMInvalidRequestError, match=match):
        normalize_chat_request(request_, stream=False)


def test_temperature_zero_means_greedy_decoding_not_a_tiny_temperature() -> None:
    body = normalize_chat_request(req(temperature=0), stream=False)
    assert "temperature" not in body and body["do_sample"] is False
    assert normalize_chat_request(req(temperature=0.7), stream=False)["temperature"] == 0.7


def test_rewrites_for_the_wire() -> None:
    body = normalize_chat_request(
        req(stop="END", tool_stream=True, top_p=None, tools=[{"type": "function", "function": {"name": "f"}}]),
        stream=False,
    )
    assert body["stop"] == ["END"]
    assert "tool_stream" not in body and "top_p" not in body and "stream" not in body
    assert body["tools"][0]["function"]["parameters"] == {"type": "object", "properties": {}}
    streamed = normalize_chat_request(req(tool_stream=True), stream=True)
    assert streamed["stream"] is True and streamed["tool_stream"] is True


def test_the_input_request_is_not_mutated() -> None:
    original = req(temperature=0, stop="x")
    normalize_chat_request(original, stream=True)
    assert original == req(temperature=0, stop="x")


def test_builtin_tools_and_vision_content_pass_for_models_that_take_them() -> None:
    image = {
        "role": "user",
        "content": [{"type": "text", "text": "what?"}, {"type": "image_url", "image_url": {"url": "aGVsbG8="}}],
    }
    body = normalize_chat_request({"model": "glm-4.6v", "messages": [image]}, stream=False)
    assert body["messages"][0]["content"][1]["type"] == "image_url"
    tools = [{"type": "web_search", "web_search": {"enable": True, "search_engine": "search_std"}}]
    assert normalize_chat_request(req(tools=tools), stream=False)["tools"] == tools


@pytest.mark.parametrize(
    ("texts", "dimensions", "match"),
    [
        (["a", ""], None, "input 1 is empty"),
        (["a", 3], None, "input 1 is int"),
        (["a"], 300, "supports dimensions 256, 512, 1024, 2048"),
    ],
)
def test_bad_embedding_input(texts: list[Any], dimensions: int | None, match: str) -> None:
    with pytest.raises(GLMInvalidRequestError, match=match):
        validate_embedding_input(texts, get_model_info("embedding-3"), dimensions)


@pytest.mark.parametrize(
    ("query", "documents", "match"),
    [
        ("", ["a"], "non-empty"),
        ("q" * 4097, ["a"], "at most 4096"),
        ("q", ["a"] * 129, "at most 128 documents"),
        ("q", ["d" * 4097], "document 0"),
    ],
)
def test_bad_rerank_input(query: str, documents: list[str], match: str) -> None:
    with pytest.raises(GLMInvalidRequestError, match=match):
        validate_rerank_request(query, documents)


def test_catalogue_covers_the_spec_models_and_families() -> None:
    ids = {info.id for info in list_models()}
    for model in (
        "glm-5",
        "glm-4.7",
        "glm-4.6",
        "glm-4.5",
        "glm-4.5-air",
        "glm-4-plus",
        "glm-4-flash",
        "glm-4.6v",
        "embedding-3",
        "rerank",
    ):
        assert model in ids
    assert get_model_info("glm-4.7").thinking == "forced" and get_model_info("glm-4.7").tool_stream
    assert get_model_info("glm-4.6v").vision and not get_model_info("glm-4.7").vision
    assert get_model_info("glm-4-plus").thinking == "none"
    assert get_model_info("embedding-3").embedding_dimensions == (256, 512, 1024, 2048)
    assert get_model_info("embedding-3").max_batch == 64
    dated = get_model_info("glm-4.5-air-0711")
    assert dated.id == "glm-4.5-air-0711" and dated.known and dated.context_window == 128_000
    unknown = get_model_info("glm-9")
    assert not unknown.known and unknown.context_window <= 32_768 and unknown.tools

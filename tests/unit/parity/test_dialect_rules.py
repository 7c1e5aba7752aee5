"""The GLM dialect's pure rules, table by table (no server, no framework)."""

from __future__ import annotations

from typing import Any

import pytest

from glm_transport import ChatCompletionChunk, GLMInvalidRequestError, get_model_info
from glm_transport.dialect import (
    FINISH_REASONS,
    InlineSplitter,
    StreamInterpreter,
    build_chat_request,
    count_text_tokens,
    default_search_engine,
    finish_reason_info,
    interpret_calls,
    split_inline,
    thinking_param,
    tool_call_slot,
    tool_choice_plan,
)

USER = [{"role": "user", "content": "hi"}]
F = {"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}}}}
G = {"type": "function", "function": {"name": "g", "parameters": {"type": "object", "properties": {}}}}
WEB = {"type": "web_search", "web_search": {"search_engine": "search_std"}}
GLM47 = get_model_info("glm-4.7")


def names(tools: list[dict[str, Any]]) -> list[str]:
    return [tool["function"]["name"] if tool["type"] == "function" else tool["type"] for tool in tools]


@pytest.mark.parametrize(
    ("choice", "offered", "instructed"),
    [
        (None, ["f", "g", "web_search"], False),
        ("auto", ["f", "g", "web_search"], False),
        ("none", ["web_search"], False),
        (False, ["web_search"], False),
        ("any", ["f", "g", "web_search"], True),
        ("required", ["f", "g", "web_search"], True),
        (True, ["f", "g", "web_search"], True),
        ({"type": "required"}, ["f", "g", "web_search"], True),
        ("g", ["g", "web_search"], True),
        ({"type": "function", "function": {"name": "g"}}, ["g", "web_search"], True),
        ({"name": "g"}, ["g", "web_search"], True),
    ],
)
def test_every_tool_choice_form_has_one_emulation(choice: Any, offered: list[str], instructed: bool) -> None:
    tools, instruction = tool_choice_plan([F, G, WEB], choice)
    assert names(tools) == offered
    assert (instruction is not None) is instructed


def test_a_forced_choice_names_the_tools_it_asks_for() -> None:
    assert tool_choice_plan([F, G], "any")[1] == (
        "You must answer by calling one or more of the tools `f`, `g`; do not answer with text alone."
    )
    assert "the tool `g`" in str(tool_choice_plan([F, G], "g")[1])


@pytest.mark.parametrize(
    ("choice", "error"), [("h", "names no bound tool"), ("any", "at least one function"), (3, "unsupported")]
)
def test_an_impossible_tool_choice_is_refused(choice: Any, error: str) -> None:
    with pytest.raises(GLMInvalidRequestError, match=error):
        tool_choice_plan([F] if choice != "any" else [WEB], choice)


@pytest.mark.parametrize(
    ("thinking", "preserve", "wire"),
    [
        (None, False, None),
        (True, False, {"type": "enabled"}),
        (False, False, {"type": "disabled"}),
        (None, True, {"type": "enabled", "clear_thinking": False}),
        (True, True, {"type": "enabled", "clear_thinking": False}),
        (False, True, {"type": "disabled", "clear_thinking": False}),  # thinking off, history kept
        ({"clear_thinking": True}, True, {"type": "enabled", "clear_thinking": True}),  # explicit wins
        ({"type": "enabled", "clear_thinking": False}, False, {"type": "enabled", "clear_thinking": False}),
    ],
)
def test_thinking_and_preserved_thinking(thinking: Any, preserve: bool, wire: Any) -> None:
    assert thinking_param(thinking, preserve, GLM47) == wire


def test_preserve_on_a_model_without_thinking_sends_nothing() -> None:
    assert thinking_param(None, True, get_model_info("glm-4-plus")) is None


def test_reasoning_goes_back_only_with_preserved_thinking() -> None:
    history = [*USER, {"role": "assistant", "content": "a", "reasoning_content": "r"}, {"role": "user", "content": "b"}]
    plain, _ = build_chat_request({"model": "glm-4.7"}, history, stream=False)
    kept, _ = build_chat_request({"model": "glm-4.7", "preserve_thinking": True}, history, stream=False)
    assert "reasoning_content" not in plain["messages"][1]
    assert kept["messages"][1]["reasoning_content"] == "r"


@pytest.mark.parametrize(
    ("base_url", "engine"),
    [
        ("https://api.z.ai/api/paas/v4", "search_pro_jina"),
        ("https://api.z.ai/api/coding/paas/v4", "search_pro_jina"),
        ("https://open.bigmodel.cn/api/paas/v4", "search_std"),
        (None, "search_std"),
    ],
)
def test_one_default_search_engine_per_platform(base_url: str | None, engine: str) -> None:
    assert default_search_engine(base_url) == engine
    body, _ = build_chat_request({"model": "glm-4.7", "web_search": True, "base_url": base_url}, USER, stream=False)
    assert body["tools"] == [{"type": "web_search", "web_search": {"search_engine": engine, "enable": True}}]


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("n", 2, "one choice"),
        ("strict", True, "no strict"),
        ("presence_penalty", 0.5, "presence penalty"),
        ("frequency_penalty", 0.5, "frequency penalty"),
        ("logprobs", True, "log probabilities"),
        ("top_logprobs", 3, "log probabilities"),
        ("parallel_tool_calls", "no", "True or False"),
        ("stream_options", {"include_usage": False}, "always sends usage"),
    ],
)
def test_undocumented_fields_are_refused_by_name(field: str, value: Any, error: str) -> None:
    with pytest.raises(GLMInvalidRequestError, match=error):
        build_chat_request({"model": "glm-4.7", field: value}, USER, stream=False)


@pytest.mark.parametrize(
    ("field", "value"),
    [("n", 1), ("strict", False), ("presence_penalty", 0), ("logprobs", False), ("parallel_tool_calls", True)],
)
def test_undocumented_fields_with_glms_behaviour_are_not_forwarded(field: str, value: Any) -> None:
    body, rules = build_chat_request({"model": "glm-4.7", field: value}, USER, stream=False)
    assert field not in body
    assert not rules.first_call_only


def test_parallel_tool_calls_false_keeps_the_first_call_on_the_response_side() -> None:
    body, rules = build_chat_request({"model": "glm-4.7", "parallel_tool_calls": False}, USER, stream=False)
    assert "parallel_tool_calls" not in body
    calls = [{"id": f"c{n}", "function": {"name": name, "arguments": "{}"}} for n, name in enumerate("fg")]
    runnable, invalid, server = interpret_calls(calls, "tool_calls", rules)
    assert [call.name for call in runnable] == ["f"]
    assert invalid == server == []


def test_json_schema_is_json_mode_plus_an_instruction() -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "P", "schema": {"type": "object", "properties": {"a": {}}}}}
    body, _ = build_chat_request({"model": "glm-4.7", "response_format": fmt}, USER, stream=False)
    assert body["response_format"] == {"type": "json_object"}
    assert body["messages"][0]["role"] == "system"
    assert '"properties": {"a": {}}' in body["messages"][0]["content"]


@pytest.mark.parametrize(("stream", "tools", "sent"), [(False, [F], None), (True, [F], True), (True, [], None)])
def test_tool_stream_is_on_for_streams_with_function_tools(stream: bool, tools: list[Any], sent: Any) -> None:
    body, _ = build_chat_request({"model": "glm-4.7", "tools": tools}, USER, stream=stream)
    assert body.get("tool_stream") is sent


def test_stop_is_a_list_and_an_empty_one_is_not_sent() -> None:
    assert build_chat_request({"model": "glm-4.7", "stop": "END"}, USER, stream=False)[0]["stop"] == ["END"]
    assert "stop" not in build_chat_request({"model": "glm-4.7", "stop": []}, USER, stream=False)[0]


# ---------------------------------------------------------------- response rules

INLINE = "\n<think>\nweigh it</think>\n\n<|begin_of_box|>42<|end_of_box|>"


def test_inline_reasoning_and_box_markers_are_split_out() -> None:
    assert split_inline(INLINE) == ("42", "weigh it")
    assert split_inline("a < b and <thin> stays") == ("a < b and <thin> stays", "")


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 16])
def test_the_splitter_gives_the_same_parts_however_the_tags_are_split(size: int) -> None:
    splitter = InlineSplitter()
    pieces = [splitter.feed(INLINE[at : at + size]) for at in range(0, len(INLINE), size)]
    pieces.append(splitter.flush())
    assert ("".join(p[0] for p in pieces), "".join(p[1] for p in pieces)) == ("42", "weigh it")


@pytest.mark.parametrize(
    ("model", "markup"),
    [
        ("glm-z1-air", True),
        ("glm-4.5v", True),
        ("glm-4.1v-thinking-flash", True),
        ("glm-4.7", False),
        ("glm-4-plus", False),
        ("glm-unlisted-9", True),
    ],
)
def test_only_inline_reasoning_models_have_their_tags_read_as_markup(model: str, markup: bool) -> None:
    """A known text model's answer about ``<think>`` tags keeps them, streamed or not."""
    _, rules = build_chat_request({"model": model}, USER, stream=False)
    assert rules.inline_markup is markup
    literal = INLINE.lstrip("\n")
    assert split_inline(INLINE, rules.inline_markup) == (("42", "weigh it") if markup else (literal, ""))
    splitter = InlineSplitter(rules.inline_markup)
    pieces = [splitter.feed(INLINE[at : at + 3]) for at in range(0, len(INLINE), 3)]
    pieces.append(splitter.flush())
    assert "".join(p[0] for p in pieces) == ("42" if markup else literal)


def test_a_marker_start_at_the_very_end_is_text() -> None:
    splitter = InlineSplitter()
    assert splitter.feed("x <thi") == ("x ", "")
    assert splitter.flush() == ("<thi", "")


def test_every_documented_finish_reason_has_a_meaning() -> None:
    assert set(FINISH_REASONS) == {
        "stop",
        "tool_calls",
        "length",
        "sensitive",
        "network_error",
        "model_context_window_exceeded",
    }
    assert [name for name, reason in FINISH_REASONS.items() if reason.cut] == [
        "length",
        "sensitive",
        "network_error",
        "model_context_window_exceeded",
    ]
    unknown = finish_reason_info("normal")
    assert unknown is not None and not unknown.cut


def test_a_new_id_at_a_reused_index_starts_a_new_call() -> None:
    slots: list[dict[str, Any]] = []
    first = tool_call_slot({"index": 0, "id": "a"}, slots)
    slots[first]["id"] = "a"
    assert tool_call_slot({"index": 0}, slots) == first
    assert tool_call_slot({"index": 0, "id": "a"}, slots) == first
    assert tool_call_slot({"index": 0, "id": "b"}, slots) == 1


def test_the_stream_interpreter_reads_content_filter_from_the_last_chunk() -> None:
    read = StreamInterpreter()
    read.feed(ChatCompletionChunk(content="no", raw={}))
    filters = [{"role": "assistant", "level": 1}]
    read.feed(ChatCompletionChunk(finish_reason="sensitive", raw={"content_filter": filters}))
    assert (read.finish_reason, read.content_filter) == ("sensitive", filters)


def test_one_token_estimate_for_a_sentence() -> None:
    assert count_text_tokens("The quick brown fox jumps over the lazy dog.") == 13
    assert count_text_tokens("智谱清言") == 4

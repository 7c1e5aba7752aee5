"""The deterministic model: thinking, tool calls from schemas, tool results, JSON mode, limits, usage."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from glm_transport.testing import LocalGLMServer
from glm_transport.testing._schema import Cues, extract_cues, find_schema, instance, quoted_keys

from .helpers import chat, function_tool, sse_chunks, streamed_text

WEATHER = function_tool("get_weather", {"city": {"type": "string"}}, required=["city"])
TIME = function_tool("get_time", {"zone": {"type": "string"}}, required=["zone"])
ADD = function_tool("add", {"a": {"type": "integer"}, "b": {"type": "integer"}}, required=["a", "b"])


def message(client: httpx.Client, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    r = client.post("/chat/completions", json=body)
    assert r.status_code == 200, r.text
    data = r.json()
    return data["choices"][0], data


def stream(client: httpx.Client, body: dict[str, Any]) -> list[dict[str, Any]]:
    r = client.post("/chat/completions", json={**body, "stream": True})
    assert r.status_code == 200, r.text
    return sse_chunks(r.content)


# ---- pure: cues and schema instances ------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "numbers", "words"),
    [
        ("What's the weather in Paris and Tokyo?", [], ["Paris", "Tokyo"]),
        ("Add 2 and 3.5, then -4", [2, 3.5, -4], []),
        ("Use 'Berlin' or \"New York\". It's Sunny", [], ["Berlin", "New York", "Sunny"]),
        ("tool2 says 7", [7], []),
        ("I like Rome.", [], ["Rome"]),
    ],
)
def test_cues_come_from_the_user_text(text: str, numbers: list[Any], words: list[str]) -> None:
    cues = extract_cues(text)
    assert cues.numbers == numbers
    assert cues.words == words


def test_instance_follows_the_schema() -> None:
    schema = {
        "type": "object",
        "properties": {
            "count": {"type": "integer"},
            "ratio": {"type": "number", "maximum": 1},
            "city": {"type": "string"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "exact": {"type": "boolean"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "when": {"type": "string", "format": "date"},
            "owner": {"$ref": "#/$defs/Person"},
            "maybe": {"anyOf": [{"type": "null"}, {"type": "integer"}]},
            "optional": {"type": "string"},
        },
        "required": ["count", "ratio", "city", "unit", "exact", "tags", "when", "owner", "maybe"],
        "$defs": {"Person": {"type": "object", "properties": {"name": {"type": "string"}}}},
    }
    got = instance(schema, Cues(numbers=[4, 7, 9], words=["Oslo", "x", "Ada"]))
    assert got == {
        "count": 4,
        "ratio": 1,
        "city": "Oslo",
        "unit": "celsius",
        "exact": True,
        "tags": ["x"],
        "when": "2026-01-01",
        "owner": {"name": "Ada"},
        "maybe": 9,
    }
    assert instance({"type": "object", "properties": {"n": {"type": "integer"}}}, Cues()) == {"n": 3}
    assert instance({"type": "string"}, Cues()) == "value"


def test_schema_found_in_fenced_or_inline_text() -> None:
    fenced = 'Answer as JSON.\n```json\n{"type": "object", "properties": {"a": {"type": "string"}}}\n```'
    assert find_schema(fenced) == {"type": "object", "properties": {"a": {"type": "string"}}}
    inline = 'Schema: {"properties": {"b": {"type": "integer"}}} thanks {broken'
    assert find_schema(inline) == {"properties": {"b": {"type": "integer"}}}
    assert find_schema("no schema {here}") is None
    assert quoted_keys("a joke with 'setup' and \"punchline\" keys, 'setup' again") == ["setup", "punchline"]


# ---- plain answers and thinking ------------------------------------------------------------
def test_plain_answer_echoes_the_user(client: httpx.Client) -> None:
    choice, data = message(client, chat("Tell me a story", model="glm-4-plus"))
    assert choice["message"] == {"role": "assistant", "content": "Hello! You said: Tell me a story"}
    assert choice["finish_reason"] == "stop"
    assert data["object"] == "chat.completion"
    assert data["model"] == "glm-4-plus"


@pytest.mark.parametrize(
    ("model", "thinking", "reasons"),
    [
        ("glm-4.7", None, True),
        ("glm-4.5-air", None, True),
        ("glm-5", {"type": "enabled"}, True),
        ("glm-4.6v", None, True),
        ("glm-4.1v-thinking-flash", None, True),
        ("glm-4.7", {"type": "disabled"}, False),
        ("glm-4-plus", None, False),
        ("glm-4-flash-250414", {"type": "enabled"}, False),
    ],
)
def test_thinking_models_reason(client: httpx.Client, model: str, thinking: Any, reasons: bool) -> None:
    choice, data = message(client, chat("Why is the sky blue?", model=model, thinking=thinking))
    reasoning = choice["message"].get("reasoning_content")
    assert bool(reasoning) is reasons
    if reasons:
        assert reasoning.startswith("The user asks: Why is the sky blue")
        assert data["usage"]["completion_tokens_details"]["reasoning_tokens"] == len(reasoning.split())
    else:
        assert "completion_tokens_details" not in data["usage"]


def test_z1_models_think_inside_content(client: httpx.Client) -> None:
    choice, _ = message(client, chat("Hi", model="glm-z1-air"))
    assert choice["message"]["content"].startswith("<think>\n")
    assert "reasoning_content" not in choice["message"]


def test_stream_reassembles_to_the_same_answer(client: httpx.Client) -> None:
    body = chat("Explain tides briefly", model="glm-4.6")
    choice, _ = message(client, body)
    chunks = stream(client, body)
    assert streamed_text(chunks, "reasoning_content") == choice["message"]["reasoning_content"]
    # After reasoning the first content delta is "\n" (Ex2).
    assert streamed_text(chunks, "content") == "\n" + choice["message"]["content"]
    words = [c["choices"][0]["delta"]["reasoning_content"] for c in chunks[:3]]
    assert words == ["The", " user", " asks:"]


# ---- tools --------------------------------------------------------------------------------
def test_single_tool_is_called_with_arguments_from_the_text(client: httpx.Client) -> None:
    tool = function_tool(
        "convert",
        {
            "amount": {"type": "number"},
            "times": {"type": "integer"},
            "to": {"type": "string"},
            "unit": {"type": "string", "enum": ["kg", "lb"]},
            "round": {"type": "boolean"},
        },
    )
    choice, _ = message(client, chat("Convert 12.5 twice, 2 times, into 'Pounds'", model="glm-4-plus", tools=[tool]))
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] == ""
    call = choice["message"]["tool_calls"][0]
    assert call["id"].startswith("call_") and call["id"][5:].isdigit()
    assert call["type"] == "function" and call["index"] == 0
    assert call["function"]["name"] == "convert"
    args = json.loads(call["function"]["arguments"])
    assert args == {"amount": 12.5, "times": 2, "to": "Pounds", "unit": "kg", "round": True}


def test_thinking_model_prefaces_its_tool_call(client: httpx.Client) -> None:
    choice, _ = message(client, chat("Weather in Paris?", tools=[WEATHER]))
    assert choice["message"]["content"] == "I'll call get_weather."
    assert "get_weather" in choice["message"]["reasoning_content"]


def test_several_tools_are_called_when_named_in_order(client: httpx.Client) -> None:
    text = "Please get_time for 'UTC' and then get_weather in Paris"
    choice, _ = message(client, chat(text, tools=[WEATHER, TIME, ADD]))
    calls = choice["message"]["tool_calls"]
    assert [c["function"]["name"] for c in calls] == ["get_time", "get_weather"]
    assert [c["index"] for c in calls] == [0, 1]
    assert [json.loads(c["function"]["arguments"]) for c in calls] == [{"zone": "UTC"}, {"city": "Paris"}]
    assert len({c["id"] for c in calls}) == 2


def test_several_tools_none_named_gives_text(client: httpx.Client) -> None:
    choice, _ = message(client, chat("Hello there", tools=[WEATHER, TIME]))
    assert choice["finish_reason"] == "stop"
    assert "tool_calls" not in choice["message"]


def test_tool_results_are_summarised(client: httpx.Client) -> None:
    body = {
        "model": "glm-4-plus",
        "tools": [WEATHER, TIME],
        "messages": [
            {"role": "user", "content": "get_weather and get_time please"},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}},
                    {"id": "call_2", "type": "function", "function": {"name": "get_time", "arguments": "{}"}},
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
            {"role": "tool", "tool_call_id": "call_2", "content": "noon."},
        ],
    }
    choice, _ = message(client, body)
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["content"] == "Tool get_weather returned: sunny. Tool get_time returned: noon."


def test_tool_call_ids_are_deterministic(client: httpx.Client) -> None:
    body = chat("Weather in Paris?", tools=[WEATHER])
    first, _ = message(client, body)
    second, _ = message(client, body)
    assert first["message"]["tool_calls"][0]["id"] == second["message"]["tool_calls"][0]["id"]


def test_tool_stream_fragments_by_index(client: httpx.Client) -> None:
    body = chat("get_weather in Paris and get_time in 'Europe/Oslo'", tools=[WEATHER, TIME])
    whole, _ = message(client, body)
    chunks = stream(client, {**body, "tool_stream": True})
    fragments = [c["choices"][0]["delta"] for c in chunks if "tool_calls" in c["choices"][0].get("delta", {})]
    assert all(d["role"] == "assistant" for d in fragments)
    calls: dict[int, dict[str, Any]] = {}
    for delta in fragments:
        (frag,) = delta["tool_calls"]
        if frag["index"] not in calls:
            assert set(frag) == {"index", "id", "type", "function"}
            assert frag["function"]["arguments"] == ""
            calls[frag["index"]] = {"id": frag["id"], "name": frag["function"]["name"], "arguments": ""}
        else:
            assert set(frag) == {"index", "function"}
            assert set(frag["function"]) == {"arguments"}
            calls[frag["index"]]["arguments"] += frag["function"]["arguments"]
    expected = whole["message"]["tool_calls"]
    assert [c["name"] for c in calls.values()] == [c["function"]["name"] for c in expected]
    assert [c["arguments"] for c in calls.values()] == [c["function"]["arguments"] for c in expected]
    assert len(fragments) > 4


def test_whole_tool_calls_without_tool_stream(client: httpx.Client) -> None:
    chunks = stream(client, chat("get_weather in Paris and get_time in UTC", tools=[WEATHER, TIME]))
    deltas = [c["choices"][0]["delta"] for c in chunks if "tool_calls" in c["choices"][0].get("delta", {})]
    assert [d["tool_calls"][0]["index"] for d in deltas] == [0, 1]
    assert all(set(d["tool_calls"][0]) == {"id", "index", "type", "function"} for d in deltas)


# ---- built-in tools ------------------------------------------------------------------------
def test_web_search_adds_results_and_citations(client: httpx.Client) -> None:
    tools = [{"type": "web_search", "web_search": {"search_engine": "search_pro", "search_result": True}}]
    choice, data = message(client, chat("latest GLM release", tools=tools))
    results = data["web_search"]
    assert [r["refer"] for r in results] == ["ref_1", "ref_2", "ref_3"]
    assert [r["publish_date"] for r in results] == ["2026-01-01", "2026-01-02", "2026-01-03"]
    assert all(set(r) == {"title", "content", "link", "media", "icon", "refer", "publish_date"} for r in results)
    assert results[0]["link"].startswith("https://example.com/")
    assert "[ref_1]" in choice["message"]["content"]
    chunks = stream(client, chat("latest GLM release", tools=tools))
    assert chunks[0]["web_search"] == results
    assert all("web_search" not in c for c in chunks[1:])


def test_retrieval_mentions_the_knowledge_base(client: httpx.Client) -> None:
    tools = [{"type": "retrieval", "retrieval": {"knowledge_id": "kb-42"}}]
    choice, _ = message(client, chat("What is in my docs?", tools=tools))
    assert "kb-42" in choice["message"]["content"]


# ---- JSON mode ----------------------------------------------------------------------------
def test_json_mode_follows_a_schema_in_the_messages(client: httpx.Client) -> None:
    schema = {
        "title": "Person",
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
    }
    body = {
        "model": "glm-4.7",
        "response_format": {"type": "json_object"},
        "messages": [
            {"role": "system", "content": f"Reply with JSON matching:\n```json\n{json.dumps(schema)}\n```"},
            {"role": "user", "content": "Extract: my friend Alice is 31"},
        ],
    }
    choice, _ = message(client, body)
    assert json.loads(choice["message"]["content"]) == {"name": "Alice", "age": 31}


def test_json_mode_uses_quoted_keys_then_falls_back(client: httpx.Client) -> None:
    body = chat("Tell a joke as JSON with 'setup' and 'punchline'", response_format={"type": "json_object"})
    choice, _ = message(client, body)
    assert set(json.loads(choice["message"]["content"])) == {"setup", "punchline"}
    choice, _ = message(client, chat("Hi", response_format={"type": "json_object"}))
    assert json.loads(choice["message"]["content"]) == {"answer": "Hello! You said: Hi"}


# ---- limits, usage, ids -------------------------------------------------------------------
def test_stop_word_cuts_the_answer(client: httpx.Client) -> None:
    choice, _ = message(client, chat("Hi", model="glm-4-plus", stop=["said"]))
    assert choice["message"]["content"] == "Hello! You "
    assert choice["finish_reason"] == "stop"


def test_max_tokens_truncates_with_length(client: httpx.Client) -> None:
    choice, _ = message(client, chat("one two three four", model="glm-4-plus", max_tokens=3))
    assert choice["message"]["content"] == "Hello! You said:"
    assert choice["finish_reason"] == "length"
    chunks = stream(client, chat("one two three four", model="glm-4-plus", max_tokens=3))
    assert chunks[-1]["choices"][0]["finish_reason"] == "length"


def test_usage_counts_and_cache_hits(glm_server: LocalGLMServer, client: httpx.Client) -> None:
    history = [{"role": "system", "content": "You are terse. " * 20}, {"role": "user", "content": "First?"}]
    _, first = message(client, {"model": "glm-4-plus", "messages": history})
    usage = first["usage"]
    assert usage["prompt_tokens_details"] == {"cached_tokens": 0}
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["completion_tokens"] == len(first["choices"][0]["message"]["content"].split())
    follow = [*history, {"role": "assistant", "content": "Yes."}, {"role": "user", "content": "Second?"}]
    _, second = message(client, {"model": "glm-4-plus", "messages": follow})
    cached = second["usage"]["prompt_tokens_details"]["cached_tokens"]
    assert 0 < cached < second["usage"]["prompt_tokens"]
    glm_server.reset()
    _, third = message(client, {"model": "glm-4-plus", "messages": follow})
    assert third["usage"]["prompt_tokens_details"]["cached_tokens"] == 0


def test_tools_count_towards_prompt_tokens(client: httpx.Client) -> None:
    _, bare = message(client, chat("Hello", model="glm-4-plus"))
    _, tooled = message(client, chat("Hello", model="glm-4-plus", tools=[WEATHER, TIME]))
    assert tooled["usage"]["prompt_tokens"] > bare["usage"]["prompt_tokens"] + 20


def test_request_id_is_echoed_or_generated(client: httpx.Client) -> None:
    _, data = message(client, chat(request_id="my-request-123"))
    assert data["request_id"] == "my-request-123"
    _, data = message(client, chat())
    assert data["request_id"] == data["id"]
    assert len(data["id"]) == 30 and data["id"][:14].isdigit()

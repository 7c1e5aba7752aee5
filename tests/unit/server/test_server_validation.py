"""Request validation (docs/wire-notes.md §3, §9): a bad request gets HTTP 400, GLM's code, the field named."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .helpers import chat, function_tool

USER = {"role": "user", "content": "Hi"}
IMAGE = {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}
B64_IMAGE = {"type": "image_url", "image_url": {"url": "iVBORw0KGgo="}}
VIDEO = {"type": "video_url", "video_url": {"url": "https://example.com/cat.mp4"}}
FILE = {"type": "file_url", "file_url": {"url": "https://example.com/cat.pdf"}}
TEXT = {"type": "text", "text": "What is this?"}
WEB = {"type": "web_search", "web_search": {"search_engine": "search_std"}}


def user_parts(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "content": list(parts)}


def with_messages(*messages: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"model": "glm-4.7", "messages": list(messages), **fields}


BAD: list[tuple[str, Any, str, str]] = [
    # (case, body, code, a word the message must contain)
    ("not json", b"{nope", "1210", "JSON"),
    ("not an object", b"[1, 2]", "1210", "object"),
    ("model missing", {"messages": [USER]}, "1213", "model"),
    ("model unknown", chat(model="gpt-4o"), "1211", "gpt-4o"),
    ("chat with an embedding model", chat(model="embedding-3"), "1212", "embedding-3"),
    ("messages missing", {"model": "glm-4.7"}, "1213", "messages"),
    ("messages empty", with_messages(), "1214", "messages"),
    ("messages not a list", {"model": "glm-4.7", "messages": "Hi"}, "1214", "messages"),
    ("only system", with_messages({"role": "system", "content": "x"}), "1214", "system"),
    ("only assistant", with_messages({"role": "assistant", "content": "x"}), "1214", "assistant"),
    ("unknown role", with_messages({"role": "developer", "content": "x"}, USER), "1214", "role"),
    ("role missing", with_messages({"content": "x"}), "1213", "role"),
    ("tool without id", with_messages(USER, {"role": "tool", "content": "4"}), "1213", "tool_call_id"),
    (
        "system content list",
        with_messages({"role": "system", "content": [{"type": "text", "text": "x"}]}, USER),
        "1214",
        "content",
    ),
    ("user content missing", with_messages({"role": "user"}), "1213", "content"),
    ("user content number", with_messages({"role": "user", "content": 3}), "1214", "content"),
    ("unknown part type", with_messages({"role": "user", "content": [{"type": "audio", "x": 1}]}), "1214", "type"),
    ("image to text model", with_messages({"role": "user", "content": [IMAGE]}), "1210", "glm-4.7"),
    ("temperature high", chat(temperature=1.5), "1214", "temperature"),
    ("temperature negative", chat(temperature=-0.1), "1214", "temperature"),
    ("temperature string", chat(temperature="hot"), "1214", "temperature"),
    ("top_p zero", chat(top_p=0), "1214", "top_p"),
    ("top_p high", chat(top_p=1.01), "1214", "top_p"),
    ("max_tokens zero", chat(max_tokens=0), "1214", "max_tokens"),
    ("max_tokens huge", chat(max_tokens=131073), "1214", "max_tokens"),
    ("max_tokens float", chat(max_tokens=2.5), "1214", "max_tokens"),
    ("two stop words", chat(stop=["a", "b"]), "1214", "stop"),
    ("stop not strings", chat(stop=[1]), "1214", "stop"),
    ("too many tools", chat(tools=[function_tool(f"t{i}") for i in range(129)]), "1214", "tools"),
    ("bad tool name", chat(tools=[function_tool("get weather")]), "1214", "name"),
    ("long tool name", chat(tools=[function_tool("x" * 65)]), "1214", "name"),
    ("unknown tool type", chat(tools=[{"type": "code_interpreter"}]), "1214", "type"),
    ("retrieval without id", chat(tools=[{"type": "retrieval", "retrieval": {}}]), "1213", "knowledge_id"),
    ("tool_choice required", chat(tool_choice="required"), "1214", "tool_choice"),
    ("tool_choice none", chat(tool_choice="none"), "1214", "tool_choice"),
    ("tool_choice object", chat(tool_choice={"type": "function", "function": {"name": "f"}}), "1214", "tool_choice"),
    ("json_schema format", chat(response_format={"type": "json_schema"}), "1214", "response_format"),
    ("thinking auto", chat(thinking={"type": "auto"}), "1214", "thinking"),
    ("tool_stream without stream", chat(tool_stream=True), "1214", "tool_stream"),
    ("stream not bool", chat(stream="yes"), "1214", "stream"),
    # Any id the wire notes do not list is unknown to GLM, even one that looks like a GLM id.
    ("a glm- id not in the notes", chat(model="glm-9-future"), "1211", "glm-9-future"),
    ("a dated id not in the notes", chat(model="glm-4.5-air-0711"), "1211", "glm-4.5-air-0711"),
    # Per-model limits (wire notes §3.4, §9).
    ("max_tokens over glm-4-plus's 4K", chat(model="glm-4-plus", max_tokens=4097), "1214", "4096"),
    ("max_tokens over glm-4.5's 96K", chat(model="glm-4.5", max_tokens=98305), "1214", "98304"),
    ("max_tokens over glm-4.6v's 32K", chat(model="glm-4.6v", max_tokens=32769), "1214", "32768"),
    ("max_tokens over the flash 0414 16K", chat(model="glm-4-flash-250414", max_tokens=16385), "1214", "16384"),
    ("tools on glm-4.5v", chat(model="glm-4.5v", tools=[function_tool("f")]), "1210", "tools"),
    ("web search on glm-4v-flash", chat(model="glm-4v-flash", tools=[WEB]), "1210", "tools"),
    ("json mode on glm-4.6v", chat(model="glm-4.6v", response_format={"type": "json_object"}), "1210", "json"),
    ("json mode on glm-4.5v", chat(model="glm-4.5v", response_format={"type": "json_object"}), "1210", "json"),
    ("two images on glm-4v-flash", with_messages(user_parts(IMAGE, IMAGE), model="glm-4v-flash"), "1214", "1 image"),
    ("base64 on glm-4v-flash", with_messages(user_parts(B64_IMAGE), model="glm-4v-flash"), "1214", "base64"),
    ("six images on glm-4v-plus", with_messages(user_parts(*[IMAGE] * 6), model="glm-4v-plus-0111"), "1214", "5"),
    ("51 images on glm-4.6v", with_messages(user_parts(*[IMAGE] * 51), model="glm-4.6v"), "1214", "50"),
    ("two videos on glm-4.5v", with_messages(user_parts(VIDEO, VIDEO), model="glm-4.5v"), "1214", "video"),
    (
        "video not first on glm-4v-plus",
        with_messages(user_parts(TEXT, VIDEO), model="glm-4v-plus-0111"),
        "1214",
        "first",
    ),
    ("reasoning_effort not in the enum", chat(model="glm-5.2", reasoning_effort="extreme"), "1214", "reasoning_effort"),
    ("reasoning_effort medium on glm-5.3", chat(model="glm-5.3", reasoning_effort="medium"), "1214", "low, high, max"),
    ("request_id too short", chat(request_id="abc"), "1214", "request_id"),
    ("request_id too long", chat(request_id="r" * 65), "1214", "request_id"),
    ("user_id too short", chat(user_id="u1"), "1214", "user_id"),
    ("file_url with an image", with_messages(user_parts(FILE, IMAGE), model="glm-4.6v"), "1214", "file_url"),
]


@pytest.mark.parametrize(("case", "body", "code", "word"), BAD, ids=[b[0] for b in BAD])
def test_bad_requests_are_refused(client: httpx.Client, case: str, body: Any, code: str, word: str) -> None:
    if isinstance(body, bytes):
        r = client.post("/chat/completions", content=body, headers={"Content-Type": "application/json"})
    else:
        r = client.post("/chat/completions", json=body)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert set(error) == {"code", "message"}
    assert error["code"] == code
    assert word in error["message"]


GOOD: list[tuple[str, dict[str, Any]]] = [
    ("unknown fields are ignored", chat(n=2, presence_penalty=0.5, whatever={"x": 1})),
    ("explicit nulls", chat(thinking=None, response_format=None, tools=None, stop=None, temperature=None)),
    ("edges of ranges", chat(temperature=0, top_p=0.01, max_tokens=131072)),
    ("top of ranges", chat(temperature=1, top_p=1, max_tokens=1)),
    ("one stop word", chat(stop=["x"])),
    ("a plain stop string", chat(stop="x")),
    ("tool_choice auto", chat(tool_choice="auto", tools=[function_tool("f")])),
    ("128 tools", chat(tools=[function_tool(f"t{i}") for i in range(128)])),
    (
        "image to a vision model",
        with_messages({"role": "user", "content": [IMAGE, {"type": "text", "text": "What?"}]}, model="glm-4.6v"),
    ),
    ("coding-plan model", chat(model="glm-4.5-air")),
    ("ids copied from the docs", chat(model="glm-4")),
    ("the 0520 snapshot", chat(model="glm-4-0520")),
    ("z1 flashx", chat(model="glm-z1-flashx")),
    ("4.1v thinking flashx", chat(model="glm-4.1v-thinking-flashx")),
    ("16K on the free flash", chat(model="glm-4-flash-250414", max_tokens=16384)),
    ("8K on the free flash", chat(model="glm-4-flash-250414", max_tokens=8192)),
    ("128K on glm-4.7", chat(model="glm-4.7", max_tokens=131072)),
    ("tools on glm-4.6v", chat(model="glm-4.6v", tools=[function_tool("f")])),
    ("one URL image on glm-4v-flash", with_messages(user_parts(IMAGE, TEXT), model="glm-4v-flash")),
    ("base64 on glm-4.6v", with_messages(user_parts(B64_IMAGE), model="glm-4.6v")),
    ("50 images on glm-4.6v", with_messages(user_parts(*[IMAGE] * 50), model="glm-4.6v")),
    ("video first on glm-4v-plus", with_messages(user_parts(VIDEO, TEXT), model="glm-4v-plus-0111")),
    ("reasoning_effort minimal on glm-5.2", chat(model="glm-5.2", reasoning_effort="minimal")),
    ("reasoning_effort low on glm-5.3-flash", chat(model="glm-5.3-flash", reasoning_effort="low")),
    ("json mode where the notes do not say", chat(model="glm-5.3-flash", response_format={"type": "json_object"})),
    (
        "assistant with null content",
        with_messages(
            USER,
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "ok"},
        ),
    ),
    ("json_object", chat(response_format={"type": "json_object"})),
    ("thinking disabled", chat(thinking={"type": "disabled", "clear_thinking": False})),
    (
        "web_search and retrieval tools",
        chat(
            tools=[
                {"type": "web_search", "web_search": {"search_engine": "search_std"}},
                {"type": "retrieval", "retrieval": {"knowledge_id": "k1"}},
            ]
        ),
    ),
]


@pytest.mark.parametrize(("case", "body"), GOOD, ids=[g[0] for g in GOOD])
def test_good_requests_are_answered(client: httpx.Client, case: str, body: dict[str, Any]) -> None:
    r = client.post("/chat/completions", json=body)
    assert r.status_code == 200, r.text


def test_coding_path_is_served(client: httpx.Client) -> None:
    r = client.post(client.base_url.copy_with(path="/api/coding/paas/v4/chat/completions"), json=chat())
    assert r.status_code == 200


def test_unknown_path_is_404_and_wrong_method_405(client: httpx.Client) -> None:
    r = client.post("/nope", json=chat())
    assert r.status_code == 404
    assert set(r.json()["error"]) == {"code", "message"}
    r = client.get("/chat/completions")
    assert r.status_code == 405
    assert r.headers["allow"] == "POST"

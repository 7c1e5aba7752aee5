"""Message conversion on the wire: roles, tool histories, multimodal input to vision models (and a
clear error for text-only ones), and GLM's preserved thinking on later turns."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from langchain_core.exceptions import ModelInvalidRequestError
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from glm_transport import GLMInvalidRequestError
from glm_transport.testing import LocalGLMServer
from langchain_glm import ChatGLM

from .conftest import MODES, Models, chat_bodies, last_body

PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg=="
PNG_URL = "https://example.com/cat.png"
assert base64.b64decode(PNG_B64).startswith(b"\x89PNG")

HISTORY: list[BaseMessage] = [
    SystemMessage("You are terse."),
    HumanMessage("Weather in Paris and Rome?"),
    AIMessage(
        "",
        tool_calls=[
            {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1", "type": "tool_call"},
            {"name": "get_weather", "args": {"city": "Rome"}, "id": "call_2", "type": "tool_call"},
        ],
    ),
    ToolMessage("sunny", tool_call_id="call_1"),
    ToolMessage([{"type": "text", "text": "rainy"}], tool_call_id="call_2"),
]


@pytest.mark.parametrize("mode", MODES)
def test_a_multi_call_tool_history_goes_out_as_glm_messages(
    chat: ChatGLM, models: Models, glm_server: LocalGLMServer, mode: str
) -> None:
    answer = models.call(chat, mode, HISTORY)
    assert answer.text == "Tool get_weather returned: sunny. Tool get_weather returned: rainy."
    assert last_body(glm_server)["messages"] == [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {
            "role": "assistant",
            "content": None,  # null content with tool calls (wire notes §3.2)
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                },
                {
                    "id": "call_2",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Rome"}'},
                },
            ],
        },
        {"role": "tool", "content": "sunny", "tool_call_id": "call_1"},
        {"role": "tool", "content": "rainy", "tool_call_id": "call_2"},
    ]


def test_ai_text_with_tool_calls_keeps_its_text(chat: ChatGLM, glm_server: LocalGLMServer) -> None:
    call = {"name": "f", "args": {}, "id": "call_9", "type": "tool_call"}
    chat.invoke(
        [HumanMessage("go"), AIMessage("Calling f.", tool_calls=[call]), ToolMessage("ok", tool_call_id="call_9")]
    )
    assistant = last_body(glm_server)["messages"][1]
    assert assistant["content"] == "Calling f."
    assert assistant["tool_calls"][0]["function"] == {"name": "f", "arguments": "{}"}


@pytest.mark.parametrize(
    ("message", "wire"),
    [
        (ChatMessage(role="developer", content="Be brief."), {"role": "system", "content": "Be brief."}),
        (ChatMessage(role="user", content="hi"), {"role": "user", "content": "hi"}),
        (HumanMessage([{"type": "text", "text": "a"}, "b"]), {"role": "user", "content": "a\nb"}),
        (SystemMessage([{"type": "text", "text": "rules"}]), {"role": "system", "content": "rules"}),
    ],
)
def test_roles_and_text_blocks_map_to_glm_messages(
    chat: ChatGLM, glm_server: LocalGLMServer, message: BaseMessage, wire: dict[str, Any]
) -> None:
    messages = [message] if wire["role"] == "user" else [message, HumanMessage("hi")]
    chat.invoke(messages)
    assert last_body(glm_server)["messages"][0] == wire


@pytest.mark.parametrize(
    "message",
    [ChatMessage(role="narrator", content="x"), FunctionMessage(name="f", content="x")],
    ids=["unknown role", "function message"],
)
def test_messages_glm_cannot_take_fail_before_sending(
    chat: ChatGLM, glm_server: LocalGLMServer, message: BaseMessage
) -> None:
    with pytest.raises(GLMInvalidRequestError, match="GLM"):
        chat.invoke([HumanMessage("hi"), message])
    assert chat_bodies(glm_server) == []


IMAGE_BLOCKS = {
    "v1 url": {"type": "image", "url": PNG_URL},
    "v1 base64": {"type": "image", "base64": PNG_B64, "mime_type": "image/png"},
    "openai url": {"type": "image_url", "image_url": {"url": PNG_URL}},
    "openai data url": {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}},
    "legacy base64": {"type": "image", "source_type": "base64", "data": PNG_B64, "mime_type": "image/png"},
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", list(IMAGE_BLOCKS))
def test_images_go_to_a_vision_model_as_image_url_parts(
    models: Models, glm_server: LocalGLMServer, mode: str, name: str
) -> None:
    chat = models.chat(model="glm-4.6v")
    message = HumanMessage([{"type": "text", "text": "What is this?"}, IMAGE_BLOCKS[name]])
    assert models.call(chat, mode, [message]).text
    parts = last_body(glm_server)["messages"][0]["content"]
    expected = PNG_URL if "url" in name and "data" not in name else PNG_B64  # bare base64, as the SDK sends
    assert parts == [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": expected}},
    ]


def test_video_and_file_urls_go_to_a_vision_model(models: Models, glm_server: LocalGLMServer) -> None:
    chat = models.chat(model="glm-4.6v")
    chat.invoke([HumanMessage([{"type": "video", "url": "https://example.com/v.mp4"}, "Describe it"])])
    assert last_body(glm_server)["messages"][0]["content"][0] == {
        "type": "video_url",
        "video_url": {"url": "https://example.com/v.mp4"},
    }


@pytest.mark.parametrize("mode", MODES)
def test_an_image_for_a_text_only_model_is_a_clear_error_before_sending(
    chat: ChatGLM, models: Models, glm_server: LocalGLMServer, mode: str
) -> None:
    message = HumanMessage([{"type": "text", "text": "What is this?"}, IMAGE_BLOCKS["v1 url"]])
    with pytest.raises(GLMInvalidRequestError, match="'glm-4.7' is a text-only model.*vision model") as caught:
        models.call(chat, mode, [message])
    assert isinstance(caught.value, ModelInvalidRequestError)
    assert chat_bodies(glm_server) == []


def test_base64_files_are_refused_since_glm_takes_them_by_url(models: Models, glm_server: LocalGLMServer) -> None:
    chat = models.chat(model="glm-4.6v")
    block = {"type": "file", "base64": "JVBERi0=", "mime_type": "application/pdf"}
    with pytest.raises(GLMInvalidRequestError, match="URL only"):
        chat.invoke([HumanMessage([block, "Summarise"])])
    assert chat_bodies(glm_server) == []


def _thinking_turns(v1: bool) -> list[BaseMessage]:
    earlier = (
        AIMessage([{"type": "reasoning", "reasoning": "They said hi."}, {"type": "text", "text": "Hello!"}])
        if v1
        else AIMessage("Hello!", additional_kwargs={"reasoning_content": "They said hi."})
    )
    return [HumanMessage("hi"), earlier, HumanMessage("and now?")]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("v1", [False, True], ids=["additional_kwargs", "v1 blocks"])
def test_preserved_thinking_sends_earlier_reasoning_back(
    models: Models, glm_server: LocalGLMServer, mode: str, v1: bool
) -> None:
    models.call(models.chat(preserve_thinking=True), mode, _thinking_turns(v1))
    body = last_body(glm_server)
    assert body["thinking"] == {"type": "enabled", "clear_thinking": False}
    assert body["messages"][1] == {"role": "assistant", "content": "Hello!", "reasoning_content": "They said hi."}


def test_clear_thinking_false_also_sends_reasoning_back(models: Models, glm_server: LocalGLMServer) -> None:
    models.chat(thinking={"type": "enabled", "clear_thinking": False}).invoke(_thinking_turns(False))
    assert last_body(glm_server)["messages"][1]["reasoning_content"] == "They said hi."


def test_reasoning_is_not_resent_by_default(chat: ChatGLM, glm_server: LocalGLMServer) -> None:
    chat.invoke(_thinking_turns(False))
    assert last_body(glm_server)["messages"][1] == {"role": "assistant", "content": "Hello!"}


@pytest.mark.parametrize("mode", MODES)
def test_an_answer_can_be_fed_back_as_history(
    chat: ChatGLM, models: Models, glm_server: LocalGLMServer, mode: str
) -> None:
    first = models.call(chat, mode, "hi")
    models.call(chat, mode, [HumanMessage("hi"), first, HumanMessage("again")])
    assistant = last_body(glm_server)["messages"][1]
    assert assistant == {"role": "assistant", "content": first.text}

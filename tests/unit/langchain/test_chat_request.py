"""What ``ChatGLM`` puts on the wire: the standard and GLM parameters, per-call overrides,
pass-through fields, request ids, and input refused before any request is sent."""

from __future__ import annotations

import pytest
from langchain_core.exceptions import ModelInvalidRequestError

from glm_transport import GLMInvalidRequestError, GLMOverloadedError
from glm_transport.testing import LocalGLMServer, Reply
from langchain_glm import ChatGLM

from .conftest import MODES, Models, chat_bodies, last_body


@pytest.mark.parametrize("mode", MODES)
def test_standard_and_glm_parameters_reach_the_wire(models: Models, glm_server: LocalGLMServer, mode: str) -> None:
    chat = models.chat(
        model="glm-4.6",
        temperature=0.3,
        top_p=0.8,
        max_tokens=512,
        stop=["END"],
        thinking={"type": "disabled"},
        user_id="user-123456",
        response_format={"type": "json_object"},
    )
    models.call(chat, mode, 'Reply in JSON with "a"')
    body = last_body(glm_server)
    assert body["model"] == "glm-4.6"
    assert body["temperature"] == 0.3
    assert body["top_p"] == 0.8
    assert body["max_tokens"] == 512  # sent as max_tokens, never renamed
    assert body["stop"] == ["END"]
    assert body["thinking"] == {"type": "disabled"}
    assert body["user_id"] == "user-123456"
    assert body["response_format"] == {"type": "json_object"}
    assert body.get("stream", False) is mode.endswith("stream")


@pytest.mark.parametrize("mode", MODES)
def test_unset_parameters_are_not_sent(chat: ChatGLM, models: Models, glm_server: LocalGLMServer, mode: str) -> None:
    models.call(chat, mode, "hi")
    body = last_body(glm_server)
    for name in ("temperature", "top_p", "max_tokens", "stop", "thinking", "do_sample", "tool_stream", "tools"):
        assert name not in body


@pytest.mark.parametrize("mode", MODES)
def test_temperature_zero_means_greedy_decoding(models: Models, glm_server: LocalGLMServer, mode: str) -> None:
    models.call(models.chat(temperature=0), mode, "hi")
    body = last_body(glm_server)
    assert body["do_sample"] is False
    assert "temperature" not in body  # never a silent 0.01 (wire notes §3.5)


@pytest.mark.parametrize("mode", MODES)
def test_call_kwargs_override_the_model_settings(models: Models, glm_server: LocalGLMServer, mode: str) -> None:
    chat = models.chat(temperature=0.9, max_tokens=100)
    models.call(chat, mode, "hi", temperature=0.2, max_tokens=50, stop=["x"])
    body = last_body(glm_server)
    assert (body["temperature"], body["max_tokens"], body["stop"]) == (0.2, 50, ["x"])


@pytest.mark.parametrize(
    ("thinking", "wire"),
    [
        (True, {"type": "enabled"}),
        (False, {"type": "disabled"}),
        ({"type": "enabled", "clear_thinking": False}, {"type": "enabled", "clear_thinking": False}),
        ({"clear_thinking": True}, {"type": "enabled", "clear_thinking": True}),
    ],
)
def test_thinking_switch_and_clear_thinking(
    models: Models, glm_server: LocalGLMServer, thinking: object, wire: dict[str, object]
) -> None:
    models.chat(thinking=thinking).invoke("hi")
    assert last_body(glm_server)["thinking"] == wire


@pytest.mark.parametrize("mode", MODES)
def test_model_kwargs_and_extra_body_pass_through(models: Models, glm_server: LocalGLMServer, mode: str) -> None:
    chat = models.chat(model_kwargs={"watermark_enabled": True}, extra_body={"sensitive_word_check": {"type": "ALL"}})
    models.call(chat, mode, "hi")
    body = last_body(glm_server)
    assert body["watermark_enabled"] is True
    assert body["sensitive_word_check"] == {"type": "ALL"}


def test_request_fields_not_modelled_go_through_model_kwargs(models: Models, glm_server: LocalGLMServer) -> None:
    # An unknown init argument is refused (tests/unit/options); model_kwargs sends it on purpose.
    chat = models.chat(model_kwargs={"seed": 7})
    chat.invoke("hi")
    assert last_body(glm_server)["seed"] == 7


@pytest.mark.parametrize("mode", MODES)
def test_tool_stream_is_sent_on_streaming_calls_only(models: Models, glm_server: LocalGLMServer, mode: str) -> None:
    models.call(models.chat(tool_stream=True), mode, "hi")
    assert last_body(glm_server).get("tool_stream") is (True if mode.endswith("stream") else None)


@pytest.mark.parametrize("mode", MODES)
def test_every_call_gets_its_own_request_id(
    chat: ChatGLM, models: Models, glm_server: LocalGLMServer, mode: str
) -> None:
    first = models.call(chat, mode, "one")
    second = models.call(chat, mode, "two")
    ids = [body["request_id"] for body in chat_bodies(glm_server)]
    assert len(set(ids)) == 2
    assert [first.response_metadata["request_id"], second.response_metadata["request_id"]] == ids


def test_a_caller_supplied_request_id_is_used(chat: ChatGLM, glm_server: LocalGLMServer) -> None:
    answer = chat.invoke("hi", request_id="my-request-0001")
    assert last_body(glm_server)["request_id"] == "my-request-0001"
    assert answer.response_metadata["request_id"] == "my-request-0001"


def test_streaming_true_makes_invoke_stream(models: Models, glm_server: LocalGLMServer) -> None:
    answer = models.chat(streaming=True).invoke("hi")
    assert last_body(glm_server)["stream"] is True
    assert answer.content


def test_more_stop_words_than_glm_accepts_fail_at_construction() -> None:
    with pytest.raises(ValueError, match="at most 1 stop sequence"):
        ChatGLM(model="glm-4.7", api_key="k", stop=["a", "b"])


@pytest.mark.parametrize("mode", MODES)
def test_more_stop_words_than_glm_accepts_fail_before_sending(
    chat: ChatGLM, models: Models, glm_server: LocalGLMServer, mode: str
) -> None:
    with pytest.raises(GLMInvalidRequestError, match="at most 1 stop sequence") as caught:
        models.call(chat, mode, "hi", stop=["a", "b"])
    assert isinstance(caught.value, ModelInvalidRequestError)
    assert chat_bodies(glm_server) == []


@pytest.mark.parametrize("temperature", [-0.1, 1.5])
def test_out_of_range_temperature_fails_before_sending(
    models: Models, glm_server: LocalGLMServer, temperature: float
) -> None:
    with pytest.raises(ValueError, match="temperature"):
        models.chat(temperature=temperature)  # at construction
    with pytest.raises(GLMInvalidRequestError, match="temperature"):
        models.chat().invoke("hi", temperature=temperature)  # or at the call, before sending
    assert chat_bodies(glm_server) == []


@pytest.mark.parametrize("variable", ["ZHIPUAI_API_KEY", "ZAI_API_KEY"])
def test_key_and_base_url_come_from_the_environment(
    glm_server: LocalGLMServer, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    assert glm_server.api_key is not None
    monkeypatch.setenv(variable, glm_server.api_key)
    monkeypatch.setenv("ZHIPUAI_BASE_URL", glm_server.base_url)
    chat = ChatGLM(model="glm-4.7")
    try:
        assert chat.api_key is not None
        assert chat.api_key.get_secret_value() == glm_server.api_key
        assert chat.invoke("hi").content
        assert glm_server.requests[-1].headers["authorization"] == f"Bearer {glm_server.api_key}"
    finally:
        chat.close()


def test_model_name_and_stop_sequences_aliases() -> None:
    chat = ChatGLM(model_name="glm-4.5-air", stop_sequences=["##"], api_key="k")
    assert (chat.model, chat.stop) == ("glm-4.5-air", ["##"])


def test_max_retries_and_timeout_are_forwarded_to_the_transport(models: Models, glm_server: LocalGLMServer) -> None:
    chat = models.chat(max_retries=1, timeout=12.5)
    assert chat.client.timeout.read == 12.5
    glm_server.enqueue(Reply.status(503, code="1305", headers={}), Reply.status(503, code="1305", headers={}))
    with pytest.raises(GLMOverloadedError):
        chat.invoke("hi")
    assert len(chat_bodies(glm_server)) == 2  # one retry, then the error

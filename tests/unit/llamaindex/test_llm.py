"""``GLM`` over a real socket to the local GLM server: every chat/complete method in its four
modes, thinking, tools, vision, usage, errors, retries and configuration."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.base.llms.types import (
    ChatMessage,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.tools import FunctionTool

from glm_transport import (
    AsyncGLMClient,
    GLMAuthenticationError,
    GLMBadRequestError,
    GLMClient,
    GLMConfigurationError,
    GLMInvalidRequestError,
    GLMRateLimitError,
)
from glm_transport.testing import LocalGLMServer, Reply
from llamaindex_glm import GLM, GLMTokenizer

from .conftest import CHAT_MODES, COMPLETE_MODES, run_chat, run_complete, with_peak_connections

# A 1x1 transparent PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg=="
)


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


ADD, MULTIPLY = FunctionTool.from_defaults(fn=add), FunctionTool.from_defaults(fn=multiply)


def user(text: str) -> ChatMessage:
    return ChatMessage(role=MessageRole.USER, content=text)


def last_body(server: LocalGLMServer) -> dict[str, Any]:
    body = server.requests[-1].json
    assert isinstance(body, dict)
    return body


def is_stream(mode: str) -> bool:
    return "stream" in mode


# ------------------------------------------------------------------ plain chat and completion


@pytest.mark.parametrize("mode", CHAT_MODES)
def test_chat_answers_in_every_mode(llm: GLM, glm_server: LocalGLMServer, mode: str) -> None:
    responses = run_chat(llm, mode, [ChatMessage(role="system", content="Be brief."), user("hi there")])
    final = responses[-1]
    assert final.message.role == MessageRole.ASSISTANT
    assert final.message.content is not None
    assert final.message.content.strip() == "Hello! You said: hi there"
    body = last_body(glm_server)
    assert body["model"] == "glm-4.7"
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hi there"},
    ]
    assert body.get("stream", False) is is_stream(mode)
    assert "tools" not in body
    assert "tool_choice" not in body
    assert len(glm_server.requests) == 1
    if is_stream(mode):
        assert len(responses) > 3
        assert "".join(r.delta or "" for r in responses) == final.message.content
        # Every snapshot is cumulative.
        assert all(final.message.content.startswith(r.message.content or "") for r in responses)


@pytest.mark.parametrize("mode", COMPLETE_MODES)
def test_complete_in_every_mode(llm: GLM, glm_server: LocalGLMServer, mode: str) -> None:
    responses = run_complete(llm, mode, "Say hello")
    final = responses[-1]
    assert final.text.strip() == "Hello! You said: Say hello"
    assert final.additional_kwargs["prompt_tokens"] > 0
    assert last_body(glm_server)["messages"] == [{"role": "user", "content": "Say hello"}]
    if is_stream(mode):
        assert "".join(r.delta or "" for r in responses) == final.text
        assert any(r.additional_kwargs.get("thinking_delta") for r in responses)


def test_request_options_are_forwarded(make_llm: Callable[..., GLM], glm_server: LocalGLMServer) -> None:
    llm = make_llm(
        model="glm-5.2",
        temperature=0.3,
        max_tokens=64,
        top_p=0.9,
        reasoning_effort="high",
        additional_kwargs={"user_id": "user-123456", "stop": ["zzz"]},
    )
    llm.chat([user("hi")], request_id="my-request-1")
    body = last_body(glm_server)
    assert body["temperature"] == 0.3
    assert body["max_tokens"] == 64
    assert body["top_p"] == 0.9
    assert body["reasoning_effort"] == "high"
    assert body["user_id"] == "user-123456"
    assert body["stop"] == ["zzz"]
    assert body["request_id"] == "my-request-1"


def test_temperature_zero_is_greedy(make_llm: Callable[..., GLM], glm_server: LocalGLMServer) -> None:
    make_llm(temperature=0.0).chat([user("hi")])
    body = last_body(glm_server)
    assert body["do_sample"] is False
    assert "temperature" not in body


def test_unset_options_are_not_sent(llm: GLM, glm_server: LocalGLMServer) -> None:
    llm.chat([user("hi")])
    body = last_body(glm_server)
    for key in ("temperature", "max_tokens", "top_p", "thinking", "reasoning_effort", "tools"):
        assert key not in body


# ------------------------------------------------------------------ thinking


@pytest.mark.parametrize("mode", CHAT_MODES)
def test_reasoning_becomes_a_thinking_block(llm: GLM, mode: str) -> None:
    responses = run_chat(llm, mode, [user("Why is the sky blue?")])
    final = responses[-1]
    thinking = [b for b in final.message.blocks if isinstance(b, ThinkingBlock)]
    assert len(thinking) == 1
    assert thinking[0].content == "The user asks: Why is the sky blue. I will answer briefly."
    assert thinking[0].num_tokens == final.additional_kwargs["reasoning_tokens"] > 0
    assert final.message.content is not None
    assert "The user asks" not in final.message.content
    if is_stream(mode):
        deltas = [r.additional_kwargs.get("thinking_delta") for r in responses]
        assert deltas[0] == "The"  # the first reasoning delta is never lost
        assert "".join(d for d in deltas if d) == thinking[0].content


@pytest.mark.parametrize(("thinking", "wire"), [(False, {"type": "disabled"}), (True, {"type": "enabled"})])
def test_thinking_switch(make_llm: Callable[..., GLM], glm_server: LocalGLMServer, thinking: bool, wire: Any) -> None:
    response = make_llm(model="glm-4.6", thinking=thinking).chat([user("hi")])
    assert last_body(glm_server)["thinking"] == wire
    has_thinking = any(isinstance(b, ThinkingBlock) for b in response.message.blocks)
    assert has_thinking is thinking


def test_tagged_thinking_is_split_out(make_llm: Callable[..., GLM]) -> None:
    response = make_llm(model="glm-z1-air").chat([user("hi")])
    blocks = response.message.blocks
    assert isinstance(blocks[0], ThinkingBlock)
    assert blocks[0].content is not None
    assert blocks[0].content.startswith("The user asks")
    assert response.message.content == "Hello! You said: hi"


def _history_with_thinking() -> list[ChatMessage]:
    return [
        user("first question"),
        ChatMessage(
            role="assistant",
            blocks=[ThinkingBlock(content="earlier reasoning"), TextBlock(text="first answer")],
        ),
        user("second question"),
    ]


@pytest.mark.parametrize("mode", CHAT_MODES)
def test_preserved_thinking_sends_reasoning_back(
    make_llm: Callable[..., GLM], glm_server: LocalGLMServer, mode: str
) -> None:
    run_chat(make_llm(preserve_thinking=True), mode, _history_with_thinking())
    body = last_body(glm_server)
    assert body["messages"][1] == {
        "role": "assistant",
        "content": "first answer",
        "reasoning_content": "earlier reasoning",
    }
    assert body["thinking"] == {"type": "enabled", "clear_thinking": False}


def test_thinking_is_not_sent_back_by_default(llm: GLM, glm_server: LocalGLMServer) -> None:
    llm.chat(_history_with_thinking())
    body = last_body(glm_server)
    assert body["messages"][1] == {"role": "assistant", "content": "first answer"}
    assert "thinking" not in body


def test_explicit_clear_thinking_wins(make_llm: Callable[..., GLM], glm_server: LocalGLMServer) -> None:
    make_llm(preserve_thinking=True, thinking={"type": "enabled", "clear_thinking": True}).chat([user("hi")])
    assert last_body(glm_server)["thinking"] == {"type": "enabled", "clear_thinking": True}


# ------------------------------------------------------------------ tools


@pytest.mark.parametrize("mode", CHAT_MODES)
def test_tool_call_and_result_round_trip(llm: GLM, glm_server: LocalGLMServer, mode: str) -> None:
    kwargs = llm._prepare_chat_with_tools([ADD], user_msg="What is 2 plus 3?")
    messages = kwargs.pop("messages")
    first = run_chat(llm, mode, messages, **kwargs)[-1]
    calls = llm.get_tool_calls_from_response(first)
    assert [(c.tool_name, c.tool_kwargs) for c in calls] == [("add", {"a": 2, "b": 3})]
    assert calls[0].tool_id.startswith("call_")
    blocks = [b for b in first.message.blocks if isinstance(b, ToolCallBlock)]
    assert blocks[0].tool_call_id == calls[0].tool_id
    assert first.additional_kwargs["finish_reason"] == "tool_calls"
    sent = last_body(glm_server)
    assert sent["tools"] == [ADD.metadata.to_openai_tool(skip_length_check=True)]
    assert sent["tool_choice"] == "auto"

    history = [
        *messages,
        first.message,
        ChatMessage(role="tool", content="5", additional_kwargs={"tool_call_id": calls[0].tool_id}),
    ]
    second = run_chat(llm, mode, history, **kwargs)[-1]
    assert second.message.content is not None
    assert second.message.content.strip() == "Tool add returned: 5."
    sent = last_body(glm_server)["messages"]
    assert sent[-2]["role"] == "assistant"
    assert sent[-2]["tool_calls"] == [
        {
            "id": calls[0].tool_id,
            "type": "function",
            "function": {"name": "add", "arguments": '{"a": 2, "b": 3}'},
        }
    ]
    assert sent[-1] == {"role": "tool", "content": "5", "tool_call_id": calls[0].tool_id}


@pytest.mark.parametrize("mode", ["stream_chat", "astream_chat"])
def test_streamed_tool_fragments_accumulate(llm: GLM, glm_server: LocalGLMServer, mode: str) -> None:
    kwargs = llm._prepare_chat_with_tools([ADD], user_msg="What is 12 plus 30?")
    responses = run_chat(llm, mode, kwargs.pop("messages"), **kwargs)
    assert last_body(glm_server)["tool_stream"] is True
    partial = [llm.get_tool_calls_from_response(r, error_on_no_tool_call=False) for r in responses]
    with_calls = [p for p in partial if p]
    assert len(with_calls) > 2  # arguments arrived in several fragments
    assert all(p[0].tool_name == "add" for p in with_calls)
    assert with_calls[-1][0].tool_kwargs == {"a": 12, "b": 30}
    final_block = [b for b in responses[-1].message.blocks if isinstance(b, ToolCallBlock)]
    assert final_block[0].tool_kwargs == {"a": 12, "b": 30}


def test_tool_stream_can_be_switched_off(llm: GLM, glm_server: LocalGLMServer) -> None:
    kwargs = llm._prepare_chat_with_tools([ADD], user_msg="What is 1 plus 2?", tool_stream=False)
    responses = list(llm.stream_chat(kwargs.pop("messages"), **kwargs))
    assert last_body(glm_server)["tool_stream"] is False
    assert llm.get_tool_calls_from_response(responses[-1])[0].tool_kwargs == {"a": 1, "b": 2}


def test_no_tool_call(llm: GLM) -> None:
    response = llm.chat([user("hi")])
    assert llm.get_tool_calls_from_response(response, error_on_no_tool_call=False) == []
    with pytest.raises(ValueError, match="tool call"):
        llm.get_tool_calls_from_response(response)


def test_chat_with_tools_and_predict_and_call(llm: GLM) -> None:
    response = llm.chat_with_tools([ADD], user_msg="What is 4 plus 5?")
    assert llm.get_tool_calls_from_response(response)[0].tool_kwargs == {"a": 4, "b": 5}
    assert llm.predict_and_call([ADD], user_msg="What is 4 plus 5?").response == "9"


async def test_async_chat_with_tools(llm: GLM) -> None:
    response = await llm.achat_with_tools([ADD, MULTIPLY], user_msg="Please multiply 6 and 7")
    assert [c.tool_name for c in llm.get_tool_calls_from_response(response)] == ["multiply"]
    assert (await llm.apredict_and_call([ADD], user_msg="What is 1 plus 1?")).response == "2"
    await llm.aclose()


def test_tool_required_is_emulated_by_instruction(llm: GLM, glm_server: LocalGLMServer) -> None:
    llm.chat_with_tools([ADD], user_msg="What is 2 plus 3?", tool_required=True)
    body = last_body(glm_server)
    assert body["tool_choice"] == "auto"
    assert body["messages"][0]["role"] == "system"
    assert "`add`" in body["messages"][0]["content"]
    assert body["messages"][-1] == {"role": "user", "content": "What is 2 plus 3?"}


def test_tool_required_with_several_tools_keeps_them_all(llm: GLM, glm_server: LocalGLMServer) -> None:
    system = ChatMessage(role="system", content="You are a calculator.")
    llm.chat_with_tools([ADD, MULTIPLY], user_msg="add 1 and 2", chat_history=[system], tool_choice="required")
    body = last_body(glm_server)
    assert [t["function"]["name"] for t in body["tools"]] == ["add", "multiply"]
    assert body["messages"][0]["content"].startswith("You are a calculator.\n\n")
    assert "`add`, `multiply`" in body["messages"][0]["content"]
    assert system.content == "You are a calculator."  # the caller's message is not modified


@pytest.mark.parametrize(
    "choice", ["multiply", {"type": "function", "function": {"name": "multiply"}}, {"name": "multiply"}]
)
def test_named_tool_choice_offers_only_that_tool(llm: GLM, glm_server: LocalGLMServer, choice: Any) -> None:
    response = llm.chat_with_tools([ADD, MULTIPLY], user_msg="Work with 6 and 7", tool_choice=choice)
    body = last_body(glm_server)
    assert [t["function"]["name"] for t in body["tools"]] == ["multiply"]
    assert body["tool_choice"] == "auto"
    assert llm.get_tool_calls_from_response(response)[0].tool_kwargs == {"a": 6, "b": 7}


def test_tool_choice_none_sends_no_tools(llm: GLM, glm_server: LocalGLMServer) -> None:
    response = llm.chat_with_tools([ADD], user_msg="What is 2 plus 3?", tool_choice="none")
    assert "tools" not in last_body(glm_server)
    assert llm.get_tool_calls_from_response(response, error_on_no_tool_call=False) == []


def test_unknown_tool_choice_fails_before_sending(llm: GLM, glm_server: LocalGLMServer) -> None:
    with pytest.raises(ValueError, match="subtract"):
        llm.chat_with_tools([ADD], user_msg="hi", tool_choice="subtract")
    assert glm_server.requests == []


@pytest.mark.parametrize(("parallel", "expected"), [(True, ["add", "multiply"]), (False, ["add"])])
def test_parallel_tool_calls(llm: GLM, parallel: bool, expected: list[str]) -> None:
    response = llm.chat_with_tools(
        [ADD, MULTIPLY], user_msg="add 1 and 2, then multiply 3 and 4", allow_parallel_tool_calls=parallel
    )
    assert [c.tool_name for c in llm.get_tool_calls_from_response(response)] == expected


def test_legacy_tool_history_gets_ids(llm: GLM, glm_server: LocalGLMServer) -> None:
    history = [
        user("add 1 and 2, then multiply 3 and 4"),
        ChatMessage(
            role="assistant",
            content="",
            additional_kwargs={
                "tool_calls": [
                    {"id": "call_a", "type": "function", "function": {"name": "add", "arguments": '{"a":1,"b":2}'}},
                    {"id": "call_m", "type": "function", "function": {"name": "multiply", "arguments": {"a": 3}}},
                ]
            },
        ),
        ChatMessage(role="tool", content="3"),
        ChatMessage(role="tool", content="12"),
    ]
    response = llm.chat(history)
    sent = last_body(glm_server)["messages"]
    assert "content" not in sent[1]
    assert [c["id"] for c in sent[1]["tool_calls"]] == ["call_a", "call_m"]
    assert sent[1]["tool_calls"][1]["function"]["arguments"] == '{"a": 3}'
    assert [m["tool_call_id"] for m in sent[2:]] == ["call_a", "call_m"]
    assert response.message.content == "Tool add returned: 3. Tool multiply returned: 12."


def test_tool_result_without_any_id_is_refused(llm: GLM, glm_server: LocalGLMServer) -> None:
    with pytest.raises(GLMInvalidRequestError, match="tool_call_id"):
        llm.chat([user("hi"), ChatMessage(role="tool", content="3")])
    assert glm_server.requests == []


@pytest.mark.parametrize("mode", CHAT_MODES)
def test_builtin_web_search(make_llm: Callable[..., GLM], glm_server: LocalGLMServer, mode: str) -> None:
    llm = make_llm(web_search={"count": 3})
    final = run_chat(llm, mode, [user("latest GLM release")])[-1]
    body = last_body(glm_server)
    assert body["tools"] == [
        {"type": "web_search", "web_search": {"count": 3, "search_engine": "search_std", "enable": True}}
    ]
    results = final.additional_kwargs["web_search"]
    assert len(results) == 3
    assert results[0]["link"].startswith("https://")
    assert final.message.content is not None
    assert "result 1" in final.message.content


def test_web_search_engine_follows_the_platform(glm_server: LocalGLMServer) -> None:
    llm = GLM(api_key="k", base_url="international", web_search=True)
    assert llm._web_search_tool() == {
        "type": "web_search",
        "web_search": {"search_engine": "search_pro_jina", "enable": True},
    }


# ------------------------------------------------------------------ vision


@pytest.mark.parametrize(
    ("block", "url"),
    [
        (lambda tmp: ImageBlock(url="https://example.com/cat.png"), "https://example.com/cat.png"),
        (lambda tmp: ImageBlock(image=PNG), base64.b64encode(PNG).decode()),
        (lambda tmp: ImageBlock(image=base64.b64encode(PNG)), base64.b64encode(PNG).decode()),
        (lambda tmp: ImageBlock(path=tmp), base64.b64encode(PNG).decode()),
        (
            lambda tmp: ImageBlock(url="data:image/png;base64," + base64.b64encode(PNG).decode()),
            base64.b64encode(PNG).decode(),
        ),
    ],
    ids=["url", "bytes", "base64", "path", "data-url"],
)
def test_images_become_image_parts(
    make_llm: Callable[..., GLM], glm_server: LocalGLMServer, tmp_path: Path, block: Any, url: str
) -> None:
    path = tmp_path / "pixel.png"
    path.write_bytes(PNG)
    message = ChatMessage(role="user", blocks=[TextBlock(text="What is this?"), block(path)])
    response = make_llm(model="glm-4.6v").chat([message])
    assert response.message.content
    assert last_body(glm_server)["messages"][0]["content"] == [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": url}},
    ]


def test_text_only_model_refuses_images_before_sending(llm: GLM, glm_server: LocalGLMServer) -> None:
    message = ChatMessage(role="user", blocks=[TextBlock(text="What is this?"), ImageBlock(image=PNG)])
    with pytest.raises(GLMInvalidRequestError, match="text-only"):
        llm.chat([message])
    assert glm_server.requests == []


# ------------------------------------------------------------------ usage and instrumentation


@pytest.mark.parametrize("mode", CHAT_MODES)
def test_usage_where_llamaindex_reads_it(llm: GLM, mode: str) -> None:
    final = run_chat(llm, mode, [user("hi there")])[-1]
    extra = final.additional_kwargs
    assert extra["prompt_tokens"] > 0
    assert extra["completion_tokens"] > 0
    assert extra["total_tokens"] == extra["prompt_tokens"] + extra["completion_tokens"]
    assert extra["reasoning_tokens"] > 0
    assert extra["cached_tokens"] == 0
    assert extra["finish_reason"] == "stop"
    assert len(extra["request_id"]) >= 6
    assert final.raw["usage"]["prompt_tokens"] == extra["prompt_tokens"]


def test_usage_in_a_separate_final_chunk(make_llm: Callable[..., GLM], glm_server: LocalGLMServer) -> None:
    glm_server.stream_usage = "separate"
    responses = list(make_llm().stream_chat([user("hi there")]))
    assert responses[-1].raw["choices"] == []
    assert responses[-1].additional_kwargs["prompt_tokens"] > 0
    assert responses[-1].additional_kwargs["finish_reason"] == "stop"


def test_cached_tokens_are_reported(llm: GLM) -> None:
    history = [ChatMessage(role="system", content="You answer questions about llamas. " * 20), user("one")]
    llm.chat(history)
    second = llm.chat([*history, ChatMessage(role="assistant", content="ok"), user("two")])
    assert second.additional_kwargs["cached_tokens"] > 0


@pytest.mark.parametrize("mode", ["chat", "stream_chat"])
def test_token_counting_handler_reads_glm_usage(make_llm: Callable[..., GLM], mode: str) -> None:
    counter = TokenCountingHandler(tokenizer=GLMTokenizer())
    llm = make_llm(callback_manager=CallbackManager([counter]))
    final = run_chat(llm, mode, [user("hi there")])[-1]
    assert counter.prompt_llm_token_count == final.additional_kwargs["prompt_tokens"]
    assert counter.completion_llm_token_count == final.additional_kwargs["completion_tokens"]


def test_instrumentation_sees_the_final_response(llm: GLM) -> None:
    from llama_index.core.instrumentation import get_dispatcher
    from llama_index.core.instrumentation.event_handlers import BaseEventHandler
    from llama_index.core.instrumentation.events.llm import LLMChatEndEvent

    seen: list[Any] = []

    class Recorder(BaseEventHandler):
        def handle(self, event: Any, **kwargs: Any) -> None:
            if isinstance(event, LLMChatEndEvent):
                seen.append(event)

    root = get_dispatcher()
    handler = Recorder()
    root.add_event_handler(handler)
    try:
        list(llm.stream_chat([user("hi")]))
    finally:
        root.event_handlers.remove(handler)
    assert seen[-1].response.additional_kwargs["total_tokens"] > 0
    assert "test-key" not in json.dumps(seen[-1].model_dump(), default=str)


# ------------------------------------------------------------------ errors and retries


@pytest.mark.parametrize("mode", CHAT_MODES)
def test_transport_errors_pass_through_unchanged(
    make_llm: Callable[..., GLM], glm_server: LocalGLMServer, mode: str
) -> None:
    with pytest.raises(GLMAuthenticationError) as info:
        run_chat(make_llm(api_key="wrong-key"), mode, [user("hi")])
    assert info.value.status_code == 401
    glm_server.enqueue(Reply.status(400, "1214", "messages[0].content: invalid"))
    with pytest.raises(GLMBadRequestError) as bad:
        run_chat(make_llm(), mode, [user("hi")])
    assert bad.value.code == "1214"


@pytest.mark.parametrize("mode", CHAT_MODES)
@pytest.mark.parametrize("max_retries", [0, 2])
def test_one_retry_layer_under_persistent_429(
    make_llm: Callable[..., GLM], glm_server: LocalGLMServer, mode: str, max_retries: int
) -> None:
    glm_server.fail_times(50, Reply.status(429, "1302", headers={"Retry-After": "0"}))
    with pytest.raises(GLMRateLimitError):
        run_chat(make_llm(max_retries=max_retries), mode, [user("hi")])
    assert len(glm_server.requests) == max_retries + 1


def test_a_transient_429_is_retried(make_llm: Callable[..., GLM], glm_server: LocalGLMServer) -> None:
    glm_server.fail_times(1, Reply.status(429, "1302", headers={"Retry-After": "0"}))
    assert make_llm().chat([user("hi")]).message.content == "Hello! You said: hi"
    assert len(glm_server.requests) == 2


async def test_async_calls_do_not_block_the_event_loop(llm: GLM, glm_server: LocalGLMServer) -> None:
    # Both calls are held 0.3 s by the server; a sampler on the same loop sees them in flight at once.
    glm_server.enqueue(Reply.slow(0.3), Reply.slow(0.3))
    try:
        both = asyncio.gather(llm.achat([user("one")]), llm.achat([user("two")]))
        responses, peak = await with_peak_connections(glm_server, both)
    finally:
        await llm.aclose()
    assert {r.message.content for r in responses} == {"Hello! You said: one", "Hello! You said: two"}
    assert peak == 2


def test_breaking_out_of_a_stream_releases_the_connection(llm: GLM, glm_server: LocalGLMServer) -> None:
    for response in llm.stream_chat([user("a long question with many words in it")]):
        if response.delta:
            break
    llm.close()
    assert glm_server.wait_for_idle(2.0)


# ------------------------------------------------------------------ configuration


def test_the_key_never_leaks(llm: GLM) -> None:
    secret = "test-key"
    texts = [repr(llm), str(llm), llm.to_json(), json.dumps(llm.to_dict()), json.dumps(llm.to_payload())]
    texts.append(llm.model_dump_json())
    assert all(secret not in text for text in texts)
    assert llm.api_key is not None
    assert llm.api_key.get_secret_value() == secret
    assert secret not in repr(llm.client)


@pytest.mark.parametrize("variable", ["ZHIPUAI_API_KEY", "ZAI_API_KEY"])
def test_key_and_endpoint_from_the_environment(
    glm_server: LocalGLMServer, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, "test-key")
    monkeypatch.setenv("ZHIPUAI_BASE_URL", glm_server.base_url)
    llm = GLM()
    assert llm.base_url == glm_server.base_url
    assert llm.chat([user("hi")]).message.content == "Hello! You said: hi"
    llm.close()


def test_missing_key_fails_at_construction() -> None:
    with pytest.raises(GLMConfigurationError, match="ZHIPUAI_API_KEY"):
        GLM()


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("china", "https://open.bigmodel.cn/api/paas/v4"),
        ("international", "https://api.z.ai/api/paas/v4"),
        ("international-coding", "https://api.z.ai/api/coding/paas/v4"),
    ],
)
def test_named_endpoints(name: str, url: str) -> None:
    assert GLM(api_key="k", base_url=name).base_url == url


def test_clients_are_lazy_owned_and_configured(make_llm: Callable[..., GLM]) -> None:
    llm = make_llm(timeout=12.5, max_retries=4, default_headers={"X-Trace": "1"})
    assert llm._clients._sync is None
    assert llm._clients._async is None
    client = llm.client
    assert isinstance(client, GLMClient)
    assert llm.client is client
    assert client.max_retries == 4
    assert client.timeout.read == 12.5
    assert isinstance(llm.async_client, AsyncGLMClient)
    assert llm.async_client.max_retries == 4
    assert make_llm().client is not client


def test_headers_reach_the_server(make_llm: Callable[..., GLM], glm_server: LocalGLMServer) -> None:
    make_llm(default_headers={"X-Trace": "abc"}).chat([user("hi")])
    assert glm_server.requests[-1].headers["x-trace"] == "abc"
    assert glm_server.requests[-1].headers["authorization"] == "Bearer test-key"


@pytest.mark.parametrize(
    ("model", "context", "function_calling"),
    [
        ("glm-4.7", 200_000, True),
        ("glm-4.5", 128_000, True),
        ("glm-4.6v", 128_000, True),
        ("glm-4.5v", 64_000, False),
        ("glm-5.3", 1_000_000, True),
        ("some-future-model", 32_768, True),
    ],
)
def test_metadata_from_the_catalogue(model: str, context: int, function_calling: bool) -> None:
    llm = GLM(api_key="k", model=model)
    metadata = llm.metadata
    assert metadata.context_window == context
    assert metadata.is_chat_model is True
    assert metadata.is_function_calling_model is function_calling
    assert metadata.model_name == model
    assert 0 < metadata.num_output < context
    assert llm.metadata is metadata  # cached: core reads it on every call


def test_metadata_follows_model_and_max_tokens() -> None:
    llm = GLM(api_key="k", model="glm-4.7")
    assert llm.metadata.num_output == 65_536
    llm.max_tokens = 1000
    assert llm.metadata.num_output == 1000
    llm.model = "glm-4.5v"
    assert llm.metadata.context_window == 64_000


def test_unknown_model_ids_are_sent_with_a_warning(make_llm: Callable[..., GLM], glm_server: LocalGLMServer) -> None:
    # The catalogue informs, never refuses: the id is sent, and GLM's own 1211 answers it.
    with pytest.warns(UserWarning, match="not in the catalogue"), pytest.raises(GLMBadRequestError, match="1211"):
        make_llm(model="glm-9-preview-llamaindex").chat([user("hi")])
    assert glm_server.requests[-1].json["model"] == "glm-9-preview-llamaindex"

"""Both adapters on the hostile wire: a wrong-shaped event and ``finish_reason: "network_error"``
surface as typed GLM errors (never ``AttributeError``/``TypeError``/pydantic errors), invoke and
stream, sync and async; LangChain's ``with_retry`` can act on the network error."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from langchain_core.exceptions import ModelAPIError
from llama_index.core.base.llms.types import ChatMessage

from glm_transport import GLMError, GLMInterruptedError, GLMResponseValidationError
from langchain_glm import ChatGLM
from llamaindex_glm import GLM
from tests.hostile import HostileServer, chunk_event, head, json_answer, sse, sse_answer

STREAM_HEAD = head()


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with HostileServer() as hostile:
        yield hostile


def _options(server: HostileServer, **extra: Any) -> dict[str, Any]:
    return {"model": "glm-4.7", "api_key": "k", "base_url": server.base_url, "max_retries": 0, **extra}


async def _collect(stream: Any) -> list[Any]:
    return [item async for item in stream]


async def _li_astream(model: GLM, messages: list[ChatMessage]) -> list[Any]:
    return await _collect(await model.astream_chat(messages))


def _calls() -> dict[str, Callable[[HostileServer], Any]]:
    msgs = [ChatMessage(role="user", content="hi")]
    return {
        "ChatGLM-invoke": lambda s: ChatGLM(**_options(s)).invoke("hi"),
        "ChatGLM-stream": lambda s: list(ChatGLM(**_options(s)).stream("hi")),
        "ChatGLM-ainvoke": lambda s: asyncio.run(ChatGLM(**_options(s)).ainvoke("hi")),
        "ChatGLM-astream": lambda s: asyncio.run(_collect(ChatGLM(**_options(s)).astream("hi"))),
        "GLM-chat": lambda s: GLM(**_options(s, thinking=False)).chat(msgs),
        "GLM-stream_chat": lambda s: list(GLM(**_options(s, thinking=False)).stream_chat(msgs)),
        "GLM-achat": lambda s: asyncio.run(GLM(**_options(s, thinking=False)).achat(msgs)),
        "GLM-astream_chat": lambda s: asyncio.run(_li_astream(GLM(**_options(s, thinking=False)), msgs)),
    }


CALLS = _calls()
STREAMING = [name for name in CALLS if "stream" in name]

WRONG = [
    {"choices": [{"delta": "x"}]},
    {"choices": [{"delta": {"tool_calls": "x"}}]},
    {"choices": [{"delta": {"tool_calls": [{"index": 0, "id": "c", "function": "f"}]}}]},
    {"choices": [{"delta": {"content": "a"}}], "usage": "lots"},
    {"choices": [{"delta": {"content": "a"}}], "web_search": 5},
    {"choices": [{"delta": {"reasoning_content": 5}}]},
]


@pytest.mark.parametrize("event", WRONG, ids=lambda e: str(e)[:40])
@pytest.mark.parametrize("call", STREAMING)
def test_a_wrong_shaped_stream_event_is_a_typed_error_in_both_adapters(
    server: HostileServer, call: str, event: dict[str, Any]
) -> None:
    server.play(("send", STREAM_HEAD + sse(chunk_event("ok")) + sse(event) + sse_answer()))
    with pytest.raises(GLMResponseValidationError, match="malformed stream event"):
        CALLS[call](server)


@pytest.mark.parametrize("call", list(CALLS))
def test_network_error_finish_is_a_typed_retryable_error_in_both_adapters(server: HostileServer, call: str) -> None:
    events = sse(chunk_event("Half")) + sse(chunk_event("", "network_error")) + sse("[DONE]")
    server.default = (
        [("send", STREAM_HEAD + events)]
        if "stream" in call
        else [("send", json_answer("Half", finish="network_error"))]
    )
    with pytest.raises(GLMError) as info:
        CALLS[call](server)
    assert isinstance(info.value, GLMInterruptedError) and info.value.retryable
    if call.startswith("ChatGLM"):  # langchain-core's family too, as for every other error
        assert isinstance(info.value, ModelAPIError)


def test_langchain_with_retry_acts_on_a_network_error_finish(server: HostileServer) -> None:
    server.play(("send", json_answer("Half", finish="network_error")))
    server.play(("send", json_answer("The whole answer")))
    model = ChatGLM(**_options(server)).with_retry(
        retry_if_exception_type=(GLMInterruptedError,), stop_after_attempt=2, wait_exponential_jitter=False
    )
    assert model.invoke("hi").content == "The whole answer"
    assert len(server.requests) == 2

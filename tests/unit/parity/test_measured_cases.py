"""The request/response cases issue 9 measured, each as a test that failed before the dialect."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from llama_index.core.base.llms.types import ChatMessage

from glm_transport import GLMInvalidRequestError
from glm_transport.testing import LocalGLMServer
from langchain_glm import ChatGLM
from llamaindex_glm import GLM, GLMTokenizer, count_tokens

WEB_SEARCH = {"type": "web_search", "web_search": {"search_result": True}}
WEATHER = {
    "type": "function",
    "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}},
}
SENTENCE = "The quick brown fox jumps over the lazy dog."


def built(adapter: str, base_url: str, **call: Any) -> dict[str, Any]:
    """The body each adapter builds (no request is sent)."""
    if adapter == "langchain":
        chat = ChatGLM(api_key="k", base_url=base_url, model="glm-4.7")
        body, _ = chat._request([HumanMessage("hi")], None, call, stream=False)
    else:
        llm = GLM(api_key="k", base_url=base_url, model="glm-4.7")
        body, _ = llm._request([ChatMessage(role="user", content="hi")], call)
    return body


@pytest.mark.parametrize(("base_url", "engine"), [("international", "search_pro_jina"), ("china", "search_std")])
def test_one_default_web_search_engine_per_platform_in_both_adapters(base_url: str, engine: str) -> None:
    bodies = [built(adapter, base_url, tools=[WEB_SEARCH]) for adapter in ("langchain", "llamaindex")]
    assert bodies[0] == bodies[1]
    assert bodies[0]["tools"][0]["web_search"]["search_engine"] == engine


def test_one_token_estimate_for_one_sentence() -> None:
    chat = ChatGLM(api_key="k", model="glm-4.7", tokenizer="offline")
    assert chat.get_num_tokens(SENTENCE) == count_tokens(SENTENCE) == GLMTokenizer().count(SENTENCE) == 13


def test_bind_tools_parallel_tool_calls_false_is_not_sent(glm_server: LocalGLMServer) -> None:
    chat = ChatGLM(api_key=glm_server.api_key, base_url=glm_server.base_url, model="glm-4.7")
    chat.bind_tools([WEATHER], parallel_tool_calls=False).invoke("Weather in Oslo?")
    [body] = [r.json for r in glm_server.requests if r.path.endswith("/chat/completions")]
    assert "parallel_tool_calls" not in body
    chat.close()


@pytest.mark.parametrize("option", [{"strict": True}, {"n": 2}, {"frequency_penalty": 1.0}])
def test_bind_tools_refuses_what_glm_cannot_do_at_bind_time(option: dict[str, Any]) -> None:
    chat = ChatGLM(api_key="k", model="glm-4.7")
    with pytest.raises(GLMInvalidRequestError, match=next(iter(option)).split("_")[0]):
        chat.bind_tools([WEATHER], **option)


def test_a_strict_tool_definition_is_refused() -> None:
    strict = {"type": "function", "function": {**WEATHER["function"], "strict": True}}
    with pytest.raises(GLMInvalidRequestError, match="strict"):
        ChatGLM(api_key="k", model="glm-4.7").bind_tools([strict])

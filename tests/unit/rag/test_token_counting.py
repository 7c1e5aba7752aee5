"""Token counting without downloads: ``ChatGLM.get_num_tokens*`` on GLM's ``/tokenizer`` (or an
offline estimate), and LlamaIndex's ``TokenCountingHandler`` / ``Settings.tokenizer`` on
``GLMTokenizer`` (offline) or ``GLMEndpointTokenizer`` (the endpoint), against the local server.

LangChain's token counting API is synchronous only; the LlamaIndex endpoint tokenizer is tested
sync and async.
"""

from __future__ import annotations

from typing import Any

import llama_index.core
import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage, trim_messages
from langchain_core.tools import tool
from llama_index.core import Settings
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler

from glm_transport import AsyncGLMClient, GLMClient
from glm_transport.testing import LocalGLMServer, Reply
from glm_transport.testing._text import prompt_tokens  # the local server's count, a pure function
from langchain_glm import ChatGLM
from llamaindex_glm import GLMEmbedding, GLMEndpointTokenizer, GLMTokenizer

from .support import Runner, bodies

UNREACHABLE = "http://127.0.0.1:9/api/paas/v4"  # nothing listens on port 9: any request would fail
TEXTS = ["GLM-4.7 has a 200K context window.", "智谱的模型支持中文。", "Rerank scores 128 documents per request."]


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return "sunny"


CONVERSATION = [
    SystemMessage("You are terse."),
    HumanMessage("What is the weather in Paris?"),
    AIMessage("", tool_calls=[{"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1"}]),
    ToolMessage("sunny", tool_call_id="call_1"),
]


# ---- LangChain: ChatGLM.get_num_tokens_from_messages / get_num_tokens ----------------------


@pytest.fixture
def chat(glm_env: LocalGLMServer) -> Any:
    llm = ChatGLM(model="glm-4.6")
    yield llm
    llm.close()


def test_messages_and_tools_are_counted_by_the_tokenizer_endpoint(chat: ChatGLM, glm_env: LocalGLMServer) -> None:
    count = chat.get_num_tokens_from_messages(CONVERSATION, tools=[get_weather])
    [body] = bodies(glm_env, "/tokenizer")
    assert body["model"] == "glm-4.6"
    assert [m["role"] for m in body["messages"]] == ["system", "user", "assistant", "tool"]
    assert body["messages"][2]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert body["tools"][0]["function"]["name"] == "get_weather"
    assert count == prompt_tokens(body["messages"], body["tools"])
    assert count > chat.get_num_tokens_from_messages(CONVERSATION)  # the tools count too


def test_get_num_tokens_counts_a_text_as_one_user_message(chat: ChatGLM, glm_env: LocalGLMServer) -> None:
    text = "How many tokens is this sentence? " * 20
    count = chat.get_num_tokens(text)
    [body] = bodies(glm_env, "/tokenizer")
    assert body["messages"] == [{"role": "user", "content": text}]
    assert count == prompt_tokens(body["messages"])


def test_a_model_the_endpoint_refuses_falls_back_to_the_estimate(chat: ChatGLM, glm_env: LocalGLMServer) -> None:
    glm_env.enqueue(Reply.status(400, "1211", "model not supported by the tokenizer"))
    with pytest.warns(UserWarning, match="offline estimate"):
        count = chat.get_num_tokens("hello world")
    assert count == ChatGLM(model="glm-4.6", tokenizer="offline").get_num_tokens("hello world")
    assert len(bodies(glm_env, "/tokenizer")) == 1  # a refusal is not retried


@pytest.mark.disable_socket
def test_the_offline_estimate_needs_no_network_and_grows_with_the_text() -> None:
    llm = ChatGLM(model="glm-4.7", api_key="k", base_url=UNREACHABLE, tokenizer="offline")
    short, long = llm.get_num_tokens("hello"), llm.get_num_tokens("hello " * 100)
    assert 0 < short < long
    assert llm.get_num_tokens("智谱" * 10) > llm.get_num_tokens("ab" * 10)  # CJK costs more per character
    with_tools = llm.get_num_tokens_from_messages(CONVERSATION, tools=[get_weather])
    assert with_tools > llm.get_num_tokens_from_messages(CONVERSATION)
    with pytest.raises(NotImplementedError):  # never a GPT-2 tokenizer download behind our back
        llm.get_token_ids("hello")


def test_trim_messages_can_count_with_the_model(glm_env: LocalGLMServer) -> None:
    llm = ChatGLM(model="glm-4.6", tokenizer="offline")
    history = [HumanMessage(f"question {i} " * 30) for i in range(10)]
    budget = llm.get_num_tokens_from_messages(history[-3:])
    kept = trim_messages(history, max_tokens=budget, token_counter=llm, strategy="last")
    assert kept == history[-3:]
    assert glm_env.requests == []


# ---- LlamaIndex: GLMTokenizer / GLMEndpointTokenizer in TokenCountingHandler ----------------


@pytest.fixture
def glm_settings_tokenizer(monkeypatch: pytest.MonkeyPatch) -> GLMTokenizer:
    """``Settings.tokenizer = GLMTokenizer()`` as a user would write it, undone afterwards."""
    monkeypatch.setattr(llama_index.core, "global_tokenizer", llama_index.core.global_tokenizer)
    tokenizer = GLMTokenizer()
    Settings.tokenizer = tokenizer
    return tokenizer


def test_settings_tokenizer_counts_embedding_tokens_offline(
    run: Runner, glm_env: LocalGLMServer, glm_settings_tokenizer: GLMTokenizer
) -> None:
    counter = TokenCountingHandler()  # picks up Settings.tokenizer
    embed_model = run.own(GLMEmbedding(callback_manager=CallbackManager([counter])))
    run(embed_model.get_text_embedding_batch, TEXTS)
    assert Settings.tokenizer("智谱 GLM") == glm_settings_tokenizer.encode("智谱 GLM")
    assert counter.total_embedding_token_count == sum(glm_settings_tokenizer.count(t) for t in TEXTS)
    assert [r.path.rsplit("/", 1)[-1] for r in glm_env.requests] == ["embeddings"]  # no tokenizer request


def test_the_endpoint_tokenizer_counts_with_the_tokenizer_endpoint(run: Runner, glm_env: LocalGLMServer) -> None:
    tokenizer = GLMEndpointTokenizer("glm-4.6", client=run.own(GLMClient()), async_client=run.own(AsyncGLMClient()))
    count = run(tokenizer.count, TEXTS[0])
    [body] = bodies(glm_env, "/tokenizer")
    assert body["model"] == "glm-4.6"
    assert body["messages"] == [{"role": "user", "content": TEXTS[0]}]
    assert count == prompt_tokens(body["messages"])


def test_the_endpoint_tokenizer_works_in_a_token_counting_handler(run: Runner, glm_env: LocalGLMServer) -> None:
    tokenizer = GLMEndpointTokenizer("glm-4.6", client=run.own(GLMClient()))
    counter = TokenCountingHandler(tokenizer=tokenizer)
    embed_model = run.own(GLMEmbedding(callback_manager=CallbackManager([counter])))
    run(embed_model.get_text_embedding_batch, TEXTS)
    counted = bodies(glm_env, "/tokenizer")
    assert [b["messages"][0]["content"] for b in counted] == TEXTS
    assert counter.total_embedding_token_count == sum(prompt_tokens(b["messages"]) for b in counted)

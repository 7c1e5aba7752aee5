"""``ChatGLM`` as a LangChain citizen: serialization without the key, ``profile`` from the
catalogue, LangSmith parameters, ``rate_limiter``, batching, native async (no executor) and
clients owned per instance."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.load import dumpd, dumps, load, loads
from langchain_core.rate_limiters import BaseRateLimiter

from glm_transport.testing import LocalGLMServer
from langchain_glm import ChatGLM

from .conftest import MODES, Models, chat_bodies


@pytest.mark.filterwarnings("ignore::langchain_core._api.beta_decorator.LangChainBetaWarning")
def test_serialization_round_trips_without_the_key() -> None:
    chat = ChatGLM(model="glm-4.6", api_key="very-secret-key", temperature=0.4, max_tokens=256, thinking=False)
    text = dumps(chat)
    assert "very-secret-key" not in text
    assert '"ZHIPUAI_API_KEY"' in text  # the key is referenced by its secret name
    assert chat.lc_secrets == {"api_key": "ZHIPUAI_API_KEY"}
    revived = loads(
        text,
        secrets_map={"ZHIPUAI_API_KEY": "other-key"},
        valid_namespaces=["langchain_glm"],
        allowed_objects=[ChatGLM],
    )
    assert isinstance(revived, ChatGLM)
    assert (revived.model, revived.temperature, revived.max_tokens, revived.thinking) == ("glm-4.6", 0.4, 256, False)
    assert revived.api_key is not None
    assert revived.api_key.get_secret_value() == "other-key"
    assert dumpd(chat)["id"] == ["langchain_glm", "chat_models", "ChatGLM"]
    again = load(
        dumpd(chat), secrets_map={"ZHIPUAI_API_KEY": "k"}, valid_namespaces=["langchain_glm"], allowed_objects=[ChatGLM]
    )
    assert isinstance(again, ChatGLM)


def test_repr_and_dump_never_show_the_key() -> None:
    chat = ChatGLM(model="glm-4.7", api_key="very-secret-key")
    assert "very-secret-key" not in repr(chat)
    assert "very-secret-key" not in str(chat.model_dump())


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (
            "glm-4.7",
            {"max_input_tokens": 200_000, "reasoning_output": True, "tool_calling": True, "image_inputs": False},
        ),
        ("glm-4.6v", {"image_inputs": True, "image_url_inputs": True, "tool_calling": True}),
        ("glm-4-plus", {"reasoning_output": False, "tool_calling": True}),
    ],
)
def test_profile_comes_from_the_catalogue(model: str, expected: dict[str, Any]) -> None:
    profile = ChatGLM(model=model, api_key="k").profile
    assert profile is not None
    assert {key: profile.get(key) for key in expected} == expected
    assert profile.get("tool_choice") is False  # only "auto" is documented (wire notes §3.5)


def test_an_unknown_model_has_no_profile() -> None:
    assert ChatGLM(model="my-finetune-xyz", api_key="k").profile is None


class _Metadata(BaseCallbackHandler):
    def __init__(self) -> None:
        self.metadata: list[dict[str, Any]] = []

    def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
        self.metadata.append(kwargs["metadata"])


def test_langsmith_parameters(models: Models) -> None:
    handler = _Metadata()
    chat = models.chat(model="glm-4.6", temperature=0.5, max_tokens=300)
    chat.invoke("hi", stop=["END"], config={"callbacks": [handler]})
    traced = handler.metadata[0]
    assert traced["ls_provider"] == "zhipuai"
    assert traced["ls_model_name"] == "glm-4.6"
    assert traced["ls_model_type"] == "chat"
    assert traced["ls_temperature"] == 0.5
    assert traced["ls_max_tokens"] == 300
    assert traced["ls_stop"] == ["END"]


class CountingLimiter(BaseRateLimiter):
    def __init__(self) -> None:
        self.acquired = 0

    def acquire(self, *, blocking: bool = True) -> bool:
        self.acquired += 1
        return True

    async def aacquire(self, *, blocking: bool = True) -> bool:
        self.acquired += 1
        return True


@pytest.mark.parametrize("mode", MODES)
def test_rate_limiter_is_asked_before_every_call(models: Models, glm_server: LocalGLMServer, mode: str) -> None:
    limiter = CountingLimiter()
    chat = models.chat(rate_limiter=limiter)
    models.call(chat, mode, "one")
    models.call(chat, mode, "two")
    assert limiter.acquired == 2
    assert len(chat_bodies(glm_server)) == 2


class _NoExecutor(concurrent.futures.ThreadPoolExecutor):
    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        raise AssertionError(f"an executor ran {fn!r}")


@pytest.mark.parametrize("call", ["ainvoke", "astream", "abatch", "astream_events"])
def test_async_calls_never_use_an_executor(models: Models, glm_server: LocalGLMServer, call: str) -> None:
    chat = models.chat()

    async def go() -> None:
        asyncio.get_running_loop().set_default_executor(_NoExecutor())
        if call == "ainvoke":
            await chat.ainvoke("hi")
        elif call == "astream":
            assert [chunk async for chunk in chat.astream("hi")]
        elif call == "abatch":
            assert len(await chat.abatch(["a", "b", "c"])) == 3
        else:
            assert [event async for event in chat.astream_events("hi", version="v2")]

    models.run(go)
    assert chat_bodies(glm_server)


@pytest.mark.parametrize("kind", ["batch", "abatch"])
def test_batch_answers_each_input_in_order(models: Models, glm_server: LocalGLMServer, kind: str) -> None:
    chat = models.chat(thinking=False)
    inputs = ["alpha", "beta", "gamma", "delta"]
    answers = chat.batch(inputs) if kind == "batch" else models.run(lambda: chat.abatch(inputs))
    assert [answer.text for answer in answers] == [f"Hello! You said: {text}" for text in inputs]
    assert len(chat_bodies(glm_server)) == 4


def test_each_instance_owns_its_clients_and_copies_get_their_own(models: Models) -> None:
    chat = models.chat()
    copy = chat.model_copy(update={"temperature": 0.1})
    assert chat.client is chat.client
    assert copy.client is not chat.client
    copy.invoke("hi")
    copy.close()
    assert chat.invoke("still open").text


def test_a_user_supplied_http_client_is_used_and_left_open(models: Models, glm_server: LocalGLMServer) -> None:
    import httpx

    with httpx.Client() as http:
        chat = models.chat(http_client=http, default_headers={"X-Trace": "abc"})
        chat.invoke("hi")
        chat.close()
        assert not http.is_closed
        assert glm_server.requests[-1].headers["x-trace"] == "abc"


def test_async_client_works_across_event_loops(models: Models) -> None:
    chat = models.chat()
    first = models.run(lambda: chat.ainvoke("one"))
    second = models.run(lambda: chat.ainvoke("two"))
    assert first.text and second.text

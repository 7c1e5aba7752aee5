"""Spellings each framework's OpenAI classes bring, mapped to GLM behaviour, and serialization
round trips (LangChain ``dumps``/``loads``, LlamaIndex ``to_dict``/``from_dict``) that carry no
secret."""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

import httpx
import pytest
from langchain_core.load import dumps, loads

from glm_transport import get_model_info
from glm_transport.testing import LocalGLMServer

from .conftest import ALL, EMBEDDINGS, KINDS, Make

KEY = "sk-very-secret-key-1234"


@pytest.mark.parametrize("streaming", [True, False])
def test_langchain_streaming_makes_invoke_stream(make: Make, glm_server: LocalGLMServer, streaming: bool) -> None:
    chat = make("lc.ChatGLM", streaming=streaming)
    assert chat.invoke("hi").content
    assert glm_server.requests[-1].json.get("stream", False) is streaming


@pytest.mark.parametrize("mode", ["stream", "astream"])
@pytest.mark.parametrize("stream_usage", [True, False])
def test_langchain_stream_usage_decides_whether_streams_report_usage(make: Make, mode: str, stream_usage: bool) -> None:
    chat = make("lc.ChatGLM", stream_usage=stream_usage)
    if mode == "stream":
        chunks = list(chat.stream("hi"))
    else:

        async def collect() -> list[Any]:
            try:
                return [chunk async for chunk in chat.astream("hi")]
            finally:
                await chat.aclose()

        chunks = asyncio.run(collect())
    reported = [chunk.usage_metadata for chunk in chunks if chunk.usage_metadata]
    assert bool(reported) is stream_usage


def test_llamaindex_context_window_and_function_calling_override_the_catalogue(make: Make) -> None:
    info = get_model_info("glm-4.7")
    default = make("li.GLM", model="glm-4.7").metadata
    assert (default.context_window, default.is_function_calling_model) == (info.context_window, info.tools)
    llm = make("li.GLM", model="glm-4.7", context_window=32_000, is_function_calling_model=False)
    assert (llm.metadata.context_window, llm.metadata.is_function_calling_model) == (32_000, False)
    llm.context_window = 16_000  # a later change is seen too
    assert llm.metadata.context_window == 16_000


@pytest.mark.parametrize("kind", EMBEDDINGS)
@pytest.mark.parametrize("spelling", ["batch_size", "embed_batch_size", "chunk_size"])
def test_an_embedding_batch_above_glm_limit_is_capped_with_a_warning(
    make: Make, glm_server: LocalGLMServer, kind: str, spelling: str
) -> None:
    with pytest.warns(UserWarning, match=f"{'batch_size' if kind.startswith('lc.') else 'embed_batch_size'}=500 .* 64"):
        embeddings = make(kind, **{spelling: 500})
    texts = [f"text {i}" for i in range(70)]
    if kind.startswith("lc."):
        embeddings.embed_documents(texts)
    else:
        embeddings.get_text_embedding_batch(texts)
    sizes = [len(r.json["input"]) for r in glm_server.requests]
    assert sizes == [64, 6]


@pytest.mark.parametrize("kind", EMBEDDINGS)
def test_an_embedding_batch_within_the_limit_warns_nothing(make: Make, kind: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        make(kind, **{"batch_size" if kind.startswith("lc.") else "embed_batch_size": 10})


@pytest.mark.filterwarnings("ignore::langchain_core._api.beta_decorator.LangChainBetaWarning")
@pytest.mark.parametrize("spelling", ["api_key", "openai_api_key", "zhipuai_api_key"])
def test_langchain_dumps_and_loads_round_trip_without_the_key(make: Make, spelling: str) -> None:
    # ChatGLM(openai_api_key=...) used to put the key into model_kwargs, so into dumps and every body.
    from langchain_glm import ChatGLM

    chat = make("lc.ChatGLM", **{spelling: KEY}, request_timeout=30, max_completion_tokens=50)
    text = dumps(chat)
    assert KEY not in text and KEY not in repr(chat)
    assert chat.model_kwargs == {}
    revived = loads(
        text, secrets_map={"ZHIPUAI_API_KEY": "other"}, valid_namespaces=["langchain_glm"], allowed_objects=[ChatGLM]
    )
    make.made.append(revived)
    assert (revived.timeout, revived.max_tokens, revived.base_url) == (30, 50, chat.base_url)
    assert revived.api_key is not None and revived.api_key.get_secret_value() == "other"


@pytest.mark.parametrize("kind", [k for k in ALL if k.startswith("lc.")])
def test_langchain_dumps_of_every_class_carries_no_key(make: Make, kind: str) -> None:
    assert KEY not in dumps(make(kind, api_key=KEY))


@pytest.mark.parametrize("kind", ["li.GLM", "li.GLMEmbedding", "li.GLMRerank"])
def test_llamaindex_to_dict_and_from_dict_round_trip_without_the_key(
    make: Make, glm_server: LocalGLMServer, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    glm_server.api_key = KEY
    obj = make(kind, api_key=KEY, timeout=httpx.Timeout(9.0, connect=3.0), max_retries=4, use_jwt=False)
    data = obj.to_dict()
    assert KEY not in obj.to_json() and "api_key" not in data
    monkeypatch.setenv("ZHIPUAI_API_KEY", KEY)  # the key comes back from the environment
    revived = KINDS[kind].cls.from_dict(data)
    make.made.append(revived)
    assert (revived.timeout, revived.max_retries, revived.base_url) == (
        httpx.Timeout(9.0, connect=3.0),
        4,
        obj.base_url,
    )
    make.use(kind, revived)
    assert glm_server.requests


WEB_SEARCH = ["lc.GLMWebSearchRetriever", "lc.GLMWebSearchTool", "li.GLMWebSearchToolSpec"]


@pytest.mark.parametrize("kind", WEB_SEARCH)
def test_web_search_classes_take_and_send_the_same_options(make: Make, glm_server: LocalGLMServer, kind: str) -> None:
    options = {"search_engine": "search_pro", "count": 5, "search_recency_filter": "oneWeek", "content_size": "high"}
    make.use(kind, make(kind, **options))
    body = glm_server.requests[-1].json
    assert {key: body[key] for key in options} == options
    assert "search_domain_filter" not in body


@pytest.mark.parametrize("kind", WEB_SEARCH)
@pytest.mark.parametrize(("option", "value"), [("search_recency_filter", "week"), ("count", 51)])
def test_web_search_options_are_checked_at_construction(make: Make, kind: str, option: str, value: Any) -> None:
    with pytest.raises(ValueError, match=option):
        make(kind, **{option: value})


@pytest.mark.filterwarnings("ignore::langchain_core._api.beta_decorator.LangChainBetaWarning")
def test_a_credential_header_stays_out_of_langchain_dumps(make: Make, glm_server: LocalGLMServer) -> None:
    from langchain_glm import ChatGLM

    chat = make("lc.ChatGLM", default_headers={"Proxy-Authorization": KEY, "X-Trace": "t1"})
    text = dumps(chat)
    assert KEY not in text and KEY not in repr(chat) and "t1" in text
    revived = loads(
        text,
        secrets_map={"ZHIPUAI_API_KEY": glm_server.api_key},
        valid_namespaces=["langchain_glm"],
        allowed_objects=[ChatGLM],
    )
    make.made.append(revived)
    assert revived.default_headers == {"X-Trace": "t1"}  # the credential is passed again, like the key


@pytest.mark.parametrize("kind", ALL)
def test_credential_headers_stay_out_of_repr_and_dumps(make: Make, glm_server: LocalGLMServer, kind: str) -> None:
    obj = make(kind, default_headers={"X-Api-Key": KEY, "X-Trace": "t1"})
    assert KEY not in repr(obj) and KEY not in str(obj.model_dump())
    assert obj.model_dump()["default_headers"] == {"X-Trace": "t1"}
    make.use(kind, obj)
    assert glm_server.requests[-1].headers["x-api-key"] == KEY  # still sent, as asked

"""``GLMWebSearchTool`` and ``GLMWebSearchRetriever`` against the local server, sync and async."""

from __future__ import annotations

import json

import pytest
from langchain_core.messages import ToolMessage
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ValidationError

from glm_transport import GLMBadRequestError
from glm_transport.testing import LocalGLMServer
from langchain_glm.web_search import GLMWebSearchRetriever, GLMWebSearchTool

from .support import Runner, bodies

RESULT_KEYS = {"title", "link", "content", "publish_date", "media"}


def test_the_tool_returns_results_with_links_and_dates(run: Runner, glm_env: LocalGLMServer) -> None:
    tool = run.own(GLMWebSearchTool(search_recency_filter="oneWeek", search_domain_filter="z.ai"))
    results = run(tool.invoke, {"query": "GLM-4.7 release", "count": 2})
    assert len(results) == 2
    assert all(set(r) == RESULT_KEYS for r in results)
    assert results[0]["link"] == "https://z.ai/glm-4-7-release/1"
    assert results[1]["publish_date"] == "2026-01-02"
    assert results[0]["title"] == "GLM-4.7 release - result 1"
    [body] = bodies(glm_env, "/web_search")
    assert body["search_query"] == "GLM-4.7 release"
    assert body["count"] == 2
    assert body["search_recency_filter"] == "oneWeek"
    assert body["search_domain_filter"] == "z.ai"
    assert body["search_engine"] == "search_std"


def test_the_tool_default_count_and_engine_are_used_when_the_call_gives_none(
    run: Runner, glm_env: LocalGLMServer
) -> None:
    tool = run.own(GLMWebSearchTool(count=4, search_engine="search_pro"))
    assert len(run(tool.invoke, {"query": "GLM"})) == 4
    [body] = bodies(glm_env, "/web_search")
    assert body["search_engine"] == "search_pro"
    assert "search_recency_filter" not in body


def test_a_tool_call_gives_a_tool_message_with_json_results(run: Runner, glm_env: LocalGLMServer) -> None:
    tool = run.own(GLMWebSearchTool())
    call = {"type": "tool_call", "id": "call_1", "name": "glm_web_search", "args": {"query": "zhipu", "count": 3}}
    message = run(tool.invoke, call)
    assert isinstance(message, ToolMessage)
    assert message.tool_call_id == "call_1"
    assert isinstance(message.content, str)
    results = json.loads(message.content)
    assert [r["link"] for r in results] == [f"https://example.com/zhipu/{i}" for i in (1, 2, 3)]


def test_the_model_sees_a_plain_schema() -> None:
    tool = GLMWebSearchTool(api_key="k")
    function = convert_to_openai_tool(tool)["function"]
    assert function["name"] == "glm_web_search"
    assert "publish date" in function["description"]
    parameters = function["parameters"]
    assert parameters["required"] == ["query"]
    assert parameters["properties"]["count"]["type"] == "integer"
    assert parameters["properties"]["count"]["minimum"] == 1
    assert parameters["properties"]["count"]["maximum"] == 50


@pytest.mark.parametrize("count", [0, 51])
def test_a_count_out_of_range_fails_before_sending(run: Runner, glm_env: LocalGLMServer, count: int) -> None:
    tool = run.own(GLMWebSearchTool())
    with pytest.raises(ValidationError):
        run(tool.invoke, {"query": "GLM", "count": count})
    assert glm_env.requests == []


def test_an_error_from_the_api_reaches_the_caller(run: Runner, glm_env: LocalGLMServer) -> None:
    tool = run.own(GLMWebSearchTool(search_engine=""))
    with pytest.raises(GLMBadRequestError):
        run(tool.invoke, {"query": "GLM"})


def test_the_retriever_returns_documents_with_links_and_dates(run: Runner, glm_env: LocalGLMServer) -> None:
    retriever = run.own(GLMWebSearchRetriever(count=3))
    documents = run(retriever.invoke, "GLM web search")
    assert len(documents) == 3
    first = documents[0]
    assert first.page_content == "Result 1 for GLM web search: a page about glm web search."
    assert first.metadata["link"] == "https://example.com/glm-web-search/1"
    assert first.metadata["title"] == "GLM web search - result 1"
    assert first.metadata["publish_date"] == "2026-01-01"
    assert first.metadata["media"] == "Example Media"
    assert first.metadata["refer"] == "ref_1"
    assert bodies(glm_env, "/web_search")[0]["count"] == 3
    assert (retriever._clients._sync is None) == (run.mode == "async")

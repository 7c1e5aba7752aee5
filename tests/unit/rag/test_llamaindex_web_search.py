"""``GLMWebSearchToolSpec`` against the local server, sync and async."""

from __future__ import annotations

import pytest

from glm_transport import GLMConfigurationError, GLMInvalidRequestError
from glm_transport.testing import LocalGLMServer
from llamaindex_glm.web_search import GLMWebSearchToolSpec

from .support import Runner, bodies

RESULT_KEYS = {"title", "link", "content", "publish_date", "media"}


def test_web_search_returns_results_with_links_and_dates(run: Runner, glm_env: LocalGLMServer) -> None:
    spec = run.own(GLMWebSearchToolSpec(count=2, search_recency_filter="oneMonth", content_size="high"))
    results = run(spec.web_search, "GLM-4.7 release")
    assert len(results) == 2
    assert all(set(r) == RESULT_KEYS for r in results)
    assert results[0]["link"] == "https://example.com/glm-4-7-release/1"
    assert results[0]["publish_date"] == "2026-01-01"
    [body] = bodies(glm_env, "/web_search")
    assert body["count"] == 2
    assert body["search_recency_filter"] == "oneMonth"
    assert body["content_size"] == "high"
    assert "search_domain_filter" not in body


def test_the_call_count_wins_over_the_default(run: Runner, glm_env: LocalGLMServer) -> None:
    spec = run.own(GLMWebSearchToolSpec(count=2))
    assert len(run(spec.web_search, "GLM", count=5)) == 5


def test_to_tool_list_gives_one_tool_with_a_native_async_function(run: Runner, glm_env: LocalGLMServer) -> None:
    spec = run.own(GLMWebSearchToolSpec())
    [tool] = spec.to_tool_list()
    assert tool.metadata.name == "web_search"
    assert "publish date" in tool.metadata.description
    parameters = tool.metadata.get_parameters_dict()
    assert parameters["required"] == ["query"]
    assert parameters["properties"]["count"]["type"] == "integer"
    output = run(tool.call, query="zhipu rerank", count=3)
    assert not output.is_error
    assert [r["link"] for r in output.raw_output] == [f"https://example.com/zhipu-rerank/{i}" for i in (1, 2, 3)]
    assert "https://example.com/zhipu-rerank/3" in output.content
    assert (spec._clients._sync is None) == (run.mode == "async")


def test_bad_input_fails_before_sending(run: Runner, glm_env: LocalGLMServer) -> None:
    spec = run.own(GLMWebSearchToolSpec())
    with pytest.raises(GLMInvalidRequestError):
        run(spec.web_search, "GLM", count=80)
    assert glm_env.requests == []


def test_a_missing_key_fails_at_construction() -> None:
    with pytest.raises(GLMConfigurationError, match="ZHIPUAI_API_KEY or ZAI_API_KEY"):
        GLMWebSearchToolSpec()

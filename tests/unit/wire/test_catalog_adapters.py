"""What the catalogue fix means for a user of either adapter (docs/wire-notes.md §9)."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Callable

import pytest
from langchain_core.messages import HumanMessage
from llama_index.core.llms import ChatMessage

from glm_transport import GLMBadRequestError
from glm_transport.testing import LocalGLMServer
from langchain_glm import ChatGLM
from llamaindex_glm import GLM


def _langchain(server: LocalGLMServer, model: str) -> str:
    chat = ChatGLM(model=model, api_key=server.api_key, base_url=server.base_url, max_retries=0)
    return str(chat.invoke([HumanMessage(content="hi")]).content)


def _llamaindex(server: LocalGLMServer, model: str) -> str:
    llm = GLM(model=model, api_key=server.api_key, base_url=server.base_url, max_retries=0)
    return str(llm.chat([ChatMessage(role="user", content="hi")]).message.content)


ADAPTERS: list[Callable[[LocalGLMServer, str], str]] = [_langchain, _llamaindex]


@pytest.mark.parametrize("invoke", ADAPTERS, ids=["langchain", "llamaindex"])
@pytest.mark.parametrize("model", ["glm-4", "glm-4-flashx", "glm-z1-flash"])
def test_ids_from_published_examples_answer_without_a_warning(
    glm_server: LocalGLMServer, invoke: Callable[[LocalGLMServer, str], str], model: str
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(2):
            assert "hi" in invoke(glm_server, model)
    assert [str(w.message) for w in caught if "catalogue" in str(w.message)] == []


def test_an_unknown_id_warns_once_across_calls_and_adapters(glm_server: LocalGLMServer) -> None:
    model = f"glm-4.7-preview-{uuid.uuid4().hex[:6]}"  # not a dated snapshot: unknown
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for invoke in ADAPTERS * 2:
            with pytest.raises(GLMBadRequestError, match="1211"):  # the local server, like GLM, does not know it
                invoke(glm_server, model)
    assert len([w for w in caught if "not in the catalogue" in str(w.message)]) == 1
    assert [r.json["model"] for r in glm_server.requests] == [model] * 4


def test_llamaindex_budgets_16k_output_for_the_free_flash_model() -> None:
    llm = GLM(model="glm-4-flash-250414", api_key="k")
    assert llm.metadata.num_output == 16_384

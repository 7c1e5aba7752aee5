"""Every GLM class of both adapters, by name, with one call each against the local server, so a
behaviour of the shared options surface is written once and parametrized over all of them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from langchain_core.documents import Document
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.schema import NodeWithScore, TextNode

import langchain_glm
import llamaindex_glm
from glm_transport.testing import LocalGLMServer


@dataclass(frozen=True)
class Kind:
    """A class of one adapter and one cheap call that reaches the server."""

    name: str
    cls: type[Any]
    use: Callable[[Any], Any]
    chat: bool = False
    embeddings: bool = False


KINDS = {
    kind.name: kind
    for kind in (
        Kind("lc.ChatGLM", langchain_glm.ChatGLM, lambda m: m.invoke("hi"), chat=True),
        Kind("lc.GLMEmbeddings", langchain_glm.GLMEmbeddings, lambda m: m.embed_query("hi"), embeddings=True),
        Kind("lc.GLMRerank", langchain_glm.GLMRerank, lambda m: m.compress_documents([Document("a")], "q")),
        Kind("lc.GLMWebSearchTool", langchain_glm.GLMWebSearchTool, lambda m: m.invoke({"query": "glm"})),
        Kind("lc.GLMWebSearchRetriever", langchain_glm.GLMWebSearchRetriever, lambda m: m.invoke("glm")),
        Kind("li.GLM", llamaindex_glm.GLM, lambda m: m.chat([ChatMessage(role="user", content="hi")]), chat=True),
        Kind("li.GLMEmbedding", llamaindex_glm.GLMEmbedding, lambda m: m.get_query_embedding("hi"), embeddings=True),
        Kind(
            "li.GLMRerank",
            llamaindex_glm.GLMRerank,
            lambda m: m.postprocess_nodes([NodeWithScore(node=TextNode(text="a"))], query_str="q"),
        ),
        Kind("li.GLMWebSearchToolSpec", llamaindex_glm.GLMWebSearchToolSpec, lambda m: m.web_search("glm")),
        Kind("li.GLMEndpointTokenizer", llamaindex_glm.GLMEndpointTokenizer, lambda m: m.count("hi")),
    )
}
ALL = sorted(KINDS)
CHATS = sorted(name for name, kind in KINDS.items() if kind.chat)
EMBEDDINGS = sorted(name for name, kind in KINDS.items() if kind.embeddings)


class Make:
    """``make(kind, **options)``: an instance on the local server (key and URL filled in unless
    given); everything made is closed at teardown."""

    def __init__(self, server: LocalGLMServer) -> None:
        self.server = server
        self.made: list[Any] = []

    def __call__(self, kind: str, *, local: bool = True, **options: Any) -> Any:
        if local:
            if not {"api_key", "openai_api_key", "zhipuai_api_key"} & set(options):
                options["api_key"] = self.server.api_key
            if not {"base_url", "api_base", "openai_api_base", "zhipuai_api_base"} & set(options):
                options["base_url"] = self.server.base_url
        obj = KINDS[kind].cls(**options)
        self.made.append(obj)
        return obj

    def use(self, kind: str, obj: Any) -> Any:
        return KINDS[kind].use(obj)


@pytest.fixture
def make(glm_server: LocalGLMServer) -> Iterator[Make]:
    made = Make(glm_server)
    yield made
    for obj in made.made:
        obj.close()

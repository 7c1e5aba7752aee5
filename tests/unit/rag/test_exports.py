"""The public names of both adapters, pinned, and the framework types the RAG pieces are."""

from __future__ import annotations

from langchain_core.documents.compressor import BaseDocumentCompressor
from langchain_core.retrievers import BaseRetriever
from langchain_core.tools import BaseTool
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.tools.tool_spec.base import BaseToolSpec

import langchain_glm
import llamaindex_glm


def test_langchain_glm_public_names() -> None:
    assert sorted(langchain_glm.__all__) == [
        "ChatGLM",
        "GLMEmbeddings",
        "GLMFileParserLoader",
        "GLMImageGenerationTool",
        "GLMRerank",
        "GLMVideoGenerationTool",
        "GLMWebSearchRetriever",
        "GLMWebSearchTool",
        "__version__",
    ]
    assert all(hasattr(langchain_glm, name) for name in langchain_glm.__all__)


def test_llamaindex_glm_public_names() -> None:
    assert sorted(llamaindex_glm.__all__) == [
        "GLM",
        "GLMEmbedding",
        "GLMEndpointTokenizer",
        "GLMFileParserReader",
        "GLMMediaToolSpec",
        "GLMRerank",
        "GLMTokenizer",
        "GLMWebSearchToolSpec",
        "count_tokens",
    ]
    assert all(hasattr(llamaindex_glm, name) for name in llamaindex_glm.__all__)


def test_the_rag_pieces_are_the_framework_types_pipelines_expect() -> None:
    assert issubclass(langchain_glm.GLMRerank, BaseDocumentCompressor)
    assert issubclass(langchain_glm.GLMWebSearchTool, BaseTool)
    assert issubclass(langchain_glm.GLMWebSearchRetriever, BaseRetriever)
    assert issubclass(llamaindex_glm.GLMRerank, BaseNodePostprocessor)
    assert issubclass(llamaindex_glm.GLMWebSearchToolSpec, BaseToolSpec)

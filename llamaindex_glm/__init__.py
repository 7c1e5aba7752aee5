"""Zhipu AI / Z.ai GLM models for LlamaIndex: ``GLM`` (chat, tools, thinking, vision), ``GLMEmbedding``,
``GLMRerank``, GLM web search and token counting."""

from .embeddings import GLMEmbedding
from .llms import GLM
from .media_tools import GLMMediaToolSpec
from .readers import GLMFileParserReader
from .rerank import GLMRerank
from .tokenizer import GLMEndpointTokenizer, GLMTokenizer, count_tokens
from .web_search import GLMWebSearchToolSpec

__all__ = [
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

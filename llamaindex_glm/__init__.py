"""Zhipu AI / Z.ai GLM models for LlamaIndex: ``GLM`` (chat, tools, thinking, vision), ``GLMEmbedding``,
``GLMRerank``, GLM web search and token counting.

Each class is imported on first use (``glm_transport._lazy``), so importing the package is cheap.
"""

from typing import TYPE_CHECKING

from glm_transport._lazy import lazy_exports

if TYPE_CHECKING:
    from .embeddings import GLMEmbedding
    from .llms import GLM
    from .media_tools import GLMMediaToolSpec
    from .readers import GLMFileParserReader
    from .rerank import GLMRerank
    from .tokenizer import GLMEndpointTokenizer, GLMTokenizer, count_tokens
    from .web_search import GLMWebSearchToolSpec

_EXPORTS = {
    ".embeddings": ("GLMEmbedding",),
    ".llms": ("GLM",),
    ".media_tools": ("GLMMediaToolSpec",),
    ".readers": ("GLMFileParserReader",),
    ".rerank": ("GLMRerank",),
    ".tokenizer": ("GLMEndpointTokenizer", "GLMTokenizer", "count_tokens"),
    ".web_search": ("GLMWebSearchToolSpec",),
}
__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)

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

"""Zhipu AI / Z.ai GLM models for LangChain: ``ChatGLM``, ``GLMEmbeddings``, ``GLMRerank`` and GLM web search.

Each class is imported on first use (``glm_transport._lazy``), so importing the package is cheap.
"""

from typing import TYPE_CHECKING

from glm_transport._lazy import lazy_exports
from glm_transport._version import __version__

if TYPE_CHECKING:
    from .chat_models import ChatGLM
    from .document_loaders import GLMFileParserLoader
    from .embeddings import GLMEmbeddings
    from .media_tools import GLMImageGenerationTool, GLMVideoGenerationTool
    from .rerank import GLMRerank
    from .web_search import GLMWebSearchRetriever, GLMWebSearchTool

_EXPORTS = {
    ".chat_models": ("ChatGLM",),
    ".document_loaders": ("GLMFileParserLoader",),
    ".embeddings": ("GLMEmbeddings",),
    ".media_tools": ("GLMImageGenerationTool", "GLMVideoGenerationTool"),
    ".rerank": ("GLMRerank",),
    ".web_search": ("GLMWebSearchRetriever", "GLMWebSearchTool"),
}
__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)

__all__ = [
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

"""Zhipu AI / Z.ai GLM models for LangChain: ``ChatGLM``, ``GLMEmbeddings``, ``GLMRerank`` and GLM web search."""

from glm_transport import __version__

from .chat_models import ChatGLM
from .document_loaders import GLMFileParserLoader
from .embeddings import GLMEmbeddings
from .media_tools import GLMImageGenerationTool, GLMVideoGenerationTool
from .rerank import GLMRerank
from .web_search import GLMWebSearchRetriever, GLMWebSearchTool

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

"""GLM's standalone web search API (wire notes §8b) as a LangChain tool and a retriever."""

from __future__ import annotations

from typing import Annotated

from langchain_core.callbacks import (
    AsyncCallbackManagerForRetrieverRun,
    AsyncCallbackManagerForToolRun,
    CallbackManagerForRetrieverRun,
    CallbackManagerForToolRun,
)
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.tools import BaseTool
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from glm_transport.options import WebSearchOptions
from glm_transport.types import WebSearchResponse, WebSearchResult

from ._client import GLMConnection
from ._errors import mapped_errors

__all__ = ["GLMWebSearchInput", "GLMWebSearchRetriever", "GLMWebSearchTool"]

_RESULT_FIELDS = ("title", "link", "content", "publish_date", "media")
_METADATA_FIELDS = ("title", "link", "publish_date", "media", "refer", "icon")


class GLMWebSearchInput(BaseModel):
    """Arguments of ``GLMWebSearchTool``."""

    query: str = Field(description="What to search the web for.")
    # ``SkipJsonSchema`` keeps the schema the model sees a plain integer, not ``anyOf [int, null]``.
    count: Annotated[int, Field(ge=1, le=50)] | SkipJsonSchema[None] = Field(
        default=None, description="How many results to return, 1 to 50."
    )


class _WebSearchSettings(GLMConnection, WebSearchOptions):
    """The search options both the tool and the retriever send (wire notes §3.3, §8b)."""

    def _search(self, query: str, count: int | None = None) -> WebSearchResponse:
        with mapped_errors():
            return self.client.web_search(query, **self.search_kwargs(count))

    async def _asearch(self, query: str, count: int | None = None) -> WebSearchResponse:
        with mapped_errors():
            return await self.async_client.web_search(query, **self.search_kwargs(count))


def result_dicts(response: WebSearchResponse) -> list[dict[str, str | None]]:
    """What the tool returns: one dict per result, the same keys every time."""
    return [{name: getattr(result, name) for name in _RESULT_FIELDS} for result in response.search_result]


def result_document(result: WebSearchResult) -> Document:
    """A result as a ``Document``: the page text, and the fields the API gave as metadata."""
    metadata = {name: getattr(result, name) for name in _METADATA_FIELDS}
    return Document(
        page_content=result.content or "",
        metadata={name: value for name, value in metadata.items() if value is not None},
    )


class GLMWebSearchTool(_WebSearchSettings, BaseTool):
    """Search the web with GLM's web search API; for agents.

    Returns a list of results, each ``{"title", "link", "content", "publish_date", "media"}``;
    in an agent the model sees them as JSON.

    Setup:
        ``pip install "glm-integrations[langchain]"`` and set ``ZHIPUAI_API_KEY``.

    Instantiate:
        .. code-block:: python

            from langchain_glm import GLMWebSearchTool

            search = GLMWebSearchTool(count=5, search_recency_filter="oneMonth")

    Invoke:
        .. code-block:: python

            results = search.invoke({"query": "GLM-4.7 release"})
            results[0]["link"]

    With an agent:
        .. code-block:: python

            from langchain.agents import create_agent

            agent = create_agent(ChatGLM(model="glm-4.7"), tools=[search])

    Async:
        .. code-block:: python

            results = await search.ainvoke({"query": "GLM-4.7 release"})
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str = "glm_web_search"
    description: str = (
        "Search the web for current information. Input: a search query, and optionally how many "
        "results to return. Output: results with title, link, content and publish date."
    )
    args_schema: type[BaseModel] = GLMWebSearchInput

    def _run(
        self,
        query: str,
        count: int | None = None,
        run_manager: CallbackManagerForToolRun | None = None,
    ) -> list[dict[str, str | None]]:
        return result_dicts(self._search(query, count))

    async def _arun(
        self,
        query: str,
        count: int | None = None,
        run_manager: AsyncCallbackManagerForToolRun | None = None,
    ) -> list[dict[str, str | None]]:
        return result_dicts(await self._asearch(query, count))


class GLMWebSearchRetriever(_WebSearchSettings, BaseRetriever):
    """Web search results as ``Document`` objects.

    ``page_content`` is the result's text; ``metadata`` holds ``link``, ``title``,
    ``publish_date``, ``media``, ``refer`` and ``icon`` when the API gives them.

    Instantiate:
        .. code-block:: python

            from langchain_glm import GLMWebSearchRetriever

            retriever = GLMWebSearchRetriever(count=5)

    Invoke:
        .. code-block:: python

            documents = retriever.invoke("GLM-4.7 release")
            documents[0].metadata["link"]

    Async:
        .. code-block:: python

            documents = await retriever.ainvoke("GLM-4.7 release")
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [result_document(result) for result in self._search(query).search_result]

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [result_document(result) for result in (await self._asearch(query)).search_result]

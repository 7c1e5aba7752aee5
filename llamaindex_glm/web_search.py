"""GLM's standalone web search API (wire notes §8b) as a LlamaIndex tool spec, for ``FunctionAgent``."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from llama_index.core.tools import ToolMetadata
from llama_index.core.tools.tool_spec.base import SPEC_FUNCTION_TYPE, BaseToolSpec
from pydantic import BaseModel, Field, SecretStr
from pydantic.json_schema import SkipJsonSchema

from glm_transport.options import WebSearchOptions
from glm_transport.types import WebSearchResponse

from ._client import GLMConnection

__all__ = ["GLMWebSearchToolSpec"]

_RESULT_FIELDS = ("title", "link", "content", "publish_date", "media")
_DESCRIPTION = (
    "Search the web for current information. Input: a search query, and optionally how many "
    "results to return. Output: results with title, link, content, publish date and media."
)


class WebSearchArgs(BaseModel):
    """Arguments of the ``web_search`` tool."""

    query: str = Field(description="What to search the web for.")
    # ``SkipJsonSchema`` keeps the schema the model sees a plain integer, not ``anyOf [int, null]``.
    count: Annotated[int, Field(ge=1, le=50)] | SkipJsonSchema[None] = Field(
        default=None, description="How many results to return, 1 to 50."
    )


def result_dicts(response: WebSearchResponse) -> list[dict[str, str | None]]:
    """One dict per result, the same keys every time."""
    return [{name: getattr(result, name) for name in _RESULT_FIELDS} for result in response.search_result]


class GLMWebSearchToolSpec(GLMConnection, WebSearchOptions, BaseToolSpec):
    """Search the web with GLM's web search API.

    ``to_tool_list()`` gives one tool, ``web_search``, with a sync and a native async function;
    each result is ``{"title", "link", "content", "publish_date", "media"}``.

    Setup:
        ``pip install "glm-integrations[llamaindex]"`` and set ``ZHIPUAI_API_KEY``.

    Instantiate:
        .. code-block:: python

            from llamaindex_glm import GLMWebSearchToolSpec

            spec = GLMWebSearchToolSpec(count=5, search_recency_filter="oneMonth")

    With an agent:
        .. code-block:: python

            from llama_index.core.agent.workflow import FunctionAgent

            agent = FunctionAgent(tools=spec.to_tool_list(), llm=GLM(model="glm-4.7"))

    Direct:
        .. code-block:: python

            results = spec.web_search("GLM-4.7 release")
            results = await spec.aweb_search("GLM-4.7 release")

    Args:
        api_key: the key; else ``ZHIPUAI_API_KEY``, else ``ZAI_API_KEY``.
        base_url: a URL or endpoint name; else ``ZHIPUAI_BASE_URL``.
        search_engine: ``search_std``/``search_pro``/... on BigModel, ``search-prime`` on Z.ai;
            ``None`` picks by endpoint.
        count: results per search unless the call asks for a number; ``None`` is the API's 10.
        search_domain_filter: only results from this domain.
        search_recency_filter: ``oneDay``, ``oneWeek``, ``oneMonth``, ``oneYear`` or ``noLimit``.
        content_size: ``medium`` or ``high``: how much page text each result carries.
        timeout, total_timeout, max_retries, use_jwt, default_headers, http_client,
            http_async_client: the connection options every GLM class takes.
    """

    # A ClassVar, not a pydantic field; the base class declares it as a plain attribute.
    spec_functions: ClassVar[list[SPEC_FUNCTION_TYPE]] = [("web_search", "aweb_search")]  # type: ignore[misc]

    def __init__(self, api_key: str | SecretStr | None = None, /, **data: Any) -> None:
        if api_key is not None:
            data["api_key"] = api_key
        super().__init__(**data)

    def get_metadata_from_fn_name(
        self, fn_name: str, spec_functions: list[SPEC_FUNCTION_TYPE] | None = None
    ) -> ToolMetadata | None:
        """The tool's name, description and argument schema, written for the model."""
        if fn_name not in ("web_search", "aweb_search"):
            return None
        return ToolMetadata(name="web_search", description=_DESCRIPTION, fn_schema=WebSearchArgs)

    def web_search(self, query: str, count: int | None = None) -> list[dict[str, str | None]]:
        """Search the web for current information.

        Args:
            query: what to search the web for.
            count: how many results to return, 1 to 50.

        Returns:
            Results with title, link, content, publish date and media.
        """
        return result_dicts(self.client.web_search(query, **self.search_kwargs(count or None)))

    async def aweb_search(self, query: str, count: int | None = None) -> list[dict[str, str | None]]:
        """Search the web for current information.

        Args:
            query: what to search the web for.
            count: how many results to return, 1 to 50.

        Returns:
            Results with title, link, content, publish date and media.
        """
        return result_dicts(await self.async_client.web_search(query, **self.search_kwargs(count or None)))

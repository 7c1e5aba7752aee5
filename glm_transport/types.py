"""Wire types: request bodies as TypedDicts (zero cost), responses as pydantic models that keep
unknown fields, and the light stream chunk (docs/wire-notes.md §3, §4, §5, §7, §8).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import Required, TypedDict

__all__ = [
    "AssistantMessageParam",
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatCompletionMessage",
    "ChatCompletionRequest",
    "Choice",
    "CompletionTokensDetails",
    "ContentFilter",
    "ContentPart",
    "EmbeddingObject",
    "EmbeddingsResponse",
    "FunctionCall",
    "FunctionDefinition",
    "FunctionTool",
    "MessageParam",
    "PromptTokensDetails",
    "RerankResponse",
    "RerankResult",
    "RetrievalTool",
    "SystemMessageParam",
    "ThinkingParam",
    "TokenizerResponse",
    "TokenizerUsage",
    "ToolCall",
    "ToolMessageParam",
    "ToolParam",
    "Usage",
    "UserMessageParam",
    "WebSearchResponse",
    "WebSearchResult",
    "WebSearchTool",
]

# ---------------------------------------------------------------- request side (TypedDicts)


class ImageURL(TypedDict):
    url: str


class TextPart(TypedDict):
    type: Literal["text"]
    text: str


class ImagePart(TypedDict):
    type: Literal["image_url"]
    image_url: ImageURL


class VideoPart(TypedDict):
    type: Literal["video_url"]
    video_url: ImageURL


class FileURLPart(TypedDict):
    type: Literal["file_url"]
    file_url: ImageURL


class FilePart(TypedDict):
    type: Literal["file"]
    file: dict[str, str]


class InputAudio(TypedDict):
    data: str
    format: str


class AudioPart(TypedDict):
    type: Literal["input_audio"]
    input_audio: InputAudio


ContentPart = TextPart | ImagePart | VideoPart | FileURLPart | FilePart | AudioPart


class SystemMessageParam(TypedDict):
    role: Literal["system"]
    content: str


class UserMessageParam(TypedDict):
    role: Literal["user"]
    content: str | list[ContentPart]


class FunctionCallParam(TypedDict):
    name: str
    arguments: str


class ToolCallParam(TypedDict):
    id: str
    type: str
    function: FunctionCallParam


class AssistantMessageParam(TypedDict, total=False):
    role: Required[Literal["assistant"]]
    content: str | None
    tool_calls: list[ToolCallParam]
    reasoning_content: str


class ToolMessageParam(TypedDict):
    role: Literal["tool"]
    content: str
    tool_call_id: str


MessageParam = SystemMessageParam | UserMessageParam | AssistantMessageParam | ToolMessageParam


class FunctionDefinition(TypedDict, total=False):
    name: Required[str]
    description: str
    parameters: dict[str, Any]


class FunctionTool(TypedDict):
    type: Literal["function"]
    function: FunctionDefinition


class WebSearchOptions(TypedDict, total=False):
    search_engine: str
    enable: bool
    search_query: str
    search_intent: bool
    count: int
    search_domain_filter: str
    search_recency_filter: str
    content_size: str
    result_sequence: str
    search_result: bool
    require_search: bool
    search_prompt: str


class WebSearchTool(TypedDict):
    type: Literal["web_search"]
    web_search: WebSearchOptions


class RetrievalOptions(TypedDict, total=False):
    knowledge_id: Required[str]
    prompt_template: str


class RetrievalTool(TypedDict):
    type: Literal["retrieval"]
    retrieval: RetrievalOptions


class MCPTool(TypedDict):
    type: Literal["mcp"]
    mcp: dict[str, Any]


ToolParam = FunctionTool | WebSearchTool | RetrievalTool | MCPTool


class ThinkingParam(TypedDict, total=False):
    type: Required[Literal["enabled", "disabled"]]
    clear_thinking: bool


class ResponseFormatParam(TypedDict):
    type: Literal["text", "json_object"]


class ChatCompletionRequest(TypedDict, total=False):
    """``POST /chat/completions`` (wire notes §3.1). Unset keys are not sent."""

    model: Required[str]
    messages: Required[list[MessageParam]]
    stream: bool
    thinking: ThinkingParam
    reasoning_effort: str
    do_sample: bool
    temperature: float
    top_p: float
    max_tokens: int
    stop: list[str]
    tools: list[ToolParam]
    tool_choice: str
    tool_stream: bool
    response_format: ResponseFormatParam
    request_id: str
    user_id: str
    watermark_enabled: bool
    sensitive_word_check: dict[str, str]
    meta: dict[str, str]
    extra: dict[str, Any]


# ---------------------------------------------------------------- response side (pydantic)


class _Wire(BaseModel):
    # New API fields survive as extras; a missing optional field is None.
    model_config = ConfigDict(extra="allow", populate_by_name=True, protected_namespaces=(), defer_build=True)


class FunctionCall(_Wire):
    name: str = ""
    # A JSON string on the wire (wire notes §12.2); an object is accepted and kept as given.
    arguments: str | dict[str, Any] = ""


class ToolCall(_Wire):
    id: str = ""
    type: str = "function"
    index: int | None = None
    function: FunctionCall | None = None


class ChatCompletionMessage(_Wire):
    role: str = "assistant"
    content: str | list[dict[str, Any]] | None = None
    reasoning_content: str | None = None
    tool_calls: list[ToolCall] | None = None
    audio: dict[str, Any] | None = None

    @property
    def text(self) -> str:
        """The content as text; GLM-4V may send a list of ``{type: text}`` parts (wire notes §4)."""
        return content_text(self.content)


class Choice(_Wire):
    index: int = 0
    message: ChatCompletionMessage
    finish_reason: str | None = None


class PromptTokensDetails(_Wire):
    cached_tokens: int = 0


class CompletionTokensDetails(_Wire):
    reasoning_tokens: int = 0


class Usage(_Wire):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    prompt_tokens_details: PromptTokensDetails | None = None
    completion_tokens_details: CompletionTokensDetails | None = None

    @property
    def cached_tokens(self) -> int:
        return self.prompt_tokens_details.cached_tokens if self.prompt_tokens_details else 0

    @property
    def reasoning_tokens(self) -> int:
        return self.completion_tokens_details.reasoning_tokens if self.completion_tokens_details else 0


class WebSearchResult(_Wire):
    title: str | None = None
    content: str | None = None
    link: str | None = None
    media: str | None = None
    icon: str | None = None
    refer: str | None = None
    publish_date: str | None = None


class ContentFilter(_Wire):
    role: str | None = None
    level: int | None = None


class ChatCompletion(_Wire):
    id: str = ""
    request_id: str | None = None
    created: int | None = None
    model: str = ""
    object: str | None = None
    choices: list[Choice] = Field(min_length=1)
    usage: Usage | None = None
    web_search: list[WebSearchResult] | None = None
    content_filter: list[ContentFilter] | None = None

    @property
    def message(self) -> ChatCompletionMessage:
        return self.choices[0].message

    @property
    def finish_reason(self) -> str | None:
        return self.choices[0].finish_reason


class EmbeddingObject(_Wire):
    index: int
    object: str = "embedding"
    embedding: list[float]


class EmbeddingsUsage(_Wire):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class EmbeddingsResponse(_Wire):
    model: str = ""
    object: str = "list"
    data: list[EmbeddingObject]
    usage: EmbeddingsUsage | None = None

    def vectors(self) -> list[list[float]]:
        """Vectors in input order (the API's ``index``, wire notes §7)."""
        return [item.embedding for item in sorted(self.data, key=lambda item: item.index)]


class RerankResult(_Wire):
    index: int
    relevance_score: float
    document: str | dict[str, Any] | None = None


class RerankUsage(_Wire):
    prompt_tokens: int = 0
    total_tokens: int = 0


class RerankResponse(_Wire):
    id: str = ""
    created: int | None = None
    request_id: str | None = None
    results: list[RerankResult]
    usage: RerankUsage | None = None


class TokenizerUsage(_Wire):
    prompt_tokens: int = 0
    image_tokens: int = 0
    video_tokens: int = 0
    total_tokens: int = 0


class TokenizerResponse(_Wire):
    id: str = ""
    created: int | None = None
    request_id: str | None = None
    usage: TokenizerUsage


class WebSearchResponse(_Wire):
    id: str = ""
    created: int | None = None
    request_id: str | None = None
    search_result: list[WebSearchResult]  # required: a body without it is not an answer (a proxy's page)


# ---------------------------------------------------------------- the stream chunk


def content_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


class ChatCompletionChunk:
    """One streamed chunk, flattened to its single choice (GLM sends one, wire notes §5.2).

    A plain slotted class rather than a pydantic model: it is built once per streamed token, and
    validating each chunk with pydantic would cost more than the rest of the client together.
    ``raw`` keeps the decoded JSON, unknown fields included. ``tool_calls`` are the wire deltas
    (dicts keyed by ``index``), for the accumulator to merge.
    """

    __slots__ = (
        "content",
        "created",
        "finish_reason",
        "id",
        "model",
        "raw",
        "reasoning_content",
        "tool_calls",
        "usage",
        "web_search",
    )

    def __init__(
        self,
        *,
        id: str = "",
        model: str = "",
        created: int | None = None,
        content: str | None = None,
        reasoning_content: str | None = None,
        tool_calls: list[dict[str, Any]] | None = None,
        finish_reason: str | None = None,
        usage: Usage | None = None,
        web_search: list[WebSearchResult] | None = None,
        raw: dict[str, Any] | None = None,
    ) -> None:
        self.id = id
        self.model = model
        self.created = created
        self.content = content
        self.reasoning_content = reasoning_content
        self.tool_calls = tool_calls
        self.finish_reason = finish_reason
        self.usage = usage
        self.web_search = web_search
        self.raw = raw if raw is not None else {}

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{name}={getattr(self, name)!r}"
            for name in ("content", "reasoning_content", "tool_calls", "finish_reason", "usage")
            if getattr(self, name) is not None
        )
        return f"ChatCompletionChunk({fields})"

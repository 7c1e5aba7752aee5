"""``GLM``: Zhipu AI / Z.ai GLM chat models as a LlamaIndex ``FunctionCallingLLM``."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from llama_index.core.base.llms.generic_utils import (
    achat_to_completion_decorator,
    astream_chat_to_completion_decorator,
    chat_to_completion_decorator,
    stream_chat_to_completion_decorator,
)
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
    ToolCallBlock,
)
from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.prompts import PromptTemplate
from llama_index.core.types import Model, PydanticProgramMode

from glm_transport import get_model_info
from glm_transport.catalog import ModelInfo
from glm_transport.config import resolve_base_url
from glm_transport.dialect import ResponseRules, build_chat_request, check_tool_choice
from glm_transport.options import ChatOptions

from ._client import GLMConnection
from ._convert import StreamState, completion_to_response, to_wire_messages, tool_selections, tool_spec

if TYPE_CHECKING:
    from llama_index.core.program.utils import FlexibleModel
    from llama_index.core.tools.types import BaseTool

__all__ = ["GLM"]

# Arguments LlamaIndex hands to chat() that are not request fields.
_NOT_SENT = ("allow_parallel_tool_calls", "verbose", "formatted", "_glm_tool_required")
_MODEL_FIELDS = (
    "temperature",
    "max_tokens",
    "top_p",
    "reasoning_effort",
    "thinking",
    "preserve_thinking",
    "web_search",
)


class GLM(GLMConnection, ChatOptions, FunctionCallingLLM):
    """Zhipu AI / Z.ai GLM chat models (GLM-4.5 to GLM-5.x, vision and legacy ids).

    Setup:
        ``pip install glm-integrations[llamaindex]`` and set ``ZHIPUAI_API_KEY`` (or ``ZAI_API_KEY``);
        ``ZHIPUAI_BASE_URL`` or ``base_url`` picks the endpoint (a URL, or ``china``,
        ``international``, ``china-coding``, ``international-coding``).

    Instantiate:
        ``llm = GLM(model="glm-4.7", temperature=0.6, max_tokens=2048, thinking=True)``

    Invoke:
        ``llm.chat([ChatMessage(role="user", content="Hi")])`` or ``llm.complete("Hi")``.

    Stream:
        ``for r in llm.stream_chat(messages): print(r.delta, end="")``; reasoning arrives in
        ``r.additional_kwargs["thinking_delta"]`` and as a ``ThinkingBlock`` in ``r.message``.

    Async:
        ``await llm.achat(...)``, ``await llm.astream_chat(...)`` and the completion twins, on
        an ``httpx.AsyncClient`` (never a thread, never the task-queue API).

    Tools:
        ``llm.chat_with_tools([tool], user_msg=...)``, ``FunctionAgent(llm=llm, tools=...)``.
        GLM only accepts ``tool_choice="auto"``; ``tool_required`` and the other choices are
        emulated by the dialect's one rule, as in LangChain (the model is asked, not forced).
        Calls cut short or unparsable never become ``ToolSelection``s; calls GLM ran itself
        (MCP) are in ``message.additional_kwargs["server_tool_calls"]``.
        ``web_search=True`` adds GLM's built-in web search; results are in
        ``response.additional_kwargs["web_search"]``.

    Structured output:
        ``llm.structured_predict(Model, prompt)``, ``llm.as_structured_llm(Model)``; through the
        function-calling program, which works with the emulated forcing above.

    Usage:
        ``response.raw["usage"]`` and ``response.additional_kwargs`` (``prompt_tokens``,
        ``completion_tokens``, ``total_tokens``, ``cached_tokens``, ``reasoning_tokens``,
        ``finish_reason``, ``request_id``).
    """

    context_window: int | None = Field(
        default=None, gt=0, description="Overrides the catalogue's context window in metadata (prompt budgeting)."
    )
    is_function_calling_model: bool | None = Field(
        default=None, description="Overrides the catalogue's tool support in metadata (agents and programs read it)."
    )
    web_search: bool | dict[str, Any] | None = Field(
        default=None, description="Add GLM's built-in web_search tool (True, or its options as a dict)."
    )
    additional_kwargs: dict[str, Any] = Field(
        default_factory=dict,
        description="Extra request fields sent with every call (e.g. user_id, stop); JSON values only.",
    )
    _metadata: tuple[tuple[Any, ...], LLMMetadata] | None = PrivateAttr(default=None)
    _json_fields: ClassVar[tuple[str, ...]] = ("additional_kwargs",)

    @classmethod
    def class_name(cls) -> str:
        return "GLM"

    # ------------------------------------------------------------------ metadata

    @property
    def info(self) -> ModelInfo:
        """The catalogue entry of ``model`` (conservative defaults for an unknown id)."""
        return get_model_info(self.model)

    @property
    def metadata(self) -> LLMMetadata:
        key = (self.model, self.max_tokens, self.context_window, self.is_function_calling_model)
        cached = self._metadata
        if cached is not None and cached[0] == key:
            return cached[1]
        try:
            info = self.info
            metadata = LLMMetadata(
                context_window=self.context_window or info.context_window,
                num_output=self.max_tokens or info.default_max_tokens or info.max_output_tokens,
                is_chat_model=True,
                is_function_calling_model=(
                    info.tools if self.is_function_calling_model is None else self.is_function_calling_model
                ),
                model_name=self.model,
                system_role=MessageRole.SYSTEM,
            )
        except Exception:  # core reads metadata on every call: never let it raise
            metadata = LLMMetadata(is_chat_model=True, is_function_calling_model=True, model_name=str(self.model))
        self._metadata = (key, metadata)
        return metadata

    # ------------------------------------------------------------------ requests

    def _base_url(self) -> str:
        """The endpoint, resolved only when a request rule needs it (the web search default)."""
        return resolve_base_url(self.base_url)

    def _request(
        self, messages: Sequence[ChatMessage], kwargs: Mapping[str, Any], *, stream: bool = False
    ) -> tuple[dict[str, Any], ResponseRules]:
        """The wire request for a call and its response rules (``glm_transport.dialect``): the
        model's fields, then ``additional_kwargs``, then the call's kwargs."""
        options: dict[str, Any] = {
            "model": self.model,
            "base_url": self._base_url,
            **{key: getattr(self, key) for key in _MODEL_FIELDS},
            **self.additional_kwargs,
            **{key: value for key, value in kwargs.items() if key not in _NOT_SENT},
        }
        options["tools"] = [tool_spec(tool) for tool in options.get("tools") or ()]
        if kwargs.get("_glm_tool_required"):
            options["tool_required"] = True
        return build_chat_request(options, to_wire_messages(messages, self.info), stream=stream)

    # ------------------------------------------------------------------ chat (the I/O, sync and async)

    def _chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        request, rules = self._request(messages, kwargs)
        return completion_to_response(self.client.chat(request), rules)

    async def _achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        request, rules = self._request(messages, kwargs)
        return completion_to_response(await self.async_client.chat(request), rules)

    def _stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        (request, rules), client = self._request(messages, kwargs, stream=True), self.client

        def gen() -> Generator[ChatResponse, None, None]:
            with client.stream_chat(request) as stream:
                state = StreamState(stream.request_id, rules)
                feed = state.feed
                for chunk in stream:
                    yield feed(chunk)
                last = state.close()
                if last is not None:
                    yield last

        return gen()

    async def _astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        (request, rules), client = self._request(messages, kwargs, stream=True), self.async_client

        async def gen() -> AsyncGenerator[ChatResponse, None]:
            async with await client.stream_chat(request) as stream:
                state = StreamState(stream.request_id, rules)
                feed = state.feed
                async for chunk in stream:
                    yield feed(chunk)
                last = state.close()
                if last is not None:
                    yield last

        return gen()

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return self._chat(messages, **kwargs)

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return await self._achat(messages, **kwargs)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        return self._stream_chat(messages, **kwargs)

    @llm_chat_callback()
    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        return await self._astream_chat(messages, **kwargs)

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return chat_to_completion_decorator(self._chat)(prompt, **kwargs)

    @llm_completion_callback()
    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return await achat_to_completion_decorator(self._achat)(prompt, **kwargs)

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        return stream_chat_to_completion_decorator(self._stream_chat)(prompt, **kwargs)

    @llm_completion_callback()
    async def astream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseAsyncGen:
        return await astream_chat_to_completion_decorator(self._astream_chat)(prompt, **kwargs)

    # ------------------------------------------------------------------ tools

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: str | dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Chat arguments for ``tools``; ``tool_choice``/``tool_required`` are emulated by the
        dialect (``glm_transport.dialect.tool_choice_plan``) when the request is built."""
        specs = [tool_spec(tool) for tool in tools]
        if tool_choice is not None:
            check_tool_choice(specs, tool_choice)  # fail now on a name that is not offered
            kwargs["tool_choice"] = tool_choice
        if tool_required or kwargs.pop("_glm_tool_required", False):
            kwargs["tool_required"] = True
        messages = list(chat_history or [])
        if user_msg is not None:
            messages.append(
                ChatMessage(role=MessageRole.USER, content=user_msg) if isinstance(user_msg, str) else user_msg
            )
        return {"messages": messages, "tools": specs, **kwargs}

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence[BaseTool],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        # GLM has no parallel_tool_calls switch (wire notes §3.1): keep only the first call when asked.
        if not allow_parallel_tool_calls:
            calls = [block for block in response.message.blocks if isinstance(block, ToolCallBlock)]
            if len(calls) > 1:
                message = response.message
                message.blocks = [b for b in message.blocks if not isinstance(b, ToolCallBlock) or b is calls[0]]
                if message.additional_kwargs.get("tool_calls"):
                    message.additional_kwargs["tool_calls"] = message.additional_kwargs["tool_calls"][:1]
        return response

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> list[ToolSelection]:
        """Tool calls of a full or partial streamed response; ``[]`` when none and not ``error_on_no_tool_call``."""
        selections = tool_selections(response)
        if not selections and error_on_no_tool_call:
            raise ValueError(f"Expected at least one tool call from {self.model}, got none")
        return selections

    # ------------------------------------------------------------------ structured output

    def _force_tool(self, llm_kwargs: dict[str, Any] | None) -> dict[str, Any]:
        # The function-calling program's streaming path drops tool_required; this survives it.
        llm_kwargs = dict(llm_kwargs or {})
        if self.metadata.is_function_calling_model and self.pydantic_program_mode in (
            PydanticProgramMode.DEFAULT,
            PydanticProgramMode.FUNCTION,
        ):
            llm_kwargs["_glm_tool_required"] = True
        return llm_kwargs

    def _structured_stream_call(
        self,
        output_cls: type[Model],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Generator[Model | list[Model] | FlexibleModel | list[FlexibleModel], None, None]:
        return super()._structured_stream_call(output_cls, prompt, self._force_tool(llm_kwargs), **prompt_args)

    async def _structured_astream_call(
        self,
        output_cls: type[Model],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> AsyncGenerator[Model | list[Model] | FlexibleModel | list[FlexibleModel], None]:
        return await super()._structured_astream_call(output_cls, prompt, self._force_tool(llm_kwargs), **prompt_args)

"""``ChatGLM``: Zhipu AI / Z.ai GLM chat models for LangChain, on ``glm_transport``."""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any, ClassVar, Literal

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LangSmithParams, LanguageModelInput, ModelProfile
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from pydantic import AliasChoices, Field, field_validator

from glm_transport import errors
from glm_transport.catalog import get_model_info
from glm_transport.config import resolve_base_url
from glm_transport.dialect import (
    ResponseRules,
    check_options,
    check_tool_choice,
    count_text_tokens,
    estimate_prompt_tokens,
    preserves_thinking,
)
from glm_transport.options import ChatOptions
from glm_transport.validation import MAX_STOP_SEQUENCES

from . import _blocks  # noqa: F401  (registers the "zhipuai" content-block translator)
from ._client import LC_SECRETS, GLMConnection, lc_attributes
from ._convert import (
    PROVIDER,
    StreamConverter,
    chat_request,
    to_chat_result,
    to_wire_messages,
    to_wire_tool,
)
from ._errors import mapped_errors
from ._structured import Method, structured_output

__all__ = ["ChatGLM"]

# Request fields the model holds; ``None`` means "not sent" (GLM's default applies).
_REQUEST_FIELDS = (
    "temperature",
    "top_p",
    "max_tokens",
    "stop",
    "do_sample",
    "thinking",
    "reasoning_effort",
    "response_format",
    "user_id",
    "tool_stream",
    "preserve_thinking",
)


class ChatGLM(BaseChatModel, GLMConnection, ChatOptions):
    """Zhipu AI / Z.ai GLM chat models (GLM-4.5 to GLM-5.x, GLM-4.6V vision).

    Setup:
        ``pip install glm-integrations[langchain]`` and set ``ZHIPUAI_API_KEY`` (or ``ZAI_API_KEY``);
        ``ZHIPUAI_BASE_URL`` or ``base_url=`` picks the endpoint (``china``, ``international``,
        ``china-coding``, ``international-coding`` or a URL).

    Instantiate:
        .. code-block:: python

            from langchain_glm import ChatGLM

            llm = ChatGLM(model="glm-4.7", temperature=0.6, max_tokens=2048)

    Invoke:
        .. code-block:: python

            msg = llm.invoke("Why is the sky blue?")
            msg.content, msg.additional_kwargs.get("reasoning_content")

    Stream:
        .. code-block:: python

            for chunk in llm.stream("Why is the sky blue?"):
                print(chunk.text, end="")

    Async:
        ``ainvoke``, ``astream``, ``abatch`` run natively on the async client.

    Tools:
        .. code-block:: python

            llm.bind_tools([get_weather], tool_choice="any")  # also GLM's web_search/retrieval dicts

        GLM only documents ``tool_choice="auto"``; the others are emulated by the dialect's one
        rule (``glm_transport.dialect.tool_choice_plan``): ``"none"`` offers no function tools, a
        tool name offers that tool alone, ``"any"``/``"required"`` keeps them all, each with an
        instruction to call (GLM may still answer in text). ``parallel_tool_calls=False`` keeps
        the first call. Calls GLM ran itself (MCP) are ``server_tool_call`` content blocks.

    Structured output:
        ``with_structured_output(Schema, method="function_calling" | "json_mode" | "json_schema")``;
        ``json_schema`` is emulated with JSON mode and the schema in a system instruction.

    Usage:
        ``usage_metadata`` on invoke and stream, with ``input_token_details.cache_read`` and
        ``output_token_details.reasoning``; ``response_metadata`` has ``model_name``,
        ``finish_reason``, ``id``, ``request_id`` and ``web_search`` results.
    """

    stop: list[str] | None = Field(default=None, validation_alias=AliasChoices("stop", "stop_sequences"))
    """At most one stop sequence (wire notes §3.1)."""
    do_sample: bool | None = None
    response_format: dict[str, Any] | None = None
    """``{"type": "json_object"}``; ``{"type": "json_schema", ...}`` is emulated."""
    user_id: str | None = None
    tool_stream: bool | None = None
    """Stream tool-call arguments as they are generated (streaming calls only); ``None``: on where
    the model supports it and a function tool is offered."""
    streaming: bool = False
    """Make ``invoke`` stream under the hood (for callbacks that want tokens)."""
    stream_usage: bool = True
    """Token usage on a stream's last chunk (GLM always reports it; ``False`` leaves it off)."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Request fields not modelled here, sent as given: JSON values only, checked at construction."""
    extra_body: dict[str, Any] | None = None
    """More request fields, merged last; checked like ``model_kwargs``."""
    tokenizer: Literal["api", "offline"] = "api"
    """Token counting: GLM's ``/tokenizer`` endpoint, or an offline estimate (never a download)."""

    _json_fields: ClassVar[tuple[str, ...]] = ("model_kwargs", "extra_body")

    @field_validator("stop")
    @classmethod
    def _check_stop(cls, stop: list[str] | None) -> list[str] | None:
        if stop and len(stop) > MAX_STOP_SEQUENCES:
            raise ValueError(f"GLM accepts at most {MAX_STOP_SEQUENCES} stop sequence (wire notes §3.1), got {stop!r}")
        return stop

    # ------------------------------------------------------------ LangChain metadata

    @property
    def _llm_type(self) -> str:
        return "glm-chat"

    @classmethod
    def is_lc_serializable(cls) -> bool:
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        return ["langchain_glm", "chat_models"]

    @property
    def lc_secrets(self) -> dict[str, str]:
        # Serializable's own lc_secrets/lc_attributes come before the mixin's in ChatGLM's MRO.
        return dict(LC_SECRETS)

    @property
    def lc_attributes(self) -> dict[str, Any]:
        return lc_attributes(self)

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.model, **{name: getattr(self, name) for name in _REQUEST_FIELDS}}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider=PROVIDER,
            ls_model_name=kwargs.get("model", self.model),
            ls_model_type="chat",
            ls_temperature=kwargs.get("temperature", self.temperature),
        )
        max_tokens = kwargs.get("max_tokens", self.max_tokens)
        if max_tokens:
            params["ls_max_tokens"] = max_tokens
        if stop or self.stop:
            params["ls_stop"] = stop or self.stop
        return params

    def _resolve_model_profile(self) -> ModelProfile | None:
        info = get_model_info(self.model)
        if not info.known or info.kind != "chat":
            return None
        return ModelProfile(
            max_input_tokens=info.context_window,
            max_output_tokens=info.max_output_tokens,
            text_inputs=True,
            image_inputs=info.vision,
            image_url_inputs=info.vision,
            video_inputs=info.vision,
            reasoning_output=info.supports_thinking,
            tool_calling=info.tools,
            tool_choice=False,  # only "auto" is documented (wire notes §3.5); others are emulated
            tool_call_streaming=info.tool_stream,
            structured_output=info.tools or info.json_mode,
            text_outputs=True,
        )

    # ------------------------------------------------------------ requests

    def _base_url(self) -> str:
        """The endpoint, resolved only when a request rule needs it (the web search default)."""
        return resolve_base_url(self.base_url)

    def _request(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any], *, stream: bool
    ) -> tuple[dict[str, Any], ResponseRules]:
        """The GLM request and its response rules: the model's fields, then ``model_kwargs``,
        ``extra_body`` and the call's kwargs, each overriding the one before."""
        settings: dict[str, Any] = {
            "model": self.model,
            "base_url": self._base_url,
            **{name: getattr(self, name) for name in _REQUEST_FIELDS if getattr(self, name) is not None},
            **self.model_kwargs,
            **(self.extra_body or {}),
            **kwargs,
        }
        if stop is not None:
            settings["stop"] = stop
        return chat_request(settings, messages, stream=stream)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        with mapped_errors():
            request, rules = self._request(messages, stop, kwargs, stream=False)
            return to_chat_result(self.client.chat(request), rules)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        with mapped_errors():
            request, rules = self._request(messages, stop, kwargs, stream=False)
            return to_chat_result(await self.async_client.chat(request), rules)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        # Tokens reach callbacks through BaseChatModel.stream, which calls on_llm_new_token itself.
        with mapped_errors():
            request, rules = self._request(messages, stop, kwargs, stream=True)
            stream = self.client.stream_chat(request)
            converter = StreamConverter(stream.request_id, rules)
            convert = converter.convert
            with stream:
                for chunk in stream:
                    out = convert(chunk)
                    if out is not None:
                        yield out
        yield self._last_chunk(converter)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        with mapped_errors():
            request, rules = self._request(messages, stop, kwargs, stream=True)
            stream = await self.async_client.stream_chat(request)
            converter = StreamConverter(stream.request_id, rules)
            convert = converter.convert
            async with stream:
                async for chunk in stream:
                    out = convert(chunk)
                    if out is not None:
                        yield out
        yield self._last_chunk(converter)

    def _last_chunk(self, converter: StreamConverter) -> ChatGenerationChunk:
        last = converter.finish()
        if not self.stream_usage and isinstance(last.message, AIMessageChunk):
            last.message.usage_metadata = None
        return last

    # ------------------------------------------------------------ tools and structured output

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: dict[str, Any] | str | bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Offer ``tools`` (LangChain tools, pydantic models, functions, OpenAI-style dicts, or
        GLM's ``{"type": "web_search", ...}``/``{"type": "retrieval", ...}``) to the model.

        ``tool_choice``: ``"auto"``/``None``, ``"none"``, ``"any"``/``"required"``/``True`` or a
        tool name; GLM only takes ``"auto"``, so the rest are emulated (see the class docstring).
        ``parallel_tool_calls=False`` keeps the first call; ``strict=True`` is refused (GLM has no
        strict mode).
        """
        wire = [to_wire_tool(tool) for tool in tools]
        check_options(kwargs)  # fail now on strict=True, n=2, ... (``parallel_tool_calls`` is mapped)
        if tool_choice is not None:
            check_tool_choice(wire, tool_choice)  # fail now on a name that is not bound
            kwargs["tool_choice"] = tool_choice
        return super().bind(tools=wire, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type | None = None,
        *,
        method: Method = "function_calling",
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | Any]:
        """A runnable returning ``schema`` instances (pydantic v2 models, TypedDicts, JSON schemas).

        ``function_calling`` (default) offers the schema as the only tool; ``json_mode`` uses
        GLM's JSON mode (say "JSON" and the keys in the prompt); ``json_schema`` adds the schema
        to the system prompt in JSON mode. ``strict`` validates on our side: GLM has no strict mode.
        """
        return structured_output(self, schema, method=method, include_raw=include_raw, strict=strict, kwargs=kwargs)

    # ------------------------------------------------------------ tokens

    def get_num_tokens_from_messages(
        self,
        messages: list[BaseMessage],
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool] | None = None,
    ) -> int:
        """Prompt tokens of ``messages`` (and ``tools``) from GLM's ``/tokenizer`` endpoint, or an
        offline estimate with ``tokenizer="offline"`` (or for a model the endpoint rejects)."""
        wire = to_wire_messages(messages, get_model_info(self.model))
        if not preserves_thinking(self.thinking, self.preserve_thinking):
            wire = [{k: v for k, v in message.items() if k != "reasoning_content"} for message in wire]
        wire_tools = [to_wire_tool(tool) for tool in tools] if tools else None
        count = None if self.tokenizer == "offline" else self._endpoint_count(wire, wire_tools)
        return estimate_prompt_tokens(wire, wire_tools) if count is None else count

    def _endpoint_count(self, wire: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> int | None:
        """GLM's count, or ``None`` (with a warning) for a model its ``/tokenizer`` refuses."""
        try:
            with mapped_errors():
                usage = self.client.tokenize(wire, model=self.model, tools=tools).usage
        except (errors.GLMBadRequestError, errors.GLMNotFoundError) as exc:
            warnings.warn(f"GLM's tokenizer refused {self.model!r} ({exc}); using an offline estimate", stacklevel=3)
            return None
        return usage.total_tokens or usage.prompt_tokens

    def get_num_tokens(self, text: str) -> int:
        """Tokens of ``text``: GLM's count for it as one user message, or (``tokenizer="offline"``,
        or a model the endpoint refuses) the offline estimate of the text, the same figure as
        LlamaIndex's ``GLMTokenizer`` gives (``glm_transport.dialect.count_text_tokens``)."""
        count = None if self.tokenizer == "offline" else self._endpoint_count([{"role": "user", "content": text}], None)
        return count_text_tokens(text) if count is None else count

    def get_token_ids(self, text: str) -> list[int]:
        """Not available: GLM's tokenizer endpoint returns counts, not ids, and the default
        implementation would download a GPT-2 tokenizer that does not match GLM's."""
        raise NotImplementedError("GLM exposes token counts only; use get_num_tokens()")

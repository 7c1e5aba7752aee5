"""Token counting without downloads.

llama-index-core's default tokenizer is tiktoken's, which fetches its encoding at run time and
counts for OpenAI's vocabulary, not GLM's. ``GLMTokenizer`` is an offline, deterministic estimate
usable as ``Settings.tokenizer`` (node parsers, prompt helpers, memory buffers only need lengths);
``GLMEndpointTokenizer`` asks GLM's ``POST /tokenizer`` (wire notes §8b) for exact counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.bridge.pydantic import Field, PrivateAttr

from glm_transport import AsyncGLMClient, GLMClient
from glm_transport.dialect import count_text_tokens, token_ids

from ._client import GLMConnection
from ._convert import to_wire_messages

__all__ = ["GLMEndpointTokenizer", "GLMTokenizer", "count_tokens"]


class GLMTokenizer:
    """A deterministic estimate of GLM token counts, with no download and no network: the one
    estimate both adapters use (``glm_transport.dialect.tokens``), calibrated to err high since
    it budgets context. ``encode`` returns stable ids (a hash of each piece) so it can stand in
    wherever a tokenizer is expected::

        from llama_index.core import Settings
        Settings.tokenizer = GLMTokenizer()
    """

    def encode(self, text: str, *args: Any, **kwargs: Any) -> list[int]:
        return token_ids(text)

    def __call__(self, text: str) -> list[int]:
        return token_ids(text)

    def count(self, text: str) -> int:
        return count_text_tokens(text)


def count_tokens(text: str) -> int:
    """The offline estimate of ``GLMTokenizer`` for one string."""
    return count_text_tokens(text)


class GLMEndpointTokenizer(GLMConnection):
    """Exact counts from GLM's ``POST /tokenizer`` (one request per call, so use it to measure,
    not as a node parser's tokenizer). Counts include the chat template's few tokens per message.

    Args:
        model: a model the endpoint knows (wire notes §8b: ``glm-4.6``, ``glm-4.5``, ``glm-4.6v``, ...).
        client / async_client: transport clients to use (e.g. ``GLM(...).client``), never closed
            here; their key and URL then serve as this tokenizer's.
        **options: the connection options every GLM class takes (``api_key``, ``base_url``, ...).
    """

    model: str = Field(default="glm-4.6", description="A model GLM's tokenizer endpoint knows.")
    _given: tuple[GLMClient | None, AsyncGLMClient | None] = PrivateAttr(default=(None, None))

    def __init__(
        self,
        model: str | None = None,
        /,
        *,
        client: GLMClient | None = None,
        async_client: AsyncGLMClient | None = None,
        **options: Any,
    ) -> None:
        if model is not None:
            options["model"] = model
        given = client or async_client
        if given is not None:
            options.setdefault("api_key", given.api_key)
            options.setdefault("base_url", given.base_url)
        super().__init__(**options)
        self._given = (client, async_client)

    @property
    def client(self) -> GLMClient:
        return self._given[0] or super().client

    @property
    def async_client(self) -> AsyncGLMClient:
        return self._given[1] or super().async_client

    def _messages(self, messages: str | Sequence[ChatMessage | Mapping[str, Any]]) -> list[dict[str, Any]]:
        if isinstance(messages, str):
            return [{"role": "user", "content": messages}]
        chat = [m for m in messages if isinstance(m, ChatMessage)]
        if chat:
            from glm_transport import get_model_info

            return to_wire_messages(chat, get_model_info(self.model))
        return [dict(m) for m in messages if isinstance(m, Mapping)]

    def count(self, messages: str | Sequence[ChatMessage | Mapping[str, Any]]) -> int:
        """Prompt tokens of a text (sent as one user message) or of a conversation."""
        return self.client.tokenize(self._messages(messages), model=self.model).usage.prompt_tokens

    async def acount(self, messages: str | Sequence[ChatMessage | Mapping[str, Any]]) -> int:
        response = await self.async_client.tokenize(self._messages(messages), model=self.model)
        return response.usage.prompt_tokens

    def encode(self, text: str, *args: Any, **kwargs: Any) -> list[int]:
        """``count(text)`` placeholder ids, for APIs that only take a tokenizer's length."""
        return list(range(self.count(text)))

    def __call__(self, text: str) -> list[int]:
        return self.encode(text)

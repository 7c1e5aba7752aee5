"""langchain-tests' standard suites for ChatGLM: unit (no network) and integration (the local
server in CI, the live API with ZHIPUAI_API_KEY)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_tests.integration_tests import ChatModelIntegrationTests
from langchain_tests.unit_tests import ChatModelUnitTests

from langchain_glm import ChatGLM

from .conftest import CHAT_MODEL, LIVE, VISION_MODEL, Endpoint, close_clients

# A long shared prefix, so the second call of a pair hits GLM's implicit context cache.
_CACHED_PREFIX = "You are a meticulous assistant. " * 400


@pytest.mark.usefixtures("serializable_chatglm")
class TestChatGLMUnit(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[ChatGLM]:
        return ChatGLM

    @property
    def chat_model_params(self) -> dict[str, Any]:
        # The key is resolved at construction, as in every GLM class: without one it fails there.
        return {"model": "glm-4.7", "api_key": "test-key"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"ZHIPUAI_API_KEY": "env-key", "ZHIPUAI_BASE_URL": "http://127.0.0.1:9/api/paas/v4"},
            {"model": "glm-4.7"},
            {"api_key": "env-key", "base_url": "http://127.0.0.1:9/api/paas/v4"},
        )

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        return "glm-4.5-air"


@pytest.mark.usefixtures("local_endpoint")
class TestChatGLMIntegration(ChatModelIntegrationTests):
    pytestmark = [pytest.mark.live, pytest.mark.enable_socket] if LIVE else []

    @property
    def chat_model_class(self) -> type[ChatGLM]:
        return ChatGLM

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": CHAT_MODEL, **Endpoint.params}

    @property
    def standard_chat_model_params(self) -> dict[str, Any]:
        # GLM's thinking models spend tokens on reasoning first: 100 would cut most answers off.
        return {**super().standard_chat_model_params, "max_tokens": 2048}

    @pytest.fixture
    def model(self, request: pytest.FixtureRequest) -> Iterator[BaseChatModel]:
        params = {
            **self.standard_chat_model_params,
            **self.chat_model_params,
            **(getattr(request, "param", None) or {}),
        }
        if request.function.__name__ == "test_image_inputs":
            params["model"] = VISION_MODEL  # the suite's image test needs a vision model
        chat = self.chat_model_class(**params)
        yield chat
        close_clients(chat)

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def supports_image_inputs(self) -> bool:
        return True  # test_image_inputs runs on VISION_MODEL (see the model fixture)

    @property
    def supports_image_urls(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        return "glm-4.5-air"

    @property
    def enable_vcr_tests(self) -> bool:
        return True  # test_stream_time: the VCR config (conftest) lets GLM requests through, unrecorded

    # Skipped suites, each for a documented GLM limit:
    @property
    def supports_pdf_inputs(self) -> bool:
        return False  # PDFs go by URL only (file_url, wire notes §3.4); the suite sends base64

    @property
    def supports_image_tool_message(self) -> bool:
        return False  # tool message content is a string (wire notes §3.2); vision requests have no tool role

    @property
    def supports_pdf_tool_message(self) -> bool:
        return False  # as above

    @property
    def supports_anthropic_inputs(self) -> bool:
        return False  # Anthropic's tool_use/tool_result blocks are not a GLM message format

    @property
    def supported_usage_metadata_details(self) -> dict[Any, list[Any]]:
        return {"invoke": ["cache_read_input", "reasoning_output"], "stream": ["cache_read_input", "reasoning_output"]}

    def _call(self, model: BaseChatModel, messages: Any, *, stream: bool, **kwargs: Any) -> AIMessage:
        if not stream:
            result = model.invoke(messages, **kwargs)
            assert isinstance(result, AIMessage)
            return result
        full = None
        for chunk in model.stream(messages, **kwargs):
            full = chunk if full is None else full + chunk
        assert isinstance(full, AIMessage)
        return full

    def invoke_with_cache_read_input(self, *, stream: bool = False) -> AIMessage:
        chat = self.chat_model_class(**self.chat_model_params)
        try:
            self._call(chat, [("system", _CACHED_PREFIX), ("human", "Say hi.")], stream=stream)
            return self._call(chat, [("system", _CACHED_PREFIX), ("human", "Say bye.")], stream=stream)
        finally:
            close_clients(chat)

    def invoke_with_reasoning_output(self, *, stream: bool = False) -> AIMessage:
        chat = self.chat_model_class(**self.chat_model_params, thinking=True)
        try:
            return self._call(chat, "What is 3 * 7? Think first.", stream=stream)
        finally:
            close_clients(chat)

    @pytest.mark.xfail(
        reason="GLM documents only tool_choice='auto' (wire notes §3.1, §3.5): with several tools, 'any' is "
        "emulated by a system instruction the model may ignore, as it does for 'Hello!'",
        strict=False,
    )
    def test_tool_choice(self, model: BaseChatModel) -> None:
        super().test_tool_choice(model)

"""Structured output with pydantic models, through the function-calling program and GLM's
emulated tool forcing (GLM itself only accepts ``tool_choice="auto"``)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.prompts import PromptTemplate
from pydantic import BaseModel, Field

from glm_transport.testing import LocalGLMServer
from llamaindex_glm import GLM

# llama-index-core's StructuredLLM.stream_chat calls pydantic's deprecated ``.json()``.
pytestmark = pytest.mark.filterwarnings("ignore:The `json` method is deprecated:DeprecationWarning")


class Invoice(BaseModel):
    """An invoice extracted from text."""

    customer: str = Field(description="Who pays")
    total: int = Field(description="Amount in euros")


PROMPT = PromptTemplate("Extract the invoice: {text}")
TEXT = "The customer 'Acme' owes 420 euros."


def check_request(server: LocalGLMServer, *, forced: bool = True) -> None:
    body = server.requests[-1].json
    assert isinstance(body, dict)
    assert [t["function"]["name"] for t in body["tools"]] == ["Invoice"]
    assert body["tool_choice"] == "auto"
    if forced:
        assert body["messages"][0]["role"] == "system"
        assert "`Invoice`" in body["messages"][0]["content"]


def test_structured_predict(llm: GLM, glm_server: LocalGLMServer) -> None:
    assert llm.structured_predict(Invoice, PROMPT, text=TEXT) == Invoice(customer="Acme", total=420)
    check_request(glm_server)


async def test_astructured_predict(llm: GLM, glm_server: LocalGLMServer) -> None:
    assert await llm.astructured_predict(Invoice, PROMPT, text=TEXT) == Invoice(customer="Acme", total=420)
    check_request(glm_server)
    await llm.aclose()


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_stream_structured_predict(llm: GLM, glm_server: LocalGLMServer, mode: str) -> None:
    if mode == "sync":
        partials: list[Any] = list(llm.stream_structured_predict(Invoice, PROMPT, text=TEXT))
    else:

        async def go() -> list[Any]:
            try:
                return [p async for p in await llm.astream_structured_predict(Invoice, PROMPT, text=TEXT)]
            finally:
                await llm.aclose()

        partials = asyncio.run(go())
    assert len(partials) > 1
    final = partials[-1]
    assert (final.customer, final.total) == ("Acme", 420)
    check_request(glm_server)


@pytest.mark.parametrize("mode", ["chat", "achat", "stream_chat", "complete"])
def test_as_structured_llm(llm: GLM, mode: str) -> None:
    structured = llm.as_structured_llm(Invoice)
    messages = [ChatMessage(role="user", content=f"Extract the invoice: {TEXT}")]
    if mode == "chat":
        response = structured.chat(messages)
    elif mode == "stream_chat":
        response = list(structured.stream_chat(messages))[-1]
    elif mode == "complete":
        response = structured.complete(f"Extract the invoice: {TEXT}")  # type: ignore[assignment]
    else:

        async def go() -> Any:
            try:
                return await structured.achat(messages)
            finally:
                await llm.aclose()

        response = asyncio.run(go())
    assert response.raw == Invoice(customer="Acme", total=420)


def test_json_mode_passes_through(llm: GLM, glm_server: LocalGLMServer) -> None:
    """GLM's JSON mode (wire notes §3.1 ``response_format``), for callers who parse the answer themselves."""
    schema = json.dumps(Invoice.model_json_schema())
    messages = [ChatMessage(role="user", content=f"{TEXT}\nAnswer with JSON matching this schema: {schema}")]
    response = llm.chat(messages, response_format={"type": "json_object"})
    assert Invoice.model_validate_json(response.message.content or "") == Invoice(customer="Acme", total=420)
    body = glm_server.requests[-1].json
    assert body["response_format"] == {"type": "json_object"}

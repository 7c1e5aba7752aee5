"""LlamaIndex's LLM usage page, structured data extraction (structured LLM, ``structured_predict``,
``chat_with_tools``) and the ``ReActAgent`` example, run as published with ``OpenAI(...)`` swapped for
``GLM(model="glm-4.7")``. The invoice PDF of the extraction tutorial becomes its text, in memory."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from llama_index.core.agent.workflow import AgentStream, FunctionAgent, ReActAgent, ToolCallResult
from llama_index.core.llms import ChatMessage
from llama_index.core.program.function_program import get_function_tool
from llama_index.core.prompts import PromptTemplate
from llama_index.core.workflow import Context
from pydantic import BaseModel, Field

from glm_transport.testing import LocalGLMServer, Reply
from llamaindex_glm import GLM

from .conftest import chat_bodies, sent_text

pytestmark = pytest.mark.usefixtures("glm_env", "llamaindex_settings")


@pytest.fixture
def llm() -> GLM:
    return GLM(model="glm-4.7")


# ---- Using LLMs: complete / chat / stream ---------------------------------------------------------------
def test_llm_complete_chat_and_stream(llm: GLM) -> None:
    # Source: developers.llamaindex.ai/python/framework/module_guides/models/llms ("Usage Pattern") and the
    # OpenAI LLM example page (examples/llm/openai: "Call complete with a prompt", "Call chat with a list of
    # messages", "Streaming").
    resp = llm.complete("Paul Graham is ")
    print(resp)

    messages = [
        ChatMessage(role="system", content="You are a pirate with a colorful personality"),
        ChatMessage(role="user", content="What is your name"),
    ]
    chat_resp = llm.chat(messages)
    print(chat_resp)

    stream_resp = llm.stream_complete("Paul Graham is ")
    deltas = []
    for r in stream_resp:
        print(r.delta, end="")
        deltas.append(r.delta)

    chat_stream = llm.stream_chat(messages)
    last = None
    for last in chat_stream:
        print(last.delta, end="")

    assert "Paul Graham is" in resp.text
    assert chat_resp.message.role == "assistant" and "What is your name" in (chat_resp.message.content or "")
    assert len([d for d in deltas if d]) > 1
    assert "".join(deltas) == resp.text  # the streamed pieces join to the complete() answer
    assert last is not None and last.message.content == chat_resp.message.content
    assert chat_resp.raw is not None and chat_resp.raw["usage"]["total_tokens"] > 0


async def test_llm_async_complete_and_stream(llm: GLM) -> None:
    # Source: the OpenAI LLM example page, "Async": acomplete / astream_complete.
    resp = await llm.acomplete("Paul Graham is ")
    deltas = [r.delta async for r in await llm.astream_complete("Paul Graham is ")]
    assert len([d for d in deltas if d]) > 1
    assert "".join(d or "" for d in deltas) == resp.text


# ---- Structured data extraction -------------------------------------------------------------------------
class LineItem(BaseModel):
    """A line item in an invoice."""

    item_name: str = Field(description="The name of this item")
    price: float = Field(description="The price of this item")


class Invoice(BaseModel):
    """A representation of information from an invoice."""

    invoice_id: str = Field(description="A unique identifier for this invoice, often a number")
    date: datetime = Field(description="The date this invoice was created")
    line_items: list[LineItem] = Field(description="A list of all the items in this invoice")


# Stands in for ``PDFReader().load_data(file=Path("./uber_receipt.pdf"))[0].text``.
text = (
    "Uber receipt, Thanks for riding, Ava. Total $12.18. October 10, 2024. Trip fare $12.18. "
    "Access for All Fee $0.10. Booking fee $2.50."
)


def test_structured_llm(llm: GLM, glm_server: LocalGLMServer) -> None:
    # Source: developers.llamaindex.ai/python/framework/understanding/extraction/structured_llms
    sllm = llm.as_structured_llm(Invoice)

    response = sllm.complete(text)

    json_response = json.loads(response.text)
    print(json.dumps(json_response, indent=2))

    assert isinstance(response.raw, Invoice)  # the pydantic object itself
    assert set(json_response) == {"invoice_id", "date", "line_items"}
    assert all(set(item) == {"item_name", "price"} for item in json_response["line_items"])
    assert "Trip fare $12.18" in sent_text(chat_bodies(glm_server)[-1])


async def test_structured_llm_async_chat(llm: GLM) -> None:
    # Source: the same page: a structured LLM keeps the LLM interface (here ``achat``).
    sllm = llm.as_structured_llm(Invoice)
    response = await sllm.achat([ChatMessage(role="user", content=text)])
    assert isinstance(response.raw, Invoice)
    assert Invoice.model_validate_json(response.message.content or "") == response.raw


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_structured_predict(llm: GLM, glm_server: LocalGLMServer, mode: str) -> None:
    # Source: developers.llamaindex.ai/python/framework/understanding/extraction/structured_prediction
    prompt = PromptTemplate(
        "Extract an invoice from the following text. If you cannot find an invoice ID, use the company name "
        "'{company_name}' and the date as the invoice ID: {text}"
    )

    if mode == "sync":
        response = llm.structured_predict(Invoice, prompt, text=text, company_name="Uber")
    else:
        response = await llm.astructured_predict(Invoice, prompt, text=text, company_name="Uber")

    json_output = response.model_dump_json()
    print(json.dumps(json.loads(json_output), indent=2))

    assert isinstance(response, Invoice)
    assert "use the company name 'Uber'" in sent_text(chat_bodies(glm_server)[-1])


def test_chat_with_tools_extraction(llm: GLM, glm_server: LocalGLMServer) -> None:
    # Source: developers.llamaindex.ai/python/framework/understanding/extraction/lower_level
    tool = get_function_tool(Invoice)

    resp = llm.chat_with_tools(
        [tool],
        # chat_history=chat_history,  # can optionally pass in chat history instead of user_msg
        user_msg="Extract an invoice from the following text: " + text,
        tool_required=True,  # can optionally force the tool call
    )

    tool_calls = llm.get_tool_calls_from_response(resp, error_on_no_tool_calls=False)

    outputs = []
    for tool_call in tool_calls:
        if tool_call.tool_name == "Invoice":
            outputs.append(Invoice(**tool_call.tool_kwargs))

    # use your outputs
    print(outputs[0])

    assert len(outputs) == 1 and isinstance(outputs[0], Invoice)
    body = chat_bodies(glm_server)[-1]
    assert [t["function"]["name"] for t in body["tools"]] == ["Invoice"]


# ---- ReActAgent -----------------------------------------------------------------------------------------
def multiply(a: int, b: int) -> int:
    """Multiply two integers and returns the result integer"""
    return a * b


def add(a: int, b: int) -> int:
    """Add two integers and returns the result integer"""
    return a + b


async def test_react_agent(llm: GLM, glm_server: LocalGLMServer) -> None:
    # Source: developers.llamaindex.ai/python/examples/agent/react_agent ("Run Some Example Queries")
    # ReAct runs on the model's text: script the Thought/Action steps a real model writes.
    glm_server.enqueue(
        Reply.chat(
            "Thought: I need to use a tool to help me answer the question.\nAction: multiply\n"
            'Action Input: {"a": 2, "b": 4}'
        ),
        Reply.chat('Thought: Now I add 20 to the product.\nAction: add\nAction Input: {"a": 20, "b": 8}'),
        Reply.chat(
            "Thought: I can answer without using any more tools. I'll use the user's language to answer\n"
            "Answer: 20+(2*4) is 28."
        ),
    )

    agent = ReActAgent(tools=[multiply, add], llm=llm)

    # Create a context to store the conversation history/session state
    ctx = Context(agent)

    handler = agent.run("What is 20+(2*4)? Use a tool to calculate every step.", ctx=ctx)

    deltas, results = [], []
    async for ev in handler.stream_events():
        if isinstance(ev, ToolCallResult):
            print(f"\nCall {ev.tool_name} with {ev.tool_kwargs}\nReturned: {ev.tool_output}")
            results.append((ev.tool_name, ev.tool_kwargs, ev.tool_output.raw_output))
        if isinstance(ev, AgentStream):
            print(f"{ev.delta}", end="", flush=True)
            deltas.append(ev.delta)

    response = await handler
    print(str(response))

    assert results == [("multiply", {"a": 2, "b": 4}, 8), ("add", {"a": 20, "b": 8}, 28)]
    assert str(response).strip() == "20+(2*4) is 28."
    bodies = chat_bodies(glm_server)
    assert len(bodies) == 3
    assert "Observation: 8" in sent_text(bodies[1]) and "Observation: 28" in sent_text(bodies[2])
    assert "Action: multiply" in "".join(deltas)  # the agent streamed the model's text


# ---- Agents with structured output ----------------------------------------------------------------------
## define structured output format and tools
class MathResult(BaseModel):
    operation: str = Field(description="the performed operation")
    result: int = Field(description="the result of the operation")


async def test_function_agent_output_cls(llm: GLM, glm_server: LocalGLMServer) -> None:
    # Source: developers.llamaindex.ai/python/framework/understanding/agent/structured_output ("Use output_cls")
    def multiply(x: int, y: int):  # as published: no return annotation
        """Multiply two numbers"""
        return x * y

    ## define agent
    agent = FunctionAgent(
        tools=[multiply],
        name="calculator",
        system_prompt="You are a calculator agent who can multiply two numbers using the `multiply` tool.",
        output_cls=MathResult,
        llm=llm,
    )

    response = await agent.run("What is 3415 * 43144?")
    print(response.structured_response)
    print(response.get_pydantic_model(MathResult))

    assert [(c.tool_name, c.tool_kwargs) for c in response.tool_calls] == [("multiply", {"x": 3415, "y": 43144})]
    assert response.tool_calls[0].tool_output.raw_output == 147336760
    assert set(response.structured_response or {}) == {"operation", "result"}
    assert isinstance(response.get_pydantic_model(MathResult), MathResult)
    # The structuring call saw the conversation, tool result included.
    assert "147336760" in sent_text(chat_bodies(glm_server)[-1])

"""Real LlamaIndex pipelines, offline, against the local GLM server: RAG with a vector index
(query engine, streaming, chat engine) and agents (FunctionAgent, AgentWorkflow, ReActAgent)
over several turns. Nothing downloads: tokenizer and sentence splitter work without a network."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from llama_index.core import Document, Settings, VectorStoreIndex
from llama_index.core.agent.workflow import (
    AgentStream,
    AgentWorkflow,
    FunctionAgent,
    ReActAgent,
    ToolCall,
    ToolCallResult,
)
from llama_index.core.memory import ChatMemoryBuffer, Memory
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.workflow import Context
from sqlalchemy.ext.asyncio import create_async_engine

from glm_transport.testing import LocalGLMServer, Reply
from llamaindex_glm import GLM, GLMEmbedding, GLMTokenizer

pytestmark = pytest.mark.usefixtures("offline_settings")

DOCUMENTS = [
    Document(text="Llamas live in the Andes mountains of South America. They carry loads for farmers."),
    Document(text="The Eiffel Tower is in Paris. It was finished in 1889 for the World's Fair."),
    Document(text="Photosynthesis turns sunlight, water and carbon dioxide into sugar and oxygen."),
]


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


def chat_bodies(server: LocalGLMServer) -> list[dict[str, Any]]:
    return [r.json for r in server.requests if r.path.endswith("/chat/completions")]


@pytest.fixture
def index(make_embedding: Callable[..., GLMEmbedding]) -> VectorStoreIndex:
    return VectorStoreIndex.from_documents(DOCUMENTS, embed_model=make_embedding(dimensions=512))


def test_sentence_splitter_needs_no_download() -> None:
    import nltk

    # The punkt data ships inside llama-index-core; pytest-socket would block a download.
    splitter = SentenceSplitter(chunk_size=32, chunk_overlap=0)
    chunks = splitter.split_text("First sentence here. Second one follows. " * 20)
    assert len(chunks) > 2
    assert "_static" in str(nltk.data.find("tokenizers/punkt_tab"))


def test_index_is_built_in_batched_requests(index: VectorStoreIndex, glm_server: LocalGLMServer) -> None:
    embeds = [r.json for r in glm_server.requests if r.path.endswith("/embeddings")]
    assert len(embeds) == 1
    assert len(embeds[0]["input"]) == len(DOCUMENTS)
    assert embeds[0]["dimensions"] == 512


@pytest.mark.parametrize("mode", ["query", "aquery", "stream"])
async def test_query_engine(index: VectorStoreIndex, llm: GLM, glm_server: LocalGLMServer, mode: str) -> None:
    engine = index.as_query_engine(llm=llm, similarity_top_k=1, streaming=mode == "stream")
    question = "Where do llamas live?"
    if mode == "aquery":
        response: Any = await engine.aquery(question)
        text = str(response)
    else:
        response = engine.query(question)
        text = "".join(response.response_gen) if mode == "stream" else str(response)
    assert "Llamas live in the Andes" in response.source_nodes[0].get_content()
    assert text.strip().startswith("Hello! You said:")
    prompt = chat_bodies(glm_server)[-1]["messages"][-1]["content"]
    assert "Llamas live in the Andes" in prompt
    assert "Eiffel" not in prompt
    assert "Where do llamas live?" in prompt
    await llm.aclose()


@pytest.fixture
def sql_memory() -> Iterator[Memory]:
    """The chat engines' default ``Memory`` (SQLite through aiosqlite), on an engine we dispose of:
    the default one is never closed and its aiosqlite connection warns at GC time. Its sync
    methods run on the thread's current event loop (core's ``asyncio_run``), so we provide that
    loop, and close it, too."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    engine = create_async_engine("sqlite+aiosqlite://")
    try:
        yield Memory.from_defaults(token_limit=20_000, tokenizer_fn=GLMTokenizer(), async_engine=engine)
    finally:
        loop.run_until_complete(engine.dispose())
        asyncio.set_event_loop(None)
        loop.close()


@pytest.mark.parametrize("streaming", [False, True])
def test_chat_engine_keeps_history(
    index: VectorStoreIndex, llm: GLM, glm_server: LocalGLMServer, sql_memory: Memory, streaming: bool
) -> None:
    engine = index.as_chat_engine(chat_mode="condense_plus_context", llm=llm, similarity_top_k=1, memory=sql_memory)
    for question in ("Tell me about the Eiffel Tower.", "When was it finished?"):
        if streaming:
            response: Any = engine.stream_chat(question)
            text = "".join(response.response_gen)
        else:
            text = engine.chat(question).response
        assert text.strip()
    last = chat_bodies(glm_server)[-1]["messages"]
    assert "1889" in last[0]["content"]  # the retrieved context, in the system prompt
    assert [m["role"] for m in last[1:]] == ["user", "assistant", "user"]
    assert last[1]["content"] == "Tell me about the Eiffel Tower."
    assert "Hello! You said:" in last[2]["content"]


def new_memory() -> ChatMemoryBuffer:
    # A pure-Python memory: the default one keeps an in-memory SQLite engine that is never closed.
    return ChatMemoryBuffer.from_defaults(token_limit=20_000, tokenizer_fn=GLMTokenizer())


async def run_agent(agent: Any, question: str, ctx: Context, memory: ChatMemoryBuffer) -> tuple[str, list[Any]]:
    handler = agent.run(question, ctx=ctx, memory=memory)
    events = [event async for event in handler.stream_events()]
    return str(await handler), events


@pytest.mark.parametrize("streaming", [True, False])
async def test_function_agent_over_several_turns(llm: GLM, glm_server: LocalGLMServer, streaming: bool) -> None:
    agent = FunctionAgent(tools=[add], llm=llm, streaming=streaming, system_prompt="You add numbers.")
    ctx, memory = Context(agent), new_memory()

    answer, events = await run_agent(agent, "What is 2 plus 3?", ctx, memory)
    assert answer.strip() == "Tool add returned: 5."
    calls = [e for e in events if isinstance(e, ToolCall) and not isinstance(e, ToolCallResult)]
    assert [(c.tool_name, c.tool_kwargs) for c in calls] == [("add", {"a": 2, "b": 3})]
    results = [e for e in events if isinstance(e, ToolCallResult)]
    assert results[0].tool_output.content == "5"
    deltas = [e for e in events if isinstance(e, AgentStream)]
    if streaming:
        assert deltas[0].thinking_delta == "The"  # the first reasoning delta reaches the stream
        assert any(e.tool_calls for e in deltas)
        assert "".join(e.delta for e in deltas).strip().endswith("Tool add returned: 5.")
    else:
        assert not deltas

    answer, _ = await run_agent(agent, "And 10 plus 20?", ctx, memory)
    assert answer.strip() == "Tool add returned: 30."
    sent = chat_bodies(glm_server)[-1]["messages"]
    assert [m["role"] for m in sent] == [
        "system",
        "user",
        "assistant",
        "tool",
        "assistant",
        "user",
        "assistant",
        "tool",
    ]
    first_call, second_call = sent[2]["tool_calls"][0], sent[6]["tool_calls"][0]
    assert sent[3]["tool_call_id"] == first_call["id"]
    assert sent[7]["tool_call_id"] == second_call["id"]
    assert json.loads(second_call["function"]["arguments"]) == {"a": 10, "b": 20}
    assert all(body.get("stream", False) is streaming for body in chat_bodies(glm_server))
    await llm.aclose()


@pytest.mark.parametrize("streaming", [True, False])
async def test_agent_workflow_with_tools_and_handoff(
    make_llm: Callable[..., GLM], glm_server: LocalGLMServer, streaming: bool
) -> None:
    llm = make_llm(model="glm-4.6")
    triage = FunctionAgent(
        name="triage",
        description="Routes questions.",
        system_prompt="Hand arithmetic to the calculator.",
        llm=llm,
        tools=[],
        can_handoff_to=["calculator"],
        streaming=streaming,
    )
    calculator = FunctionAgent(
        name="calculator",
        description="Adds and multiplies.",
        llm=llm,
        tools=[add, multiply],
        streaming=streaming,
    )
    workflow = AgentWorkflow(agents=[triage, calculator], root_agent="triage")
    ctx, memory = Context(workflow), new_memory()
    glm_server.enqueue(
        Reply.chat(tool_calls=[{"name": "handoff", "arguments": {"to_agent": "calculator", "reason": "math"}}]),
        # The local server would answer the handoff result in text; the calculator calls multiply instead.
        Reply.chat(tool_calls=[{"name": "multiply", "arguments": {"a": 6, "b": 7}}]),
    )
    answer, events = await run_agent(workflow, "Please multiply 6 and 7", ctx, memory)
    assert answer.strip() == "Tool multiply returned: 42."
    tools_called = [e.tool_name for e in events if isinstance(e, ToolCallResult)]
    assert tools_called == ["handoff", "multiply"]

    answer, _ = await run_agent(workflow, "Now add 1 and 2", ctx, memory)
    assert answer.strip() == "Tool add returned: 3."
    assert await ctx.store.get("current_agent_name") == "calculator"
    await llm.aclose()


@pytest.mark.parametrize("streaming", [True, False])
async def test_react_agent(llm: GLM, glm_server: LocalGLMServer, streaming: bool) -> None:
    agent = ReActAgent(tools=[add], llm=llm, streaming=streaming)
    ctx, memory = Context(agent), new_memory()
    glm_server.enqueue(
        Reply.chat('Thought: I need the add tool.\nAction: add\nAction Input: {"a": 2, "b": 3}'),
        Reply.chat("Thought: I can answer without using any more tools.\nAnswer: The sum is 5."),
    )
    answer, events = await run_agent(agent, "What is 2 plus 3?", ctx, memory)
    assert answer == "The sum is 5."
    results = [e for e in events if isinstance(e, ToolCallResult)]
    assert [(r.tool_name, r.tool_output.content) for r in results] == [("add", "5")]
    observation = chat_bodies(glm_server)[-1]["messages"][-1]["content"]
    assert "Observation: 5" in observation

    glm_server.enqueue(Reply.chat("Thought: I remember.\nAnswer: It was 5."))
    answer, _ = await run_agent(agent, "What was the result?", ctx, memory)
    assert answer == "It was 5."
    history = chat_bodies(glm_server)[-1]["messages"]
    assert any(m["role"] == "assistant" and "The sum is 5." in (m.get("content") or "") for m in history)
    await llm.aclose()


def test_settings_llm_one_liner(llm: GLM, make_embedding: Callable[..., GLMEmbedding]) -> None:
    Settings.llm = llm
    Settings.embed_model = make_embedding()
    engine = VectorStoreIndex.from_documents(DOCUMENTS).as_query_engine(similarity_top_k=1)
    response = engine.query("What does photosynthesis make?")
    assert "sugar and oxygen" in response.source_nodes[0].get_content()

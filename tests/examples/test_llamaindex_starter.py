"""LlamaIndex's starter tutorial, its RAG query engine and the condense-plus-context chat engine, run as
published with ``OpenAI(...)`` swapped for ``GLM(model="glm-4.7")`` and ``OpenAIEmbedding`` for
``GLMEmbedding``. ``SimpleDirectoryReader("data")`` (Paul Graham's essay) becomes in-memory
``Document``s of the same kind; nothing is downloaded."""

from __future__ import annotations

import pytest
from llama_index.core import Document, Settings, VectorStoreIndex
from llama_index.core.agent.workflow import AgentStream, AgentWorkflow, FunctionAgent, ToolCallResult
from llama_index.core.memory import ChatMemoryBuffer

from glm_transport.testing import LocalGLMServer, Reply
from llamaindex_glm import GLM, GLMEmbedding

from .conftest import chat_bodies, sent_text

pytestmark = pytest.mark.usefixtures("glm_env", "llamaindex_settings")

ESSAY = {
    "growing-up": (
        "Before college the two main things I worked on, outside of school, were writing and programming. "
        "I wrote short stories. My stories were awful. The first programs I tried writing were on the IBM 1401 "
        "that our school district used."
    ),
    "college": (
        "In college I was going to study philosophy, which sounded much more powerful. But it seemed to me that "
        "philosophy was a waste of time, so I switched to AI and taught myself Lisp."
    ),
    "yc": (
        "After YC I started painting. I wanted to see how good I could get if I really focused on it, so the day "
        "after I stopped working on YC I started painting."
    ),
}


def load_documents() -> list[Document]:
    """Stands in for ``SimpleDirectoryReader("data").load_data()``."""
    return [Document(text=text, metadata={"file_name": f"{name}.txt"}) for name, text in ESSAY.items()]


@pytest.fixture
def documents() -> list[Document]:
    return load_documents()


# ---- Starter tutorial: "Basic Agent Example" ------------------------------------------------------------
# Define a simple calculator tool
def multiply(a: float, b: float) -> float:
    """Useful for multiplying two numbers."""
    return a * b


async def test_starter_function_agent(glm_server: LocalGLMServer) -> None:
    # Source: developers.llamaindex.ai/python/framework/getting_started/starter_example ("Basic Agent Example")
    # Create an agent workflow with our calculator tool
    agent = FunctionAgent(
        tools=[multiply],
        llm=GLM(model="glm-4.7"),
        system_prompt="You are a helpful assistant that can multiply two numbers.",
    )

    # Run the agent
    response = await agent.run("What is 1234 * 4567?")
    print(str(response))

    assert [(c.tool_name, c.tool_kwargs) for c in response.tool_calls] == [("multiply", {"a": 1234, "b": 4567})]
    assert response.tool_calls[0].tool_output.raw_output == 5635678
    assert "5635678" in str(response)  # the tool's result reached the answer
    bodies = chat_bodies(glm_server)
    assert bodies[0]["messages"][0]["content"] == "You are a helpful assistant that can multiply two numbers."
    assert bodies[-1]["messages"][-1]["role"] == "tool"


async def test_starter_agent_streams_its_events() -> None:
    # Source: developers.llamaindex.ai/python/framework/module_guides/deploying/agents ("Streaming events")
    agent = FunctionAgent(
        tools=[multiply],
        llm=GLM(model="glm-4.7"),
        system_prompt="You are a helpful assistant that can multiply two numbers.",
    )
    handler = agent.run(user_msg="What is 1234 * 4567?")
    deltas, results = [], []
    async for event in handler.stream_events():
        if isinstance(event, AgentStream):
            print(event.delta, end="", flush=True)
            deltas.append(event.delta)
        elif isinstance(event, ToolCallResult):
            results.append((event.tool_name, event.tool_kwargs, event.tool_output.raw_output))
    response = await handler

    assert results == [("multiply", {"a": 1234, "b": 4567}, 5635678)]
    assert len([d for d in deltas if d]) > 1
    assert "5635678" in "".join(deltas)
    assert str(response).strip() in "".join(deltas).strip()


# ---- Starter tutorial: "Adding RAG Capabilities" --------------------------------------------------------
async def test_starter_agent_workflow_with_rag(documents: list[Document], glm_server: LocalGLMServer) -> None:
    # Source: developers.llamaindex.ai/python/framework/getting_started/starter_example ("Adding RAG Capabilities")
    Settings.llm = GLM(model="glm-4.7")
    Settings.embed_model = GLMEmbedding(model_name="embedding-3")

    # Create a RAG tool using LlamaIndex
    index = VectorStoreIndex.from_documents(documents)
    query_engine = index.as_query_engine()

    async def search_documents(query: str) -> str:
        """Useful for answering natural language questions about an personal essay written by Paul Graham."""
        response = await query_engine.aquery(query)
        return str(response)

    # Create an enhanced workflow with both tools
    agent = AgentWorkflow.from_tools_or_functions(
        [multiply, search_documents],
        llm=Settings.llm,
        system_prompt="""You are a helpful assistant that can perform calculations
        and search through documents to answer questions.""",
    )

    # With two tools the local model calls only tools named in the question, so script the choice a real
    # model makes here: both tools, in one turn.
    glm_server.enqueue(
        Reply.chat(
            tool_calls=[
                {"name": "search_documents", "arguments": {"query": "What did the author do in college?"}},
                {"name": "multiply", "arguments": {"a": 7, "b": 8}},
            ]
        )
    )

    # Now we can ask questions about the documents or do calculations
    response = await agent.run("What did the author do in college? Also, what's 7 * 8?")
    print(response)

    calls = {c.tool_name: c for c in response.tool_calls}
    assert calls["multiply"].tool_output.raw_output == 56
    rag_answer = calls["search_documents"].tool_output.raw_output
    assert rag_answer.startswith("Hello! You said: Context information is below.")
    assert "file_name: college.txt" in rag_answer  # the query engine answered from the essay's college part
    # The query engine's request carried the essay's college passage as context.
    rag_request = next(b for b in chat_bodies(glm_server) if "Context information is below" in sent_text(b))
    assert "I switched to AI and taught myself Lisp" in sent_text(rag_request)
    final = chat_bodies(glm_server)[-1]["messages"]
    assert [m["role"] for m in final[-2:]] == ["tool", "tool"]
    assert "56" in str(response)


# ---- Starter tutorial (older form) / "Query Index": VectorStoreIndex + query engine --------------------
@pytest.mark.parametrize("mode", ["query", "aquery", "streaming"])
async def test_starter_query_engine(documents: list[Document], glm_server: LocalGLMServer, mode: str) -> None:
    # Source: developers.llamaindex.ai/python/framework/getting_started/starter_example_local ("Adding RAG
    # Capabilities" / "Query your data"); the streaming form from module_guides/deploying/query_engine/streaming.
    Settings.llm = GLM(model="glm-4.7")
    Settings.embed_model = GLMEmbedding(model_name="embedding-3")

    index = VectorStoreIndex.from_documents(documents)
    if mode == "query":
        query_engine = index.as_query_engine()
        response = query_engine.query("What did the author do growing up?")
        text = str(response)
    elif mode == "aquery":
        query_engine = index.as_query_engine()
        response = await query_engine.aquery("What did the author do growing up?")
        text = str(response)
    else:
        query_engine = index.as_query_engine(streaming=True, similarity_top_k=1)
        streaming_response = query_engine.query("What did the author do growing up?")
        tokens = list(streaming_response.response_gen)
        response, text = streaming_response, "".join(tokens)
        assert len([t for t in tokens if t]) > 1
    print(text)

    ids = {d.doc_id for d in documents}
    assert response.source_nodes, "the answer cites its sources"
    assert {n.node.ref_doc_id for n in response.source_nodes} <= ids
    assert response.source_nodes[0].node.metadata["file_name"] == "growing-up.txt"  # the best match first
    assert "IBM 1401" in sent_text(chat_bodies(glm_server)[-1])  # the retrieved text reached the model
    assert text.startswith("Hello! You said: Context information is below.")
    assert "What did the author do growing up?" in sent_text(chat_bodies(glm_server)[-1])


# ---- Chat engine: condense_plus_context -----------------------------------------------------------------
def test_condense_plus_context_chat_engine(documents: list[Document], glm_server: LocalGLMServer) -> None:
    # Source: developers.llamaindex.ai/python/examples/chat_engine/chat_engine_condense_plus_context
    Settings.embed_model = GLMEmbedding(model_name="embedding-3")
    llm = GLM(model="glm-4.7")
    data = documents
    index = VectorStoreIndex.from_documents(data)

    memory = ChatMemoryBuffer.from_defaults(token_limit=3900)

    chat_engine = index.as_chat_engine(
        chat_mode="condense_plus_context",
        memory=memory,
        llm=llm,
        context_prompt=(
            "You are a chatbot, able to have normal interactions, as well as talk"
            " about an essay discussing Paul Grahams life."
            "Here are the relevant documents for the context:\n"
            "{context_str}"
            "\nInstruction: Use the previous chat history, or the context above, to interact and help the user."
        ),
        verbose=False,
    )

    response = chat_engine.chat("What did Paul Graham do growing up")
    print(response)
    first_requests = len(chat_bodies(glm_server))
    response_2 = chat_engine.chat("Can you tell me more?")
    print(response_2)

    assert first_requests == 1  # no history yet: nothing to condense
    condense, answer = chat_bodies(glm_server)[1:]
    assert "What did Paul Graham do growing up" in sent_text(condense)  # the history was condensed
    assert "Can you tell me more?" in sent_text(condense)
    assert "about an essay discussing Paul Grahams life" in answer["messages"][0]["content"]
    assert {n.node.ref_doc_id for n in response.source_nodes} <= {d.doc_id for d in documents}
    assert "What did Paul Graham do growing up" in str(response)
    assert len(memory.get_all()) == 4

    # Reset conversation state
    chat_engine.reset()
    response = chat_engine.stream_chat("What did Paul Graham do after YC?")
    tokens = []
    for token in response.response_gen:
        print(token, end="")
        tokens.append(token)

    assert len([t for t in tokens if t]) > 1
    assert "What did Paul Graham do after YC?" in "".join(tokens)
    assert response.source_nodes[0].node.metadata["file_name"] == "yc.txt"
    assert len(memory.get_all()) == 2  # the reset dropped the first conversation

"""LangChain's agent quickstart, the RAG tutorial (agentic and two-step chain) and the classic LCEL RAG
chain, run as published with the model swapped for ``ChatGLM`` and the embeddings for ``GLMEmbeddings``.
The web loader of the RAG tutorial is replaced by the same kind of text as in-memory documents."""

from __future__ import annotations

import json

import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import ModelRequest, dynamic_prompt
from langchain.agents.structured_output import ToolStrategy
from langchain.messages import AIMessage, ToolMessage
from langchain.tools import tool
from langchain_core.documents import Document
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnablePassthrough
from langchain_core.vectorstores import InMemoryVectorStore
from langchain_text_splitters import RecursiveCharacterTextSplitter
from pydantic import BaseModel, Field

from glm_transport.testing import LocalGLMServer
from langchain_glm import ChatGLM, GLMEmbeddings

from .conftest import chat_bodies

pytestmark = pytest.mark.usefixtures("glm_env")

# The RAG tutorial indexes Lilian Weng's "LLM Powered Autonomous Agents" post; these stand in for it.
BLOG = [
    Document(
        page_content=(
            "Task decomposition breaks a complicated task into smaller and simpler steps. Chain of thought "
            "prompting instructs the model to think step by step, and Tree of Thoughts explores several "
            "reasoning possibilities at each step."
        ),
        metadata={"source": "agents-post", "section": "planning"},
    ),
    Document(
        page_content=(
            "Memory in agents: short-term memory is in-context learning, while long-term memory keeps "
            "information over extended periods in an external vector store with fast retrieval."
        ),
        metadata={"source": "agents-post", "section": "memory"},
    ),
    Document(
        page_content=(
            "Tool use lets the agent call external APIs for information missing from the model weights, "
            "such as current data, code execution and proprietary sources."
        ),
        metadata={"source": "agents-post", "section": "tools"},
    ),
]


@pytest.fixture
def model() -> ChatGLM:
    return ChatGLM(model="glm-4.7")


@pytest.fixture
def vector_store() -> InMemoryVectorStore:
    # Source: docs.langchain.com/oss/python/langchain/rag ("Indexing": split, embed, store)
    embeddings = GLMEmbeddings(model="embedding-3")
    vector_store = InMemoryVectorStore(embeddings)
    text_splitter = RecursiveCharacterTextSplitter(
        chunk_size=1000,  # chunk size (characters)
        chunk_overlap=200,  # chunk overlap (characters)
        add_start_index=True,  # track index in original document
    )
    all_splits = text_splitter.split_documents(BLOG)
    document_ids = vector_store.add_documents(documents=all_splits)
    assert len(document_ids) == len(BLOG)
    return vector_store


# ---- Agent quickstart -----------------------------------------------------------------------------------
def get_weather(city: str) -> str:
    """Get weather for a given city."""
    return f"It's always sunny in {city}!"


@pytest.mark.parametrize("mode", ["invoke", "ainvoke", "stream"])
async def test_agent_quickstart(model: ChatGLM, glm_server: LocalGLMServer, mode: str) -> None:
    # Source: docs.langchain.com/oss/python/langchain/quickstart ("Build a basic agent")
    agent = create_agent(
        model=model,
        tools=[get_weather],
        system_prompt="You are a helpful assistant",
    )

    # Run the agent
    inputs = {"messages": [{"role": "user", "content": "what is the weather in sf"}]}
    if mode == "invoke":
        result = agent.invoke(inputs)
    elif mode == "ainvoke":
        result = await agent.ainvoke(inputs)
    else:
        for result in agent.stream(inputs, stream_mode="values"):
            result["messages"][-1].pretty_print()

    messages = result["messages"]
    tool_messages = [m for m in messages if isinstance(m, ToolMessage)]
    calls = [c for m in messages if isinstance(m, AIMessage) for c in m.tool_calls]
    assert [c["name"] for c in calls] == ["get_weather"]
    city = calls[0]["args"]["city"]
    assert [m.content for m in tool_messages] == [f"It's always sunny in {city}!"]
    assert tool_messages[0].tool_call_id == calls[0]["id"]
    assert isinstance(messages[-1], AIMessage) and f"It's always sunny in {city}" in messages[-1].text
    bodies = chat_bodies(glm_server)
    assert len(bodies) == 2  # one model call that asks for the tool, one that answers with its result
    assert bodies[0]["messages"][0] == {"role": "system", "content": "You are a helpful assistant"}


# ---- Agents: structured output --------------------------------------------------------------------------
class ContactInfo(BaseModel):
    """Contact information for a person."""

    name: str = Field(description="The name of the person")
    email: str = Field(description="The email address of the person")
    phone: str = Field(description="The phone number of the person")


@pytest.mark.parametrize("strategy", ["schema", "tool_strategy"])
def test_agent_structured_output(model: ChatGLM, glm_server: LocalGLMServer, strategy: str) -> None:
    # Source: docs.langchain.com/oss/python/langchain/structured-output ("Provider strategy": the schema type
    # given directly, and "Tool calling strategy": ToolStrategy(...))
    agent = create_agent(
        model=model,
        tools=[],
        response_format=ContactInfo if strategy == "schema" else ToolStrategy(ContactInfo),
    )

    result = agent.invoke(
        {
            "messages": [
                {"role": "user", "content": "Extract contact info from: John Doe, john@example.com, (555) 123-4567"}
            ]
        }
    )

    print(result["structured_response"])
    # ContactInfo(name='John Doe', email='john@example.com', phone='(555) 123-4567')

    assert isinstance(result["structured_response"], ContactInfo)
    body = chat_bodies(glm_server)[-1]
    if strategy == "tool_strategy":
        assert [t["function"]["name"] for t in body["tools"]] == ["ContactInfo"]
        assert isinstance(result["messages"][-1], ToolMessage)  # the strategy answers its own tool call
    else:
        assert body["response_format"] == {"type": "json_object"}  # GLM's JSON mode, schema in the prompt
        assert "email" in json.dumps(body["messages"])


# ---- RAG tutorial: the agentic version ------------------------------------------------------------------
def test_rag_agent_retrieves_and_answers_from_the_index(
    model: ChatGLM, vector_store: InMemoryVectorStore, glm_server: LocalGLMServer
) -> None:
    # Source: docs.langchain.com/oss/python/langchain/rag ("RAG agents")
    @tool(response_format="content_and_artifact")
    def retrieve_context(query: str):  # as published: no annotations
        """Retrieve information to help answer a query."""
        retrieved_docs = vector_store.similarity_search(query, k=2)
        serialized = "\n\n".join((f"Source: {doc.metadata}\nContent: {doc.page_content}") for doc in retrieved_docs)
        return serialized, retrieved_docs

    tools = [retrieve_context]
    # If desired, specify custom instructions
    prompt = (
        "You have access to a tool that retrieves context from a blog post. Use the tool to help answer user queries."
    )
    agent = create_agent(model, tools, system_prompt=prompt)

    query = "What is 'task decomposition'?"
    events = []
    for event in agent.stream({"messages": [{"role": "user", "content": query}]}, stream_mode="values"):
        event["messages"][-1].pretty_print()
        events.append(event)

    messages = events[-1]["messages"]
    tool_message = next(m for m in messages if isinstance(m, ToolMessage))
    assert tool_message.artifact[0].metadata["section"] == "planning"  # the best match comes first
    assert "Task decomposition breaks a complicated task" in tool_message.content
    answer = messages[-1]
    assert isinstance(answer, AIMessage) and "Task decomposition breaks a complicated task" in answer.text
    assert chat_bodies(glm_server)[-1]["messages"][-1]["content"] == tool_message.content


# ---- RAG tutorial: the two-step chain (dynamic prompt middleware) ---------------------------------------
@pytest.mark.parametrize("mode", ["invoke", "ainvoke"])
async def test_rag_chain_with_dynamic_prompt(
    model: ChatGLM, vector_store: InMemoryVectorStore, glm_server: LocalGLMServer, mode: str
) -> None:
    # Source: docs.langchain.com/oss/python/langchain/rag ("RAG chains")
    @dynamic_prompt
    def prompt_with_context(request: ModelRequest) -> str:
        """Inject context into state messages."""
        last_query = request.state["messages"][-1].text
        retrieved_docs = vector_store.similarity_search(last_query)

        docs_content = "\n\n".join(doc.page_content for doc in retrieved_docs)

        system_message = f"You are a helpful assistant. Use the following context in your response:\n\n{docs_content}"

        return system_message  # noqa: RET504 - as published

    agent = create_agent(model, tools=[], middleware=[prompt_with_context])

    query = "What is long-term memory in agents?"
    inputs = {"messages": [{"role": "user", "content": query}]}
    result = agent.invoke(inputs) if mode == "invoke" else await agent.ainvoke(inputs)

    system = chat_bodies(glm_server)[-1]["messages"][0]
    assert system["role"] == "system"
    assert system["content"].startswith("You are a helpful assistant. Use the following context")
    # The most similar chunk is placed first in the context the model receives.
    assert system["content"].index("long-term memory keeps") < system["content"].index("Task decomposition")
    assert "long-term memory in agents" in result["messages"][-1].text


# ---- The classic LCEL RAG chain -------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["invoke", "stream", "astream"])
async def test_lcel_rag_chain(
    model: ChatGLM, vector_store: InMemoryVectorStore, glm_server: LocalGLMServer, mode: str
) -> None:
    # Source: python.langchain.com/v0.2/docs/tutorials/rag ("Retrieval and Generation: Generate"); the hub
    # prompt "rlm/rag-prompt" written out (nothing is downloaded).
    llm = model
    retriever = vector_store.as_retriever(search_type="similarity", search_kwargs={"k": 2})
    prompt = ChatPromptTemplate.from_messages(
        [
            (
                "human",
                "You are an assistant for question-answering tasks. Use the following pieces of retrieved context "
                "to answer the question. If you don't know the answer, just say that you don't know. Use three "
                "sentences maximum and keep the answer concise.\nQuestion: {question} \nContext: {context} \nAnswer:",
            )
        ]
    )

    def format_docs(docs: list[Document]) -> str:
        return "\n\n".join(doc.page_content for doc in docs)

    rag_chain = (
        {"context": retriever | format_docs, "question": RunnablePassthrough()} | prompt | llm | StrOutputParser()
    )

    question = "What is Task Decomposition?"
    if mode == "invoke":
        answer = rag_chain.invoke(question)
        pieces = [answer]
    elif mode == "stream":
        pieces = list(rag_chain.stream(question))
    else:
        pieces = [chunk async for chunk in rag_chain.astream(question)]
    answer = "".join(pieces)

    retrieved = retriever.invoke(question)
    assert retrieved[0].metadata["section"] == "planning"
    sent = chat_bodies(glm_server)[-1]["messages"]
    assert [m["role"] for m in sent] == ["user"]
    assert "Question: What is Task Decomposition?" in sent[0]["content"]
    assert "Context: Task decomposition breaks a complicated task" in sent[0]["content"]  # best match first
    assert answer.startswith("Hello! You said: You are an assistant for question-answering tasks.")
    if mode != "invoke":
        assert len([p for p in pieces if p]) > 1
        assert answer == rag_chain.invoke(question)

"""Whole RAG pipelines and web-search agents in each framework, over the local server.

LangChain: InMemoryVectorStore with ``GLMEmbeddings`` -> ``ContextualCompressionRetriever`` with
``GLMRerank`` -> ``ChatGLM`` answering from numbered sources; ``create_agent`` with
``GLMWebSearchTool``. LlamaIndex: ``VectorStoreIndex`` with ``GLMEmbedding`` -> a citation query
engine with the ``GLMRerank`` postprocessor -> ``GLM``; ``FunctionAgent`` with the web search tool.
"""

from __future__ import annotations

import json

import pytest
from langchain.agents import create_agent
from langchain_classic.retrievers import ContextualCompressionRetriever
from langchain_core.documents import Document
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.vectorstores import InMemoryVectorStore
from llama_index.core import Document as LIDocument
from llama_index.core import Settings, VectorStoreIndex
from llama_index.core.agent.workflow import AgentOutput, FunctionAgent, ToolCallResult
from llama_index.core.query_engine import CitationQueryEngine

from glm_transport.testing import LocalGLMServer
from langchain_glm import ChatGLM, GLMEmbeddings, GLMRerank, GLMWebSearchTool
from llamaindex_glm import GLM, GLMEmbedding, GLMTokenizer, GLMWebSearchToolSpec
from llamaindex_glm import GLMRerank as LIGLMRerank

from .support import Runner, bodies

FACTS = {
    "models.md": "GLM-4.7 is Zhipu AI's flagship model with a 200K context window.",
    "rerank.md": "The rerank model scores how relevant each document in the context window is to a query.",
    "embeddings.md": "embedding-3 turns large texts into vectors of up to 2048 dimensions.",
    "search.md": "Web search returns titles, links and publish dates.",
}
QUESTION = "How large is the context window of GLM-4.7?"
# The local rerank scores by shared words: models.md shares 5 of the question's 6, rerank.md 2,
# embeddings.md 1, search.md none; so the reranked order is known whatever the retrieval order.
RANKED = ["models.md", "rerank.md"]


def last_user_text(server: LocalGLMServer) -> str:
    [*_, chat] = bodies(server, "/chat/completions")
    content = chat["messages"][-1]["content"]
    return content if isinstance(content, str) else "".join(p.get("text", "") for p in content)


# ---- LangChain ----------------------------------------------------------------------------


def test_langchain_rag_retrieves_reranks_and_answers_from_cited_sources(run: Runner, glm_env: LocalGLMServer) -> None:
    documents = [Document(text, metadata={"source": source}) for source, text in FACTS.items()]
    store = run(InMemoryVectorStore.from_documents, documents, run.own(GLMEmbeddings(dimensions=256)))
    retriever = ContextualCompressionRetriever(
        base_compressor=run.own(GLMRerank(top_n=2)), base_retriever=store.as_retriever(search_kwargs={"k": 4})
    )
    prompt = ChatPromptTemplate.from_messages(
        [("system", "Answer only from the numbered sources; cite them like [1]."), ("human", "{sources}\n\n{question}")]
    )
    chain = prompt | run.own(ChatGLM(model="glm-4.7")) | StrOutputParser()

    found = run(retriever.invoke, QUESTION)
    sources = "\n".join(f"[{i}] {d.page_content}" for i, d in enumerate(found, 1))
    answer = run(chain.invoke, {"sources": sources, "question": QUESTION})

    assert [d.metadata["source"] for d in found] == RANKED
    assert found[0].metadata["relevance_score"] > found[1].metadata["relevance_score"]
    assert f"[1] {FACTS['models.md']}" in last_user_text(glm_env)
    assert "[1]" in answer  # the local model echoes the prompt, sources included
    paths = [r.path.rsplit("/", 1)[-1] for r in glm_env.requests]
    assert paths == ["embeddings", "embeddings", "rerank", "completions"]
    [rerank] = bodies(glm_env, "/rerank")
    assert sorted(rerank["documents"]) == sorted(FACTS.values())


def test_langchain_agent_searches_the_web_and_answers(run: Runner, glm_env: LocalGLMServer) -> None:
    search = run.own(GLMWebSearchTool(count=3))
    agent = create_agent(run.own(ChatGLM(model="glm-4.7")), tools=[search], system_prompt="Search, then cite links.")
    result = run(agent.invoke, {"messages": [{"role": "user", "content": "What did Zhipu release recently?"}]})
    messages = result["messages"]
    call = next(m for m in messages if isinstance(m, AIMessage) and m.tool_calls).tool_calls[0]
    assert call["name"] == "glm_web_search"
    tool_message = next(m for m in messages if isinstance(m, ToolMessage))
    links = [r["link"] for r in json.loads(tool_message.content)]
    assert links == ["https://example.com/zhipu/1", "https://example.com/zhipu/2", "https://example.com/zhipu/3"]
    assert isinstance(messages[-1], AIMessage)
    assert "https://example.com/zhipu/1" in messages[-1].content
    [search_body] = bodies(glm_env, "/web_search")
    assert search_body["search_query"] == call["args"]["query"]
    # The function tool was offered to the model, and its result sent back as a tool message.
    first, second = bodies(glm_env, "/chat/completions")
    assert first["tools"][0]["function"]["name"] == "glm_web_search"
    assert second["messages"][-1]["role"] == "tool"


# ---- LlamaIndex ---------------------------------------------------------------------------


@pytest.fixture
def offline_tokenizer(monkeypatch: pytest.MonkeyPatch) -> None:
    """LlamaIndex's token counting on GLM's offline tokenizer: nothing is downloaded."""
    monkeypatch.setattr(Settings, "_tokenizer", GLMTokenizer())


def test_llamaindex_rag_retrieves_reranks_and_answers_from_cited_sources(
    run: Runner, glm_env: LocalGLMServer, offline_tokenizer: None
) -> None:
    documents = [LIDocument(text=text, metadata={"source": source}) for source, text in FACTS.items()]
    index = VectorStoreIndex.from_documents(documents, embed_model=run.own(GLMEmbedding(dimensions=256)))
    reranker = run.own(LIGLMRerank(top_n=2))
    engine = CitationQueryEngine.from_args(
        index, llm=run.own(GLM(model="glm-4.7")), similarity_top_k=4, node_postprocessors=[reranker]
    )
    response = run(engine.query, QUESTION)

    sources = response.source_nodes
    assert [n.node.metadata["source"] for n in sources] == RANKED
    assert sources[0].score is not None
    assert sources[1].score is not None
    assert sources[0].score > sources[1].score
    prompt = last_user_text(glm_env)
    assert f"Source 1:\n{FACTS['models.md']}" in prompt
    assert "cite the appropriate source(s)" in prompt
    assert str(response).startswith("Hello! You said:")
    paths = [r.path.rsplit("/", 1)[-1] for r in glm_env.requests]
    assert paths[-2:] == ["rerank", "completions"]
    assert (reranker._clients._sync is None) == (run.mode == "async")


async def test_llamaindex_function_agent_searches_the_web_and_answers(glm_env: LocalGLMServer) -> None:
    # FunctionAgent is a workflow: it runs on an event loop and calls tools through ``acall``.
    spec, llm = GLMWebSearchToolSpec(count=3), GLM(model="glm-4.7")
    try:
        agent = FunctionAgent(tools=spec.to_tool_list(), llm=llm, system_prompt="Search, then cite links.")
        handler = agent.run(user_msg="What did Zhipu release recently?")
        results = [event async for event in handler.stream_events() if isinstance(event, ToolCallResult)]
        output = await handler
    finally:
        await spec.aclose()
        await llm.aclose()
        llm.close()
    [result] = results
    assert result.tool_name == "web_search"
    assert [r["link"] for r in result.tool_output.raw_output] == [f"https://example.com/zhipu/{i}" for i in (1, 2, 3)]
    assert isinstance(output, AgentOutput)
    assert "https://example.com/zhipu/1" in str(output.response.content)
    [search_body] = bodies(glm_env, "/web_search")
    assert search_body["count"] == 3
    assert spec._clients._sync is None  # the agent used the native async function

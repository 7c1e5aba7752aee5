"""Batch jobs from the adapters, sync and async: LangChain's ChatGLM (and prompt | ChatGLM) gives
AIMessages or exceptions in input order, GLMEmbeddings embeds a corpus; LlamaIndex's GLM chats and
GLMEmbedding embeds nodes ready for a vector index. Both adapters take the governor's options."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.exceptions import ModelInvalidRequestError
from langchain_core.messages import AIMessage
from langchain_core.prompts import ChatPromptTemplate
from llama_index.core import VectorStoreIndex
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.schema import MetadataMode, TextNode

import langchain_glm.batch as lc_batch
import llamaindex_glm.batch as li_batch
from glm_transport.errors import GLMBadRequestError
from glm_transport.testing import LocalGLMServer
from glm_transport.types import ChatCompletion
from langchain_glm import ChatGLM, GLMEmbeddings
from llamaindex_glm import GLM, GLMEmbedding

QUESTIONS = ["what is a batch?", "why are jobs cheaper?", "how long do they take?"]
FAST = {"poll_interval": 0.01}


@pytest.fixture
def connection(glm_server: LocalGLMServer) -> dict[str, Any]:
    return {"api_key": glm_server.api_key, "base_url": glm_server.base_url}


@pytest.fixture
def run(mode: str) -> Iterator[Any]:
    """Run a helper's sync form, or its async twin on a fresh loop."""
    loop = asyncio.new_event_loop()

    def call(sync: Any, asynchronous: Any, *args: Any, **kwargs: Any) -> Any:
        if mode == "sync":
            return sync(*args, **kwargs)
        return loop.run_until_complete(asynchronous(*args, **kwargs))

    yield call
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()


def test_langchain_batch_chat_answers_like_invoke_in_input_order(
    connection: dict[str, Any], run: Any, tmp_path: Path
) -> None:
    model = ChatGLM(model="glm-4-plus", **connection)
    answers = run(lc_batch.batch_chat, lc_batch.abatch_chat, model, QUESTIONS, workdir=tmp_path, **FAST)
    assert all(isinstance(a, AIMessage) for a in answers)
    assert [a.content for a in answers] == [model.invoke(q).content for q in QUESTIONS]


def test_langchain_a_prompt_chain_runs_its_model_step_as_a_job(
    connection: dict[str, Any], run: Any, tmp_path: Path
) -> None:
    chain = ChatPromptTemplate.from_messages([("user", "Answer briefly: {q}")]) | ChatGLM(
        model="glm-4-plus", **connection
    )
    inputs = [{"q": q} for q in QUESTIONS]
    answers = run(lc_batch.batch_chat, lc_batch.abatch_chat, chain, inputs, workdir=tmp_path, **FAST)
    assert [a.content for a in answers] == [chain.invoke(x).content for x in inputs]


def test_langchain_other_runnables_are_refused() -> None:
    with pytest.raises(TypeError, match="last step is a ChatGLM"):
        lc_batch.submit_chat_batch(ChatPromptTemplate.from_messages([("user", "{q}")]), [{"q": "x"}])


class _FakeJob:
    def __init__(self, results: list[Any]) -> None:
        self._results = results

    def results(self) -> Iterator[Any]:
        return iter(self._results)


def test_langchain_error_lines_become_langchain_catchable_exceptions_in_place() -> None:
    ok = ChatCompletion.model_validate({"choices": [{"message": {"content": "fine"}, "finish_reason": "stop"}]})
    error = GLMBadRequestError("bad line", status_code=400, code="1214")
    out = list(lc_batch.chat_batch_results(_FakeJob([ok, error, ok])))  # type: ignore[arg-type]
    assert isinstance(out[0], AIMessage) and out[0].content == "fine"
    assert isinstance(out[1], ModelInvalidRequestError) and isinstance(out[1], GLMBadRequestError)
    assert isinstance(out[2], AIMessage)


def test_langchain_embed_corpus_equals_embed_documents(connection: dict[str, Any], run: Any, tmp_path: Path) -> None:
    embeddings = GLMEmbeddings(dimensions=256, batch_size=4, **connection)
    texts = [f"passage {i} about batches" for i in range(10)]
    vectors = run(lc_batch.embed_corpus, lc_batch.aembed_corpus, embeddings, texts, workdir=tmp_path, **FAST)
    assert vectors == embeddings.embed_documents(texts)


def test_llamaindex_batch_chat_answers_like_chat(connection: dict[str, Any], run: Any, tmp_path: Path) -> None:
    llm = GLM(model="glm-4-plus", **connection)
    conversations = [[ChatMessage(role="user", content=q)] for q in QUESTIONS]
    answers = run(li_batch.batch_chat, li_batch.abatch_chat, llm, conversations, workdir=tmp_path, **FAST)
    assert [a.message.content for a in answers] == [llm.chat(c).message.content for c in conversations]


def test_llamaindex_embedded_nodes_go_into_an_index_without_being_embedded_again(
    connection: dict[str, Any], glm_server: LocalGLMServer, run: Any, tmp_path: Path
) -> None:
    embed_model = GLMEmbedding(dimensions=256, embed_batch_size=4, **connection)
    nodes = [TextNode(text=f"fact {i}: batches run within a day") for i in range(9)]
    done = run(li_batch.embed_nodes, li_batch.aembed_nodes, embed_model, nodes, workdir=tmp_path, **FAST)
    expected = embed_model.get_text_embedding_batch([n.get_content(metadata_mode=MetadataMode.EMBED) for n in nodes])
    assert [n.embedding for n in done] == expected
    before = sum(r.path.endswith("/embeddings") for r in glm_server.requests)
    index = VectorStoreIndex(done, embed_model=embed_model)
    assert sum(r.path.endswith("/embeddings") for r in glm_server.requests) == before
    assert index.as_retriever(similarity_top_k=1).retrieve("fact 3")


@pytest.mark.parametrize("make", [ChatGLM, GLMEmbeddings, GLM, GLMEmbedding])
def test_both_adapters_pass_the_governor_options_to_their_clients(make: Any, connection: dict[str, Any]) -> None:
    instance = make(
        concurrency_tier="V2",
        concurrency_limits={"glm-4-plus": 7},
        concurrency_redis_url="redis://:secret@127.0.0.1:1/0",
        **connection,
    )
    governor = instance.client.governor
    assert (governor.mode, governor.ceiling("glm-4-plus"), governor.ceiling("glm-4-airx")) == ("V2", 7, 40)
    assert governor.redis_url == "redis://:secret@127.0.0.1:1/0"
    assert "secret" not in repr(instance) and "secret" not in repr(governor)
    instance.close()


def test_langchain_a_long_generation_as_a_task_answers_like_invoke(connection: dict[str, Any], run: Any) -> None:
    model = ChatGLM(model="glm-4.6", **connection)
    answer = run(lc_batch.chat_as_task, lc_batch.achat_as_task, model, "write at length", poll_interval=0.01)
    assert isinstance(answer, AIMessage)
    assert answer.content == model.invoke("write at length").content


def test_llamaindex_a_long_generation_as_a_task_answers_like_chat(connection: dict[str, Any], run: Any) -> None:
    llm = GLM(model="glm-4.6", **connection)
    messages = [ChatMessage(role="user", content="write at length")]
    answer = run(li_batch.chat_as_task, li_batch.achat_as_task, llm, messages, poll_interval=0.01)
    assert answer.message.content == llm.chat(messages).message.content


def test_the_redis_url_stays_out_of_langchain_dumps_and_llamaindex_dicts(connection: dict[str, Any]) -> None:
    from langchain_core.load import dumps

    url = "redis://:hunter2@127.0.0.1:1/0"
    assert "hunter2" not in dumps(ChatGLM(concurrency_redis_url=url, **connection))
    assert "hunter2" not in str(GLM(concurrency_redis_url=url, **connection).to_dict())

"""Run ``GLM`` chats and ``GLMEmbedding`` node embedding over many inputs as GLM batch jobs (half the
price, outside the concurrency limits, hours instead of seconds; docs/wire-notes.md §13.2, docs/scale.md).

``batch_chat(llm, conversations)`` gives one ``ChatResponse`` or exception per conversation, in order.
``embed_nodes(embed_model, nodes)`` sets ``node.embedding`` on every node, so the nodes go straight into
``VectorStoreIndex(nodes, embed_model=embed_model)`` or an ingestion pipeline's vector store without
being embedded again.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from llama_index.core.base.llms.types import ChatMessage, ChatResponse
from llama_index.core.schema import BaseNode, MetadataMode

from glm_transport.batch_files import chat_bodies, embedding_bodies
from glm_transport.batch_job import AsyncBatchJob, BatchJob
from glm_transport.chat_tasks import AsyncChatTasks, ChatTasks
from glm_transport.errors import GLMError

from ._convert import completion_to_response
from .embeddings import GLMEmbedding
from .llms import GLM

__all__ = [
    "abatch_chat",
    "achat_as_task",
    "aembed_nodes",
    "batch_chat",
    "chat_as_task",
    "chat_batch_results",
    "embed_nodes",
    "submit_chat_batch",
]

EMBEDDINGS = "/v4/embeddings"
_JOB_OPTIONS = ("workdir", "max_requests_per_file", "max_bytes_per_file")
Conversation = Sequence[ChatMessage]


def _split(options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    job = {k: options.pop(k) for k in _JOB_OPTIONS if k in options}
    return job, options


def _bodies(llm: GLM, conversations: Sequence[Conversation]) -> Iterator[dict[str, Any]]:
    return chat_bodies(llm._request(messages, {})[0] for messages in conversations)


def submit_chat_batch(llm: GLM, conversations: Sequence[Conversation], **job_options: Any) -> BatchJob:
    """Write and submit the job at once; keep ``job.id`` to ``BatchJob.resume(llm.client, job_id)`` later."""
    return BatchJob.submit(llm.client, _bodies(llm, conversations), **job_options)


def chat_batch_results(job: BatchJob | AsyncBatchJob) -> Iterator[ChatResponse | Exception]:
    """Each conversation's ``ChatResponse`` or its ``GLMError``, in input order."""
    for result in job.results():
        yield result if isinstance(result, GLMError) else completion_to_response(result)  # type: ignore[arg-type]


def batch_chat(llm: GLM, conversations: Sequence[Conversation], **options: Any) -> list[ChatResponse | Exception]:
    """Submit, wait (``poll_interval``, ``max_poll_interval``, ``timeout``, ``on_progress``), collect."""
    job_options, wait_options = _split(dict(options))
    job = submit_chat_batch(llm, conversations, **job_options)
    job.wait(**wait_options)
    return list(chat_batch_results(job))


async def abatch_chat(
    llm: GLM, conversations: Sequence[Conversation], **options: Any
) -> list[ChatResponse | Exception]:
    job_options, wait_options = _split(dict(options))
    job = await AsyncBatchJob.submit(llm.async_client, _bodies(llm, conversations), **job_options)
    await job.wait(**wait_options)
    return list(chat_batch_results(job))


def _node_bodies(embed_model: GLMEmbedding, nodes: Sequence[BaseNode]) -> Iterator[dict[str, Any]]:
    texts = (node.get_content(metadata_mode=MetadataMode.EMBED) for node in nodes)
    return embedding_bodies(texts, embed_model.model_name, embed_model.dimensions, embed_model.embed_batch_size)


def _attach(nodes: Sequence[BaseNode], vectors: Iterator[list[float]]) -> list[BaseNode]:
    for node, vector in zip(nodes, vectors, strict=True):
        node.embedding = vector
    return list(nodes)


def embed_nodes(embed_model: GLMEmbedding, nodes: Sequence[BaseNode], **options: Any) -> list[BaseNode]:
    """Embed the nodes' text (as ``embed_model`` would, metadata included) as a batch job; returns the nodes."""
    job_options, wait_options = _split(dict(options))
    job = BatchJob.submit(embed_model.client, _node_bodies(embed_model, nodes), endpoint=EMBEDDINGS, **job_options)
    job.wait(**wait_options)
    return _attach(nodes, job.vectors())


async def aembed_nodes(embed_model: GLMEmbedding, nodes: Sequence[BaseNode], **options: Any) -> list[BaseNode]:
    job_options, wait_options = _split(dict(options))
    bodies = _node_bodies(embed_model, nodes)
    job = await AsyncBatchJob.submit(embed_model.async_client, bodies, endpoint=EMBEDDINGS, **job_options)
    await job.wait(**wait_options)
    return _attach(nodes, job.vectors())


def chat_as_task(llm: GLM, messages: Conversation, **wait: Any) -> ChatResponse:
    """One long generation as an async task (docs/wire-notes.md §13.4): submit, poll, the same
    ``ChatResponse`` as ``llm.chat``. ``wait``: ``poll_interval``, ``max_poll_interval``, ``timeout``."""
    return completion_to_response(ChatTasks(llm.client).run(llm._request(messages, {})[0], **wait))


async def achat_as_task(llm: GLM, messages: Conversation, **wait: Any) -> ChatResponse:
    """``chat_as_task`` on the LLM's async client."""
    return completion_to_response(await AsyncChatTasks(llm.async_client).run(llm._request(messages, {})[0], **wait))

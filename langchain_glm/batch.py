"""Run ``ChatGLM`` (or a ``prompt | ChatGLM`` chain) and ``GLMEmbeddings`` over many inputs as GLM batch
jobs: half the price of live calls, outside the concurrency limits, hours instead of seconds
(docs/wire-notes.md §13.2, docs/scale.md).

``batch_chat(model, inputs)`` gives one ``AIMessage`` or exception per input, in order;
``embed_corpus(embeddings, texts)`` one vector per text. For long jobs, ``submit_chat_batch`` returns the
``BatchJob`` at once: keep ``job.id``, and ``BatchJob.resume(model.client, job_id)`` in a later process.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage
from langchain_core.runnables import Runnable, RunnableSequence

from glm_transport.batch_files import chat_bodies, embedding_bodies
from glm_transport.batch_job import AsyncBatchJob, BatchJob
from glm_transport.chat_tasks import AsyncChatTasks, ChatTasks
from glm_transport.errors import GLMError

from ._convert import to_chat_result
from ._errors import as_langchain_error
from .chat_models import ChatGLM
from .embeddings import GLMEmbeddings

__all__ = [
    "abatch_chat",
    "achat_as_task",
    "aembed_corpus",
    "batch_chat",
    "chat_as_task",
    "chat_batch_results",
    "embed_corpus",
    "submit_chat_batch",
]

EMBEDDINGS = "/v4/embeddings"
_JOB_OPTIONS = ("workdir", "max_requests_per_file", "max_bytes_per_file")


def _model_and_inputs(runnable: Runnable[Any, Any], inputs: Sequence[Any]) -> tuple[ChatGLM, list[Any]]:
    """The ``ChatGLM`` at the end of ``runnable`` and the inputs it would receive (earlier steps run here)."""
    if isinstance(runnable, ChatGLM):
        return runnable, list(inputs)
    if isinstance(runnable, RunnableSequence) and isinstance(runnable.last, ChatGLM):
        steps = runnable.steps[:-1]
        before: Runnable[Any, Any] = steps[0] if len(steps) == 1 else RunnableSequence(*steps)
        return runnable.last, before.batch(list(inputs))
    raise TypeError("batch jobs run a ChatGLM, or a chain whose last step is a ChatGLM (e.g. prompt | ChatGLM)")


def _bodies(model: ChatGLM, inputs: Iterable[LanguageModelInput]) -> Iterator[dict[str, Any]]:
    requests = (model._request(model._convert_input(x).to_messages(), None, {}, stream=False)[0] for x in inputs)
    return chat_bodies(requests)


def _split(options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    job = {k: options.pop(k) for k in _JOB_OPTIONS if k in options}
    return job, options


def submit_chat_batch(model: Runnable[Any, Any], inputs: Sequence[Any], **job_options: Any) -> BatchJob:
    """Write and submit the job; ``job_options``: ``workdir``, ``max_requests_per_file``, ``max_bytes_per_file``."""
    chat, prepared = _model_and_inputs(model, inputs)
    return BatchJob.submit(chat.client, _bodies(chat, prepared), **job_options)


def chat_batch_results(job: BatchJob | AsyncBatchJob) -> Iterator[AIMessage | Exception]:
    """Each input's ``AIMessage``, or its exception (langchain-core's error family too), in input order."""
    for result in job.results():
        if isinstance(result, GLMError):
            yield as_langchain_error(result)
        else:
            message = to_chat_result(result).generations[0].message  # type: ignore[arg-type]
            yield message if isinstance(message, AIMessage) else AIMessage(content=message.content)


def batch_chat(model: Runnable[Any, Any], inputs: Sequence[Any], **options: Any) -> list[AIMessage | Exception]:
    """Submit, wait (``poll_interval``, ``max_poll_interval``, ``timeout``, ``on_progress``) and collect."""
    job_options, wait_options = _split(dict(options))
    job = submit_chat_batch(model, inputs, **job_options)
    job.wait(**wait_options)
    return list(chat_batch_results(job))


async def abatch_chat(model: Runnable[Any, Any], inputs: Sequence[Any], **options: Any) -> list[AIMessage | Exception]:
    """``batch_chat`` on the model's async client."""
    job_options, wait_options = _split(dict(options))
    chat, prepared = _model_and_inputs(model, inputs)
    job = await AsyncBatchJob.submit(chat.async_client, _bodies(chat, prepared), **job_options)
    await job.wait(**wait_options)
    return list(chat_batch_results(job))


def _embedding_bodies(embeddings: GLMEmbeddings, texts: Iterable[str]) -> Iterator[dict[str, Any]]:
    return embedding_bodies(texts, embeddings.model, embeddings.dimensions, embeddings.batch_size)


def embed_corpus(embeddings: GLMEmbeddings, texts: Iterable[str], **options: Any) -> list[list[float]]:
    """One vector per text, in order, computed as a batch job (options as for ``batch_chat``)."""
    job_options, wait_options = _split(dict(options))
    job = BatchJob.submit(embeddings.client, _embedding_bodies(embeddings, texts), endpoint=EMBEDDINGS, **job_options)
    job.wait(**wait_options)
    try:
        return list(job.vectors())
    except GLMError as exc:
        raise as_langchain_error(exc) from None


async def aembed_corpus(embeddings: GLMEmbeddings, texts: Iterable[str], **options: Any) -> list[list[float]]:
    job_options, wait_options = _split(dict(options))
    bodies = _embedding_bodies(embeddings, texts)
    job = await AsyncBatchJob.submit(embeddings.async_client, bodies, endpoint=EMBEDDINGS, **job_options)
    await job.wait(**wait_options)
    try:
        return list(job.vectors())
    except GLMError as exc:
        raise as_langchain_error(exc) from None


def chat_as_task(model: ChatGLM, value: LanguageModelInput, **wait: Any) -> AIMessage:
    """One long generation as an async task (docs/wire-notes.md §13.4): submit, poll, the same ``AIMessage``
    as ``invoke``. ``wait``: ``poll_interval``, ``max_poll_interval``, ``timeout`` (seconds)."""
    request, _ = model._request(model._convert_input(value).to_messages(), None, {}, stream=False)
    try:
        result = ChatTasks(model.client).run(request, **wait)
    except GLMError as exc:
        raise as_langchain_error(exc) from None
    message = to_chat_result(result).generations[0].message
    return message if isinstance(message, AIMessage) else AIMessage(content=message.content)


async def achat_as_task(model: ChatGLM, value: LanguageModelInput, **wait: Any) -> AIMessage:
    """``chat_as_task`` on the model's async client."""
    request, _ = model._request(model._convert_input(value).to_messages(), None, {}, stream=False)
    try:
        result = await AsyncChatTasks(model.async_client).run(request, **wait)
    except GLMError as exc:
        raise as_langchain_error(exc) from None
    message = to_chat_result(result).generations[0].message
    return message if isinstance(message, AIMessage) else AIMessage(content=message.content)

"""Errors from ``ChatGLM`` and ``GLMEmbeddings`` are the transport's classes and, where
langchain-core has a family for them, that family too; retries are the transport's alone."""

from __future__ import annotations

import pytest
from langchain_core import exceptions as lc

from glm_transport import errors
from glm_transport.testing import LocalGLMServer, Reply

from .conftest import MODES, SYNC_ASYNC, Models, chat_bodies

KEY = "test-key"

STATUS_CASES = [
    (Reply.status(401, code="1002"), errors.GLMAuthenticationError, lc.ModelAuthenticationError),
    (Reply.status(403, code="1220"), errors.GLMPermissionDeniedError, lc.ModelPermissionDeniedError),
    (Reply.status(404, code="404"), errors.GLMNotFoundError, lc.ModelNotFoundError),
    (Reply.status(400, code="1214"), errors.GLMBadRequestError, lc.ModelInvalidRequestError),
    (Reply.status(400, code="1261"), errors.GLMContextWindowExceededError, lc.ContextOverflowError),
    (Reply.status(400, code="1301"), errors.GLMContentFilterError, lc.ModelInvalidRequestError),
    (Reply.status(429, code="1302"), errors.GLMRateLimitError, lc.ModelRateLimitError),
    (Reply.status(429, code="1113"), errors.GLMQuotaExceededError, lc.ModelRateLimitError),
    (Reply.status(429, code="1305"), errors.GLMOverloadedError, lc.ModelRateLimitError),
    (Reply.status(500, code="500"), errors.GLMServerError, lc.ModelAPIError),
    (Reply.disconnect(), errors.GLMConnectionError, lc.ModelConnectionError),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("reply", "transport_class", "langchain_class"), STATUS_CASES, ids=[case[1].__name__ for case in STATUS_CASES]
)
def test_chat_errors_are_catchable_as_both_families(
    models: Models,
    glm_server: LocalGLMServer,
    mode: str,
    reply: Reply,
    transport_class: type[Exception],
    langchain_class: type[Exception],
) -> None:
    glm_server.enqueue(reply)
    with pytest.raises(transport_class) as caught:
        models.call(models.chat(max_retries=0), mode, "hi")
    assert isinstance(caught.value, langchain_class)
    assert isinstance(caught.value, errors.GLMError)
    assert KEY not in str(caught.value)
    if isinstance(caught.value, errors.GLMAPIStatusError):
        assert caught.value.code == reply.code  # type: ignore[attr-defined]
        assert caught.value.request_id == chat_bodies(glm_server)[0]["request_id"]


@pytest.mark.parametrize("mode", MODES)
def test_a_timeout_is_a_model_timeout_error(models: Models, glm_server: LocalGLMServer, mode: str) -> None:
    glm_server.enqueue(Reply.slow(2.0))
    with pytest.raises(errors.GLMTimeoutError) as caught:
        models.call(models.chat(max_retries=0, timeout=0.2), mode, "hi")
    assert isinstance(caught.value, lc.ModelTimeoutError)


@pytest.mark.parametrize("mode", ["stream", "astream"])
def test_a_stream_cut_short_is_a_stream_error_and_not_retried(
    models: Models, glm_server: LocalGLMServer, mode: str
) -> None:
    glm_server.enqueue(Reply.disconnect_mid_stream(after_events=3))
    with pytest.raises(errors.GLMStreamError) as caught:
        models.call(models.chat(max_retries=2), mode, "Tell me a long story")
    assert isinstance(caught.value, lc.ModelAPIError)
    assert len(chat_bodies(glm_server)) == 1


@pytest.mark.parametrize("mode", MODES)
def test_rate_limits_are_retried_by_the_transport_then_succeed(
    models: Models, glm_server: LocalGLMServer, mode: str
) -> None:
    glm_server.enqueue(Reply.status(429, code="1302", headers={"Retry-After": "0"}))
    answer = models.call(models.chat(max_retries=1), mode, "hi")
    assert answer.text
    assert len(chat_bodies(glm_server)) == 2


@pytest.mark.parametrize("mode", MODES)
def test_bad_requests_are_never_retried(models: Models, glm_server: LocalGLMServer, mode: str) -> None:
    glm_server.enqueue(Reply.status(400, code="1214"))
    with pytest.raises(errors.GLMBadRequestError):
        models.call(models.chat(max_retries=2), mode, "hi")
    assert len(chat_bodies(glm_server)) == 1


def test_a_missing_key_is_a_clear_error_naming_both_variables() -> None:
    from langchain_glm import ChatGLM

    with pytest.raises(errors.GLMConfigurationError, match="ZHIPUAI_API_KEY.*ZAI_API_KEY"):
        ChatGLM(model="glm-4.7")  # at construction, as in every GLM class


@pytest.mark.parametrize("kind", SYNC_ASYNC)
def test_embedding_errors_are_catchable_as_both_families(models: Models, glm_server: LocalGLMServer, kind: str) -> None:
    embeddings = models.embeddings(max_retries=0)
    glm_server.enqueue(Reply.status(429, code="1302"))
    with pytest.raises(errors.GLMRateLimitError) as caught:
        embeddings.embed_query("hi") if kind == "sync" else models.run(lambda: embeddings.aembed_query("hi"))
    assert isinstance(caught.value, lc.ModelRateLimitError)

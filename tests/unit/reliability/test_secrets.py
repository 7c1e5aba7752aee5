"""The key never leaks: every public object, built with a recognisable key and with an
``id.secret`` (JWT-style) key, is driven into every kind of error with all loggers at DEBUG, then
serialized every way it supports; no repr, str, error message, traceback, log record or serialized
form may contain the key or the JWT secret half."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from langchain_core.documents import Document
from langchain_core.load import dumpd, dumps
from langchain_core.load.serializable import Serializable
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.schema import NodeWithScore, TextNode

from glm_transport import AsyncGLMClient, GLMClient, GLMError
from glm_transport.testing import LocalGLMServer, Reply
from langchain_glm import ChatGLM, GLMEmbeddings, GLMRerank, GLMWebSearchRetriever, GLMWebSearchTool
from llamaindex_glm import GLM, GLMEmbedding, GLMEndpointTokenizer, GLMWebSearchToolSpec
from llamaindex_glm import GLMRerank as LIGLMRerank

PLAIN_KEY = "sk-glm-LEAKCHECK-7f3a9c2e5b"
JWT_ID, JWT_SECRET = "leakid42", "JWTSECRETHALF9x7q2m"
JWT_KEY = f"{JWT_ID}.{JWT_SECRET}"
KEYS = {"plain": (PLAIN_KEY, [PLAIN_KEY]), "jwt": (JWT_KEY, [JWT_KEY, JWT_SECRET])}
HELLO = {"model": "glm-4.7", "messages": [{"role": "user", "content": "hi"}]}
LOGGERS = ("", "httpx", "httpcore", "glm_transport", "langchain_glm", "llamaindex_glm", "langchain_core", "llama_index")


async def _async_client_call(client: AsyncGLMClient, stream: bool) -> Any:
    try:
        if stream:
            return [chunk async for chunk in await client.stream_chat(HELLO)]
        return await client.chat(HELLO)
    finally:
        await client.aclose()


@dataclass(frozen=True)
class Subject:
    """A public object: how to build it (``jwt``: sign JWTs where the object can) and call it."""

    name: str
    build: Callable[[dict[str, Any], bool], Any]
    call: Callable[[Any], Any]
    stream: Callable[[Any], Any] | None = None


SUBJECTS = [
    Subject(
        "GLMClient",
        lambda kw, jwt: GLMClient(use_jwt=jwt, **kw),
        lambda c: c.chat(HELLO),
        lambda c: list(c.stream_chat(HELLO)),
    ),
    Subject(
        "AsyncGLMClient",
        lambda kw, jwt: AsyncGLMClient(use_jwt=jwt, **kw),
        lambda c: asyncio.run(_async_client_call(c, stream=False)),
        lambda c: asyncio.run(_async_client_call(c, stream=True)),
    ),
    Subject(
        "ChatGLM",
        lambda kw, jwt: ChatGLM(use_jwt=jwt, **kw),
        lambda m: m.invoke("hi"),
        lambda m: list(m.stream("hi")),
    ),
    Subject("GLMEmbeddings", lambda kw, jwt: GLMEmbeddings(use_jwt=jwt, **kw), lambda m: m.embed_query("hi")),
    Subject(
        "langchain GLMRerank",
        lambda kw, jwt: GLMRerank(use_jwt=jwt, **kw),
        lambda m: m.compress_documents([Document("a"), Document("b")], "a"),
    ),
    Subject(
        "GLMWebSearchTool", lambda kw, jwt: GLMWebSearchTool(use_jwt=jwt, **kw), lambda m: m.invoke({"query": "q"})
    ),
    Subject("GLMWebSearchRetriever", lambda kw, jwt: GLMWebSearchRetriever(use_jwt=jwt, **kw), lambda m: m.invoke("q")),
    Subject(
        "GLM",
        lambda kw, jwt: GLM(**kw),
        lambda m: m.chat([ChatMessage(role="user", content="hi")]),
        lambda m: list(m.stream_chat([ChatMessage(role="user", content="hi")])),
    ),
    Subject("GLMEmbedding", lambda kw, jwt: GLMEmbedding(**kw), lambda m: m.get_query_embedding("hi")),
    Subject(
        "llamaindex GLMRerank",
        lambda kw, jwt: LIGLMRerank(**kw),
        lambda m: m.postprocess_nodes([NodeWithScore(node=TextNode(text="a"))], query_str="a"),
    ),
    Subject("GLMWebSearchToolSpec", lambda kw, jwt: GLMWebSearchToolSpec(**kw), lambda m: m.web_search("q")),
    Subject("GLMEndpointTokenizer", lambda kw, jwt: GLMEndpointTokenizer(**kw), lambda m: m.count("hi")),
]

# Every kind of failure, scripted on the server (None: a real 401 for a key the server rejects).
FAULTS: list[tuple[str, Reply | None, bool]] = [
    ("401 unknown key", None, False),
    ("401", Reply.status(401, "1002"), False),
    ("403", Reply.status(403, "1220"), False),
    ("404", Reply.status(404, "1222"), False),
    ("400", Reply.status(400, "1214"), False),
    ("1301 content filter", Reply.status(400, "1301"), False),
    ("429", Reply.status(429, "1302", headers={"Retry-After": "0"}), False),
    ("500", Reply.status(500, "500"), False),
    ("503", Reply.status(503, "1305", headers={}), False),
    ("connection", Reply.disconnect(), False),
    ("timeout", Reply.slow(2.0, before="headers"), False),
    ("validation", Reply.json(200, {"unexpected": True}), False),
    ("stream cut", Reply.disconnect_mid_stream(2), True),
    ("stream malformed", Reply.malformed_event(2), True),
    ("stream timeout", Reply.slow(2.0, before="between_events", after_events=2), True),
    ("stream in-band error", Reply.in_band_error(1, "1234"), True),
]


def exception_texts(exc: BaseException) -> list[str]:
    return [
        str(exc),
        repr(exc),
        "".join(traceback.format_exception(exc)),
        repr(exc.args),
        repr(getattr(exc, "body", None)),
        repr(vars(exc)),
    ]


def serialized_forms(obj: Any) -> list[str]:
    """Every serialization the object offers (LangChain, LlamaIndex, pydantic, pickle)."""
    forms = [repr(obj), str(obj)]
    if isinstance(obj, Serializable):
        forms += [dumps(obj), json.dumps(dumpd(obj), default=repr)]
    for method in ("to_dict", "to_json", "model_dump", "model_dump_json"):
        if callable(getattr(obj, method, None)):
            with contextlib.suppress(TypeError, ValueError, NotImplementedError):  # a form it lacks
                forms.append(str(getattr(obj, method)()))
    if callable(getattr(obj, "to_payload", None)):
        forms.append(str(obj.to_payload()))
    return forms


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def log_texts(records: list[logging.LogRecord]) -> list[str]:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return [formatter.format(record) + repr(record.args) + repr(vars(record)) for record in records]


@pytest.mark.parametrize("key_kind", list(KEYS))
@pytest.mark.parametrize("subject", SUBJECTS, ids=[s.name for s in SUBJECTS])
def test_no_form_of_any_object_or_error_contains_the_key(
    subject: Subject, key_kind: str, glm_server: LocalGLMServer, debug_logs: pytest.LogCaptureFixture
) -> None:
    key, needles = KEYS[key_kind]
    jwt = key_kind == "jwt"
    glm_server.api_key = key
    settings = {"api_key": key, "base_url": glm_server.base_url, "max_retries": 0, "timeout": 0.3}
    obj = subject.build(settings, jwt)
    texts: list[str] = []
    try:
        texts += serialized_forms(obj)
        subject.call(obj)  # works: the key (or its JWT) is accepted
        failures = 0
        for name, reply, needs_stream in FAULTS:
            if needs_stream and subject.stream is None:
                continue
            glm_server.api_key = "another-key" if reply is None else key
            if reply is not None:
                glm_server.enqueue(reply)
            with pytest.raises(GLMError) as info:
                (subject.stream if needs_stream else subject.call)(obj)  # type: ignore[misc]
            texts += [name, *exception_texts(info.value)]
            failures += 1
        glm_server.api_key = key
        texts += serialized_forms(obj)
    finally:
        for closer in ("close", "aclose"):
            method = getattr(obj, closer, None)
            if callable(method):
                result = method()
                if asyncio.iscoroutine(result):
                    asyncio.run(result)
    texts += log_texts(debug_logs.records)
    assert failures >= 12 and len(debug_logs.records) > 0
    leaks = [text[:300] for text in texts if any(needle in text for needle in needles)]
    assert leaks == []


def test_the_scan_would_see_a_key_in_a_log_record(debug_logs: pytest.LogCaptureFixture) -> None:
    logging.getLogger("httpx").debug("header %s", PLAIN_KEY)
    assert any(PLAIN_KEY in text for text in log_texts(debug_logs.records))
    assert any(PLAIN_KEY in text for text in exception_texts(ValueError(PLAIN_KEY)))


def test_a_jwt_request_carries_neither_the_key_nor_its_secret(glm_server: LocalGLMServer) -> None:
    glm_server.api_key = JWT_KEY
    with GLMClient(api_key=JWT_KEY, base_url=glm_server.base_url, use_jwt=True) as client:
        client.chat(HELLO)
    [sent] = glm_server.requests
    wire = json.dumps(sent.to_json())
    assert JWT_SECRET not in wire and JWT_KEY not in wire
    assert sent.headers["authorization"].count(".") == 2


def test_httpx_sees_the_key_only_in_the_authorization_header(glm_server: LocalGLMServer) -> None:
    """The key travels in one header; the URL and body (what proxies log) never carry it."""
    with GLMClient(api_key=PLAIN_KEY, base_url=glm_server.base_url) as client:
        glm_server.api_key = PLAIN_KEY
        client.chat(HELLO)
    [sent] = glm_server.requests
    assert PLAIN_KEY not in sent.path and PLAIN_KEY.encode() not in sent.body
    assert sent.headers["authorization"] == f"Bearer {PLAIN_KEY}"
    assert httpx.URL(glm_server.base_url).userinfo == b""

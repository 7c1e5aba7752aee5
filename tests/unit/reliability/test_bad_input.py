"""Bad input, one table: each case × each public entry point it applies to, a clear error naming
the problem, raised before any request (the server records none) wherever the client can know.

Two rows do reach the API, on purpose: a text over the embedding model's token limit (only the
API counts its tokens) is refused with one 400 and not retried, and an answer of the wrong shape
from a proxy in between is a typed ``GLMResponseValidationError``. An unknown model id is sent
(the catalogue informs, never refuses) and GLM's own 1211 comes back; an image to a text-only
model is likewise the server's to refuse (docs/wire-notes.md §9).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from langchain_core.messages import ChatMessage as LCChatMessage
from langchain_core.messages import FunctionMessage, HumanMessage
from llama_index.core.base.llms.types import ChatMessage, ImageBlock, TextBlock
from llama_index.core.tools import FunctionTool
from pydantic import ValidationError

from glm_transport import (
    GLMBadRequestError,
    GLMClient,
    GLMConfigurationError,
    GLMInvalidRequestError,
    GLMResponseValidationError,
)
from glm_transport.testing import LocalGLMServer, Reply
from langchain_glm import ChatGLM, GLMEmbeddings
from llamaindex_glm import GLM, GLMEmbedding

NO_SCHEME = "open.bigmodel.cn/api/paas/v4"
IMAGE = "https://example.com/cat.png"
BAD_SCHEMA = {"type": "function", "function": {"name": "f", "description": "d", "parameters": {"type": "array"}}}
BAD_NAME = {"type": "function", "function": {"name": "get weather!", "description": "d", "parameters": {}}}
PROXY_JSON = Reply.json(200, {"unexpected": True})
PROXY_HTML = Reply.raw(200, b"<html>proxy login</html>", content_type="text/html")


class Env:
    """Builds objects on the local server (closed after the test) and calls them."""

    def __init__(self, server: LocalGLMServer) -> None:
        self.server = server
        self.made: list[Any] = []

    def make(self, cls: Callable[..., Any], **kwargs: Any) -> Any:
        kwargs.setdefault("api_key", self.server.api_key)
        kwargs.setdefault("base_url", self.server.base_url)
        obj = cls(**kwargs)
        self.made.append(obj)
        return obj

    def chat(self, **body: Any) -> Any:
        body.setdefault("model", "glm-4.7")
        body.setdefault("messages", [{"role": "user", "content": "hi"}])
        return self.make(GLMClient).chat(body).message.text

    def lc(self, messages: Any = "hi", tools: list[Any] | None = None, **fields: Any) -> Any:
        model = self.make(ChatGLM, **fields)
        return (model.bind_tools(tools) if tools else model).invoke(messages).content

    def li(self, messages: list[ChatMessage] | None = None, **fields: Any) -> Any:
        call = {key: fields.pop(key) for key in ("stop", "tools") if key in fields}
        model = self.make(GLM, **fields)
        return model.chat([ChatMessage(role="user", content="hi")] if messages is None else messages, **call)

    def embed(self, texts: list[Any], **kwargs: Any) -> Any:
        return self.make(GLMClient).embed(texts, **kwargs)

    def lce(self, texts: list[Any], **fields: Any) -> Any:
        return self.make(GLMEmbeddings, **fields).embed_documents(texts)

    def lie(self, texts: list[Any], **fields: Any) -> Any:
        return self.make(GLMEmbedding, **fields).get_text_embedding_batch(texts)

    def close(self) -> None:
        for obj in self.made:
            obj.close()


@dataclass(frozen=True)
class Case:
    problem: str
    target: str  # transport, ChatGLM, GLM, GLMEmbeddings, GLMEmbedding
    call: Callable[[Env], Any]
    error: type[BaseException] | None  # None: the call works, with a warning naming the problem
    match: str
    requests: int = 0
    reply: Reply | None = None


def _tool(name: str) -> FunctionTool:
    def f(city: str) -> str:
        """Weather in a city."""
        return city

    return FunctionTool.from_defaults(fn=f, name=name)


TEXT_ONLY = "text-only"
STOP = "at most 1 stop sequence"
LONG = "word " * 4000  # about 5,000 tokens: over embedding-3's 3,072
USER_PART_NONE = {"role": "user", "content": [{"type": "text", "text": None}]}
ASK = [{"role": "user", "content": "weather?"}]
CALLS: dict[str, Any] = {"role": "assistant", "content": None}

CASES = [
    # ---- messages
    Case("empty messages", "transport", lambda e: e.chat(messages=[]), GLMInvalidRequestError, "non-empty list"),
    Case("empty messages", "ChatGLM", lambda e: e.lc([]), GLMInvalidRequestError, "non-empty list"),
    Case("empty messages", "GLM", lambda e: e.li([]), GLMInvalidRequestError, "non-empty list"),
    Case(
        "message type the API cannot take",
        "transport",
        lambda e: e.chat(messages=[{"role": "function", "content": "x"}]),
        GLMInvalidRequestError,
        "role 'function'; GLM accepts system, user, assistant, tool",
    ),
    Case(
        "message type the API cannot take",
        "ChatGLM",
        lambda e: e.lc([FunctionMessage(name="f", content="x")]),
        GLMInvalidRequestError,
        "cannot take a FunctionMessage",
    ),
    Case(
        "message type the API cannot take",
        "ChatGLM",
        lambda e: e.lc([LCChatMessage(role="critic", content="x")]),
        GLMInvalidRequestError,
        "role 'critic' has no GLM equivalent",
    ),
    Case(
        "message type the API cannot take",
        "GLM",
        lambda e: e.li([ChatMessage(role="tool", content="42")]),
        GLMInvalidRequestError,
        "tool message has no tool_call_id",
    ),
    # ---- sampling and stop
    Case("too many stop words", "transport", lambda e: e.chat(stop=["a", "b"]), GLMInvalidRequestError, STOP),
    Case("too many stop words", "ChatGLM", lambda e: e.make(ChatGLM, stop=["a", "b"]), ValidationError, STOP),
    Case(
        "too many stop words",
        "ChatGLM",
        lambda e: e.make(ChatGLM).invoke("hi", stop=["a", "b"]),
        GLMInvalidRequestError,
        STOP,
    ),
    Case("too many stop words", "GLM", lambda e: e.li(stop=["a", "b"]), GLMInvalidRequestError, STOP),
    Case(
        "temperature out of range",
        "transport",
        lambda e: e.chat(temperature=1.5),
        GLMInvalidRequestError,
        "temperature must be between 0 and 1",
    ),
    Case("temperature out of range", "ChatGLM", lambda e: e.lc(temperature=1.5), ValidationError, "temperature"),
    Case("temperature out of range", "GLM", lambda e: e.li(temperature=1.5), ValidationError, "temperature"),
    Case("top_p out of range", "transport", lambda e: e.chat(top_p=0), GLMInvalidRequestError, "top_p must be between"),
    Case("top_p out of range", "ChatGLM", lambda e: e.lc(top_p=1.5), ValidationError, "top_p"),
    Case("top_p out of range", "GLM", lambda e: e.li(top_p=0.0), ValidationError, "top_p"),
    # ---- vision
    Case(
        "image sent to a text-only model",
        "transport",
        lambda e: e.chat(messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {"url": IMAGE}}]}]),
        GLMBadRequestError,
        "does not support image_url input",
        1,
    ),
    Case(
        "image sent to a text-only model",
        "ChatGLM",
        lambda e: e.lc([HumanMessage(content=[{"type": "text", "text": "what"}, {"type": "image", "url": IMAGE}])]),
        GLMInvalidRequestError,
        TEXT_ONLY,
    ),
    Case(
        "image sent to a text-only model",
        "GLM",
        lambda e: e.li([ChatMessage(role="user", blocks=[TextBlock(text="what"), ImageBlock(url=IMAGE)])]),
        GLMInvalidRequestError,
        TEXT_ONLY,
    ),
    # ---- tools
    Case(
        "tool with an invalid schema",
        "transport",
        lambda e: e.chat(tools=[BAD_SCHEMA]),
        GLMInvalidRequestError,
        "JSON Schema of type 'object'",
    ),
    Case(
        "tool with an invalid schema",
        "ChatGLM",
        lambda e: e.lc(tools=[BAD_SCHEMA]),
        GLMInvalidRequestError,
        "JSON Schema of type 'object'",
    ),
    Case(
        "tool with an invalid schema",
        "GLM",
        lambda e: e.li(tools=[BAD_SCHEMA]),
        GLMInvalidRequestError,
        "JSON Schema of type 'object'",
    ),
    Case(
        "tool name GLM rejects",
        "transport",
        lambda e: e.chat(tools=[BAD_NAME]),
        GLMInvalidRequestError,
        "'get weather!'; GLM needs 1-64 characters",
    ),
    Case(
        "tool name GLM rejects",
        "ChatGLM",
        lambda e: e.lc(tools=[BAD_NAME]),
        GLMInvalidRequestError,
        "'get weather!'; GLM needs 1-64 characters",
    ),
    Case(
        "tool name GLM rejects",
        "GLM",
        lambda e: e.li(tools=[BAD_NAME]),
        GLMInvalidRequestError,
        "'get weather!'; GLM needs 1-64 characters",
    ),
    Case(
        "tool name GLM rejects",
        "GLM",
        # LlamaIndex rewrites characters OpenAI rejects ("a b!" -> "a_b_"), not the length.
        lambda e: e.make(GLM).chat_with_tools([_tool("w" * 65)], user_msg="hi"),
        GLMInvalidRequestError,
        "GLM needs 1-64 characters",
    ),
    # ---- embeddings
    Case("empty embedding input", "transport", lambda e: e.embed(["ok", ""]), GLMInvalidRequestError, "1 is empty"),
    Case("empty embedding input", "GLMEmbeddings", lambda e: e.lce(["ok", ""]), GLMInvalidRequestError, "1 is empty"),
    Case("empty embedding input", "GLMEmbedding", lambda e: e.lie(["ok", ""]), GLMInvalidRequestError, "1 is empty"),
    Case(
        "embedding input not a string",
        "transport",
        lambda e: e.embed(["ok", 3]),
        GLMInvalidRequestError,
        "input 1 is int, not a string",
    ),
    Case(
        "embedding input not a string",
        "GLMEmbeddings",
        lambda e: e.lce([b"bytes"]),
        GLMInvalidRequestError,
        "input 0 is bytes, not a string",
    ),
    Case(
        "more embedding inputs per request than the API takes",
        "transport",
        lambda e: e.embed(["ok"] * 65, batch_size=65),
        GLMInvalidRequestError,
        "batch_size must be from 1 to 64",
    ),
    # The adapters cap a batch size above 64 with a warning (tests/unit/options).
    Case(
        "embedding dimensions the model lacks",
        "GLMEmbeddings",
        lambda e: e.lce(["ok"], dimensions=300),
        GLMInvalidRequestError,
        "supports dimensions 256, 512, 1024, 2048; got 300",
    ),
    Case(
        "embedding dimensions the model lacks",
        "GLMEmbedding",
        lambda e: e.lie(["ok"], dimensions=300),
        GLMInvalidRequestError,
        "supports dimensions 256, 512, 1024, 2048; got 300",
    ),
    *(
        Case("embedding text over the token limit", target, call, GLMBadRequestError, "longer than 3072 tokens", 1)
        for target, call in (
            ("transport", lambda e: e.embed([LONG])),
            ("GLMEmbeddings", lambda e: e.lce([LONG])),
            ("GLMEmbedding", lambda e: e.lie([LONG])),
        )
    ),
    # ---- configuration
    *(
        Case("base URL without a scheme", target, call, GLMConfigurationError, "needs an http:// or https:// scheme")
        for target, call in (
            ("transport", lambda e: e.make(GLMClient, base_url=NO_SCHEME)),
            ("ChatGLM", lambda e: e.lc(base_url=NO_SCHEME)),
            ("GLM", lambda e: e.make(GLM, base_url=NO_SCHEME)),
            ("GLMEmbeddings", lambda e: e.lce(["ok"], base_url=NO_SCHEME)),
            ("GLMEmbedding", lambda e: e.make(GLMEmbedding, base_url=NO_SCHEME)),
        )
    ),
    *(
        Case("unknown model id", target, call, GLMBadRequestError, "Unknown Model", 1)
        for target, call in (
            ("transport", lambda e: e.chat(model="glm-9-preview-t")),
            ("ChatGLM", lambda e: e.lc(model="glm-9-preview-lc")),
            ("GLM", lambda e: e.li(model="glm-9-preview-li").message.content),
        )
    ),
    # ---- malformed values that used to reach the wire, or fail untyped (TypeError, UnicodeEncodeError)
    *(
        Case(problem, "transport", lambda e, body=body: e.chat(**body), GLMInvalidRequestError, match)
        for problem, body, match in (
            ("text part without text", {"messages": [USER_PART_NONE]}, "text part whose 'text' is not a string"),
            (
                "assistant tool call without function",
                {"messages": [*ASK, {**CALLS, "tool_calls": [{"id": "c"}]}]},
                "needs a 'function' object",
            ),
            (
                "assistant tool call function not an object",
                {"messages": [*ASK, {**CALLS, "tool_calls": [{"function": "f"}]}]},
                "needs a 'function' object",
            ),
            (
                "assistant tool_calls not a list",
                {"messages": [*ASK, {**CALLS, "tool_calls": "x"}]},
                "tool_calls must be a list",
            ),
            ("do_sample not a boolean", {"do_sample": "yes"}, "do_sample must be true or false"),
            ("stop not a string or list", {"stop": 5}, "got int"),
            ("stop given as a set", {"stop": {"a"}}, "got set"),
            (
                "a set where JSON needs a list",
                {"messages": [{"role": "user", "content": "hi", "name": {"x"}}]},
                "body.messages[0].name (a set)",
            ),
            ("empty user content", {"messages": [{"role": "user", "content": ""}]}, "content is empty"),
        )
    ),
    *(
        Case(
            "model id with a newline",
            target,
            call,
            GLMInvalidRequestError,
            "contains whitespace or a control character",
        )
        for target, call in (
            ("transport", lambda e: e.chat(model="glm-4.7\n")),
            ("ChatGLM", lambda e: e.lc(model="glm-4.7\n")),
            ("GLM", lambda e: e.li(model="glm-4.7\n")),
        )
    ),
    *(
        Case("lone surrogate in the text", target, call, GLMInvalidRequestError, "lone surrogate")
        for target, call in (
            ("transport", lambda e: e.chat(messages=[{"role": "user", "content": "hi \ud800"}])),
            ("ChatGLM", lambda e: e.lc("hi \ud800")),
            ("GLM", lambda e: e.li([ChatMessage(role="user", content="hi \ud800")])),
        )
    ),
    Case("empty prompt", "GLM", lambda e: e.make(GLM).complete(""), GLMInvalidRequestError, "content is empty"),
    Case("empty prompt", "ChatGLM", lambda e: e.lc(""), GLMInvalidRequestError, "content is empty"),
    Case(
        "message without content",
        "GLM",
        lambda e: e.li([ChatMessage(role="user", content=None)]),
        GLMInvalidRequestError,
        "(user) content",
    ),
    # ---- a proxy in between answering 200 with something else
    *(
        Case("wrong-shaped answer from a proxy", target, call, GLMResponseValidationError, message, 1, reply)
        for reply, message in ((PROXY_JSON, "not a ChatCompletion"), (PROXY_HTML, "not JSON"))
        for target, call in (
            ("transport", lambda e: e.chat()),
            ("ChatGLM", lambda e: e.lc()),
            ("GLM", lambda e: e.li()),
        )
    ),
    *(
        Case(
            "wrong-shaped answer from a proxy",
            target,
            call,
            GLMResponseValidationError,
            "not a Embeddings",
            1,
            PROXY_JSON,
        )
        for target, call in (
            ("transport", lambda e: e.embed(["ok"])),
            ("GLMEmbeddings", lambda e: e.lce(["ok"])),
            ("GLMEmbedding", lambda e: e.lie(["ok"])),
        )
    ),
]


@pytest.fixture
def env(glm_server: LocalGLMServer) -> Iterator[Env]:
    made = Env(glm_server)
    yield made
    made.close()


@pytest.mark.parametrize("case", CASES, ids=[f"{c.problem}-{c.target}" for c in CASES])
def test_bad_input_is_a_clear_error_before_any_request(case: Case, env: Env) -> None:
    if case.reply is not None:
        env.server.enqueue(case.reply)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if case.error is None:
            assert "Hello! You said: hi" in case.call(env)
        else:
            with pytest.raises(case.error, match=re.escape(case.match)):
                case.call(env)
    assert len(env.server.requests) == case.requests
    if case.error is None:
        assert any(case.match in str(w.message) for w in caught if issubclass(w.category, UserWarning))


def test_the_table_covers_every_target_for_the_shared_problems() -> None:
    covered: dict[str, set[str]] = {}
    for case in CASES:
        covered.setdefault(case.problem, set()).add(case.target)
    chat, embeddings = {"transport", "ChatGLM", "GLM"}, {"transport", "GLMEmbeddings", "GLMEmbedding"}
    for problem in ("empty messages", "too many stop words", "temperature out of range", "tool name GLM rejects"):
        assert covered[problem] == chat
    assert covered["empty embedding input"] == embeddings
    assert covered["base URL without a scheme"] == chat | embeddings

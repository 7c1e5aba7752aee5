"""The chat classes' options, in one table over both adapters: each argument a user may bring is
honoured (sent as GLM's field), mapped (to ours), accepted at the only value GLM has, or refused at
construction with an error naming it, never forwarded silently."""

from __future__ import annotations

import math
import re
from typing import Any

import httpx
import pytest
from llama_index.core.base.llms.types import ChatMessage

from glm_transport import GLMConfigurationError
from glm_transport.testing import LocalGLMServer

from .conftest import CHATS, Make

# (argument, value) -> ("sent", body field, value) | ("not sent", body field) | ("refused", message)
TABLE: list[tuple[str, Any, tuple[Any, ...]]] = [
    ("max_tokens", 100, ("sent", "max_tokens", 100)),
    ("max_completion_tokens", 100, ("sent", "max_tokens", 100)),
    ("model_name", "glm-4.5-air", ("sent", "model", "glm-4.5-air")),
    ("temperature", 0.3, ("sent", "temperature", 0.3)),
    ("top_p", 0.5, ("sent", "top_p", 0.5)),
    ("reasoning_effort", "low", ("sent", "reasoning_effort", "low")),
    ("request_timeout", 30, ("not sent", "request_timeout")),
    ("n", 1, ("not sent", "n")),
    ("presence_penalty", 0.0, ("not sent", "presence_penalty")),
    ("frequency_penalty", 0, ("not sent", "frequency_penalty")),
    ("logprobs", False, ("not sent", "logprobs")),
    ("strict", False, ("not sent", "strict")),
    ("n", 2, ("refused", "n=2 is not supported by GLM (GLM returns one choice")),
    ("frequency_penalty", 0.5, ("refused", "frequency_penalty=0.5 is not supported by GLM")),
    ("presence_penalty", -1.0, ("refused", "presence_penalty=-1.0 is not supported by GLM")),
    ("logprobs", True, ("refused", "logprobs=True is not supported by GLM")),
    ("top_logprobs", 3, ("refused", "top_logprobs=3 is not supported by GLM")),
    ("strict", True, ("refused", "strict=True is not supported by GLM")),
    ("parallel_tool_calls", False, ("refused", "parallel_tool_calls=False is not supported by GLM (pass it per call")),
    ("logit_bias", {"1": 5}, ("refused", "logit_bias={'1': 5} is not supported by GLM")),
    ("is_chat_model", True, ("not sent", "is_chat_model")),
    ("reuse_client", True, ("not sent", "reuse_client")),
    ("is_chat_model", False, ("refused", "is_chat_model=False is not supported by GLM (GLM models are chat models")),
    ("seed", 7, ("refused", "unexpected argument 'seed'")),
    ("temprature", 0.5, ("refused", "unexpected argument 'temprature'; did you mean 'temperature'?")),
    ("max_token", 10, ("refused", "did you mean 'max_tokens'?")),
    ("temperature", 1.5, ("refused", "temperature")),
    ("top_p", 0.0, ("refused", "top_p")),
    ("max_tokens", 0, ("refused", "max_tokens")),
]


def _chat(kind: str, obj: Any) -> None:
    if kind.startswith("lc."):
        obj.invoke("hi")
    else:
        obj.chat([ChatMessage(role="user", content="hi")])


@pytest.mark.parametrize("kind", CHATS)
@pytest.mark.parametrize(("argument", "value", "outcome"), TABLE)
def test_each_argument_is_honoured_mapped_or_refused(
    make: Make, glm_server: LocalGLMServer, kind: str, argument: str, value: Any, outcome: tuple[Any, ...]
) -> None:
    if outcome[0] == "refused":
        with pytest.raises(ValueError, match=re.escape(outcome[1])):
            make(kind, **{argument: value})
        return
    _chat(kind, make(kind, **{argument: value}))
    body = glm_server.requests[-1].json
    if outcome[0] == "sent":
        assert body[outcome[1]] == outcome[2]
    else:
        assert outcome[1] not in body


def _free_form(kind: str) -> list[str]:
    return ["model_kwargs", "extra_body"] if kind.startswith("lc.") else ["additional_kwargs"]


@pytest.mark.parametrize("kind", CHATS)
def test_free_form_request_fields_are_sent_as_given(make: Make, glm_server: LocalGLMServer, kind: str) -> None:
    for name in _free_form(kind):
        _chat(kind, make(kind, **{name: {"seed": 7, "meta": {"user_name": "A", "tags": ("x", 1.5, None)}}}))
        body = glm_server.requests[-1].json
        assert (body["seed"], body["meta"]) == (7, {"user_name": "A", "tags": ["x", 1.5, None]})


@pytest.mark.parametrize("kind", CHATS)
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"when": object()}, "['when'] is a object, not a JSON value"),
        ({"when": httpx.URL("http://x")}, "['when'] is a URL, not a JSON value"),
        ({"deep": {"set": {1, 2}}}, "['deep']['set'] is a set, not a JSON value"),
        ({"x": math.nan}, "['x'] is nan, which JSON cannot carry"),
        ({"x": [1, math.inf]}, "['x'][1] is inf"),
        ({"x": {1: "a"}}, "['x'] has the key 1, not a string"),
        ({"api_key": "sk-1"}, "['api_key'] looks like a credential"),
        ({"openai_api_key": "sk-1"}, "['openai_api_key'] looks like a credential"),
        ({"Authorization": "Bearer sk-1"}, "['Authorization'] looks like a credential"),
        ({"access_token": "t"}, "['access_token'] looks like a credential"),
        ({"client_secret": "s"}, "['client_secret'] looks like a credential"),
        ({"temperature": 0.2}, "['temperature']: pass temperature= itself"),
        ({"n": 2}, ": n=2 is not supported by GLM"),
        ({"logprobs": True}, ": logprobs=True is not supported by GLM"),
    ],
)
def test_free_form_request_fields_are_checked_at_construction(
    make: Make, glm_server: LocalGLMServer, kind: str, fields: dict[str, Any], message: str
) -> None:
    # A non-JSON value used to fail at invoke with a bare TypeError; a key put in model_kwargs
    # (ChatGLM(openai_api_key=...) did that) went into every request body.
    for name in _free_form(kind):
        with pytest.raises(GLMConfigurationError, match=re.escape(name + message)) as caught:
            make(kind, **{name: fields})
        assert "sk-1" not in str(caught.value)
    assert glm_server.requests == []


@pytest.mark.parametrize("kind", CHATS)
def test_max_tokens_and_its_openai_spelling_together_are_refused(make: Make, kind: str) -> None:
    with pytest.raises(GLMConfigurationError, match="'max_completion_tokens' is another name for 'max_tokens'"):
        make(kind, max_tokens=10, max_completion_tokens=20)


@pytest.mark.parametrize("kind", CHATS)
def test_both_chat_classes_have_the_same_model_parameters_and_defaults(kind: str) -> None:
    from glm_transport.options import ChatOptions

    from .conftest import KINDS

    fields = KINDS[kind].cls.model_fields
    for name, field in ChatOptions.model_fields.items():
        assert fields[name].default == field.default
        assert fields[name].metadata == field.metadata  # the same ranges

"""The pure rules of ``glm_transport.options``, table-driven: alias resolution, refusal with the
nearest valid name, the JSON and credential checks, the embedding batch cap."""

from __future__ import annotations

import re
from typing import Any

import pytest

from glm_transport import GLMConfigurationError
from glm_transport.options import ALIASES, capped_batch_size, json_kwargs, normalize_options

CHAT = {"model", "api_key", "base_url", "timeout", "max_tokens", "temperature", "stop"}
EMBEDDING = {"model_name", "api_key", "base_url", "embed_batch_size"}


@pytest.mark.parametrize(
    ("valid", "given", "expected"),
    [
        (CHAT, {"model_name": "m"}, {"model": "m"}),
        (EMBEDDING, {"model": "m"}, {"model_name": "m"}),
        (CHAT, {"model": "m"}, {"model": "m"}),
        (CHAT, {"openai_api_key": "k"}, {"api_key": "k"}),
        (CHAT, {"zhipuai_api_key": "k"}, {"api_key": "k"}),
        (CHAT, {"api_base": "u", "request_timeout": 3}, {"base_url": "u", "timeout": 3}),
        (CHAT, {"max_completion_tokens": 5, "stop_sequences": ["x"]}, {"max_tokens": 5, "stop": ["x"]}),
        (EMBEDDING, {"chunk_size": 10}, {"embed_batch_size": 10}),
        (EMBEDDING, {"batch_size": 10}, {"embed_batch_size": 10}),
        ({"batch_size"}, {"embed_batch_size": 10}, {"batch_size": 10}),
        ({"batch_size"}, {"chunk_size": 10}, {"batch_size": 10}),
        (CHAT, {"n": 1, "presence_penalty": 0.0, "logprobs": None}, {}),
    ],
)
def test_aliases_are_renamed_to_the_class_own_names(
    valid: set[str], given: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert normalize_options(given, valid, "C") == expected


@pytest.mark.parametrize(
    ("valid", "given", "message"),
    [
        (CHAT, {"temprature": 1}, "C got an unexpected argument 'temprature'; did you mean 'temperature'?"),
        (CHAT, {"zzz": 1}, "C got an unexpected argument 'zzz'"),
        (EMBEDDING, {"max_completion_tokens": 1}, "unexpected argument 'max_completion_tokens'"),
        (CHAT, {"n": True}, "n=True is not supported by GLM"),
        (CHAT, {"n": 1.0}, "n=1.0 is not supported by GLM"),
        (CHAT, {"max_tokens": 1, "max_completion_tokens": 2}, "'max_completion_tokens' is another name"),
    ],
)
def test_unknown_and_unsupported_arguments_are_refused(valid: set[str], given: dict[str, Any], message: str) -> None:
    with pytest.raises(GLMConfigurationError, match=re.escape(message)):
        normalize_options(given, valid, "C")


def test_every_alias_names_a_target() -> None:
    assert all(targets and all(isinstance(t, str) for t in targets) for targets in ALIASES.values())


@pytest.mark.parametrize(
    "key",
    [
        "max_tokens",
        "tool_stream",
        "user_id",
        "request_id",
        "do_sample",
        "meta",
        "author",
        "tokens",
        "sensitive_word_check",
    ],
)
def test_ordinary_request_fields_are_not_taken_for_credentials(key: str) -> None:
    assert json_kwargs("model_kwargs", {key: 1}) == {key: 1}


@pytest.mark.parametrize(
    "key",
    ["api_key", "apiKey", "API-KEY", "authorization", "auth", "token", "id_token", "secret", "password", "cookie"],
)
def test_credential_like_keys_are_refused(key: str) -> None:
    with pytest.raises(GLMConfigurationError, match="looks like a credential"):
        json_kwargs("model_kwargs", {key: "x"})


def test_a_batch_size_above_the_limit_is_capped_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="batch_size=500 is above GLM's limit of 64"):
        assert capped_batch_size(500, "batch_size") == 64
    assert capped_batch_size(64, "batch_size") == 64
    with pytest.raises(GLMConfigurationError, match="at least 1"):
        capped_batch_size(0, "batch_size")

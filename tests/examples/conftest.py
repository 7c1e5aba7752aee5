"""Fixtures for the published-example programs: the bundled local server exported as
``ZHIPUAI_API_KEY`` / ``ZHIPUAI_BASE_URL`` (the way a user configures the real API, so the programs
construct our classes with no arguments beyond the model), LlamaIndex's global ``Settings`` put back
after each test, and LlamaIndex's token counting on GLM's offline tokenizer (the default would
download tiktoken's vocabulary)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from glm_transport.testing import LocalGLMServer


@pytest.fixture
def llamaindex_settings() -> Iterator[None]:
    """Programs set ``Settings.llm`` / ``Settings.embed_model`` as the docs do: restore them after."""
    import llama_index.core as core
    from llama_index.core import Settings

    from llamaindex_glm import GLMTokenizer

    saved, tokenizer = dict(vars(Settings)), core.global_tokenizer
    Settings.tokenizer = GLMTokenizer()
    yield
    vars(Settings).clear()
    vars(Settings).update(saved)
    core.global_tokenizer = tokenizer


def chat_bodies(server: LocalGLMServer) -> list[dict[str, Any]]:
    """The JSON bodies of every chat completion the server received, in order."""
    return [r.json for r in server.requests if r.path.endswith("/chat/completions")]


def sent_text(body: dict[str, Any]) -> str:
    """Everything a chat request sent as message content, as one string."""
    return json.dumps(body["messages"], ensure_ascii=False)

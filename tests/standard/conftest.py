"""The standard suites run against one local GLM server per module, or against the live API
(unchanged, no base_url override) when ZHIPUAI_API_KEY or ZAI_API_KEY is set."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from glm_transport.testing import LocalGLMServer
from langchain_glm._client import GLMConnection

LIVE = bool(os.environ.get("ZHIPUAI_API_KEY") or os.environ.get("ZAI_API_KEY"))
# Free models on both platforms; override to test others.
CHAT_MODEL = os.environ.get("GLM_TEST_MODEL", "glm-4.7-flash")
VISION_MODEL = os.environ.get("GLM_TEST_VISION_MODEL", "glm-4.6v-flash")


class Endpoint:
    """Where the integration suites send requests: the module's local server, or (live) nowhere
    in particular, so the models read the environment like a user's would."""

    params: ClassVar[dict[str, Any]] = {}


@pytest.fixture(scope="module")
def local_endpoint() -> Iterator[None]:
    if LIVE:
        yield
        return
    with LocalGLMServer() as server:
        Endpoint.params = {"api_key": server.api_key, "base_url": server.base_url}
        yield
        Endpoint.params = {}


def close_clients(model: GLMConnection) -> None:
    """Close what a model opened: its sync client, and its async client on the loop it used."""
    model.close()
    client = model._clients._async
    loop = client._loop if client is not None else None
    if client is not None and loop is not None and not loop.is_closed() and not loop.is_running():
        loop.run_until_complete(client.aclose())
    elif client is not None and loop is None:
        asyncio.run(client.aclose())


CASSETTES = Path(__file__).parent / "cassettes"


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    """Replay only the suite's own image download; every request to the local server is real."""
    return {
        "record_mode": "none",
        "ignore_localhost": True,
        "ignore_hosts": ["open.bigmodel.cn", "api.z.ai"],  # live runs: real traffic, never recorded
        "cassette_library_dir": str(CASSETTES),
    }


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # langchain-tests' test_image_inputs downloads an image from GitHub; offline it is replayed
    # from a cassette (live runs download it for real).
    if LIVE:
        return
    for item in items:
        if item.name == "test_image_inputs" and "standard" in item.nodeid:
            item.add_marker(pytest.mark.vcr(str(CASSETTES / "image_download.yaml")))


@pytest.fixture
def serializable_chatglm(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let ``load(..., allowed_objects="all")`` revive ChatGLM in the standard serdes test.

    langchain-core's "all" allowlist is its own mapping of the partner packages it knows;
    a package outside it has no way in. Users load ChatGLM with ``allowed_objects=[ChatGLM]``
    (tested in tests/unit/langchain); for the standard test we add ChatGLM to the mapping.
    """
    import importlib

    load_module = importlib.import_module("langchain_core.load.load")

    path = ("langchain_glm", "chat_models", "ChatGLM")
    monkeypatch.setitem(load_module.ALL_SERIALIZABLE_MAPPINGS, path, path)
    monkeypatch.setattr(load_module, "_default_class_paths_cache", {})

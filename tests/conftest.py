"""Shared fixtures: the local GLM server (``glm_server``, from the plugin the package ships) and a
clean environment, so no test reads a developer's real key or endpoint by accident."""

from __future__ import annotations

import os

import pytest

pytest_plugins = ["glm_transport.testing.pytest_plugin"]

LIVE = bool(os.environ.get("ZHIPUAI_API_KEY") or os.environ.get("ZAI_API_KEY"))


@pytest.fixture(autouse=True)
def _clean_glm_env(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("live") is None:
        for name in ("ZHIPUAI_API_KEY", "ZAI_API_KEY", "ZHIPUAI_BASE_URL"):
            monkeypatch.delenv(name, raising=False)
    return


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(reason="live GLM test: set ZHIPUAI_API_KEY to run it")
    for item in items:
        if "live" in item.keywords and not LIVE:
            item.add_marker(skip)

"""Shared fixtures: the local GLM server (``glm_server``, from the plugin the package ships) and a
clean environment, so no test reads a developer's real key or endpoint by accident."""

from __future__ import annotations

import gc
import os
import tracemalloc
import warnings

import pytest

from glm_transport.testing import LocalGLMServer

pytest_plugins = ["glm_transport.testing.pytest_plugin"]

LIVE = bool(os.environ.get("ZHIPUAI_API_KEY") or os.environ.get("ZAI_API_KEY"))


@pytest.fixture(autouse=True)
def _clean_glm_env(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("live") is None:
        for name in ("ZHIPUAI_API_KEY", "ZAI_API_KEY", "ZHIPUAI_BASE_URL"):
            monkeypatch.delenv(name, raising=False)
    return


@pytest.fixture
def glm_env(glm_server: LocalGLMServer, monkeypatch: pytest.MonkeyPatch) -> LocalGLMServer:
    """The local server as ``ZHIPUAI_API_KEY`` / ``ZHIPUAI_BASE_URL``, as a user would configure it."""
    assert glm_server.api_key is not None
    monkeypatch.setenv("ZHIPUAI_API_KEY", glm_server.api_key)
    monkeypatch.setenv("ZHIPUAI_BASE_URL", glm_server.base_url)
    return glm_server


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(reason="live GLM test: set ZHIPUAI_API_KEY to run it")
    for item in items:
        if "live" in item.keywords and not LIVE:
            item.add_marker(skip)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Sockets left only in reference cycles are listed, not raised, at the very end.

    Every test runs under ``error::ResourceWarning`` (pyproject), so a leak a test can see fails
    that test. What is left is a socket in an unreachable cycle, found only by the final
    ``gc.collect()``, with no test to blame; once in a few full runs one shows up there (not
    reproduced with a collection after every test), and it would turn a green run red without
    naming a cause. So it is named in the summary instead.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        gc.collect()
    leaked = [_with_origin(w) for w in caught if issubclass(w.category, ResourceWarning)]
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if leaked and reporter is not None:
        reporter.write_line(f"resources left in reference cycles at session end: {leaked}", yellow=True)


def _with_origin(warning: warnings.WarningMessage) -> str:
    """The warning, and where its object was made when tracing (``PYTHONTRACEMALLOC=25 pytest``)."""
    origin = tracemalloc.get_object_traceback(warning.source) if warning.source is not None else None
    where = "" if origin is None else " made at " + " -> ".join(f"{f.filename}:{f.lineno}" for f in origin)
    return str(warning.message) + where

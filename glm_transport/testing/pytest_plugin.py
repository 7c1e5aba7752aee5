"""pytest plugin: ``pytest_plugins = ["glm_transport.testing.pytest_plugin"]`` gives ``glm_server``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._server import LocalGLMServer


@pytest.fixture
def glm_server() -> Iterator[LocalGLMServer]:
    """A fresh ``LocalGLMServer`` (key ``test-key``) per test, stopped afterwards."""
    with LocalGLMServer() as server:
        yield server

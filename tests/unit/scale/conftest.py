"""Fixtures of the scale tests: a local server with an in-flight limit and a per-request latency, and a
clean process-wide governor registry for every test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from glm_transport.governor import reset_governors
from glm_transport.testing import LocalGLMServer


@pytest.fixture(autouse=True)
def _fresh_governors() -> Iterator[None]:
    reset_governors()
    yield
    reset_governors()


@pytest.fixture
def limited_server() -> Iterator[Callable[..., LocalGLMServer]]:
    """``limited_server(inflight_limit=5, latency=0.05)``: a started server, stopped after the test."""
    servers: list[LocalGLMServer] = []

    def make(**kwargs: Any) -> LocalGLMServer:
        server = LocalGLMServer(**kwargs).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)

"""Fixtures for the local server's own tests: plain httpx against ``glm_server`` (from the plugin)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from glm_transport.testing import LocalGLMServer

from .helpers import new_client


@pytest.fixture
def client(glm_server: LocalGLMServer) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {glm_server.api_key}"}
    with new_client(base_url=glm_server.base_url, headers=headers) as c:
        yield c

"""Fixtures shared by the unit tests of several areas (rag, media)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.unit.rag.support import Runner


@pytest.fixture(params=["sync", "async"])
def run(request: pytest.FixtureRequest) -> Iterator[Runner]:
    """``run(obj.method, *args)``: the sync method, or its awaited ``a``-twin (one test per mode)."""
    runner = Runner(request.param)
    yield runner
    runner.close()

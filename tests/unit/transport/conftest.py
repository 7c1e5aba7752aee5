from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from glm_transport.testing import LocalGLMServer

from .drivers import AsyncDriver, Driver, SyncDriver


@pytest.fixture(params=["sync", "async"])
def make_driver(request: pytest.FixtureRequest, glm_server: LocalGLMServer) -> Iterator[Callable[..., Driver]]:
    """``make_driver(**client_kwargs)``: a client of the parametrized kind on the local server."""
    made: list[Driver] = []

    def make(**kwargs: Any) -> Driver:
        kwargs.setdefault("api_key", glm_server.api_key)
        kwargs.setdefault("base_url", glm_server.base_url)
        kwargs.setdefault("retry_policy", None)
        if kwargs["retry_policy"] is None:
            from glm_transport import RetryPolicy

            kwargs["retry_policy"] = RetryPolicy(
                max_retries=kwargs.pop("max_retries", 2), initial_delay=0.01, max_delay=0.05
            )
        driver: Driver = SyncDriver(**kwargs) if request.param == "sync" else AsyncDriver(**kwargs)
        made.append(driver)
        return driver

    yield make
    for driver in made:
        driver.close()


@pytest.fixture
def driver(make_driver: Callable[..., Driver]) -> Driver:
    return make_driver()

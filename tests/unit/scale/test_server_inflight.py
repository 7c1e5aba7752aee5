"""The local server's in-flight limit: per model, 429 with code 1302 above it, files/batches/polls
not counted, and its counts visible on /_control/stats."""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx
import pytest

from glm_transport.testing import LocalGLMServer
from glm_transport.testing._errors import ApiError
from glm_transport.testing._inflight import InFlight


def test_a_model_at_its_limit_is_refused_with_429_1302_and_others_are_not() -> None:
    inflight = InFlight({"glm-4-plus": 1, "*": 2})
    assert inflight.enter({"model": "glm-4-plus"}, "/api/paas/v4/chat/completions") == "glm-4-plus"
    with pytest.raises(ApiError) as refused:
        inflight.enter({"model": "glm-4-plus"}, "/api/paas/v4/chat/completions")
    assert (refused.value.status, refused.value.code) == (429, "1302")
    assert inflight.enter({"model": "glm-4.6"}, "/api/paas/v4/chat/completions") == "glm-4.6"
    inflight.leave("glm-4-plus")
    assert inflight.enter({"model": "glm-4-plus"}, "/api/paas/v4/chat/completions") == "glm-4-plus"
    assert inflight.stats() == {
        "current": {"glm-4-plus": 1, "glm-4.6": 1},
        "peak": {"glm-4-plus": 1, "glm-4.6": 1},
        "rejected": 1,
        "admitted": 3,
    }


@pytest.mark.parametrize("path", ["/api/paas/v4/batches", "/api/paas/v4/files", "/api/paas/v4/async-result/1"])
def test_bulk_requests_are_not_counted(path: str) -> None:
    inflight = InFlight(1)
    assert inflight.enter({"model": "glm-4-plus"}, path) is None
    assert inflight.enter({"model": "glm-4-plus"}, "/api/paas/v4/chat/completions") == "glm-4-plus"


def test_the_http_answer_over_the_limit_is_glm_s_1302_envelope(limited_server: Callable[..., LocalGLMServer]) -> None:
    server = limited_server(inflight_limit=1, latency=0.3)
    body = {"model": "glm-4-plus", "messages": [{"role": "user", "content": "hi"}]}
    headers = {"Authorization": f"Bearer {server.api_key}"}
    with httpx.Client(timeout=10) as client:
        slow = threading.Thread(
            target=client.post, args=(server.base_url + "/chat/completions",), kwargs={"json": body, "headers": headers}
        )
        slow.start()
        while server.inflight.stats()["current"].get("glm-4-plus", 0) == 0:
            threading.Event().wait(0.005)
        with httpx.Client(timeout=10) as other:
            answer = other.post(server.base_url + "/chat/completions", json=body, headers=headers)
        slow.join()
        stats = client.get(server.url + "/_control/stats").json()["inflight"]
    assert answer.status_code == 429
    assert answer.json()["error"]["code"] == "1302"
    assert (stats["rejected"], stats["peak"]) == (1, {"glm-4-plus": 1})

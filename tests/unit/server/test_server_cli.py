"""``python -m glm_transport.testing``: a real process, driven over its control endpoint, stopped by SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest

from glm_transport.testing import LocalGLMServer, Reply

from .helpers import new_client, request


@pytest.fixture
def cli_server() -> Iterator[tuple[subprocess.Popen[str], str]]:
    cmd = [sys.executable, "-m", "glm_transport.testing", "--port", "0", "--api-key", "cli-key", "--seed", "7"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("GLM local server listening on http://127.0.0.1:"), line
    try:
        yield proc, line.rsplit(" ", 1)[1].strip()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(5)
        proc.stdout.close()


def test_cli_serves_the_api_and_its_control_endpoint(cli_server: tuple[subprocess.Popen[str], str]) -> None:
    proc, base_url = cli_server
    root = base_url.split("/api/")[0]
    body = {"model": "glm-4-plus", "messages": [{"role": "user", "content": "ping"}]}
    with new_client(base_url=base_url, headers={"Authorization": "Bearer cli-key"}) as api:
        queued = request("POST", root + "/_control/enqueue", json={"replies": [Reply.chat("scripted").to_json()]})
        assert queued.json() == {"queued": 1}
        assert api.post("/chat/completions", json=body).json()["choices"][0]["message"]["content"] == "scripted"
        assert api.post("/chat/completions", json=body).json()["choices"][0]["message"]["content"] != "scripted"
        assert api.post("/chat/completions", json=body, headers={"Authorization": "Bearer nope"}).status_code == 401
    recorded = request("GET", root + "/_control/requests").json()
    assert [r["json"]["messages"][0]["content"] for r in recorded] == ["ping"] * 3
    assert request("GET", root + "/_control/requests?count=1").json() == {"count": 3}
    assert request("GET", root + "/_control/stats").json()["requests"] == 3
    assert request("POST", root + "/_control/reset").json() == {"ok": True}
    assert request("GET", root + "/_control/stats").json()["requests"] == 0
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0


@pytest.mark.parametrize(
    ("method", "action", "payload", "status"),
    [
        ("POST", "enqueue", {"replies": "nope"}, 400),
        ("POST", "enqueue", {"replies": [], "times": 0}, 400),
        ("POST", "enqueue", {"replies": [{"kind": "teleport"}]}, 400),
        ("GET", "enqueue", None, 405),
        ("POST", "stats", None, 405),
        ("GET", "launch", None, 404),
    ],
)
def test_control_endpoint_refuses_bad_commands(
    glm_server: LocalGLMServer, method: str, action: str, payload: object, status: int
) -> None:
    r = request(method, f"{glm_server.url}/_control/{action}", json=payload)
    assert r.status_code == status
    assert r.json()["error"]["message"]
    assert glm_server.requests == []


def test_enqueue_times_repeats_a_reply(glm_server: LocalGLMServer) -> None:
    replies = {"replies": [Reply.status(503).to_json()], "times": 2}
    assert request("POST", glm_server.url + "/_control/enqueue", json=replies).json() == {"queued": 2}
    body = {"model": "glm-4-plus", "messages": [{"role": "user", "content": "x"}]}
    headers = {"Authorization": f"Bearer {glm_server.api_key}"}
    url = glm_server.base_url + "/chat/completions"
    codes = [request("POST", url, json=body, headers=headers).status_code for _ in range(3)]
    assert codes == [503, 503, 200]
    assert glm_server.wait_for_idle() and glm_server.open_connections == 0

"""The httpx clients a GLM client makes for itself (``glm_transport/_owned.py``): they honour the
environment's proxy settings as a plain ``httpx.Client()`` would, and a user's own client still
sends through its own ``send`` (hooks, auth), sync and async."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from glm_transport import AsyncGLMClient, GLMClient
from glm_transport._owned import environment_proxy
from glm_transport.testing import LocalGLMServer

from .drivers import Driver

HELLO = {"model": "glm-4.7", "messages": [{"role": "user", "content": "hello there"}]}
MakeDriver = Callable[..., Driver]


class _ForwardProxy(http.server.ThreadingHTTPServer):
    """A plain HTTP forward proxy on loopback: records each request line, forwards it."""

    daemon_threads = True

    def __init__(self) -> None:
        self.seen: list[str] = []
        super().__init__(("127.0.0.1", 0), _ProxyHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    server: _ForwardProxy
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.server.seen.append(f"{self.command} {self.path}")
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        hop = {"host", "connection", "proxy-connection", "keep-alive", "content-length"}
        headers = {k: v for k, v in self.headers.items() if k.lower() not in hop}
        with httpx.Client(trust_env=False) as upstream:
            answer = upstream.post(self.path, content=body, headers=headers)
        self.send_response(answer.status_code)
        self.send_header("content-type", answer.headers.get("content-type", "application/json"))
        self.send_header("content-length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def proxy() -> Iterator[_ForwardProxy]:
    server = _ForwardProxy()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _clear_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def test_an_owned_client_sends_through_the_environments_proxy(
    make_driver: MakeDriver, glm_server: LocalGLMServer, proxy: _ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clear_proxy_env(monkeypatch)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    answer = make_driver().call("chat", HELLO)
    assert answer.choices[0].message.content
    assert proxy.seen == [f"POST {glm_server.base_url}/chat/completions"]


def test_no_proxy_sends_an_owned_clients_requests_directly(
    make_driver: MakeDriver, glm_server: LocalGLMServer, proxy: _ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clear_proxy_env(monkeypatch)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    assert make_driver().call("chat", HELLO).choices[0].message.content
    assert proxy.seen == []
    assert len(glm_server.requests) == 1


@pytest.mark.parametrize(
    ("env", "url", "expected"),
    [
        ({"HTTPS_PROXY": "http://p:1"}, "https://open.bigmodel.cn/api/paas/v4", "http://p:1"),
        ({"HTTPS_PROXY": "http://p:1"}, "http://127.0.0.1:9/api", None),
        ({"ALL_PROXY": "http://a:2"}, "https://api.z.ai/api/paas/v4", "http://a:2"),
        ({"HTTPS_PROXY": "http://p:1", "NO_PROXY": ".bigmodel.cn"}, "https://open.bigmodel.cn/api", None),
        ({}, "https://open.bigmodel.cn/api", None),
    ],
)
def test_the_proxy_for_a_base_url_follows_the_environment(
    env: dict[str, str], url: str, expected: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clear_proxy_env(monkeypatch)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert environment_proxy(url) == expected


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_users_own_client_still_runs_its_event_hooks(mode: str, glm_server: LocalGLMServer) -> None:
    seen: list[str] = []
    kwargs = {"api_key": glm_server.api_key, "base_url": glm_server.base_url}
    if mode == "sync":

        def hook(request: httpx.Request) -> None:
            seen.append(request.url.path)

        with httpx.Client(event_hooks={"request": [hook]}) as http:
            GLMClient(http_client=http, **kwargs).chat(HELLO)
    else:
        import asyncio

        async def ahook(request: httpx.Request) -> None:
            seen.append(request.url.path)

        async def run() -> None:
            async with httpx.AsyncClient(event_hooks={"request": [ahook]}) as http:
                await AsyncGLMClient(http_client=http, **kwargs).chat(HELLO)

        asyncio.run(run())
    assert seen == ["/api/paas/v4/chat/completions"]

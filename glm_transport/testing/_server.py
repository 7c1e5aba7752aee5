"""HTTP plumbing: a threaded HTTP/1.1 keep-alive server that executes ``Plan``s, and
``LocalGLMServer``, its public face.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
from collections.abc import Mapping
from email.utils import formatdate
from http.client import HTTPMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, cast

from ._app import Config, GLMApp, RecordedRequest
from ._bulk import Bulk
from ._errors import ApiError
from ._plan import Plan, error_plan
from ._replies import Reply

API_PATH = "/api/paas/v4"
CODING_PATH = "/api/coding/paas/v4"


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 1024  # benchmarks open a few hundred connections at once

    def __init__(self, address: tuple[str, int], app: GLMApp) -> None:
        self.app = app
        self.inflight = app.inflight
        self.latency = 0.0  # seconds every model request takes (benchmarks of the in-flight limit)
        self.stopping = threading.Event()
        self._open: set[socket.socket] = set()
        self._idle = threading.Condition()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._idle:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        try:
            super().shutdown_request(request)
        finally:
            with self._idle:
                self._open.discard(request)
                self._idle.notify_all()

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # the client went away; nothing to report
        super().handle_error(request, client_address)

    @property
    def open_connections(self) -> int:
        with self._idle:
            return len(self._open)

    def wait_for_idle(self, timeout: float) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: not self._open, timeout)

    def close_all(self) -> None:
        """Cut every open connection; their handler threads then see EOF or EPIPE and end."""
        with self._idle:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "GLMLocal/1.0"

    @property
    def _srv(self) -> _HTTPServer:
        return cast(_HTTPServer, self.server)

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def version_string(self) -> str:
        return self.server_version

    def parse_request(self) -> bool:
        """A lean HTTP/1.x request parser: the stdlib one runs the e-mail parser per request,
        which dominated the server's CPU time under benchmark load."""
        self.request_version = "HTTP/0.9"
        line: bytes = getattr(self, "raw_requestline", b"")  # set by handle_one_request
        self.requestline = str(line, "iso-8859-1").rstrip("\r\n")
        parts = self.requestline.split()
        if len(parts) != 3 or parts[2] not in ("HTTP/1.0", "HTTP/1.1"):
            self.close_connection = True
            self.send_error(400, "Bad request line")
            return False
        self.command, self.path, self.request_version = parts
        headers = HTTPMessage()
        for _ in range(200):
            raw = self.rfile.readline(65537)
            if len(raw) > 65536:
                self.send_error(431, "Header line too long")
                return False
            if raw in (b"\r\n", b"\n", b""):
                break
            name, _, value = raw.decode("iso-8859-1").partition(":")
            headers[name.strip()] = value.strip()
        else:
            self.send_error(431, "Too many headers")
            return False
        self.headers = headers
        connection = (headers.get("Connection") or "").lower()
        keep_alive = self.request_version == "HTTP/1.1" or connection == "keep-alive"
        self.close_connection = connection == "close" or not keep_alive
        if (headers.get("Expect") or "").lower() == "100-continue":
            return self.handle_expect_100()
        return True

    def do_POST(self) -> None:
        self._serve()

    def do_GET(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def _serve(self) -> None:
        body = self._read_body()
        if body is None:
            return
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        req = RecordedRequest(self.command, self.path, headers, body, _parse_json(body))
        srv = self._srv
        plan: Plan | None = None
        try:
            model = srv.inflight.enter(req.json, self.path)
        except ApiError as err:  # over the in-flight limit: 429/1302 (wire notes §13.7)
            model, plan = None, error_plan(err)
        else:
            if model is not None and srv.latency:
                srv.stopping.wait(srv.latency)
        try:
            plan = srv.app.handle(req) if plan is None else plan
            if not plan.chunked:  # a whole answer: done before its bytes leave, as the client will see it
                srv.inflight.leave(model)
                model = None
            self._execute(plan)
        except OSError:
            self.close_connection = True
        finally:
            srv.inflight.leave(model)

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.send_error(400, "Bad Content-Length")
            return None
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(parts)
            parts.append(self.rfile.read(size))
            self.rfile.readline()

    def _execute(self, plan: Plan) -> None:
        stopping = self._srv.stopping
        if plan.delay_before_headers and stopping.wait(plan.delay_before_headers):
            return self._abort()
        if plan.disconnect:
            return self._abort()
        # The head rides with the first body piece in one send; later pieces go out one by one.
        head = self._head(plan)
        if plan.delay_before_body:
            self.wfile.write(head)
            head = b""
            if stopping.wait(plan.delay_before_body):
                return self._abort()
        for i, piece in enumerate(plan.pieces):
            if plan.abort_after is not None and i >= plan.abort_after:
                self.wfile.write(head)
                return self._abort()
            if plan.stall_after == i:
                self.wfile.write(head)
                head = b""
                if stopping.wait(plan.stall_seconds):
                    return self._abort()
            if plan.chunked:
                if not piece:
                    continue  # an empty chunk would end the body
                piece = b"%x\r\n%s\r\n" % (len(piece), piece)
            self.wfile.write(head + piece)
            head = b""
        if head or plan.chunked:
            self.wfile.write(head + (b"0\r\n\r\n" if plan.chunked else b""))
        return None

    def _head(self, plan: Plan) -> bytes:
        reason = self.responses.get(plan.status, ("",))[0]
        lines = [
            f"HTTP/1.1 {plan.status} {reason}",
            f"Server: {self.server_version}",
            f"Date: {formatdate(usegmt=True)}",
            *(f"{name}: {value}" for name, value in plan.headers),
        ]
        if plan.chunked:
            lines.append("Transfer-Encoding: chunked")
        else:
            lines.append(f"Content-Length: {sum(len(p) for p in plan.pieces)}")
        if self.close_connection:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _abort(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


def _parse_json(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return None


class LocalGLMServer:
    """A GLM-compatible HTTP server on loopback, for tests and benchmarks.

    Example::

        with LocalGLMServer() as server:
            server.enqueue(Reply.status(429))
            client = GLMClient(api_key=server.api_key, base_url=server.base_url)
    """

    def __init__(
        self,
        *,
        api_key: str | None = "test-key",
        host: str = "127.0.0.1",
        port: int = 0,
        fault_rate: float = 0.0,
        seed: int = 0,
        stream_usage: str = "final",
        slow_seconds: float = 5.0,
        fault_retry_after: float | None = None,
        inflight_limit: int | Mapping[str, int] | None = None,
        latency: float = 0.0,
    ) -> None:
        config = Config(api_key, fault_rate, seed, stream_usage, slow_seconds, fault_retry_after)
        self._app = GLMApp(config, lambda: self.open_connections)
        self.inflight = self._app.inflight  # per-model limit, 429/1302 above it; counts and peaks
        self.inflight.limit = inflight_limit
        self.latency = latency
        self._host = host
        self._port = port
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle ----------------------------------------------------------------------
    def start(self) -> LocalGLMServer:
        if self._httpd is not None:
            return self
        httpd = _HTTPServer((self._host, self._port), self._app)
        httpd.latency = self.latency
        self._httpd = httpd
        self._port = httpd.server_address[1]
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True, name="glm-local-server"
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and cut all connections, stalled streams included."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.stopping.set()
        httpd.shutdown()
        httpd.close_all()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        httpd.wait_for_idle(2.0)
        self._app.bulk.close()

    def __enter__(self) -> LocalGLMServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ---- addresses ----------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._port == 0:
            raise RuntimeError("the server is not started")
        return self._port

    @property
    def host(self) -> str:
        return self._host

    @property
    def url(self) -> str:
        """``http://host:port`` (the control endpoint lives at ``url + "/_control/..."``)."""
        return f"http://{self._host}:{self.port}"

    @property
    def base_url(self) -> str:
        return self.url + API_PATH

    @property
    def coding_base_url(self) -> str:
        return self.url + CODING_PATH

    # ---- behaviour ----------------------------------------------------------------------
    @property
    def api_key(self) -> str | None:
        return self._app.config.api_key

    @api_key.setter
    def api_key(self, value: str | None) -> None:
        self._app.config.api_key = value

    @property
    def stream_usage(self) -> str:
        return self._app.config.stream_usage

    @stream_usage.setter
    def stream_usage(self, value: str) -> None:
        if value not in ("final", "separate"):
            raise ValueError("stream_usage must be 'final' or 'separate'")
        self._app.config.stream_usage = value

    @property
    def bulk(self) -> Bulk:
        """Files, batches and async chat tasks the server holds (``bulk.tasks.polls_until_done`` etc.)."""
        return self._app.bulk

    @property
    def task_polls(self) -> int:
        """How many polls a parser or video task answers "still running" before its result (default 1)."""
        return self._app.tasks.pending_polls

    @task_polls.setter
    def task_polls(self, value: int) -> None:
        self._app.tasks.pending_polls = value

    @property
    def requests(self) -> list[RecordedRequest]:
        return self._app.requests

    def enqueue(self, *replies: Reply) -> None:
        for reply in replies:
            self._app.queue.push(reply)

    def fail_times(self, n: int, reply: Reply) -> None:
        self._app.queue.push(reply, n)

    def reset(self) -> None:
        self._app.reset()

    @property
    def open_connections(self) -> int:
        return self._httpd.open_connections if self._httpd is not None else 0

    def wait_for_idle(self, timeout: float = 2.0) -> bool:
        httpd = self._httpd
        return True if httpd is None else httpd.wait_for_idle(timeout)

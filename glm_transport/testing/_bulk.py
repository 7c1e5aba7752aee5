"""Routes of the bulk endpoints: ``/files``, ``/batches``, ``/async/chat/completions``, ``/async-result``.

``route`` is the path after the API prefix; the answer is a ``Plan`` or ``None`` for routes not ours.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from ._batches import BatchStore
from ._chat_tasks import AsyncTasks
from ._errors import ApiError
from ._files import FileStore
from ._plan import Plan, json_plan
from ._validate import parse_body

PREFIXES = ("/files", "/batches", "/async/chat/completions", "/async-result/")


class Bulk:
    def __init__(self) -> None:
        self.files = FileStore()
        self.batches = BatchStore(self.files)
        self.tasks = AsyncTasks()

    def close(self) -> None:
        self.files.close()

    def owns(self, route: str) -> bool:
        return route == "/files" or (route.startswith(PREFIXES) and not route.startswith("/files/parser"))

    def handle(self, method: str, route: str, query: str, headers: dict[str, str], body: bytes) -> Plan:
        parts = route.strip("/").split("/")
        q = parse_qs(query)
        key = (method, parts[0], len(parts))
        if parts[0] == "files":
            return self._files(key, parts, q, headers, body)
        if parts[0] == "batches":
            return self._batches(key, parts, q, body)
        if route == "/async/chat/completions" and method == "POST":
            return json_plan(200, self.tasks.submit_chat(parse_body(body)))
        if parts[0] == "async-result" and len(parts) == 2 and method == "GET":
            return json_plan(200, self.tasks.poll(parts[1]))
        raise _not_allowed(method, route)

    def _files(
        self, key: tuple[str, str, int], parts: list[str], q: dict[str, list[str]], headers: dict[str, str], body: bytes
    ) -> Plan:
        if key == ("POST", "files", 1):
            return json_plan(200, self.files.upload(headers.get("content-type"), body))
        if key == ("GET", "files", 1):
            return json_plan(200, self.files.listing(q))
        if key == ("DELETE", "files", 2):
            return json_plan(200, self.files.delete(parts[1]))
        if key == ("GET", "files", 3) and parts[2] == "content":
            stored = self.files.get(parts[1])
            with open(stored.path, "rb") as source:
                data = source.read()
            return Plan(200, (("Content-Type", "application/octet-stream"),), (data,))
        raise _not_allowed(key[0], "/" + "/".join(parts))

    def _batches(self, key: tuple[str, str, int], parts: list[str], q: dict[str, list[str]], body: bytes) -> Plan:
        if key == ("POST", "batches", 1):
            return json_plan(200, self.batches.create(parse_body(body)))
        if key == ("GET", "batches", 1):
            return json_plan(200, self.batches.listing(q))
        if key == ("GET", "batches", 2):
            return json_plan(200, self.batches.get(parts[1]))
        if key == ("POST", "batches", 3) and parts[2] == "cancel":
            return json_plan(200, self.batches.cancel(parts[1]))
        raise _not_allowed(key[0], "/" + "/".join(parts))


def _not_allowed(method: str, route: str) -> ApiError:
    return ApiError(404, "1222", f"The API does not exist: {method} {route}")

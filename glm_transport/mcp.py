"""GLM's server-side ``mcp`` tool (docs/wire-notes.md §3.3, §13.6): GLM itself connects to the MCP
server, lists its tools and calls them; the answer carries ``mcp_list_tools`` / ``mcp_call`` entries.

``MCPServerTool`` declares one server. Header values (an ``Authorization`` token, say) are
``SecretStr``: no repr, ``str``, log line or JSON dump of the declaration shows them (a pickle keeps
them, as pydantic's ``SecretStr`` does, so a copy in another process still works). The adapters keep
the declaration object itself in a bound model's arguments and the transport turns it into the wire
dict (``to_wire``) only while it builds the request body.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from .dialect.request import reveal_tool
from .errors import GLMInvalidRequestError

__all__ = ["MCPServerTool", "mcp_tool", "reveal_tool"]


class MCPServerTool(BaseModel):
    """One MCP server GLM should use during a chat call.

    Example::

        search = MCPServerTool(server_label="search", server_url="https://example.com/mcp",
                               allowed_tools=["webSearchPrime"], headers={"Authorization": "Bearer ..."})
        llm.bind_tools([search])          # LangChain
        llm.chat(messages, tools=[search])  # LlamaIndex

    Args:
        server_label: the server's name in the answer; for Zhipu's own MCP servers, their code
            (and ``server_url`` may be left out).
        server_url: the MCP endpoint GLM connects to.
        transport: ``streamable-http`` (GLM's default) or ``sse``.
        allowed_tools: only these of the server's tools; empty: all.
        headers: HTTP headers GLM sends to the server; values are kept secret.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    server_label: str = Field(min_length=1)
    server_url: str | None = None
    transport: Literal["streamable-http", "sse"] = "streamable-http"
    allowed_tools: tuple[str, ...] = ()
    headers: dict[str, SecretStr] = Field(default_factory=dict, repr=False)

    @field_validator("server_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("server_url must be an http(s) URL")
        return value

    @model_validator(mode="after")
    def _names(self) -> MCPServerTool:
        if any(not isinstance(name, str) or not name for name in self.allowed_tools):
            raise ValueError("allowed_tools must be non-empty tool names")
        return self

    def __repr__(self) -> str:
        url = f", server_url={self.server_url!r}" if self.server_url else ""
        names = f", headers=[{', '.join(sorted(self.headers))}]" if self.headers else ""
        return f"MCPServerTool(server_label={self.server_label!r}{url}, transport={self.transport!r}{names})"

    __str__ = __repr__

    def to_wire(self) -> dict[str, Any]:
        """The ``{"type": "mcp", "mcp": {...}}`` tool for the request body, header values revealed."""
        spec: dict[str, Any] = {"server_label": self.server_label, "transport_type": self.transport}
        if self.server_url is not None:
            spec["server_url"] = self.server_url
        if self.allowed_tools:
            spec["allowed_tools"] = list(self.allowed_tools)
        if self.headers:
            spec["headers"] = {name: value.get_secret_value() for name, value in self.headers.items()}
        return {"type": "mcp", "mcp": spec}


def mcp_tool(
    server_label: str,
    server_url: str | None = None,
    *,
    transport: Literal["streamable-http", "sse"] = "streamable-http",
    allowed_tools: list[str] | tuple[str, ...] = (),
    headers: Mapping[str, str | SecretStr] | None = None,
) -> MCPServerTool:
    """``MCPServerTool`` with plain arguments; a bad value raises ``GLMInvalidRequestError`` naming it."""
    try:
        return MCPServerTool(
            server_label=server_label,
            server_url=server_url,
            transport=transport,
            allowed_tools=tuple(allowed_tools),
            headers={name: v if isinstance(v, SecretStr) else SecretStr(str(v)) for name, v in (headers or {}).items()},
        )
    except ValueError as exc:
        errors: list[Any] = getattr(exc, "errors", list)()
        what = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors) or str(exc)
        raise GLMInvalidRequestError(f"bad MCP tool declaration ({what})") from None

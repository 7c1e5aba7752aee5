"""Documents, images, video and MCP: GLM's file parser, CogView, CogVideoX, document parts for chat and
the server-side ``mcp`` tool declaration (docs/wire-notes.md §3.3, §3.4, §13).

Names load on first use (``glm_transport._lazy``): a chat model that only needs ``document_part`` does
not load the parser, the generators and the clients behind them.
"""

from typing import TYPE_CHECKING

from glm_transport._lazy import lazy_exports

if TYPE_CHECKING:
    from glm_transport.mcp import MCPServerTool, mcp_tool, reveal_tool

    from ._flow import GLMTaskFailedError, PollPolicy, TaskProgress
    from .documents import document_part
    from .generation import (
        AsyncImageGenerator,
        AsyncVideoGenerator,
        GeneratedImage,
        GeneratedVideo,
        ImageGenerator,
        VideoGenerator,
    )
    from .parser import AsyncFileParser, FileParser, ParsedFile, ParseFailure, ParseProgress, check_parse_input

_EXPORTS = {
    "glm_transport.mcp": ("MCPServerTool", "mcp_tool", "reveal_tool"),
    "._flow": ("GLMTaskFailedError", "PollPolicy", "TaskProgress"),
    ".documents": ("document_part",),
    ".generation": (
        "AsyncImageGenerator",
        "AsyncVideoGenerator",
        "GeneratedImage",
        "GeneratedVideo",
        "ImageGenerator",
        "VideoGenerator",
    ),
    ".parser": ("AsyncFileParser", "FileParser", "ParsedFile", "ParseFailure", "ParseProgress", "check_parse_input"),
}
__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)

__all__ = [
    "AsyncFileParser",
    "AsyncImageGenerator",
    "AsyncVideoGenerator",
    "FileParser",
    "GLMTaskFailedError",
    "GeneratedImage",
    "GeneratedVideo",
    "ImageGenerator",
    "MCPServerTool",
    "ParseFailure",
    "ParseProgress",
    "ParsedFile",
    "PollPolicy",
    "TaskProgress",
    "VideoGenerator",
    "check_parse_input",
    "document_part",
    "mcp_tool",
    "reveal_tool",
]

"""Documents, images, video and MCP: GLM's file parser, CogView, CogVideoX, document parts for chat and
the server-side ``mcp`` tool declaration (docs/wire-notes.md §3.3, §3.4, §13)."""

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

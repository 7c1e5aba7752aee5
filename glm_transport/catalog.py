"""The model catalogue (spec §9): one place both adapters read capabilities and limits from.

Where the sources disagree (spec §12.5, §12.11, §12.14) the entry takes the conservative value
and says so. An id that is not listed still works: ``get_model_info`` matches the longest known
family prefix, and failing that returns conservative defaults with ``known=False``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

__all__ = ["EMBEDDING_MAX_BATCH", "ModelInfo", "get_model_info", "list_models"]

Thinking = Literal["none", "hybrid", "forced", "tagged"]
Kind = Literal["chat", "embedding", "rerank"]
# How a model takes documents in chat (docs/wire-notes.md §3.4): not at all, a ``file_url`` part (URL
# only), or a ``file`` part (URL, base64 data or an uploaded file id).
Documents = Literal["none", "url", "file"]

# Spec §7: embedding-3 takes at most 64 inputs per request.
EMBEDDING_MAX_BATCH = 64
K = 1024


@dataclass(frozen=True)
class ModelInfo:
    """What a model can do. ``thinking``: ``hybrid`` may be switched off, ``forced`` cannot,
    ``tagged`` puts reasoning inside ``<think>`` tags in the content (GLM-Z1, GLM-4.5V)."""

    id: str
    kind: Kind = "chat"
    context_window: int = 128_000
    max_output_tokens: int = 4_096
    default_max_tokens: int | None = None
    thinking: Thinking = "none"
    thinking_default: bool = False
    tools: bool = True
    tool_stream: bool = False
    vision: bool = False
    json_mode: bool = True
    web_search: bool = True
    reasoning_effort: bool = False
    default_temperature: float | None = None
    default_top_p: float | None = None
    embedding_dimensions: tuple[int, ...] = ()
    default_dimensions: int | None = None
    max_batch: int | None = None
    max_input_tokens: int | None = None
    documents: Documents = "none"
    known: bool = True

    @property
    def supports_thinking(self) -> bool:
        return self.thinking in ("hybrid", "forced")


def _glm5(mid: str, context: int, **kw: object) -> ModelInfo:
    base = ModelInfo(
        mid,
        context_window=context,
        max_output_tokens=128 * K,
        default_max_tokens=65_536,
        # BigModel says forced, Z.ai says hybrid (spec §12.5): both think by default.
        thinking="hybrid",
        thinking_default=True,
        tool_stream=True,
        default_temperature=1.0,
        default_top_p=0.95,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


_GLM45 = ModelInfo(
    "glm-4.5",
    context_window=128_000,
    max_output_tokens=98_304,
    default_max_tokens=65_536,
    thinking="hybrid",
    thinking_default=True,
    default_temperature=0.6,
    default_top_p=0.95,
)
_GLM46 = ModelInfo(
    "glm-4.6",
    context_window=200_000,
    max_output_tokens=131_072,
    default_max_tokens=65_536,
    thinking="hybrid",
    thinking_default=True,
    tool_stream=True,
    default_temperature=1.0,
    default_top_p=0.95,
)
_GLM47 = replace(_GLM46, id="glm-4.7", thinking="forced")
_GLM46V = ModelInfo(
    "glm-4.6v",
    context_window=128_000,
    max_output_tokens=32_768,
    default_max_tokens=16_384,
    thinking="hybrid",
    thinking_default=True,
    vision=True,
    json_mode=False,
    web_search=False,
    default_temperature=0.8,
    default_top_p=0.6,
    documents="url",
)
_GLM4_PLAIN = ModelInfo("glm-4-plus", context_window=128_000, max_output_tokens=4_096)

_MODELS: tuple[ModelInfo, ...] = (
    _glm5("glm-5.3", 1_000_000, thinking="forced", reasoning_effort=True),
    _glm5("glm-5.3-flash", 1_000_000, thinking="forced", reasoning_effort=True, vision=True, documents="file"),
    _glm5("glm-5.3-flashx", 1_000_000, thinking="forced", reasoning_effort=True, vision=True, documents="file"),
    _glm5("glm-5.2", 1_000_000, reasoning_effort=True),
    _glm5("glm-5.1", 200_000),
    _glm5("glm-5-turbo", 200_000, thinking="forced"),
    _glm5("glm-5", 200_000),
    _glm5("glm-5v-turbo", 128_000, thinking="forced", vision=True, tool_stream=False, documents="url"),
    _GLM47,
    replace(_GLM47, id="glm-4.7-flash"),
    replace(_GLM47, id="glm-4.7-flashx"),
    _GLM46,
    _GLM45,
    replace(_GLM45, id="glm-4.5-air"),
    replace(_GLM45, id="glm-4.5-x"),
    replace(_GLM45, id="glm-4.5-airx"),
    # 128K on the GLM-4.5 page, 200K in the Overview table (spec §12.11): the smaller.
    replace(_GLM45, id="glm-4.5-flash"),
    _GLM46V,
    replace(_GLM46V, id="glm-4.6v-flash"),
    replace(_GLM46V, id="glm-4.6v-flashx"),
    ModelInfo(
        "glm-4.5v",
        context_window=64_000,
        max_output_tokens=16_384,
        thinking="forced",
        thinking_default=True,
        tools=False,
        vision=True,
        json_mode=False,
        web_search=False,
        default_temperature=0.8,
        default_top_p=0.6,
        documents="url",
    ),
    ModelInfo(
        "glm-4.1v-thinking-flash",
        context_window=64_000,
        max_output_tokens=16_384,
        thinking="forced",
        thinking_default=True,
        tools=False,
        vision=True,
        json_mode=False,
        web_search=False,
    ),
    replace(
        _GLM45,
        id="glm-4-32b-0414-128k",
        max_output_tokens=16_384,
        thinking="none",
        thinking_default=False,
        default_temperature=0.75,
        default_top_p=0.9,
    ),
    _GLM4_PLAIN,
    replace(_GLM4_PLAIN, id="glm-4-air-250414"),
    replace(_GLM4_PLAIN, id="glm-4-air"),
    replace(_GLM4_PLAIN, id="glm-4-airx", context_window=8_000),
    replace(_GLM4_PLAIN, id="glm-4-flashx-250414"),
    replace(_GLM4_PLAIN, id="glm-4-flash-250414"),
    replace(_GLM4_PLAIN, id="glm-4-flash"),
    replace(_GLM4_PLAIN, id="glm-4-long", context_window=1_000_000),
    ModelInfo(
        "glm-4v-plus-0111",
        context_window=16_000,
        max_output_tokens=4_096,
        vision=True,
        tools=False,
        json_mode=False,
        web_search=False,
    ),
    ModelInfo(
        "glm-4v-flash",
        context_window=16_000,
        max_output_tokens=4_096,
        vision=True,
        tools=False,
        json_mode=False,
        web_search=False,
    ),
    # Sizes of the Z1 line are mutually inconsistent (spec §12.14): the smallest seen.
    ModelInfo("glm-z1-air", context_window=32_000, max_output_tokens=8_192, thinking="tagged", thinking_default=True),
    ModelInfo("glm-z1-airx", context_window=32_000, max_output_tokens=8_192, thinking="tagged", thinking_default=True),
    ModelInfo("glm-z1-flash", context_window=32_000, max_output_tokens=8_192, thinking="tagged", thinking_default=True),
    ModelInfo("autoglm-phone", max_output_tokens=4_096, default_temperature=0.0, default_top_p=0.85, vision=True),
    ModelInfo("glm-4-voice", max_output_tokens=4_096, tools=False, json_mode=False, web_search=False),
    ModelInfo("charglm-4", max_output_tokens=4_096, tools=False, json_mode=False, web_search=False),
    ModelInfo("emohaa", max_output_tokens=4_096, tools=False, json_mode=False, web_search=False),
    ModelInfo(
        "embedding-3",
        kind="embedding",
        context_window=3_072,
        max_output_tokens=0,
        tools=False,
        json_mode=False,
        web_search=False,
        embedding_dimensions=(256, 512, 1024, 2048),
        default_dimensions=2048,
        max_batch=EMBEDDING_MAX_BATCH,
        max_input_tokens=3_072,
    ),
    ModelInfo(
        "embedding-2",
        kind="embedding",
        context_window=512,
        max_output_tokens=0,
        tools=False,
        json_mode=False,
        web_search=False,
        embedding_dimensions=(1024,),
        default_dimensions=1024,
        max_batch=EMBEDDING_MAX_BATCH,
        max_input_tokens=512,
    ),
    ModelInfo(
        "rerank",
        kind="rerank",
        context_window=4_096,
        max_output_tokens=0,
        tools=False,
        json_mode=False,
        web_search=False,
    ),
)

_BY_ID = {info.id: info for info in _MODELS}
# Longest prefix first, so "glm-4.5-air-0711" finds glm-4.5-air, not glm-4.5.
_PREFIXES = sorted(_BY_ID, key=len, reverse=True)

# What an id we have never seen gets: it may well be a newer, bigger model, but promising less
# than it has only costs a little context; promising more fails requests.
UNKNOWN_MODEL = ModelInfo(
    "",
    context_window=32_768,
    max_output_tokens=4_096,
    thinking="none",
    tools=True,
    json_mode=True,
    known=False,
)


def get_model_info(model: str) -> ModelInfo:
    """The entry for ``model`` (case-insensitive); a dated or suffixed id gets its family's entry."""
    key = model.strip().lower()
    info = _BY_ID.get(key)
    if info is not None:
        return info
    for prefix in _PREFIXES:
        if key.startswith((prefix + "-", prefix + "_")):
            return replace(_BY_ID[prefix], id=model)
    if key.startswith("embedding"):
        return replace(_BY_ID["embedding-3"], id=model, known=False)
    return replace(UNKNOWN_MODEL, id=model)


def list_models(kind: Kind | None = None) -> list[ModelInfo]:
    return [info for info in _MODELS if kind is None or info.kind == kind]

"""The model catalogue (docs/wire-notes.md §9): one place both adapters read capabilities and limits from.

The catalogue informs; it never refuses. Its numbers size budgets (LlamaIndex's ``num_output``,
context windows) and pick defaults, but a request the server may accept is always sent: only the
server knows its current limits. Where the sources disagree (wire notes §12.5, §12.11, §12.14) the
entry takes the conservative value and says so. An id that is not listed still works:
``get_model_info`` matches the longest known family prefix, and failing that returns conservative
defaults with ``known=False``; ``lookup_model`` does the same and warns once per process for such an id.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass, replace
from typing import Literal

__all__ = ["EMBEDDING_MAX_BATCH", "ModelInfo", "get_model_info", "list_models", "lookup_model"]

Thinking = Literal["none", "hybrid", "forced", "tagged"]
Kind = Literal["chat", "embedding", "rerank"]
# How a model takes documents in chat (docs/wire-notes.md §3.4): not at all, a ``file_url`` part (URL
# only), or a ``file`` part (URL, base64 data or an uploaded file id).
Documents = Literal["none", "url", "file"]

# Wire notes §7: embedding-3 takes at most 64 inputs per request.
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
    tools: bool = True
    tool_stream: bool = False
    vision: bool = False
    json_mode: bool = True
    embedding_dimensions: tuple[int, ...] = ()
    max_batch: int | None = None
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
        # BigModel says forced, Z.ai says hybrid (wire notes §12.5): both think by default.
        thinking="hybrid",
        tool_stream=True,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


_GLM45 = ModelInfo(
    "glm-4.5",
    context_window=128_000,
    max_output_tokens=98_304,
    default_max_tokens=65_536,
    thinking="hybrid",
)
_GLM46 = ModelInfo(
    "glm-4.6",
    context_window=200_000,
    max_output_tokens=131_072,
    default_max_tokens=65_536,
    thinking="hybrid",
    tool_stream=True,
)
_GLM47 = replace(_GLM46, id="glm-4.7", thinking="forced")
_GLM46V = ModelInfo(
    "glm-4.6v",
    context_window=128_000,
    max_output_tokens=32_768,
    default_max_tokens=16_384,
    thinking="hybrid",
    vision=True,
    json_mode=False,
    documents="url",
)
_GLM4_PLAIN = ModelInfo("glm-4-plus", context_window=128_000, max_output_tokens=4_096)

_MODELS: tuple[ModelInfo, ...] = (
    _glm5("glm-5.3", 1_000_000, thinking="forced"),
    _glm5("glm-5.3-flash", 1_000_000, thinking="forced", vision=True, documents="file"),
    _glm5("glm-5.3-flashx", 1_000_000, thinking="forced", vision=True, documents="file"),
    _glm5("glm-5.2", 1_000_000),
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
    # 128K on the GLM-4.5 page, 200K in the Overview table (wire notes §12.11): the smaller.
    replace(_GLM45, id="glm-4.5-flash"),
    _GLM46V,
    replace(_GLM46V, id="glm-4.6v-flash"),
    replace(_GLM46V, id="glm-4.6v-flashx"),
    ModelInfo(
        "glm-4.5v",
        context_window=64_000,
        max_output_tokens=16_384,
        thinking="forced",
        tools=False,
        vision=True,
        json_mode=False,
        documents="url",
    ),
    *(
        ModelInfo(
            mid,
            context_window=64_000,
            max_output_tokens=16_384,
            thinking="forced",
            tools=False,
            vision=True,
            json_mode=False,
        )
        for mid in ("glm-4.1v-thinking-flash", "glm-4.1v-thinking-flashx")
    ),
    replace(
        _GLM45,
        id="glm-4-32b-0414-128k",
        max_output_tokens=16_384,
        thinking="none",
    ),
    _GLM4_PLAIN,
    # The ids of many published examples (wire notes §9.1): the first GLM-4 and its 0520 snapshot.
    replace(_GLM4_PLAIN, id="glm-4"),
    replace(_GLM4_PLAIN, id="glm-4-0520"),
    # 16K output on the model page (wire notes §9.1); an undated id is taken to follow its
    # newest snapshot.
    *(
        replace(_GLM4_PLAIN, id=mid, max_output_tokens=16 * K)
        for mid in (
            "glm-4-air-250414",
            "glm-4-air",
            "glm-4-flashx-250414",
            "glm-4-flashx",
            "glm-4-flash-250414",
            "glm-4-flash",
        )
    ),
    replace(_GLM4_PLAIN, id="glm-4-airx", context_window=8_000),
    replace(_GLM4_PLAIN, id="glm-4-long", context_window=1_000_000),
    ModelInfo(
        "glm-4v-plus-0111",
        context_window=16_000,
        max_output_tokens=4_096,
        vision=True,
        tools=False,
        json_mode=False,
    ),
    ModelInfo(
        "glm-4v-flash",
        context_window=16_000,
        max_output_tokens=4_096,
        vision=True,
        tools=False,
        json_mode=False,
    ),
    # Sizes of the Z1 line are mutually inconsistent (wire notes §12.14): the smallest seen.
    *(
        ModelInfo(mid, context_window=32_000, max_output_tokens=8_192, thinking="tagged")
        for mid in ("glm-z1-air", "glm-z1-airx", "glm-z1-flash", "glm-z1-flashx")
    ),
    ModelInfo("autoglm-phone", max_output_tokens=4_096, vision=True),
    ModelInfo("autoglm-phone-multilingual", max_output_tokens=4_096, vision=True),
    ModelInfo("glm-4-voice", max_output_tokens=4_096, default_max_tokens=1_024, tools=False, json_mode=False),
    ModelInfo("charglm-4", max_output_tokens=4_096, tools=False, json_mode=False),
    ModelInfo("emohaa", max_output_tokens=4_096, tools=False, json_mode=False),
    ModelInfo(
        "embedding-3",
        kind="embedding",
        context_window=3_072,
        max_output_tokens=0,
        tools=False,
        json_mode=False,
        embedding_dimensions=(256, 512, 1024, 2048),
        max_batch=EMBEDDING_MAX_BATCH,
    ),
    ModelInfo(
        "embedding-2",
        kind="embedding",
        context_window=512,
        max_output_tokens=0,
        tools=False,
        json_mode=False,
        embedding_dimensions=(1024,),
        max_batch=EMBEDDING_MAX_BATCH,
    ),
    ModelInfo(
        "rerank",
        kind="rerank",
        context_window=4_096,
        max_output_tokens=0,
        tools=False,
        json_mode=False,
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

_warned: set[str] = set()
_warned_lock = threading.Lock()


def get_model_info(model: str) -> ModelInfo:
    """The entry for ``model`` (case-insensitive).

    A dated snapshot of a listed id (a suffix starting with a digit, such as ``glm-4.5-air-0711``)
    gets its family's entry; anything else unlisted gets conservative defaults with ``known=False``.
    """
    key = model.strip().lower()
    info = _BY_ID.get(key)
    if info is not None:
        return info
    for prefix in _PREFIXES:
        rest = key[len(prefix) :]
        if key.startswith(prefix) and rest[:1] in ("-", "_") and rest[1:2].isdigit():
            return replace(_BY_ID[prefix], id=model)
    if key.startswith("embedding"):
        return replace(_BY_ID["embedding-3"], id=model, known=False)
    return replace(UNKNOWN_MODEL, id=model)


def lookup_model(model: str) -> ModelInfo:
    """``get_model_info``, warning once per process for an id the catalogue does not know.

    The request is still sent as given: the server, not the catalogue, decides what it accepts.
    """
    info = get_model_info(model)
    if not info.known:
        key = model.strip().lower()
        with _warned_lock:
            first = key not in _warned
            _warned.add(key)
        if first:
            warnings.warn(
                f"GLM model {model!r} is not in the catalogue; it is sent as given, with conservative "
                "limits assumed for budgeting (this warning is shown once per model id)",
                UserWarning,
                stacklevel=3,
            )
    return info


def list_models(kind: Kind | None = None) -> list[ModelInfo]:
    return [info for info in _MODELS if kind is None or info.kind == kind]

"""Which model ids the local server knows and what each accepts (docs/wire-notes.md §3.4, §9).

Kept apart from the client's catalogue on purpose: the server is written from the wire notes alone,
so a client that trusts its own catalogue too much is caught here. Only the ids the notes list are
known; any other id answers 1211, as GLM does. A limit the notes mark as unknown ("?") is not
enforced: the server refuses what the real API is documented to refuse, nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

K = 1024
MAX_TOKENS = 131_072  # the documented range of max_tokens for every model (§3.1)
REASONING_EFFORTS = ("max", "xhigh", "high", "medium", "low", "minimal", "none")  # §3.1


@dataclass(frozen=True)
class Limits:
    """What one model accepts. ``None`` means the notes do not say, so the server does not check."""

    max_output: int = MAX_TOKENS
    tools: bool | None = None
    json_mode: bool | None = None
    vision: bool = False
    images: int | None = None  # image parts per request
    videos: int | None = None  # video parts per request
    base64_images: bool = True
    video_first: bool = False  # GLM-4V-Plus: the video part must come first
    audio: bool = False
    efforts: tuple[str, ...] = REASONING_EFFORTS  # the reasoning_effort values taken (§3.1)


_TEXT = Limits(tools=True, json_mode=True)
_GLM5 = replace(_TEXT, max_output=128 * K)
_GLM45 = replace(_TEXT, max_output=96 * K)
_GLM4_0414 = replace(_TEXT, max_output=16 * K)
# §3.4: GLM-4.6V / 5V take 50 images on BigModel, 150 on Z.ai (§12.10): the stricter count.
_VISION_NEW = Limits(tools=True, json_mode=False, vision=True, images=50, videos=2, max_output=32 * K)
_VISION_OLD = Limits(tools=False, json_mode=False, vision=True)

MODELS: dict[str, Limits] = {
    # §9.1 text models
    **dict.fromkeys(("glm-5.2", "glm-5.1", "glm-5-turbo", "glm-5"), _GLM5),
    # GLM-5.3 and 5.3-Flash take only three reasoning efforts (§3.1).
    "glm-5.3": replace(_GLM5, efforts=("low", "high", "max")),
    **dict.fromkeys(
        ("glm-5.3-flash", "glm-5.3-flashx"),
        replace(_GLM5, json_mode=None, vision=True, efforts=("low", "high", "max")),
    ),
    "glm-5v-turbo": replace(_VISION_NEW, max_output=128 * K, json_mode=None),
    **dict.fromkeys(("glm-4.7", "glm-4.7-flashx", "glm-4.7-flash", "glm-4.6"), _GLM5),
    **dict.fromkeys(("glm-4.5", "glm-4.5-air", "glm-4.5-x", "glm-4.5-airx", "glm-4.5-flash"), _GLM45),
    "glm-4-32b-0414-128k": _GLM4_0414,
    "glm-4-plus": replace(_TEXT, max_output=4 * K),
    **dict.fromkeys(("glm-4-air-250414", "glm-4-flashx-250414", "glm-4-flash-250414"), _GLM4_0414),
    # Undated and older GLM-4 ids: listed by the docs and examples, output cap not stated.
    **dict.fromkeys(
        ("glm-4", "glm-4-0520", "glm-4-air", "glm-4-airx", "glm-4-flash", "glm-4-flashx", "glm-4-long"), _TEXT
    ),
    **dict.fromkeys(("glm-z1-air", "glm-z1-airx", "glm-z1-flash", "glm-z1-flashx"), Limits()),
    # §9.2 vision and other chat models
    **dict.fromkeys(("glm-4.6v", "glm-4.6v-flashx", "glm-4.6v-flash"), _VISION_NEW),
    "glm-4.5v": replace(_VISION_OLD, images=50, videos=1, max_output=16 * K),
    **dict.fromkeys(("glm-4.1v-thinking-flash", "glm-4.1v-thinking-flashx"), replace(_VISION_OLD, max_output=16 * K)),
    "glm-4v-flash": replace(_VISION_OLD, images=1, base64_images=False),
    "glm-4v-plus-0111": replace(_VISION_OLD, images=5, video_first=True),
    **dict.fromkeys(("autoglm-phone", "autoglm-phone-multilingual"), Limits(tools=True, vision=True, max_output=4 * K)),
    "glm-4-voice": Limits(audio=True, max_output=4 * K),
    **dict.fromkeys(("charglm-4", "emohaa"), Limits(max_output=4 * K)),
    # §9.3
    **dict.fromkeys(("embedding-2", "embedding-3", "rerank"), Limits(max_output=0)),
}
KNOWN_MODELS = frozenset(MODELS)

_THINKING_PREFIXES = ("glm-4.5", "glm-4.6", "glm-4.7", "glm-5", "glm-4.1v-thinking")


def is_known(model: str) -> bool:
    return model in MODELS


def limits(model: str) -> Limits:
    return MODELS[model]


def is_embedding(model: str) -> bool:
    return model.startswith("embedding-")


def is_rerank(model: str) -> bool:
    return model.startswith("rerank")


def is_chat(model: str) -> bool:
    return not (is_embedding(model) or is_rerank(model))


def thinks(model: str) -> bool:
    """GLM-4.5 and newer (and the 4.1V thinking models) return ``reasoning_content``."""
    return model.startswith(_THINKING_PREFIXES)


def thinks_in_content(model: str) -> bool:
    """Legacy GLM-Z1 models put their thinking in ``content`` inside ``<think>`` tags (§4)."""
    return model.startswith("glm-z1")


def has_vision(model: str) -> bool:
    return MODELS[model].vision


def hears(model: str) -> bool:
    return MODELS[model].audio

"""Which model ids the local server knows and what each can do (spec §9).

Kept apart from the client's catalogue on purpose: the server is written from the spec alone.
"""

from __future__ import annotations

import re

KNOWN_MODELS = frozenset(
    {
        # §9.1 text models
        "glm-5.3", "glm-5.3-flash", "glm-5.3-flashx", "glm-5.2", "glm-5.1", "glm-5-turbo",
        "glm-5", "glm-5v-turbo", "glm-4.7", "glm-4.7-flashx", "glm-4.7-flash", "glm-4.6",
        "glm-4.5", "glm-4.5-air", "glm-4.5-x", "glm-4.5-airx", "glm-4.5-flash",
        "glm-4-32b-0414-128k", "glm-4-plus", "glm-4-air-250414", "glm-4-air", "glm-4-airx",
        "glm-4-flashx-250414", "glm-4-flash-250414", "glm-4-flash", "glm-4-long", "glm-4-0520",
        "glm-z1-air", "glm-z1-airx", "glm-z1-flash", "glm-z1-flashx",
        # §9.2 vision and other chat models
        "glm-4.6v", "glm-4.6v-flashx", "glm-4.6v-flash", "glm-4.5v", "glm-4.1v-thinking-flash",
        "glm-4.1v-thinking-flashx", "glm-4v-flash", "glm-4v-plus-0111", "autoglm-phone",
        "autoglm-phone-multilingual", "glm-4-voice", "charglm-4", "emohaa",
        # §9.3
        "embedding-2", "embedding-3", "rerank",
    }
)  # fmt: skip

_KNOWN_PREFIXES = ("glm-", "embedding-", "rerank")
_THINKING_PREFIXES = ("glm-4.5", "glm-4.6", "glm-4.7", "glm-5", "glm-4.1v-thinking")
_VISION = re.compile(r"^(glm-[0-9.]+v(-|$)|glm-5v|glm-4v|glm-5\.3-flash|autoglm-phone)")


def is_known(model: str) -> bool:
    return model in KNOWN_MODELS or model.startswith(_KNOWN_PREFIXES)


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
    return _VISION.match(model) is not None


def hears(model: str) -> bool:
    return model.startswith("glm-4-voice")

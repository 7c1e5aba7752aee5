"""Configuration: endpoints, environment variables, the key, timeouts."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from pydantic import SecretStr

from .errors import GLMConfigurationError

if TYPE_CHECKING:  # httpx loads when a URL or timeout is resolved (a LlamaIndex import needs neither)
    import httpx

    DEFAULT_TIMEOUT: httpx.Timeout

__all__ = [
    "API_KEY_ENV_VARS",
    "BASE_URL_ENV_VAR",
    "CHINA",
    "CHINA_CODING",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "ENDPOINTS",
    "INTERNATIONAL",
    "INTERNATIONAL_CODING",
    "resolve_api_key",
    "resolve_base_url",
    "resolve_timeout",
]

# Spec §1.1.
CHINA: Final = "https://open.bigmodel.cn/api/paas/v4"
INTERNATIONAL: Final = "https://api.z.ai/api/paas/v4"
CHINA_CODING: Final = "https://open.bigmodel.cn/api/coding/paas/v4"
INTERNATIONAL_CODING: Final = "https://api.z.ai/api/coding/paas/v4"

ENDPOINTS: Final[Mapping[str, str]] = {
    "china": CHINA,
    "bigmodel": CHINA,
    "international": INTERNATIONAL,
    "zai": INTERNATIONAL,
    "china-coding": CHINA_CODING,
    "bigmodel-coding": CHINA_CODING,
    "international-coding": INTERNATIONAL_CODING,
    "zai-coding": INTERNATIONAL_CODING,
}

API_KEY_ENV_VARS: Final = ("ZHIPUAI_API_KEY", "ZAI_API_KEY")
BASE_URL_ENV_VAR: Final = "ZHIPUAI_BASE_URL"

# The official SDK's defaults (wire notes §6.4): thinking models can take minutes before the first byte.
_DEFAULT_TIMEOUT: Final = (300.0, 8.0)  # DEFAULT_TIMEOUT = httpx.Timeout(300.0, connect=8.0), made on first use
DEFAULT_MAX_RETRIES: Final = 2


def __getattr__(name: str) -> Any:
    if name == "DEFAULT_TIMEOUT":
        import httpx

        return httpx.Timeout(_DEFAULT_TIMEOUT[0], connect=_DEFAULT_TIMEOUT[1])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def resolve_api_key(api_key: str | SecretStr | None) -> SecretStr:
    """The key given, else ``ZHIPUAI_API_KEY``, else ``ZAI_API_KEY``; a clear error when none is set."""
    value = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key or ""
    if not value:
        value = next((os.environ[name] for name in API_KEY_ENV_VARS if os.environ.get(name)), "")
    value = value.strip()
    if not value:
        raise GLMConfigurationError(
            "No GLM API key: pass api_key=... or set the ZHIPUAI_API_KEY or ZAI_API_KEY environment variable."
        )
    if not (value.isascii() and value.isprintable()):
        # A newline or NUL would reach httpx and come back inside a connection error (and its debug
        # log), then be retried as a network failure; the key itself is never shown.
        raise GLMConfigurationError(
            "The GLM API key contains a control character (newline, NUL, ...) or a non-ASCII character; "
            "check how it was read (the key is not shown)."
        )
    return SecretStr(value)


def resolve_base_url(base_url: str | None) -> str:
    """A named endpoint (``china``, ``international``, ``*-coding``) or a URL; else ``ZHIPUAI_BASE_URL``.

    The URL is the OpenAI-style base that paths such as ``/chat/completions`` are appended to
    (wire notes §1.2); a full ``.../chat/completions`` URL, as the community class stored it, is accepted
    and cut back to the base.
    """
    value = (base_url or os.environ.get(BASE_URL_ENV_VAR) or CHINA).strip()
    value = ENDPOINTS.get(value.lower(), value)
    import httpx

    try:
        url = httpx.URL(value)
    except (httpx.InvalidURL, TypeError) as exc:
        raise GLMConfigurationError(f"Invalid GLM base_url {value!r}: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise GLMConfigurationError(
            f"Invalid GLM base_url {value!r}: it needs an http:// or https:// scheme and a host "
            f"(or one of the names {', '.join(sorted(ENDPOINTS))})."
        )
    value = value.rstrip("/")
    for suffix in ("/chat/completions", "/embeddings"):
        if value.endswith(suffix):
            value = value[: -len(suffix)]
    return value


def resolve_timeout(timeout: float | httpx.Timeout | None) -> httpx.Timeout:
    """``None`` is the default; a number bounds connect, read (between stream chunks), write and pool."""
    import httpx

    if timeout is None:
        return httpx.Timeout(_DEFAULT_TIMEOUT[0], connect=_DEFAULT_TIMEOUT[1])
    if isinstance(timeout, httpx.Timeout):
        return timeout
    if timeout <= 0:
        raise GLMConfigurationError(f"timeout must be positive, got {timeout!r}")
    return httpx.Timeout(float(timeout))

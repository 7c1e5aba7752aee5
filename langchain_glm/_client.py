"""The connection settings and owned client pair every LangChain GLM class shares.

Names, defaults, aliases and checks are ``glm_transport.options.GLMOptions``' (the LlamaIndex
adapter's classes use the same); this mixin only adds what LangChain's serialization needs: which
field is a secret, so ``dumps`` writes a reference to ``ZHIPUAI_API_KEY`` instead of the key, and
``loads`` takes the key from ``secrets_map`` or the environment.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, SecretStr

from glm_transport.options import GLMOptions, is_credential

__all__ = ["LC_SECRETS", "GLMConnection", "lc_attributes"]

LC_SECRETS = {"api_key": "ZHIPUAI_API_KEY"}


def lc_attributes(connection: GLMOptions) -> dict[str, Any]:
    """What ``dumps`` writes instead of the fields' values: ``default_headers`` without its
    credential-like headers (pass them again after ``loads``, as the key comes from the environment)."""
    headers = connection.default_headers
    if not headers or not any(is_credential(name) for name in headers):
        return {}
    return {"default_headers": {name: value for name, value in headers.items() if not is_credential(name)}}


class GLMConnection(GLMOptions):
    """Where and how to reach GLM; shared by every LangChain class of this package."""

    # Not excluded: ``dumps`` writes it as a reference to ZHIPUAI_API_KEY (``lc_secrets``), never its value.
    api_key: SecretStr | None = Field(
        default=None, repr=False, description="GLM API key; else ZHIPUAI_API_KEY, then ZAI_API_KEY."
    )

    @property
    def lc_secrets(self) -> dict[str, str]:
        return dict(LC_SECRETS)

    @property
    def lc_attributes(self) -> dict[str, Any]:
        return lc_attributes(self)

"""The connection settings and owned client pair every LlamaIndex GLM class shares.

Names, defaults, aliases and checks are ``glm_transport.options.GLMOptions``' (the LangChain
adapter's classes use the same). ``to_dict`` leaves out the key and the httpx clients; ``from_dict``
reads the key from the environment again.
"""

from __future__ import annotations

from glm_transport.options import GLMOptions

__all__ = ["GLMConnection"]


class GLMConnection(GLMOptions):
    """Where and how to reach GLM; shared by every LlamaIndex class of this package."""

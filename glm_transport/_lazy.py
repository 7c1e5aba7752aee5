"""Module-level ``__getattr__`` for a package's public names, so importing the package loads only
what is used (PEP 562).

``import langchain_glm`` used to load every client, pydantic wire model and the retry and auth
machinery before the user touched any of it: about 100 ms of CPU over langchain-core. With the
names resolved on first access, a package import costs what its first used class needs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, namespace: dict[str, Any], modules: Mapping[str, Iterable[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: ``modules`` maps a submodule (``".client"``)
    to the names it exports; a name is imported on first access and cached in ``namespace``."""
    where = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str) -> Any:  # noqa: N807 (the module hook's own name)
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:  # noqa: N807
        return sorted({*namespace, *where})

    return __getattr__, __dir__

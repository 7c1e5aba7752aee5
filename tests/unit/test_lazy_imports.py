"""Importing a package loads nothing heavy; each public name is loaded on first use and is the
same object its module defines."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

PACKAGES = ("glm_transport", "glm_transport.media", "langchain_glm", "llamaindex_glm")
HEAVY = (
    "httpx",
    "jwt",
    "glm_transport.client",
    "glm_transport.types",
    "glm_transport.catalog",
    "glm_transport.testing",
    "langchain_glm.chat_models",
    "llamaindex_glm.llms",
)


@pytest.mark.parametrize("package", PACKAGES)
def test_importing_a_package_loads_no_client_models_catalogue_or_server(package: str) -> None:
    code = f"import sys, {package}; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    loaded = subprocess.check_output([sys.executable, "-c", code], text=True).split()
    assert loaded == []


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_resolves_to_its_defining_object(package: str) -> None:
    module = importlib.import_module(package)
    where = {name: submodule for submodule, names in module._EXPORTS.items() for name in names}
    assert set(where) == set(module.__all__) - {"__version__"}
    for name in module.__all__:
        value = getattr(module, name)
        if name != "__version__":
            assert value is getattr(importlib.import_module(where[name], package), name)
        assert name in dir(module)


@pytest.mark.parametrize("package", PACKAGES)
def test_an_unknown_name_is_an_attribute_error_naming_it(package: str) -> None:
    module = importlib.import_module(package)
    with pytest.raises(AttributeError, match="NoSuchName"):
        module.NoSuchName  # noqa: B018


def test_the_transport_signs_jwts_without_importing_pyjwt_until_asked() -> None:
    code = "import sys; from glm_transport import GLMClient; print('jwt' in sys.modules)"
    assert subprocess.check_output([sys.executable, "-c", code], text=True).strip() == "False"


@pytest.mark.parametrize(
    "statement", ["from langchain_glm import ChatGLM, GLMEmbeddings", "from llamaindex_glm import GLM, GLMEmbedding"]
)
def test_the_adapter_classes_import_without_the_clients_or_pyjwt(statement: str) -> None:
    code = f"import sys; {statement}; print([m for m in ('glm_transport.client', 'jwt') if m in sys.modules])"
    assert subprocess.check_output([sys.executable, "-c", code], text=True).strip() == "[]"

"""Importing a package loads only what its first use needs (bench/*.py measures the CPU; this pins
which heavy modules stay out), each in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("httpx", "httpcore", "glm_transport.types", "glm_transport.mcp", "glm_transport.client", "jwt")


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; import json; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(json.loads(out.splitlines()[-1]))


@pytest.mark.parametrize(
    "statement",
    [
        "from langchain_glm import ChatGLM, GLMEmbeddings",
        "from llamaindex_glm import GLM, GLMEmbedding",
    ],
)
def test_importing_an_adapter_loads_no_http_stack_wire_models_or_jwt(statement: str) -> None:
    assert _loaded_after(statement) & set(HEAVY) == set()


def test_importing_the_transport_client_leaves_httpcore_and_jwt_for_the_first_client() -> None:
    loaded = _loaded_after("from glm_transport import GLMClient, AsyncGLMClient")
    assert {"httpcore", "jwt", "glm_transport._deadline_io"} & loaded == set()
    made = _loaded_after("from glm_transport import GLMClient; GLMClient(api_key='k').http_client")
    assert {"httpcore", "glm_transport._deadline_io"} <= made

"""langchain-tests' standard suites for GLMEmbeddings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.embeddings import Embeddings
from langchain_tests.integration_tests import EmbeddingsIntegrationTests
from langchain_tests.unit_tests import EmbeddingsUnitTests

from langchain_glm import GLMEmbeddings

from .conftest import LIVE, Endpoint, close_clients


class TestGLMEmbeddingsUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[GLMEmbeddings]:
        return GLMEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        # The key is resolved at construction, as in every GLM class: without one it fails there.
        return {"model": "embedding-3", "dimensions": 256, "api_key": "test-key"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"ZHIPUAI_API_KEY": "env-key", "ZHIPUAI_BASE_URL": "international"},
            {"model": "embedding-3"},
            {"api_key": "env-key", "base_url": "https://api.z.ai/api/paas/v4"},  # the name, resolved
        )


@pytest.mark.usefixtures("local_endpoint")
class TestGLMEmbeddingsIntegration(EmbeddingsIntegrationTests):
    pytestmark = [pytest.mark.live, pytest.mark.enable_socket] if LIVE else []

    @property
    def embeddings_class(self) -> type[GLMEmbeddings]:
        return GLMEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": "embedding-3", "dimensions": 256, **Endpoint.params}

    @pytest.fixture
    def model(self) -> Iterator[Embeddings]:
        embeddings = self.embeddings_class(**self.embedding_model_params)
        yield embeddings
        close_clients(embeddings)

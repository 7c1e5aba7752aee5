"""The connection options: the same names, defaults, aliases and checks in every class of both
adapters, honoured on the wire (the local server sees the endpoint, the key or JWT, the headers)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from glm_transport import GLMConfigurationError
from glm_transport.options import GLMOptions
from glm_transport.testing import LocalGLMServer

from .conftest import ALL, KINDS, Make

KEY = "sk-very-secret-key-1234"


@pytest.mark.parametrize("kind", ALL)
def test_every_class_has_the_same_connection_fields_and_defaults(kind: str) -> None:
    fields = KINDS[kind].cls.model_fields
    for name, field in GLMOptions.model_fields.items():
        assert name in fields, f"{kind} lacks {name}"
        assert fields[name].default == field.default, f"{kind}.{name} defaults differently"


@pytest.mark.parametrize("kind", ALL)
def test_connection_options_reach_both_clients(make: Make, kind: str) -> None:
    sync_http, async_http = httpx.Client(), httpx.AsyncClient()
    obj = make(
        kind,
        timeout=httpx.Timeout(7.0, connect=2.0),
        total_timeout=30,
        max_retries=5,
        default_headers={"X-Trace": "t1"},
        http_client=sync_http,
        http_async_client=async_http,
        max_concurrency=3,
    )
    try:
        for client in (obj.client, obj.async_client):
            assert client.timeout == httpx.Timeout(7.0, connect=2.0)
            assert (client.total_timeout, client.max_retries) == (30, 5)
            assert client._headers["X-Trace"] == "t1"
        assert obj.client._http is sync_http
        assert obj.async_client._http is async_http
        assert obj.async_client.max_concurrency == 3
    finally:
        sync_http.close()


@pytest.mark.parametrize("kind", ALL)
@pytest.mark.parametrize("spelling", ["base_url", "api_base", "openai_api_base", "zhipuai_api_base"])
def test_every_spelling_of_the_endpoint_is_where_requests_go(
    make: Make, glm_server: LocalGLMServer, kind: str, spelling: str
) -> None:
    # GLM(api_base=URL) used to be ignored: requests went to the default endpoint.
    obj = make(kind, **{spelling: glm_server.base_url})
    assert obj.base_url == glm_server.base_url
    make.use(kind, obj)
    assert glm_server.requests, "the request did not reach the URL given"


@pytest.mark.parametrize("kind", ALL)
@pytest.mark.parametrize("spelling", ["api_key", "openai_api_key", "zhipuai_api_key"])
def test_the_key_goes_in_the_header_only_however_it_is_spelled(
    make: Make, glm_server: LocalGLMServer, kind: str, spelling: str
) -> None:
    glm_server.api_key = KEY
    obj = make(kind, **{spelling: KEY})
    make.use(kind, obj)
    (request,) = glm_server.requests
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert KEY.encode() not in request.body
    assert KEY not in repr(obj) and KEY not in str(obj)
    assert KEY not in str(obj.model_dump())


@pytest.mark.parametrize("kind", ALL)
def test_use_jwt_sends_a_signed_token_not_the_key(make: Make, glm_server: LocalGLMServer, kind: str) -> None:
    # LlamaIndex's classes used to drop use_jwt=True and send the raw key.
    key = "key-id.key-secret-value"
    glm_server.api_key = key
    make.use(kind, make(kind, api_key=key, use_jwt=True))
    (request,) = glm_server.requests  # the server accepted the JWT (it checks the signature)
    token = request.headers["authorization"].removeprefix("Bearer ").strip()
    assert token.count(".") == 2
    assert "key-secret-value" not in request.headers["authorization"]


@pytest.mark.parametrize("kind", ALL)
def test_request_timeout_is_the_timeout(make: Make, kind: str) -> None:
    obj = make(kind, request_timeout=30)
    assert obj.timeout == 30
    assert obj.client.timeout == httpx.Timeout(30.0)


@pytest.mark.parametrize("kind", ALL)
def test_async_http_client_is_the_async_client_to_send_with(make: Make, kind: str) -> None:
    http = httpx.AsyncClient()
    assert make(kind, async_http_client=http).async_client._http is http


@pytest.mark.parametrize("kind", ALL)
@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"max_retry": 3}, "unexpected argument 'max_retry'; did you mean 'max_retries'?"),
        ({"base_uri": "x"}, "unexpected argument 'base_uri'; did you mean 'base_url'?"),
        ({"timeout_seconds": 3}, "unexpected argument 'timeout_seconds'; did you mean 'timeout'?"),
        ({"frobnicate": True}, "unexpected argument 'frobnicate'"),
        ({"api_base": "http://a", "base_url": "http://b"}, "'api_base' is another name for 'base_url'"),
        ({"openai_api_key": "a", "api_key": "b"}, "'openai_api_key' is another name for 'api_key'"),
        ({"n": 2}, "n=2 is not supported by GLM"),
    ],
)
def test_anything_else_is_refused_at_construction_naming_it(
    make: Make, kind: str, arguments: dict[str, Any], message: str
) -> None:
    with pytest.raises(GLMConfigurationError, match=f"^{KINDS[kind].cls.__name__}.*" + _escape(message)) as caught:
        make(kind, local=False, **{"api_key": "k", **arguments})
    assert "'k'" not in str(caught.value)


def _escape(text: str) -> str:
    import re

    return re.escape(text)


@pytest.mark.parametrize("kind", ALL)
def test_a_missing_key_fails_at_construction_naming_both_variables(kind: str) -> None:
    with pytest.raises(GLMConfigurationError, match="ZHIPUAI_API_KEY.*ZAI_API_KEY"):
        KINDS[kind].cls()


@pytest.mark.parametrize("kind", ALL)
def test_the_environment_supplies_key_and_endpoint(
    make: Make, glm_server: LocalGLMServer, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    assert glm_server.api_key is not None
    monkeypatch.setenv("ZAI_API_KEY", glm_server.api_key)
    monkeypatch.setenv("ZHIPUAI_BASE_URL", glm_server.base_url)
    obj = make(kind, local=False)
    make.use(kind, obj)
    assert glm_server.requests


@pytest.mark.parametrize("kind", ALL)
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"base_url": "no-scheme"}, "base_url"),
        ({"timeout": -1}, "timeout must be positive"),
        ({"total_timeout": 0}, "total_timeout"),
        ({"max_retries": -1}, "max_retries"),
        ({"max_concurrency": 0}, "max_concurrency"),
    ],
)
def test_bad_connection_values_fail_at_construction(kind: str, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        KINDS[kind].cls(api_key="k", **options).client  # noqa: B018 (the client is where timeout is read)

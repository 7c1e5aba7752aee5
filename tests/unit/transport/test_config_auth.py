"""Keys, endpoints, timeouts, and the JWT scheme of wire notes §2.2."""

from __future__ import annotations

import httpx
import jwt
import pytest
from pydantic import SecretStr

from glm_transport import CHINA, INTERNATIONAL, INTERNATIONAL_CODING, GLMClient, GLMConfigurationError
from glm_transport.auth import GLMAuth, make_jwt
from glm_transport.config import DEFAULT_TIMEOUT, resolve_api_key, resolve_base_url, resolve_timeout


def test_missing_key_names_both_environment_variables() -> None:
    with pytest.raises(GLMConfigurationError, match="ZHIPUAI_API_KEY or ZAI_API_KEY"):
        resolve_api_key(None)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"ZHIPUAI_API_KEY": "a", "ZAI_API_KEY": "b"}, "a"),
        ({"ZAI_API_KEY": "b"}, "b"),
        ({"ZHIPUAI_API_KEY": "", "ZAI_API_KEY": "b"}, "b"),
    ],
)
def test_key_comes_from_zhipuai_then_zai(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert resolve_api_key(None).get_secret_value() == expected
    assert resolve_api_key("explicit").get_secret_value() == "explicit"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, CHINA),
        ("international", INTERNATIONAL),
        ("ZAI-coding", INTERNATIONAL_CODING),
        ("http://127.0.0.1:8000/api/paas/v4/", "http://127.0.0.1:8000/api/paas/v4"),
        ("https://open.bigmodel.cn/api/paas/v4/chat/completions", CHINA),
    ],
)
def test_base_url_names_and_forms(given: str | None, expected: str) -> None:
    assert resolve_base_url(given) == expected


def test_base_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHIPUAI_BASE_URL", "https://api.z.ai/api/paas/v4")
    assert resolve_base_url(None) == INTERNATIONAL


@pytest.mark.parametrize("bad", ["open.bigmodel.cn/api/paas/v4", "ftp://x/y", "http://"])
def test_base_url_without_scheme_or_host_is_a_clear_error(bad: str) -> None:
    with pytest.raises(GLMConfigurationError, match="scheme"):
        resolve_base_url(bad)


def test_timeout_forms() -> None:
    assert resolve_timeout(None) == DEFAULT_TIMEOUT
    assert resolve_timeout(5).read == 5.0
    with pytest.raises(GLMConfigurationError):
        resolve_timeout(0)


def test_bearer_header_carries_the_raw_key() -> None:
    assert GLMAuth(SecretStr("k-123")).header_value() == "Bearer k-123"


def test_jwt_has_the_documented_shape() -> None:
    token = make_jwt("abc123.s3cr3t", now=1000.0)
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "HS256" and header["sign_type"] == "SIGN"
    payload = jwt.decode(token, b"s3cr3t", algorithms=["HS256"], options={"verify_exp": False})
    assert payload == {"api_key": "abc123", "exp": 1_000_000 + 210_000, "timestamp": 1_000_000}


@pytest.mark.parametrize("bad", ["nodot", "a.b.c", ".secret", "id."])
def test_jwt_needs_an_id_dot_secret_key(bad: str) -> None:
    with pytest.raises(GLMConfigurationError, match="<id>.<secret>"):
        GLMAuth(SecretStr(bad), use_jwt=True)


def test_jwt_is_cached_then_refreshed_before_it_expires() -> None:
    now = [1000.0]
    auth = GLMAuth(SecretStr("id.secret"), use_jwt=True, clock=lambda: now[0])
    first = auth.header_value()
    now[0] += 100
    assert auth.header_value() == first  # cached
    now[0] += 100  # 200 s after signing: within 30 s of the 210 s expiry
    second = auth.header_value()
    assert second != first
    payload = jwt.decode(second.removeprefix("Bearer "), b"secret", algorithms=["HS256"], options={"verify_exp": False})
    assert payload["timestamp"] == 1_200_000
    auth.invalidate()
    now[0] += 1
    assert auth.header_value() != second


def test_the_key_never_appears_in_reprs() -> None:
    key = "sk-very-secret-1234.abcdefabcdef"
    client = GLMClient(api_key=key, base_url="http://127.0.0.1:9/api/paas/v4", use_jwt=True)
    for text in (repr(client), str(client), repr(client._auth), repr(client.api_key), repr(vars(client))):
        assert key not in text and "abcdefabcdef" not in text
    request = client._attempt(
        client._chat_call({"model": "glm-4.7", "messages": [{"role": "user", "content": "hi"}]}, stream=False)
    )
    assert key not in repr(request.headers)
    client.close()


def test_user_supplied_http_client_is_used_and_not_closed() -> None:
    http = httpx.Client()
    client = GLMClient(api_key="k", http_client=http)
    assert client.http_client is http
    client.close()
    assert not http.is_closed
    http.close()

"""Authorization: raw keys, JWTs for id.secret keys (wire notes §2), and the 401 codes."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import jwt
import pytest

from glm_transport.testing import LocalGLMServer
from glm_transport.testing._auth import check_auth
from glm_transport.testing._errors import ApiError

from .helpers import chat, fixture_text, request

KEY = "0123456789abcdef0123456789abcdef.secretsecret1234"


def make_jwt(key: str = KEY, *, ttl_ms: int = 210_000, sign_type: str = "SIGN", secret: str | None = None) -> str:
    key_id, key_secret = key.split(".")
    now = int(time.time() * 1000)
    payload = {"api_key": key_id, "exp": now + ttl_ms, "timestamp": now}
    return jwt.encode(
        payload, secret or key_secret, algorithm="HS256", headers={"alg": "HS256", "sign_type": sign_type}
    )


@pytest.fixture
def jwt_server() -> Iterator[LocalGLMServer]:
    with LocalGLMServer(api_key=KEY) as server:
        yield server


def status_and_code(server: LocalGLMServer, authorization: str | None) -> tuple[int, str | None]:
    headers = {} if authorization is None else {"Authorization": authorization}
    r = request("POST", server.base_url + "/chat/completions", json=chat(), headers=headers)
    return r.status_code, r.json().get("error", {}).get("code")


def test_missing_header_is_1001(glm_server: LocalGLMServer) -> None:
    assert status_and_code(glm_server, None) == (401, "1001")
    assert status_and_code(glm_server, "Bearer") == (401, "1001")


def test_wrong_key_is_1002_with_the_real_message(glm_server: LocalGLMServer) -> None:
    r = request(
        "POST", glm_server.base_url + "/chat/completions", json=chat(), headers={"Authorization": "Bearer nope"}
    )
    assert r.status_code == 401
    assert r.json() == json.loads(fixture_text("errors.json"))["http_401"]


def test_right_key_passes_and_bare_raw_key_does_not(glm_server: LocalGLMServer) -> None:
    assert status_and_code(glm_server, "Bearer test-key") == (200, None)
    assert status_and_code(glm_server, "test-key") == (401, "1002")


@pytest.mark.parametrize("prefix", ["Bearer ", ""])
def test_valid_jwt_passes_with_or_without_bearer(jwt_server: LocalGLMServer, prefix: str) -> None:
    assert status_and_code(jwt_server, prefix + make_jwt()) == (200, None)


def test_raw_id_secret_key_passes(jwt_server: LocalGLMServer) -> None:
    assert status_and_code(jwt_server, f"Bearer {KEY}") == (200, None)


def test_expired_jwt_is_1003(jwt_server: LocalGLMServer) -> None:
    assert status_and_code(jwt_server, "Bearer " + make_jwt(ttl_ms=-1000)) == (401, "1003")


@pytest.mark.parametrize(
    "token",
    [
        make_jwt(secret="not-the-secret"),
        make_jwt(sign_type="OTHER"),
        make_jwt("ffffffffffffffffffffffffffffffff.secretsecret1234"),
        "a.b.c",
    ],
)
def test_bad_jwts_are_1002(jwt_server: LocalGLMServer, token: str) -> None:
    assert status_and_code(jwt_server, "Bearer " + token) == (401, "1002")


def test_seconds_instead_of_milliseconds_reads_as_expired() -> None:
    key_id, secret = KEY.split(".")
    now = int(time.time())
    token = jwt.encode(
        {"api_key": key_id, "exp": now + 210, "timestamp": now},
        secret,
        algorithm="HS256",
        headers={"sign_type": "SIGN"},
    )
    with pytest.raises(ApiError) as info:
        check_auth("Bearer " + token, KEY, now_ms=now * 1000)
    assert info.value.code == "1003"


def test_any_key_mode_accepts_any_token() -> None:
    with LocalGLMServer(api_key=None) as server:
        assert server.api_key is None
        assert status_and_code(server, "Bearer whatever") == (200, None)
        assert status_and_code(server, None) == (401, "1001")


def test_control_paths_need_no_auth(glm_server: LocalGLMServer) -> None:
    r = request("GET", glm_server.url + "/_control/stats")
    assert r.status_code == 200

"""Authorization header checks: raw API key, or a JWT for ``id.secret`` keys (wire notes §2)."""

from __future__ import annotations

import hmac

import jwt

from ._errors import ApiError


def check_auth(authorization: str | None, api_key: str | None, *, now_ms: int) -> None:
    """Raise ``ApiError`` (401) unless ``authorization`` carries ``api_key`` or a valid JWT.

    ``api_key=None`` accepts any non-empty token. JWTs are accepted with or without the
    ``Bearer`` prefix: older official SDKs and LangChain send the bare token (§2.2).
    """
    value = (authorization or "").strip()
    scheme, _, rest = value.partition(" ")
    bearer = scheme.lower() == "bearer"
    token = rest.strip() if bearer else value
    if not token:
        raise ApiError(401, "1001")
    if api_key is None:
        return
    if bearer and hmac.compare_digest(token.encode(), api_key.encode()):
        return
    if token.count(".") == 2 and api_key.count(".") == 1:
        _check_jwt(token, api_key, now_ms)
        return
    raise ApiError(401, "1002")


def _check_jwt(token: str, api_key: str, now_ms: int) -> None:
    key_id, secret = api_key.split(".")
    try:
        header = jwt.get_unverified_header(token)
        # exp is in milliseconds (§2.2), which PyJWT would read as seconds: checked below.
        payload = jwt.decode(token, secret, algorithms=["HS256"], options={"verify_exp": False})
    except jwt.PyJWTError:
        raise ApiError(401, "1002") from None
    exp, timestamp = payload.get("exp"), payload.get("timestamp")
    if (
        header.get("sign_type") != "SIGN"
        or payload.get("api_key") != key_id
        or not isinstance(exp, int)
        or not isinstance(timestamp, int)
    ):
        raise ApiError(401, "1002")
    if exp <= now_ms:
        raise ApiError(401, "1003")

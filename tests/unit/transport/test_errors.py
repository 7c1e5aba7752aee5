"""Error classification by business code first, then HTTP status (wire notes §6)."""

from __future__ import annotations

import json

import pytest

from glm_transport import errors as e
from glm_transport.errors import error_from_body, error_from_response


@pytest.mark.parametrize(
    ("status", "body", "cls", "code", "retryable"),
    [
        (
            401,
            {"error": {"code": "1002", "message": "Authorization Token is invalid"}},
            e.GLMAuthenticationError,
            "1002",
            False,
        ),
        (400, {"error": {"code": "1214", "message": "Input cannot be empty"}}, e.GLMBadRequestError, "1214", False),
        (400, {"error": {"code": "1301", "message": "unsafe"}}, e.GLMContentFilterError, "1301", False),
        (400, {"error": {"code": "1261", "message": "too long"}}, e.GLMContextWindowExceededError, "1261", False),
        (429, {"error": {"code": "1302", "message": "High concurrency"}}, e.GLMRateLimitError, "1302", True),
        (429, {"error": {"code": 1302, "message": "int code"}}, e.GLMRateLimitError, "1302", True),
        (429, {"error": {"code": "1303", "message": "freq"}}, e.GLMRateLimitError, "1303", True),
        (429, {"error": {"code": "1113", "message": "arrears"}}, e.GLMQuotaExceededError, "1113", False),
        (429, {"error": {"code": "1304", "message": "daily"}}, e.GLMQuotaExceededError, "1304", False),
        (429, {"error": {"code": "1310", "message": "weekly"}}, e.GLMQuotaExceededError, "1310", False),
        (429, {"error": {"code": "1305", "message": "overloaded"}}, e.GLMOverloadedError, "1305", True),
        (200, {"error": {"code": "1305", "message": "overloaded"}}, e.GLMOverloadedError, "1305", True),
        (429, {"code": 1302, "message": "unwrapped schema"}, e.GLMRateLimitError, "1302", True),
        (429, None, e.GLMRateLimitError, None, True),
        (500, {"error": {"code": "500", "message": "internal"}}, e.GLMServerError, "500", True),
        (500, {"error": {"code": "1234", "message": "network"}}, e.GLMServerError, "1234", True),
        (502, None, e.GLMServerError, None, True),
        (503, None, e.GLMOverloadedError, None, True),
        (403, {"error": {"code": "1220", "message": "no permission"}}, e.GLMPermissionDeniedError, "1220", False),
        (404, None, e.GLMNotFoundError, None, False),
        (418, None, e.GLMAPIStatusError, None, False),
    ],
)
def test_errors_are_classified_by_code_then_status(
    status: int, body: object, cls: type[e.GLMAPIStatusError], code: str | None, retryable: bool
) -> None:
    error = error_from_body(status, body, request_id="r1")
    assert type(error) is cls
    assert (error.status_code, error.code, error.retryable, error.request_id) == (status, code, retryable, "r1")
    assert isinstance(error, e.GLMError)


def test_a_non_json_error_body_keeps_a_short_message() -> None:
    error = error_from_response(502, b"<html>Bad gateway</html>" * 50)
    assert isinstance(error, e.GLMServerError)
    assert error.message.startswith("<html>Bad gateway") and len(error.message) <= 200


def test_str_names_status_code_and_request_id() -> None:
    error = error_from_response(
        429, json.dumps({"error": {"code": "1302", "message": "slow down"}}).encode(), request_id="abc"
    )
    assert str(error) == "Error code: 429 (GLM code 1302) - slow down (request_id=abc)"


def test_client_side_errors_are_value_errors() -> None:
    assert issubclass(e.GLMInvalidRequestError, ValueError)
    assert issubclass(e.GLMConfigurationError, ValueError)

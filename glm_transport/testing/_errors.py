"""GLM error envelopes and the exception the pure handlers raise (wire notes §6)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Texts are the real ones where a capture or the Errors page gives them (fixtures/errors.json,
# spec Ex6); the others are written in the same style.
DEFAULT_MESSAGES: dict[str, str] = {
    "500": "Internal server error, please try again later.",
    "1001": "Authentication parameter not received in Header, unable to authenticate.",
    "1002": ("Authorization Token is invalid, please ensure that the Authorization Token is correctly provided."),
    "1003": "Authorization Token has expired, please regenerate the token.",
    "1113": "Your account is in arrears, please recharge and try again.",
    "1210": "Incorrect API call parameters, please check the documentation.",
    "1211": "Unknown Model, please check the model code.",
    "1214": "Input cannot be empty",
    "1222": "The API does not exist.",
    "1234": "Network error",
    "1301": "The input or generated content may contain unsafe or sensitive content.",
    "1302": (
        "High concurrency usage of this API, please reduce concurrency or contact customer service to increase limits"
    ),
    "1303": "High frequency usage of this API, please reduce frequency.",
    "1305": "The service may be temporarily overloaded",
}


def default_message(code: str) -> str:
    """The message GLM sends with ``code`` (a generic one for codes not listed)."""
    return DEFAULT_MESSAGES.get(code, f"Error {code}")


def error_body(code: str, message: str) -> dict[str, Any]:
    """The ``{"error": {"code", "message"}}`` envelope; codes are strings on the wire (§6.1)."""
    return {"error": {"code": code, "message": message}}


class ApiError(Exception):
    """An HTTP error answer, raised by the pure request handlers and rendered by the app."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message if message is not None else default_message(code)
        self.headers: dict[str, str] = dict(headers or {})
        super().__init__(f"{status} {code}: {self.message}")

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message)


def missing(field: str) -> ApiError:
    """Code 1213: ``${field}`` not received."""
    return ApiError(400, "1213", f"The parameter {field} was not received.")


def invalid(field: str, why: str) -> ApiError:
    """Code 1214: ``${field}`` invalid."""
    return ApiError(400, "1214", f"Invalid parameter {field}: {why}")

"""The lgfapi error envelope ``{"reference", "code", "message", "details"}`` (reference §10)."""

from __future__ import annotations

import uuid
from typing import Any

CODES = {
    400: "VALIDATION_ERROR",
    401: "NOT_AUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    429: "THROTTLED",
    500: "SERVER_ERROR",
    504: "GATEWAY_TIMEOUT",
}


class ApiError(Exception):
    """An error answered with the standard envelope."""

    def __init__(self, status: int, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details if details is not None else {}

    def envelope(self) -> dict[str, Any]:
        return {
            "reference": str(uuid.uuid4()),
            "code": CODES.get(self.status, "ERROR"),
            "message": self.message,
            "details": self.details,
        }

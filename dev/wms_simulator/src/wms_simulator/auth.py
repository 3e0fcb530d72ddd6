"""HTTP Basic for the lgfapi user and an OAuth2 client-credentials token endpoint (reference §9).

Tokens are opaque random strings that expire ``token_ttl_seconds`` of wall-clock time after issue
(the real identity domain uses real time, not the simulated WMS clock).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from .config import SimulatorConfig
from .errors import ApiError

SCOPE = "urn:resource:fusion:scm:logistics:wms:lgfapi/"


class OAuthError(Exception):
    """An RFC 6749 token-endpoint error (``{"error": ..., "error_description": ...}``)."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.body = {"error": error, "error_description": description}


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


class Authenticator:
    """Checks lgfapi credentials and issues bearer tokens."""

    def __init__(self, config: SimulatorConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.clock = clock
        self._tokens: dict[str, float] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._tokens.clear()

    def expire_all(self) -> None:
        """Expire every token issued so far (they stay known: the 401 says "expired", like IDCS)."""
        with self._lock:
            now = self.clock()
            self._tokens = {token: min(expires, now) for token, expires in self._tokens.items()}

    def check(self, authorization: str | None) -> None:
        """Raise a 401 ApiError unless the Authorization header carries valid credentials."""
        if not authorization:
            raise ApiError(401, "Authentication credentials were not provided.")
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer":
            with self._lock:
                expires = self._tokens.get(value.strip())
            if expires is None or expires <= self.clock():
                raise ApiError(401, "Invalid or expired bearer token.")
            return
        credentials = _basic_credentials(authorization)
        if credentials is None:
            raise ApiError(401, "Unsupported or malformed Authorization header.")
        user, password = credentials
        if not (_same(user, self.config.username) and _same(password, self.config.password)):
            raise ApiError(401, "Invalid username/password.")

    def issue_token(self, authorization: str | None, body: bytes) -> dict[str, Any]:
        form = dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
        client = _basic_credentials(authorization) if authorization else None
        client_id, client_secret = client or (form.get("client_id", ""), form.get("client_secret", ""))
        if not (
            _same(client_id, self.config.oauth_client_id)
            and _same(client_secret, self.config.oauth_client_secret)
        ):
            raise OAuthError(401, "invalid_client", "Client authentication failed.")
        if form.get("grant_type") != "client_credentials":
            raise OAuthError(
                400, "unsupported_grant_type", "Only grant_type=client_credentials is supported."
            )
        scope = form.get("scope", SCOPE)
        if scope != SCOPE:
            raise OAuthError(400, "invalid_scope", f"The only scope is {SCOPE}.")
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = self.clock() + self.config.token_ttl_seconds
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.config.token_ttl_seconds,
            "scope": scope,
        }

"""Authentication for lgfapi: HTTP Basic, or an OAuth2 bearer token from client credentials.

One authenticator is built per tap run and shared by every stream, so an OAuth2 token is
fetched once and reused until it expires (or the WMS rejects it with a 401).
"""

from __future__ import annotations

import sys
import typing as t
from datetime import UTC, datetime

import requests
from singer_sdk.authenticators import APIAuthenticatorBase, BasicAuthenticator, OAuthAuthenticator

from tap_oracle_wms.origin import InsecureURLError, require_secure_url

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

# Refresh a little before the announced expiry (10%, at most 30 s) so a token never dies in flight.
TOKEN_EXPIRY_MARGIN_SECONDS = 30.0
TOKEN_EXPIRY_MARGIN_SHARE = 0.1
TOKEN_REQUEST_TIMEOUT_SECONDS = 60
DEFAULT_OAUTH_SCOPE = "urn:resource:fusion:scm:logistics:wms:lgfapi/"


class AuthConfigError(ValueError):
    """The `auth` setting is incomplete or the credentials were rejected."""


def credential_hint(auth_type: str) -> str:
    """Name the settings to fix when the WMS rejects the credentials (HTTP 401)."""
    if auth_type == "oauth2":
        return (
            "check `auth.client_id` and `auth.client_secret` (and `auth.token_url`, `auth.scope`), "
            "and that the WMS user is linked to the OAuth2 client"
        )
    return "check `auth.username` and `auth.password`"


PERMISSION_HINT = (
    "the WMS user lacks permission: grant it `lgfapi_read_access` and eligibility for the "
    "facilities/companies requested (`facility_code`, `company_code`)"
)


class WMSOAuthAuthenticator(OAuthAuthenticator):
    """OAuth2 client-credentials flow against the WMS identity domain (IDCS/IAM)."""

    def __init__(self, *, token_url: str, client_id: str, client_secret: str, scope: str | None) -> None:
        super().__init__(
            auth_endpoint=token_url,
            oauth_scopes=scope or DEFAULT_OAUTH_SCOPE,
            client_id=client_id,
            client_secret=client_secret,
        )

    @override
    @property
    def oauth_request_body(self) -> dict[str, t.Any]:
        return {"grant_type": "client_credentials", "scope": self.oauth_scopes}

    @override
    def is_token_valid(self) -> bool:
        if self.access_token is None or self.last_refreshed is None:
            return False
        if not self.expires_in:
            return True
        age = (datetime.now(UTC) - self.last_refreshed).total_seconds()
        margin = min(TOKEN_EXPIRY_MARGIN_SECONDS, self.expires_in * TOKEN_EXPIRY_MARGIN_SHARE)
        return age < self.expires_in - margin

    def invalidate(self) -> None:
        """Forget the current token, so the next request fetches a fresh one."""
        self.access_token = None
        self.last_refreshed = None

    @override
    def update_access_token(self) -> None:
        """Fetch a token; client credentials go in an HTTP Basic header (IDCS style).

        Raises:
            AuthConfigError: The identity domain rejected the client (never echoes the secret).
        """
        self.logger.info("Requesting a new OAuth2 access token")
        requested_at = datetime.now(UTC)
        try:
            response = self._session.post(
                self.auth_endpoint,
                data=self.oauth_request_body,
                auth=(self.client_id or "", self.client_secret or ""),
                headers={"Accept": "application/json"},
                timeout=TOKEN_REQUEST_TIMEOUT_SECONDS,
            )
        except requests.RequestException as exc:
            msg = f"Could not reach the OAuth2 token endpoint (`auth.token_url`): {type(exc).__name__}"
            raise AuthConfigError(msg) from None
        if response.status_code in {400, 401, 403}:
            msg = (
                f"The OAuth2 token endpoint refused the client (HTTP {response.status_code}): "
                f"{credential_hint('oauth2')}"
            )
            raise AuthConfigError(msg)
        if response.status_code >= 300:
            msg = f"The OAuth2 token endpoint (`auth.token_url`) answered HTTP {response.status_code}"
            raise AuthConfigError(msg)
        try:
            token = response.json()
            self.access_token = str(token["access_token"])
        except (ValueError, KeyError, TypeError):
            msg = "The OAuth2 token endpoint (`auth.token_url`) returned no `access_token`"
            raise AuthConfigError(msg) from None
        expires_in = token.get("expires_in")
        self.expires_in = int(expires_in) if expires_in else None
        self.last_refreshed = requested_at


def build_authenticator(auth: t.Mapping[str, t.Any]) -> APIAuthenticatorBase:
    """Build the authenticator that the `auth` setting describes.

    Raises:
        AuthConfigError: A required `auth.*` value is missing (the message names it).
    """
    auth_type = str(auth.get("type") or "basic").lower()
    if auth_type == "basic":
        _require(auth, "username", "password")
        return BasicAuthenticator(username=str(auth["username"]), password=str(auth["password"]))
    if auth_type == "oauth2":
        _require(auth, "token_url", "client_id", "client_secret")
        try:
            require_secure_url(str(auth["token_url"]), "auth.token_url")
        except InsecureURLError as exc:
            raise AuthConfigError(str(exc)) from None
        return WMSOAuthAuthenticator(
            token_url=str(auth["token_url"]),
            client_id=str(auth["client_id"]),
            client_secret=str(auth["client_secret"]),
            scope=auth.get("scope"),
        )
    msg = f"`auth.type` must be 'basic' or 'oauth2', not {auth_type!r}"
    raise AuthConfigError(msg)


def _require(auth: t.Mapping[str, t.Any], *names: str) -> None:
    missing = [f"`auth.{name}`" for name in names if not auth.get(name)]
    if missing:
        msg = f"Missing {', '.join(missing)} for auth type {auth.get('type') or 'basic'!r}"
        raise AuthConfigError(msg)

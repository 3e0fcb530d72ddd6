"""Stream schemas: from `describe/` once per run, else from the schema shipped in the package."""

from __future__ import annotations

import json
import logging
import time
import typing as t
from importlib import resources

import requests

from tap_oracle_wms.auth import PERMISSION_HINT, AuthConfigError, WMSOAuthAuthenticator, credential_hint
from tap_oracle_wms.schema import DescribeError, FieldSpec, JSONSchema, json_schema_for, parse_describe

if t.TYPE_CHECKING:
    from requests.auth import AuthBase

DESCRIBE_ATTEMPTS = 2


def shipped_schema(entity: str) -> JSONSchema:
    """The flattened schema shipped for `entity` (tap_oracle_wms/schemas/<entity>.json)."""
    text = resources.files("tap_oracle_wms.schemas").joinpath(f"{entity}.json").read_text("utf-8")
    schema: JSONSchema = json.loads(text)
    return schema


class SchemaSource:
    """Fetches and caches describe/ per entity; falls back to the shipped schema with a warning.

    Credentials the WMS rejects (401/403) still fail at once: the list requests would fail
    the same way, and the message names the setting to fix.
    """

    def __init__(
        self,
        *,
        entity_url: t.Callable[[str], str],
        auth: AuthBase | t.Callable[[requests.PreparedRequest], requests.PreparedRequest],
        auth_type: str,
        timeout: float,
        logger: logging.Logger,
        retry_wait_seconds: float = 1.0,
    ) -> None:
        self._entity_url = entity_url
        self._auth = auth
        self._auth_type = auth_type
        self._timeout = timeout
        self._logger = logger
        self._retry_wait = retry_wait_seconds
        self._schemas: dict[str, JSONSchema] = {}
        self._fields: dict[str, list[FieldSpec]] = {}

    def schema_for(self, entity: str) -> JSONSchema:
        """The stream schema of `entity`, fetched at most once per run."""
        if entity not in self._schemas:
            self._schemas[entity] = self._load(entity)
        return self._schemas[entity]

    def _load(self, entity: str) -> JSONSchema:
        try:
            specs = parse_describe(self._fetch_describe(entity))
        except (DescribeError, requests.RequestException, ValueError) as exc:
            if isinstance(exc, AuthConfigError):
                raise
            self._logger.warning(
                "describe/ of %s unavailable (%s); using the schema shipped with the tap",
                entity,
                _short(exc),
            )
            return shipped_schema(entity)
        self._fields[entity] = specs
        return json_schema_for(specs)

    def _fetch_describe(self, entity: str) -> t.Any:
        url = f"{self._entity_url(entity)}describe/"
        last_error: Exception | None = None
        refreshed = False
        for attempt in range(DESCRIBE_ATTEMPTS):
            if attempt:
                time.sleep(self._retry_wait)
            try:
                response = requests.get(
                    url, auth=self._auth, timeout=self._timeout, headers={"Accept": "application/json"}
                )
            except requests.RequestException as exc:
                last_error = exc
                continue
            if (
                response.status_code == 401
                and not refreshed
                and isinstance(self._auth, WMSOAuthAuthenticator)
            ):
                # An OAuth2 token expired or revoked since it was fetched: refresh it once.
                refreshed = True
                self._auth.invalidate()
                last_error = DescribeError("HTTP 401 with a rejected OAuth2 token")
                continue
            if response.status_code == 401:
                msg = f"lgfapi rejected the credentials (HTTP 401 on {entity} describe/): "
                raise AuthConfigError(msg + credential_hint(self._auth_type))
            if response.status_code == 403:
                msg = f"lgfapi refused {entity} describe/ (HTTP 403): {PERMISSION_HINT}"
                raise AuthConfigError(msg)
            if response.status_code >= 500 or response.status_code in {409, 429}:
                last_error = DescribeError(f"HTTP {response.status_code}")
                continue
            if response.status_code == 404:
                # Also what a wrong base_url looks like; list 404s would then read as "no rows".
                msg = "HTTP 404; check that `base_url` is everything before /wms/lgfapi"
                raise DescribeError(msg)
            if response.status_code != 200:
                msg = f"HTTP {response.status_code}"
                raise DescribeError(msg)
            return response.json()
        raise last_error or DescribeError("no answer")


def _short(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 200 else f"{text[:200]}..."

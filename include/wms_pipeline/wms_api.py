"""A small read-only lgfapi client for planning a full sync: an entity's id range and record count.

Extraction itself is the tap's job; this only asks one-record questions, so the full sync can split
large entities into id partitions sized by every entity's count and later check the warehouse against
the WMS count.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import requests

API_PATH = "/wms/lgfapi/v10/entity"
RETRIABLE = {409, 429, 500, 502, 503, 504}
# One record's id per page: enough for the page's result_count and, with an ordering, an end of the range.
_ONE_ID = {"page_mode": "paged", "page_size": "1", "fields": "id"}


@dataclass(frozen=True)
class EntityStats:
    """What the WMS says about one entity right now; all None when it has no records."""

    id_min: int | None
    id_max: int | None
    count: int


class WmsApiError(RuntimeError):
    """The WMS refused or failed; the message names what to fix and never carries a credential."""


class WmsClient:
    def __init__(
        self, base_url: str, auth: dict[str, Any], timeout: float = 300.0, attempts: int = 4
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.timeout = timeout
        self.attempts = attempts
        self._session = requests.Session()
        self._token: str | None = None

    def _headers(self) -> dict[str, str]:
        if self.auth.get("type") != "oauth2":
            return {}
        if self._token is None:
            response = self._session.post(
                self.auth["token_url"],
                data={"grant_type": "client_credentials", "scope": self.auth.get("scope", "")},
                auth=(self.auth["client_id"], self.auth["client_secret"]),
                timeout=self.timeout,
            )
            if response.status_code != 200:
                raise WmsApiError(
                    f"OAuth2 token request answered {response.status_code}: check the connection's "
                    "extra token_url/client_id and the client secret in its password"
                )
            self._token = str(response.json()["access_token"])
        return {"Authorization": f"Bearer {self._token}"}

    def _basic(self) -> tuple[str, str] | None:
        if self.auth.get("type") == "oauth2":
            return None
        return (str(self.auth["username"]), str(self.auth["password"]))

    def first_page(self, entity: str, params: dict[str, str]) -> dict[str, Any] | None:
        """GET one list page; None when the WMS answers 404 (its way of saying 'no records')."""
        url = f"{self.base_url}{API_PATH}/{entity}/"
        for attempt in range(1, self.attempts + 1):
            try:
                response = self._session.get(
                    url, params=params, headers=self._headers(), auth=self._basic(), timeout=self.timeout
                )
            except requests.RequestException as exc:
                if attempt == self.attempts:
                    raise WmsApiError(
                        f"cannot reach the WMS at {self.base_url}: {type(exc).__name__}"
                    ) from None
                time.sleep(2**attempt)
                continue
            if response.status_code == 404:
                return None
            if response.status_code in {401, 403}:
                raise WmsApiError(
                    f"the WMS answered {response.status_code} for {entity}: check the oracle_wms connection's "
                    "credentials and the user's lgfapi_read_access permission"
                )
            if response.status_code in RETRIABLE and attempt < self.attempts:
                time.sleep(float(response.headers.get("Retry-After") or 2**attempt))
                continue
            if response.status_code != 200:
                raise WmsApiError(f"the WMS answered {response.status_code} for {entity} ({url})")
            body: dict[str, Any] = response.json()
            return body
        raise WmsApiError(f"the WMS kept failing for {entity}")

    def entity_count(self, entity: str, filters: dict[str, str] | None = None) -> int:
        """The record count alone, from one one-record page (under the tap's own `filters`)."""
        page = self.first_page(entity, {**_ONE_ID, **(filters or {})})
        return int(page["result_count"]) if page and page.get("results") else 0

    def entity_stats(self, entity: str, filters: dict[str, str] | None = None) -> EntityStats:
        """Lowest and highest id and the record count, from two one-record pages (under `filters`)."""
        lowest = self.first_page(entity, {**_ONE_ID, **(filters or {}), "ordering": "id"})
        if lowest is None or not lowest.get("results"):
            return EntityStats(None, None, 0)
        highest = self.first_page(entity, {**_ONE_ID, **(filters or {}), "ordering": "-id"})
        if highest is None or not highest.get("results"):
            return EntityStats(None, None, 0)
        return EntityStats(
            int(lowest["results"][0]["id"]), int(highest["results"][0]["id"]), int(lowest["result_count"])
        )

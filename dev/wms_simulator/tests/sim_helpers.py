"""A tiny stdlib HTTP client speaking to the simulator like a tap would."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from wms_simulator import SimulatorConfig, SimulatorServer

SMALL = SimulatorConfig(records=120, seed=7)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


def basic(user: str = "wms_api", password: str = "wms-secret") -> str:  # noqa: S107 - dev default
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def fetch(
    url: str,
    method: str = "GET",
    auth: str | None = None,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    request = Request(url, method=method, data=data, headers={**(headers or {})})
    if auth is not None:
        request.add_header("Authorization", auth)
    try:
        with urlopen(request, timeout=30) as response:
            return Answer(response.status, dict(response.headers), response.read())
    except HTTPError as error:
        return Answer(error.code, dict(error.headers), error.read())


class Api:
    """Client bound to one simulator server."""

    def __init__(self, server: SimulatorServer) -> None:
        self.server = server
        self.sim = server.sim
        self.root = f"{server.base_url}/wms/lgfapi/v10/entity"

    def url(self, path: str, **params: Any) -> str:
        query = urlencode(params)
        return f"{self.root}/{path}" + (f"?{query}" if query else "")

    def get(self, path: str, query: str = "", **params: Any) -> Answer:
        url = self.url(path, **params)
        if query:
            url += ("&" if "?" in url else "?") + query
        return fetch(url, auth=basic())

    def walk(self, first_url: str) -> list[dict[str, Any]]:
        """Follow next_page links to the end, returning every row."""
        rows: list[dict[str, Any]] = []
        url: str | None = first_url
        while url:
            answer = fetch(url, auth=basic())
            assert answer.status == 200, answer.body
            rows.extend(answer.json["results"])
            url = answer.json["next_page"]
        return rows

"""The lgfapi protocol, independent of HTTP plumbing: routing, auth, faults, latency, query answers.

``handle(request)`` returns a ``Response``; the transport only copies it to the socket (or drops the
connection / truncates the body when a fault says so).
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from . import latency
from .auth import OAuthError
from .catalog import catalog
from .errors import ApiError
from .faults import FaultRule
from .paging import Page, paged, sequenced
from .query import last_wins, parse_fields, parse_list_query
from .representation import Representer

if TYPE_CHECKING:
    from .simulator import Simulator

_ENTITY_PATH = re.compile(r"^/(?P<env>[^/]+)/wms/lgfapi/v10/entity(?:/(?P<rest>.*))?$")
_GATEWAY_HTML = b"<html><head><title>%d</title></head><body><h1>%d %s</h1></body></html>"


@dataclass
class Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    root: str  # scheme://host:port of this server


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    fault: str | None = None  # "reset" | "truncated": the transport misbehaves on purpose


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Response(status, body, {"Content-Type": "application/json", **(headers or {})})


def json_rows_response(meta: dict[str, Any], rows: Sequence[str]) -> Response:
    """``json_response(200, {**meta, "results": [...]})`` for rows that are JSON text already."""
    head = json.dumps(meta, separators=(",", ":"))[:-1] + ("," if meta else "")
    body = f'{head}"results":[{",".join(rows)}]}}'.encode()
    return Response(200, body, {"Content-Type": "application/json"})


def error_response(error: ApiError) -> Response:
    headers = {"WWW-Authenticate": 'Basic realm="lgfapi"'} if error.status == 401 else {}
    return json_response(error.status, error.envelope(), headers)


class Protocol:
    """Answers lgfapi and token requests for one simulator."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def handle(self, request: Request) -> Response:
        path = re.sub(r"/{2,}", "/", request.path)
        match = _ENTITY_PATH.match(path)
        entity = None
        if match and match.group("rest"):
            entity = match.group("rest").strip("/").split("/")[0] or None
        rule = self.sim.faults.pick(path, entity, request.query)
        if rule is not None and rule.kind == "expired_token":
            self.sim.auth.expire_all()  # then answered like any request: a bearer now gets a real 401
        elif rule is not None and rule.kind == "advance":
            self.sim.advance(timedelta(minutes=rule.advance_minutes))
        elif rule is not None and rule.kind == "slow":
            time.sleep(rule.delay_seconds)
        elif rule is not None:
            return self._fault(rule)
        try:
            if path.rstrip("/") == "/oauth2/v1/token":
                return self._token(request)
            if match is None or match.group("env") != self.sim.config.environment:
                raise ApiError(404, "Not found.", {"path": request.path})
            if request.method not in ("GET", "HEAD"):
                raise ApiError(405, f"Method {request.method} is not allowed (the simulator is read-only).")
            self.sim.auth.check(request.headers.get("authorization"))
            response = self._lgfapi(request, match.group("rest") or "")
        except ApiError as error:
            response = error_response(error)
        if request.method == "HEAD":
            response.headers["Content-Length"] = str(len(response.body))
            response.body = b""
        return response

    def _token(self, request: Request) -> Response:
        if request.method != "POST":
            return error_response(ApiError(405, "Use POST to obtain a token."))
        try:
            return json_response(
                200, self.sim.auth.issue_token(request.headers.get("authorization"), request.body)
            )
        except OAuthError as error:
            return json_response(error.status, error.body)

    @staticmethod
    def _fault(rule: FaultRule) -> Response:
        if rule.kind in ("reset", "truncated", "malformed"):
            body = json.dumps({"result_count": 1, "results": [{"id": 1, "note": "fault"}]}).encode()
            if rule.kind == "malformed":
                return Response(200, body[: len(body) // 2] + b"<html>", {"Content-Type": "application/json"})
            return Response(200, body, {"Content-Type": "application/json"}, fault=rule.kind)
        status = int(rule.kind)
        if status == 401:  # credentials revoked or password changed mid-run (reference §10)
            return error_response(ApiError(401, "Invalid username/password."))
        if status in (502, 503, 504):  # gateways answer with HTML, not the lgfapi envelope
            reason = {502: b"Bad Gateway", 503: b"Service Unavailable", 504: b"Gateway Time-out"}[status]
            return Response(status, _GATEWAY_HTML % (status, status, reason), {"Content-Type": "text/html"})
        headers = {"Retry-After": str(rule.retry_after)} if status == 429 else {}
        message = {
            429: "Too many requests.",
            409: "Record changed by a concurrent operation. Try again.",
            500: "Internal server error.",
        }[status]
        return json_response(status, ApiError(status, message).envelope(), headers)

    # lgfapi ---------------------------------------------------------------------------------------------------
    def _lgfapi(self, request: Request, rest: str) -> Response:
        parts = [part for part in rest.split("/") if part]
        api_root = f"{request.root}/{self.sim.config.environment}/wms/lgfapi/v10"
        representer = Representer(api_root)
        params = last_wins(request.query)
        if not parts:
            return json_response(200, {name: representer.entity_url(name) for name in sorted(catalog())})
        name = parts[0]
        meta = catalog().get(name)
        if meta is None:
            raise ApiError(404, f"Unknown entity '{name}'.", {"entity": name})
        if len(parts) == 1:
            return self._list(request, name, params, representer)
        if len(parts) == 2 and parts[1] == "describe":
            return json_response(200, meta.describe())
        if len(parts) == 2:
            return self._retrieve(name, parts[1], params, representer)
        raise ApiError(404, "Not found.", {"path": request.path})

    def _retrieve(self, name: str, raw_id: str, params: dict[str, str], representer: Representer) -> Response:
        with self.sim.lock:
            table = self.sim.store.tables[name]
            pos = table.pos_of(int(raw_id)) if raw_id.isdigit() else None
            if pos is None:
                raise ApiError(404, f"No {name} with id {raw_id}.", {"id": raw_id})
            record = self.sim.render(name, pos, representer, parse_fields(params))
        self._sleep(latency.page_cost(name, 1, 1, (), True))
        return json_response(200, record)

    def _list(
        self, request: Request, name: str, params: dict[str, str], representer: Representer
    ) -> Response:
        meta = catalog()[name]
        query = parse_list_query(meta, params)
        base = f"{self.sim.next_page_root or request.root}{request.path}"
        link_params = {k: v for k, v in params.items() if k not in ("page", "cursor")}
        with self.sim.lock:
            result = self.sim.engine.evaluate(name, query)
            page = self._page(name, query, result, base, link_params)
            # whole records go straight to JSON text (the cheap path, see render_json); fields= keeps dicts.
            # A simulator told to ignore `fields` answers whole records, as a service without it would.
            whole = query.fields is None or self.sim.config.ignore_fields
            rows: list[Any] = [
                self.sim.render_json(name, pos, representer)
                if whole
                else self.sim.render(name, pos, representer, query.fields)
                for pos in page.positions
            ]
        windowed = any(f.field.name == "mod_ts" and not f.relations for f in query.filters)
        cost = latency.page_cost(
            name,
            len(rows),
            len(result),
            query.ordering,
            windowed,
            row_fraction=1.0 if whole else self.sim.config.projection_cost,
        )
        if self.sim.config.latency and cost > latency.GATEWAY_LIMIT_SECONDS:
            self._sleep(latency.GATEWAY_LIMIT_SECONDS)
            return Response(
                504, _GATEWAY_HTML % (504, 504, b"Gateway Time-out"), {"Content-Type": "text/html"}
            )
        self._sleep(cost)
        if not rows and query.empty_code != 200:
            if query.empty_code == 204:
                return Response(204)
            raise ApiError(404, "No records found.", {"entity": name})
        if whole:
            return json_rows_response(page.body_meta, rows)
        return json_response(200, {**page.body_meta, "results": rows})

    def _page(self, name: str, query: Any, result: Sequence[int], base: str, params: dict[str, str]) -> Page:
        if query.mode == "paged":
            return paged(result, query.page, query.page_size, base, params)
        field_name, descending = query.ordering[0] if query.ordering else ("id", False)
        get = self.sim.engine.accessor(name, field_name)
        wrap = _Descending if descending else _Ascending
        return sequenced(
            result,
            query.page_size,
            query.cursor,
            key=lambda pos: wrap(get(pos)),
            encode=lambda position: json.dumps(position.value),
            decode=functools.partial(_decode_position, wrap),
            base=base,
            params=params,
        )

    def _sleep(self, cost: float) -> None:
        if self.sim.config.latency:
            time.sleep(cost * self.sim.config.latency_scale)


def _decode_position(wrap: type[_Ascending], raw: str) -> _Ascending:
    try:
        return wrap(json.loads(raw))
    except ValueError:
        raise ApiError(404, "Invalid cursor.") from None


@functools.total_ordering
class _Ascending:
    """Sort key that orders None first and compares FK tuples by id."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def _key(self) -> tuple[bool, Any]:
        return (self.value is not None, self.value if self.value is not None else 0)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Ascending) and self._key() == other._key()

    def __lt__(self, other: _Ascending) -> bool:
        return self._key() < other._key()

    def __hash__(self) -> int:
        return hash(self._key())


class _Descending(_Ascending):
    __slots__ = ()

    def __lt__(self, other: _Ascending) -> bool:
        return other._key() < self._key()

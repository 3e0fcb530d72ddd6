"""Control endpoints under ``/_sim/`` (no auth: a loopback dev tool), outside the lgfapi path."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from .catalog import catalog
from .faults import FaultRule
from .protocol import Request, Response, json_response

if TYPE_CHECKING:
    from .simulator import Simulator

PREFIX = "/_sim/"


def _body(request: Request) -> dict[str, Any]:
    if not request.body:
        return {}
    data = json.loads(request.body)
    if not isinstance(data, dict):
        raise ValueError("the request body must be a JSON object")
    return data


def handle_control(sim: Simulator, request: Request) -> Response:
    route = request.path[len(PREFIX) :].strip("/")
    method = request.method
    try:
        if method == "GET" and route == "health":
            return json_response(
                200, {"status": "ok", "environment": sim.config.environment, "now": sim.now().isoformat()}
            )
        if method == "GET" and route == "clock":
            return json_response(200, {"now": sim.now().isoformat(), "wms_now": sim.wms_now().isoformat()})
        if method == "POST" and route == "clock/advance":
            body = _body(request)
            delta = timedelta(minutes=float(body.get("minutes", 0)), seconds=float(body.get("seconds", 0)))
            delay = body.get("commit_delay_seconds")
            ids = body.get("ids")
            if ids is not None and not (isinstance(ids, list) and all(type(i) is int for i in ids)):
                raise ValueError("ids must be a list of integers")
            summary = sim.advance(
                delta,
                timedelta(seconds=float(delay)) if delay is not None else None,
                entity=body.get("entity"),
                ids=ids,
            )
            return json_response(200, summary.to_json())
        if method == "POST" and route == "reset":
            sim.reset()
            return json_response(200, {"now": sim.now().isoformat()})
        if method == "GET" and route.startswith("uncommitted/"):
            entity = route.partition("/")[2]
            if entity not in catalog():
                return json_response(404, {"error": f"unknown entity {entity!r}"})
            pending = {
                str(k): {"mod_ts": mod_ts, "visible_at": when.isoformat()}
                for k, (mod_ts, when) in sim.uncommitted(entity).items()
            }
            return json_response(200, {"entity": entity, "uncommitted": pending})
        if method == "GET" and route.startswith(("versions/", "deleted/")):
            kind, _, entity = route.partition("/")
            if entity not in catalog():
                return json_response(404, {"error": f"unknown entity {entity!r}"})
            if kind == "versions":
                values = {str(k): v for k, v in sim.versions(entity).items()}
                return json_response(200, {"entity": entity, "versions": values})
            deleted = {str(k): v.isoformat() for k, v in sim.deleted(entity).items()}
            return json_response(200, {"entity": entity, "deleted": deleted})
        if method == "POST" and route == "faults":
            rule = sim.faults.add(FaultRule.from_json(_body(request)))
            return json_response(201, rule.to_json())
        if method == "GET" and route == "faults":
            return json_response(200, {"faults": [rule.to_json() for rule in sim.faults.rules]})
        if method == "DELETE" and route == "faults":
            sim.faults.clear()
            return json_response(200, {"faults": []})
    except (ValueError, TypeError) as error:
        return json_response(400, {"error": str(error)})
    return json_response(404, {"error": f"no control endpoint {method} {request.path}"})

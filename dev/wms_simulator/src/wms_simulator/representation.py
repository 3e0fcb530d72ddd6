"""Turns raw records into the JSON the real lgfapi prints (reference §6-7).

FK -> ``{"id", "key", "url"}`` (url ``""`` for non-lgfapi targets), decimals as strings, timestamps ISO-8601
with microseconds in the facility's UTC offset, reverse sets as ``{result_count, url}``, ``[]`` or null,
and a self ``url`` right after ``id``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from .catalog import EntityMeta
from .layout import FACILITIES

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@cache
def facility_zone(facility: int) -> ZoneInfo:
    return ZoneInfo(FACILITIES[facility][2])


def format_ts(micros: int, facility: int) -> str:
    moment = (_EPOCH + timedelta(microseconds=micros)).astimezone(facility_zone(facility))
    return moment.isoformat(timespec="microseconds")


def format_decimal(value: Any) -> str:
    return str(value)


class Representer:
    """Renders raw records of one server (the link base carries scheme, host, explicit port and env)."""

    def __init__(self, api_root: str) -> None:
        self.api_root = api_root  # e.g. http://127.0.0.1:8123/lgf_test/wms/lgfapi/v10

    def entity_url(self, entity: str) -> str:
        return f"{self.api_root}/entity/{entity}/"

    def record_url(self, entity: str, record_id: int) -> str:
        return f"{self.api_root}/entity/{entity}/{record_id}"

    def render(
        self, meta: EntityMeta, raw: dict[str, Any], facility: int, fields: frozenset[str] | None = None
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, field in meta.fields.items():
            if fields is not None and name not in fields:
                continue
            value = raw[name]
            kind = field.type
            if value is None:
                out[name] = [] if kind == "reverse_set" and field.shape == "list" else None
            elif kind == "foreign_key":
                target = field.related_entity
                url = self.record_url(target, value[0]) if target else ""
                out[name] = {"id": value[0], "key": value[1], "url": url}
            elif kind == "decimal":
                out[name] = format_decimal(value)
            elif kind == "datetime":
                out[name] = format_ts(value, facility)
            elif kind == "reverse_set":
                out[name] = self._render_set(
                    field.shape, field.related_entity, field.parent_field, raw["id"], value
                )
            else:
                out[name] = value
            if name == "id" and (fields is None or "url" in fields):
                out["url"] = self.record_url(meta.name, raw["id"])
        return out

    def _render_set(
        self, shape: str | None, target: str | None, parent: str | None, record_id: int, value: Any
    ) -> Any:
        if shape == "count" and target:
            return {"result_count": value, "url": f"{self.api_root}/entity/{target}/?{parent}={record_id}"}
        if shape == "list":
            return []
        return None

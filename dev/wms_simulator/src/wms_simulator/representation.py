"""Turns raw records into the JSON the real lgfapi prints (reference §6-7).

FK -> ``{"id", "key", "url"}`` (url ``""`` for non-lgfapi targets), decimals as strings, timestamps ISO-8601
with microseconds in the facility's UTC offset, reverse sets as ``{result_count, url}``, ``[]`` or null,
and a self ``url`` right after ``id``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from json.encoder import encode_basestring_ascii
from typing import Any
from zoneinfo import ZoneInfo

from .catalog import EntityMeta, FieldMeta
from .layout import FACILITIES

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_PLAIN_TYPES = frozenset({"primary_key", "integer", "status", "string", "boolean", "date"})


@cache
def facility_zone(facility: int) -> ZoneInfo:
    return ZoneInfo(FACILITIES[facility][2])


def format_ts(micros: int, facility: int) -> str:
    moment = (_EPOCH + timedelta(microseconds=micros)).astimezone(facility_zone(facility))
    return moment.isoformat(timespec="microseconds")


def format_decimal(value: Any) -> str:
    return str(value)


@dataclass(frozen=True)
class _Plan:
    """Per entity: the fields whose raw value needs converting; every other raw value prints as is."""

    meta: EntityMeta
    converted: tuple[FieldMeta, ...]
    fast: bool  # raw records can be copied wholesale (``id`` first, no field named ``url``)


_PLANS: dict[str, _Plan] = {}


# how a template slot is printed: as is (plain types), as an FK object, as a timestamp, through _convert,
# or the self url
_AS_IS, _FK, _DATETIME, _CONVERT, _SELF_URL = range(5)
_HOW = {"foreign_key": _FK, "datetime": _DATETIME}


@dataclass(frozen=True)
class _Template:
    """A record's JSON as constant text around the assigned fields: ``text[0] slot[0] text[1] … text[n]``."""

    texts: tuple[str, ...]
    slots: tuple[tuple[str, int, FieldMeta | None], ...]  # (field name, how to print it, field)


# (entity, assigned field names) -> (entity meta, template): see ``Representer.render_json``
_TEMPLATES: dict[tuple[str, tuple[str, ...]], tuple[EntityMeta, _Template]] = {}
_TEMPLATE_LIMIT = 4096  # a handful of shapes per entity in practice; the bound only guards memory


def _plan(meta: EntityMeta) -> _Plan:
    plan = _PLANS.get(meta.name)
    if plan is None or plan.meta is not meta:
        names = list(meta.fields)
        converted = tuple(f for f in meta.fields.values() if f.type not in _PLAIN_TYPES)
        plan = _Plan(meta, converted, fast=bool(names) and names[0] == "id" and "url" not in meta.fields)
        _PLANS[meta.name] = plan
    return plan


def _json(value: Any) -> str:
    """``json.dumps(value, separators=(",", ":"))`` with shortcuts for the common scalar types."""
    cls = value.__class__
    if cls is str:
        return encode_basestring_ascii(value)  # what json.dumps uses for str with ensure_ascii=True
    if value is None:
        return "null"
    if cls is int:
        return int.__repr__(value)
    if cls is bool:
        return "true" if value else "false"
    return json.dumps(value, separators=(",", ":"))


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
        plan = _plan(meta)
        # Fast path for whole records: raw records hold exactly the entity's fields in API order (the
        # defaults overlaid with the assigned values), so copy them in one go and convert only FK, decimal,
        # datetime and reverse-set fields; same keys, order and values as the field-by-field loop below.
        if fields is None and plan.fast and len(raw) == len(meta.fields):
            out = {"id": raw["id"], "url": self.record_url(meta.name, raw["id"])}
            out.update(raw)
            for field in plan.converted:
                value = raw[field.name]
                if value is not None or field.type == "reverse_set":
                    out[field.name] = self._convert(field, value, raw["id"], facility)
            return out
        return self._render_fields(meta, raw, facility, fields)

    def render_json(
        self, meta: EntityMeta, defaults: dict[str, Any], assigned: dict[str, Any], facility: int
    ) -> str:
        """``json.dumps(render(meta, {**defaults, **assigned}, facility), separators=(",", ":"))``, faster.

        Encoding list pages dominated the cost per row, and most fields of a record keep their default
        (order_hdr: ~90 of 121), so everything between the assigned fields is constant text from a template
        built once per entity and set of assigned fields; only the assigned values are converted and encoded.
        """
        plan = _plan(meta)
        signature = tuple(assigned)
        cached = _TEMPLATES.get((meta.name, signature))
        if cached is None or cached[0] is not meta:
            template = None
            if plan.fast and "id" in assigned and len(_TEMPLATES) < _TEMPLATE_LIMIT:
                template = self._template(meta, defaults, assigned)
            if template is None:
                return json.dumps(
                    self.render(meta, {**defaults, **assigned}, facility), separators=(",", ":")
                )
            cached = (meta, template)
            _TEMPLATES[(meta.name, signature)] = cached
        template = cached[1]
        record_id = assigned["id"]
        parts: list[str] = []
        append = parts.append
        for text, (name, how, field) in zip(template.texts, template.slots, strict=False):
            append(text)
            if how == _SELF_URL:
                append(encode_basestring_ascii(self.record_url(meta.name, record_id)))
                continue
            value = assigned[name]
            if how == _AS_IS:
                append(encode_basestring_ascii(value) if value.__class__ is str else _json(value))
            elif value is None:
                append(_json(self._convert(field, None, 0, 0)) if how == _CONVERT and field else "null")
            elif how == _FK:
                fk_id, key = value
                target = field.related_entity if field else None
                url = self.record_url(target, fk_id) if target else ""
                append(f'{{"id":{_json(fk_id)},"key":{_json(key)},"url":{encode_basestring_ascii(url)}}}')
            elif how == _DATETIME:
                append(encode_basestring_ascii(format_ts(value, facility)))
            elif field is not None:
                append(_json(self._convert(field, value, record_id, facility)))
        append(template.texts[-1])
        return "".join(parts)

    def _template(
        self, meta: EntityMeta, defaults: dict[str, Any], assigned: dict[str, Any]
    ) -> _Template | None:
        """None when a default's printed form would depend on the record (a non-null FK/set/timestamp)."""
        texts: list[str] = []
        slots: list[tuple[str, int, FieldMeta | None]] = []
        text = "{"
        for index, (name, field) in enumerate(meta.fields.items()):
            text += ("," if index else "") + encode_basestring_ascii(name) + ":"
            if name in assigned:
                texts.append(text)
                how = _HOW.get(field.type, _AS_IS if field.type in _PLAIN_TYPES else _CONVERT)
                slots.append((name, how, field))
                text = ""
            else:  # printed exactly as the field-by-field path prints the default
                default = defaults[name]
                if default is not None and field.type not in _PLAIN_TYPES:
                    return None
                printed = default if field.type in _PLAIN_TYPES else self._convert(field, default, 0, 0)
                text += json.dumps(printed, separators=(",", ":"))
            if name == "id":
                texts.append(text + ',"url":')
                slots.append(("url", _SELF_URL, None))
                text = ""
        texts.append(text + "}")
        return _Template(tuple(texts), tuple(slots))

    def _convert(self, field: FieldMeta, value: Any, record_id: int, facility: int) -> Any:
        """The printed form of one raw value (plain types print as they are)."""
        kind = field.type
        if value is None:
            return [] if kind == "reverse_set" and field.shape == "list" else None
        if kind == "foreign_key":
            target = field.related_entity
            return {
                "id": value[0],
                "key": value[1],
                "url": self.record_url(target, value[0]) if target else "",
            }
        if kind == "decimal":
            return format_decimal(value)
        if kind == "datetime":
            return format_ts(value, facility)
        if kind == "reverse_set":
            return self._render_set(field.shape, field.related_entity, field.parent_field, record_id, value)
        return value

    def _render_fields(
        self, meta: EntityMeta, raw: dict[str, Any], facility: int, fields: frozenset[str] | None
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, field in meta.fields.items():
            if fields is not None and name not in fields:
                continue
            out[name] = self._convert(field, raw[name], raw["id"], facility)
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

"""Parses an lgfapi list query string: reserved parameters, filters, lookups and their typed values.

Django-style: ``field``, ``field__lookup``, ``fk_id__field__lookup`` chains into simulated entities,
and ``field__lookup!=value`` (the ``!`` ends the key after URL decoding) for negation. Repeated
parameters: the last occurrence wins. Naive timestamps are read in the API user's default facility zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

from .catalog import EntityMeta, FieldMeta, catalog
from .errors import ApiError
from .layout import DEFAULT_FACILITY
from .representation import facility_zone
from .store import to_us

MAX_PAGE_SIZE = 1250
DEFAULT_PAGE_SIZE = 100
RESERVED = frozenset(
    {
        "page",
        "page_size",
        "page_mode",
        "cursor",
        "fields",
        "ordering",
        "format",
        "values_list",
        "distinct",
        "limit",
        "empty_response_http_code",
    }
)
COMPARISONS = frozenset(
    {
        "exact",
        "iexact",
        "gt",
        "gte",
        "lt",
        "lte",
        "contains",
        "icontains",
        "startswith",
        "istartswith",
        "endswith",
        "iendswith",
        "in",
        "range",
        "isnull",
    }
)
PARTS = frozenset({"year", "month", "day", "hour", "minute", "week_day"})
LOOKUPS = COMPARISONS | PARTS
_SPACE_OFFSET = re.compile(r"\d{2}:\d{2}(:\d{2}(\.\d+)?)? \d{2}(:?\d{2})?$")


@dataclass(frozen=True)
class Filter:
    """One compiled filter: ``path`` is the FK chain ending at ``field`` of ``entity``."""

    entity: str
    relations: tuple[str, ...]  # FK fields to follow from the queried entity
    targets: tuple[str, ...]  # the entity each of those FK fields points to
    field: FieldMeta
    lookup: str
    value: Any
    negate: bool
    text: str  # original key=value, for cache keys and messages


@dataclass(frozen=True)
class ListQuery:
    """A parsed list request."""

    params: dict[str, str]
    filters: tuple[Filter, ...]
    ordering: tuple[tuple[str, bool], ...]  # (field, descending)
    fields: frozenset[str] | None
    page: int
    page_size: int
    mode: str
    cursor: str | None
    empty_code: int

    @property
    def cache_key(self) -> tuple[Any, ...]:
        return (tuple(sorted(f.text for f in self.filters)), self.ordering)


def last_wins(query_string: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for key, value in parse_qsl(query_string, keep_blank_values=True):
        params.pop(key, None)
        params[key] = value
    return params


def parse_fields(params: dict[str, str]) -> frozenset[str] | None:
    raw = params.get("fields")
    return frozenset(name.strip() for name in raw.split(",") if name.strip()) if raw else None


def parse_list_query(meta: EntityMeta, params: dict[str, str]) -> ListQuery:
    if params.get("format", "json") != "json":
        raise ApiError(400, "Only format=json is simulated.", {"format": params["format"]})
    for unsupported in ("values_list", "distinct", "limit"):
        if unsupported in params:
            raise ApiError(
                400, f"The simulator does not implement '{unsupported}'.", {unsupported: params[unsupported]}
            )
    mode = params.get("page_mode", "paged")
    if mode not in ("paged", "sequenced"):
        raise ApiError(400, "page_mode must be 'paged' or 'sequenced'.", {"page_mode": mode})
    page_size = _positive_int(params, "page_size", DEFAULT_PAGE_SIZE)
    if page_size > MAX_PAGE_SIZE:
        raise ApiError(400, f"page_size must not exceed {MAX_PAGE_SIZE}.", {"page_size": params["page_size"]})
    empty_code = _positive_int(params, "empty_response_http_code", 404)
    if empty_code not in (200, 204, 404):
        raise ApiError(
            400, "empty_response_http_code must be 200, 204 or 404.", {"empty_response_http_code": empty_code}
        )
    filters = tuple(
        compile_filter(meta, key, value) for key, value in params.items() if key.rstrip("!") not in RESERVED
    )
    return ListQuery(
        params=params,
        filters=filters,
        ordering=parse_ordering(meta, params.get("ordering", "")),
        fields=parse_fields(params),
        page=_positive_int(params, "page", 1),
        page_size=page_size,
        mode=mode,
        cursor=params.get("cursor") or None,
        empty_code=empty_code,
    )


def _positive_int(params: dict[str, str], name: str, default: int) -> int:
    if name not in params:
        return default
    try:
        value = int(params[name])
    except ValueError:
        raise ApiError(400, f"{name} must be an integer.", {name: params[name]}) from None
    if value < 1:
        raise ApiError(400, f"{name} must be a positive integer.", {name: params[name]})
    return value


def parse_ordering(meta: EntityMeta, raw: str) -> tuple[tuple[str, bool], ...]:
    ordering = []
    for term in (t.strip() for t in raw.split(",")):
        if not term:
            continue
        name = term.lstrip("-")
        if name not in meta.fields or meta.fields[name].is_set:
            raise ApiError(400, f"Invalid ordering field '{name}'.", {"ordering": term})
        ordering.append((name, term.startswith("-")))
    return tuple(ordering)


def compile_filter(meta: EntityMeta, key: str, raw: str) -> Filter:
    negate = key.endswith("!")
    parts = key.rstrip("!").split("__")
    entity, relations, targets = meta, [], []
    while True:
        name = parts.pop(0)
        field = entity.fields.get(name)
        if field is None or field.is_set:
            raise ApiError(
                400, f"Invalid filter field '{key.rstrip('!')}'.", {key.rstrip("!"): "Invalid filter field."}
            )
        target = field.related_entity
        if field.is_fk and parts and parts[0] not in LOOKUPS:
            if target not in catalog():
                raise ApiError(
                    400, f"Filtering through '{name}' is not simulated.", {key: "Unsupported relation."}
                )
            relations.append(name)
            targets.append(target)
            entity = catalog()[target]
            continue
        break
    lookup = parts.pop(0) if parts else "exact"
    if parts or lookup not in LOOKUPS:
        raise ApiError(
            400, f"Invalid lookup in filter '{key.rstrip('!')}'.", {key.rstrip("!"): "Invalid lookup."}
        )
    value = parse_value(field, lookup, raw, key)
    return Filter(entity.name, tuple(relations), tuple(targets), field, lookup, value, negate, f"{key}={raw}")


def parse_value(field: FieldMeta, lookup: str, raw: str, key: str) -> Any:
    if lookup == "isnull":
        if raw.lower() not in ("true", "false"):
            raise ApiError(400, f"{key} expects true or false.", {key: raw})
        return raw.lower() == "true"
    if lookup in PARTS:
        return _scalar(int, raw, key)
    if lookup == "in":
        return tuple(typed_value(field, item, key) for item in raw.split(","))
    if lookup == "range":
        bounds = raw.split(",")
        if len(bounds) != 2:
            raise ApiError(400, f"{key} expects two comma-separated values.", {key: raw})
        return (typed_value(field, bounds[0], key), typed_value(field, bounds[1], key))
    if lookup in ("contains", "icontains", "startswith", "istartswith", "endswith", "iendswith", "iexact"):
        return raw
    return typed_value(field, raw, key)


def typed_value(field: FieldMeta, raw: str, key: str) -> Any:
    kind = field.type
    if kind in ("primary_key", "integer", "status", "foreign_key"):
        return _scalar(int, raw, key)
    if kind == "decimal":
        try:
            return Decimal(raw)
        except InvalidOperation:
            raise ApiError(400, f"{key} expects a decimal number.", {key: raw}) from None
    if kind == "boolean":
        if raw.lower() not in ("true", "false"):
            raise ApiError(400, f"{key} expects true or false.", {key: raw})
        return raw.lower() == "true"
    if kind == "datetime":
        return parse_timestamp(raw, key)
    if kind == "date":
        try:
            return date.fromisoformat(raw).isoformat()
        except ValueError:
            raise ApiError(400, f"{key} expects a date YYYY-MM-DD.", {key: raw}) from None
    return raw


def _scalar(kind: type[int], raw: str, key: str) -> int:
    try:
        return kind(raw)
    except ValueError:
        raise ApiError(400, f"{key} expects an integer.", {key: raw}) from None


def parse_timestamp(raw: str, key: str) -> int:
    """Timestamp filter value -> microseconds UTC; naive values are in the default facility's zone."""
    if _SPACE_OFFSET.search(raw):
        raise ApiError(
            400,
            f"Invalid timestamp for {key}: found a space where the UTC offset sign should be; "
            "encode '+' as %2B in the query string.",
            {key: raw},
        )
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, f"{key} expects YYYY-mm-ddTHH:MM:SS[.ffffff][+HH:MM].", {key: raw}) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=facility_zone(DEFAULT_FACILITY))
    return to_us(moment)

"""From lgfapi `describe/` metadata to the flattened Singer JSON schema (docs/architecture.md).

The exact JSON of `describe/` is undocumented. Accepted forms: `{"fields": {name: meta}}`,
`{"fields": [{"name": ..., **meta}]}`, and the same mapping or list without the `fields`
wrapper; `meta` carries `type`, `max_length` and `required` (any of them may be absent).

A field's role decides its shape, never a sample value: `*_id` (except `id` and `status_id`)
is a foreign key unless describe calls it a plain number, and becomes `X_id` + `X_key`.
"""

from __future__ import annotations

import re
import typing as t
from dataclasses import dataclass

JSONSchema = dict[str, t.Any]

FK = "fk"
DROPPED = "dropped"

# describe type names (normalised: lower case, letters/digits only) → kind.
_TYPE_WORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("foreign", "fk", "relat", "object", "onetoone", "manytoone", "reference"), FK),
    (("datetime", "timestamp"), "datetime"),
    (("date",), "date"),
    (("time",), "time"),
    (("bool",), "boolean"),
    (("decimal", "numeric", "float", "double", "number", "money"), "number"),
    (("int", "autofield", "serial", "long"), "integer"),
    (("char", "string", "text", "str", "email", "slug", "url", "choice", "uuid"), "string"),
)
_PLAIN_NUMBER_KINDS = {"integer", "number"}


class DescribeError(ValueError):
    """The describe/ payload has no readable field list."""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One entity field as describe/ announces it."""

    name: str
    kind: str
    max_length: int | None = None
    required: bool = False


def kind_from_describe(name: str, describe_type: str | None) -> str:
    """Decide a field's kind from its name and its describe/ type."""
    if name == "url" or name.endswith("_set"):
        return DROPPED
    typed = _kind_of_type(describe_type)
    if name in {"id", "status_id"}:
        return "integer"
    if name.endswith("_id"):
        return typed if typed in _PLAIN_NUMBER_KINDS else FK
    if typed:
        return typed
    return _kind_of_name(name)


def _kind_of_type(describe_type: str | None) -> str | None:
    if not describe_type:
        return None
    word = re.sub(r"[^a-z0-9]", "", str(describe_type).lower())
    for needles, kind in _TYPE_WORDS:
        if any(needle in word for needle in needles):
            return kind
    return None


def _kind_of_name(name: str) -> str:
    if name.endswith("_ts"):
        return "datetime"
    if name.endswith("_date"):
        return "date"
    if name.endswith("_flg"):
        return "boolean"
    return "string"


def parse_describe(payload: t.Any) -> list[FieldSpec]:
    """Read the field list of a describe/ payload.

    Raises:
        DescribeError: No field list in a form this tap understands.
    """
    fields = payload.get("fields", payload) if isinstance(payload, dict) else payload
    entries: list[tuple[str, t.Any]]
    if isinstance(fields, dict):
        entries = list(fields.items())
    elif isinstance(fields, list):
        entries = [(str(item.get("name", "")), item) for item in fields if isinstance(item, dict)]
    else:
        msg = f"describe/ returned {type(payload).__name__}, expected a field mapping or list"
        raise DescribeError(msg)
    specs = [_field_spec(name, meta) for name, meta in entries if name]
    if not any(spec.name == "id" for spec in specs):
        msg = "describe/ announced no `id` field"
        raise DescribeError(msg)
    return specs


def _field_spec(name: str, meta: t.Any) -> FieldSpec:
    meta = meta if isinstance(meta, dict) else {"type": meta}
    max_length = meta.get("max_length", meta.get("maxLength"))
    return FieldSpec(
        name=name,
        kind=kind_from_describe(name, meta.get("type")),
        max_length=int(max_length)
        if isinstance(max_length, (int, str)) and str(max_length).isdigit()
        else None,
        required=_is_required(meta.get("required")),
    )


def _is_required(value: t.Any) -> bool:
    # The doc legend uses Y/X = required, N = not, C = conditional; live output looks boolean.
    if isinstance(value, str):
        return value.strip().upper() in {"Y", "X", "TRUE", "YES", "REQUIRED"}
    return bool(value)


def fk_key_name(fk_name: str) -> str:
    """`order_dtl_id` → `order_dtl_key`."""
    return f"{fk_name.removesuffix('_id')}_key"


def json_schema_for(specs: t.Iterable[FieldSpec]) -> JSONSchema:
    """Build the flattened Singer schema; `id` is the only non-nullable property."""
    properties: dict[str, JSONSchema] = {}
    for spec in specs:
        if spec.kind == DROPPED:
            continue
        if spec.kind == FK:
            properties[spec.name] = {"type": ["integer", "null"]}
            properties[fk_key_name(spec.name)] = {"type": ["string", "null"]}
            continue
        properties[spec.name] = property_schema(spec.kind, spec.max_length)
    properties["id"] = {"type": "integer"}
    return {"type": "object", "properties": properties, "required": ["id"]}


def property_schema(kind: str, max_length: int | None = None) -> JSONSchema:
    """The JSON schema of one (nullable) property of the given kind."""
    formats = {"datetime": "date-time", "date": "date", "time": "time"}
    if kind in formats:
        return {"type": ["string", "null"], "format": formats[kind]}
    if kind in {"integer", "number", "boolean"}:
        return {"type": [kind, "null"]}
    if kind in {"object", "array"}:
        return {"type": [kind, "null"]}
    schema: JSONSchema = {"type": ["string", "null"]}
    if max_length:
        schema["maxLength"] = max_length
    return schema


def kind_of_value(name: str, value: t.Any) -> str:
    """Kind of a field describe/ never announced, from its name first and its value second."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float) or type(value).__name__ == "Decimal":
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return _kind_of_name(name)

"""Flatten one lgfapi record into the shape the Singer schema announces (docs/architecture.md).

The flattener is also the record's type conformance: the streams switch the SDK's per-value
conformance off (it walked every value against the schema, about a third of the tap's CPU per
record), so every value leaves here as what the schema says or, when it cannot be, as sent for the
loader to quarantine with a reason. A number that is not finite (NaN, Infinity) leaves as its text:
JSON has no literal for it, and the SDK's conformance used to turn it into null, silently.
"""

from __future__ import annotations

import math
import typing as t
from decimal import Decimal, InvalidOperation
from enum import Enum

from tap_oracle_wms.schema import JSONSchema, fk_key_name


class _Kind(Enum):
    DROPPED = "dropped"
    FK = "fk"
    NUMBER = "number"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    PLAIN = "plain"


_DROPPED, _FK, _NUMBER, _INTEGER, _BOOLEAN, _PLAIN = (
    _Kind.DROPPED,
    _Kind.FK,
    _Kind.NUMBER,
    _Kind.INTEGER,
    _Kind.BOOLEAN,
    _Kind.PLAIN,
)
# Values of these types are JSON-safe as they are.
_SAFE_TYPES = frozenset({str, int, bool})


def _types(schema: JSONSchema) -> set[str]:
    declared = schema.get("type", [])
    return {declared} if isinstance(declared, str) else set(declared)


class RecordFlattener:
    """Turns FK objects into `X_id` + `X_key`, drops navigation, and types values by the schema.

    Which properties are numbers, integers, booleans or FKs comes from the stream schema, so the
    same record always flattens the same way; an FK object the schema did not expect is still
    flattened (the stream then announces the new `X_key` property).
    """

    def __init__(self, schema: JSONSchema) -> None:
        properties: dict[str, JSONSchema] = schema.get("properties", {})
        self._kinds: dict[str, _Kind] = {}
        self._key_names: dict[str, str] = {}
        for name, prop in properties.items():
            types = _types(prop)
            if name.endswith("_id") and fk_key_name(name) in properties and name != "id":
                self._kinds[name] = _FK
            elif "number" in types:
                self._kinds[name] = _NUMBER
            elif "integer" in types:
                self._kinds[name] = _INTEGER
            elif "boolean" in types:
                self._kinds[name] = _BOOLEAN
            else:
                self._kinds[name] = _PLAIN

    @property
    def fk_names(self) -> frozenset[str]:
        """Foreign-key properties (those with an `X_key` companion)."""
        return frozenset(name for name, kind in self._kinds.items() if kind is _FK)

    def flatten(self, record: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        """Return the flattened, typed copy of a raw record."""
        flat: dict[str, t.Any] = {}
        kinds = self._kinds
        for name, value in record.items():
            kind = kinds.get(name)
            if kind is None:  # not in the schema: navigation, or a field the stream will announce
                kind = kinds[name] = _DROPPED if name == "url" or name.endswith("_set") else _PLAIN
            if kind is _DROPPED:
                continue
            if value is None:
                flat[name] = None
                if kind is _FK:
                    flat[self._key_name(name)] = None
            elif isinstance(value, dict) and "id" in value:
                flat[name] = _to_int(value.get("id"))
                key = value.get("key")
                flat[self._key_name(name)] = None if key is None else str(key)
            elif kind is _PLAIN:
                flat[name] = value if type(value) in _SAFE_TYPES else json_safe(value)
            elif kind is _NUMBER:
                flat[name] = _to_number(value)
            elif kind is _BOOLEAN:
                flat[name] = _to_boolean(value)
            else:  # an integer, or an FK sent as its bare id
                flat[name] = _to_int(value)
        return flat

    def _key_name(self, fk_name: str) -> str:
        key_name = self._key_names.get(fk_name)
        if key_name is None:
            key_name = self._key_names[fk_name] = fk_key_name(fk_name)
        return key_name


def json_safe(value: t.Any) -> t.Any:
    """The value with every non-finite number (at any depth) replaced by its text."""
    if isinstance(value, Decimal):
        return value if value.is_finite() else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_safe(item) for item in value]
    return value


def _to_number(value: t.Any) -> t.Any:
    # Decimals arrive as strings ("16") on the real service and as numbers in the docs.
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            number = Decimal(value)
        except InvalidOperation:
            return value
        return number if number.is_finite() else value
    return json_safe(value)


def _to_int(value: t.Any) -> t.Any:
    if type(value) is int:
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    # Anything else (a fraction, a word, a non-finite number) goes as sent for the loader to quarantine.
    return json_safe(value)


def _to_boolean(value: t.Any) -> t.Any:
    if isinstance(value, bool):
        return value
    # 0/1 are what a boolean column of another database sends; the SDK's conformance accepted them too.
    if (isinstance(value, int) or (isinstance(value, Decimal) and value.is_finite())) and value in (0, 1):
        return value == 1
    return json_safe(value)

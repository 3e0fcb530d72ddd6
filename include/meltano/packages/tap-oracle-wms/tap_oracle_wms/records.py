"""Flatten one lgfapi record into the shape the Singer schema announces (docs/architecture.md)."""

from __future__ import annotations

import typing as t
from decimal import Decimal, InvalidOperation

from tap_oracle_wms.schema import JSONSchema, fk_key_name


def _types(schema: JSONSchema) -> set[str]:
    declared = schema.get("type", [])
    return {declared} if isinstance(declared, str) else set(declared)


class RecordFlattener:
    """Turns FK objects into `X_id` + `X_key`, drops navigation, and types numbers.

    Which properties are numbers, integers or FKs comes from the stream schema, so the same
    record always flattens the same way; an FK object the schema did not expect is still
    flattened (the stream then announces the new `X_key` property).
    """

    def __init__(self, schema: JSONSchema) -> None:
        properties: dict[str, JSONSchema] = schema.get("properties", {})
        self._numbers = {name for name, prop in properties.items() if "number" in _types(prop)}
        self._integers = {name for name, prop in properties.items() if "integer" in _types(prop)}
        self._fks = {
            name
            for name in properties
            if name.endswith("_id") and fk_key_name(name) in properties and name != "id"
        }

    @property
    def fk_names(self) -> frozenset[str]:
        """Foreign-key properties (those with an `X_key` companion)."""
        return frozenset(self._fks)

    def flatten(self, record: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        """Return the flattened copy of a raw record."""
        flat: dict[str, t.Any] = {}
        for name, value in record.items():
            if name == "url" or name.endswith("_set"):
                continue
            if isinstance(value, dict) and "id" in value:
                flat[name] = _to_int(value.get("id"))
                key = value.get("key")
                flat[fk_key_name(name)] = None if key is None else str(key)
            elif value is None and name in self._fks:
                flat[name] = None
                flat[fk_key_name(name)] = None
            elif name in self._numbers:
                flat[name] = _to_number(value)
            elif name in self._integers:
                flat[name] = _to_int(value)
            else:
                flat[name] = value
        return flat


def _to_number(value: t.Any) -> t.Any:
    # Decimals arrive as strings ("16") on the real service and as numbers in the docs.
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return Decimal(value)
        except InvalidOperation:
            return value
    return value


def _to_int(value: t.Any) -> t.Any:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    # Not finite (Infinity, NaN): kept as sent, so the loader quarantines it instead of the tap crashing.
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    return value

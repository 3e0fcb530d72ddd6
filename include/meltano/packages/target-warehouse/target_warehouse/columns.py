"""Logical columns of a raw table, derived from a stream's JSON schema.

The logical kind is dialect-free; each dialect maps it to a database type (see ``dialects/``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ID_COLUMN = "id"
VERSION_COLUMN = "mod_ts"
EXTRACTED_AT_COLUMN = "etl_extracted_at"
LOADED_AT_COLUMN = "etl_loaded_at"
RUN_ID_COLUMN = "etl_run_id"
HISTORY_KEY = (ID_COLUMN, VERSION_COLUMN)


class Kind(enum.Enum):
    """What a column holds, independent of the database."""

    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    TEXT = "text"
    TIMESTAMP = "timestamp"
    DATE = "date"
    JSON = "json"


@dataclass(frozen=True)
class ColumnSpec:
    """One column: conformed name, kind, declared maximum length (strings) and the record key it reads."""

    name: str
    kind: Kind
    max_length: int | None = None
    source: str | None = None


def _non_null_types(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Flatten ``type: [..]`` and ``anyOf`` into the list of non-null alternatives."""
    if "anyOf" in schema:
        alternatives: list[dict[str, Any]] = []
        for option in schema["anyOf"]:
            alternatives.extend(_non_null_types(option))
        return alternatives
    declared = schema.get("type", [])
    types = [declared] if isinstance(declared, str) else list(declared)
    return [{**schema, "type": name} for name in types if name != "null"]


def kind_of(schema: dict[str, Any]) -> tuple[Kind, int | None]:
    """Return the logical kind and declared maxLength of one property schema."""
    options = _non_null_types(schema)
    names = {option["type"] for option in options}
    if len(names) != 1:
        # Mixed or unknown types are kept losslessly as JSON text.
        return (Kind.JSON, None) if names - {"string"} else (Kind.TEXT, None)
    option = options[0]
    name = option["type"]
    if name == "integer":
        return Kind.INTEGER, None
    if name == "number":
        return Kind.DECIMAL, None
    if name == "boolean":
        return Kind.BOOLEAN, None
    if name == "string":
        fmt = option.get("format")
        if fmt == "date-time":
            return Kind.TIMESTAMP, None
        if fmt == "date":
            return Kind.DATE, None
        max_length = option.get("maxLength")
        return Kind.TEXT, int(max_length) if isinstance(max_length, int) else None
    return Kind.JSON, None


def columns_from_schema(
    properties: dict[str, dict[str, Any]], conform: Callable[[str], str]
) -> list[ColumnSpec]:
    """Columns for a stream: its properties (conformed names) plus the history key and etl columns.

    ``id`` and ``mod_ts`` are always present, even when a schema forgets them, so every raw table
    has the history key; records without them are quarantined.
    """
    columns = [ColumnSpec(conform(name), *kind_of(prop), source=name) for name, prop in properties.items()]
    names = {column.name for column in columns}
    if ID_COLUMN not in names:
        columns.insert(0, ColumnSpec(ID_COLUMN, Kind.INTEGER))
    if VERSION_COLUMN not in names:
        columns.insert(1, ColumnSpec(VERSION_COLUMN, Kind.TIMESTAMP))
    columns.append(ColumnSpec(EXTRACTED_AT_COLUMN, Kind.TIMESTAMP))
    return columns


def etl_trailer_columns() -> list[ColumnSpec]:
    """Columns the merge statement fills from bind parameters, not from the batch."""
    # Room for the longest Airflow-made run id (see tables._RUN_ID_LENGTH); a cast never truncates it.
    return [ColumnSpec(LOADED_AT_COLUMN, Kind.TIMESTAMP), ColumnSpec(RUN_ID_COLUMN, Kind.TEXT, 512)]

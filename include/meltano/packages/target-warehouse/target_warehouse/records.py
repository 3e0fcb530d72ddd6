"""The per-value path: turn Singer records into database-ready rows, or into a quarantine reason.

Conversion is strict where a silent change would lose data (a bad timestamp, a number in an
integer column, a NUL byte PostgreSQL cannot store) and lossless where it is safe (a number in a
text column becomes its text). Most records never come here: the typed decoder (typed.py) accepts
them in C; these converters decide for the lines it does not accept, and define what it must match.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from collections.abc import Callable
from typing import Annotated, Any

import msgspec

from target_warehouse.columns import EXTRACTED_AT_COLUMN, HISTORY_KEY, ColumnSpec, Kind

Converter = Callable[[Any], Any]
INT64_MAX = 2**63 - 1
_UTC = dt.UTC
# RFC 3339 as msgspec reads it on the typed path (typed.py), so both paths agree on every value it
# accepts (fractions beyond microseconds are rounded, a lower-case "t"/"z" is allowed).
_RFC3339 = Annotated[dt.datetime, msgspec.Meta(tz=True)]


class RejectedValue(ValueError):
    """A value that cannot be stored in its column; the message is the quarantine reason."""


def _to_integer(value: Any) -> int:
    if isinstance(value, bool):
        raise RejectedValue(f"expected an integer, got boolean {value!r}")
    if isinstance(value, int):
        number = value
    elif (
        isinstance(value, decimal.Decimal) and value.is_finite() and value == value.to_integral_value()
    ) or (isinstance(value, float) and value.is_integer()):
        number = int(value)
    else:
        raise RejectedValue(f"expected an integer, got {value!r:.80}")
    if not -INT64_MAX <= number <= INT64_MAX:
        raise RejectedValue(f"integer {number} is outside the 64-bit range")
    return number


def _to_decimal(value: Any) -> decimal.Decimal | int | float:
    if isinstance(value, bool):
        raise RejectedValue(f"expected a number, got boolean {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            value = decimal.Decimal(value)
        except decimal.InvalidOperation:
            raise RejectedValue(f"expected a number, got {value!r:.80}") from None
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise RejectedValue(f"number {value} is not finite")
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    raise RejectedValue(f"expected a number, got {value!r:.80}")


def _to_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise RejectedValue(f"expected a boolean, got {value!r:.80}")


def _to_text(value: Any) -> str:
    if isinstance(value, str):
        text = value
    elif isinstance(value, int | float | decimal.Decimal):
        text = str(value)  # lossless: a scalar in a text column keeps its digits
    else:
        raise RejectedValue(f"expected a string, got {type(value).__name__}")
    if "\x00" in text:
        raise RejectedValue("string contains a NUL character")
    return text


def _to_timestamp(value: Any) -> dt.datetime:
    if not isinstance(value, str):
        raise RejectedValue(f"expected an ISO-8601 timestamp string, got {value!r:.80}")
    try:
        parsed = msgspec.convert(value, _RFC3339)
    except msgspec.ValidationError:
        try:
            parsed = dt.datetime.fromisoformat(value)  # the wider ISO 8601 forms
        except ValueError:
            raise RejectedValue(f"unparsable timestamp {value!r:.80}") from None
    if parsed.tzinfo is None:
        raise RejectedValue(f"timestamp {value!r:.80} has no UTC offset")
    try:
        return parsed.astimezone(_UTC)
    except OverflowError:
        raise RejectedValue(f"timestamp {value!r:.80} is out of range in UTC") from None


def _to_date(value: Any) -> dt.date:
    if not isinstance(value, str):
        raise RejectedValue(f"expected an ISO-8601 date string, got {value!r:.80}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise RejectedValue(f"unparsable date {value!r:.80}") from None


def _json_default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return str(value)


def _to_json(value: Any) -> str:
    return json.dumps(value, default=_json_default, ensure_ascii=False, separators=(",", ":"))


CANONICAL_CONVERTERS: dict[Kind, Converter] = {
    Kind.INTEGER: _to_integer,
    Kind.DECIMAL: _to_decimal,
    Kind.BOOLEAN: _to_boolean,
    Kind.TEXT: _to_text,
    Kind.TIMESTAMP: _to_timestamp,
    Kind.DATE: _to_date,
    Kind.JSON: _to_json,
}


def _passthrough_type(kind: Kind, converter: Converter) -> type[Any] | None:
    """The Python type a canonical converter returns unchanged (checked inline in ``build``)."""
    if converter is not CANONICAL_CONVERTERS[kind]:
        return None
    return {Kind.INTEGER: int, Kind.TEXT: str, Kind.BOOLEAN: bool}.get(kind)


class RowBuilder:
    """Converts records of one stream, value by value, into row tuples ordered like ``columns``.

    The per-value path: records the typed decoder (typed.py) did not accept come here, so every bad
    value is named in a quarantine reason.
    """

    def __init__(self, columns: list[ColumnSpec], converters: dict[Kind, Converter]) -> None:
        self.columns = columns
        # (record key, converter, python type that passes unchanged): the common case skips the call.
        self._plan = [
            (c.source or c.name, converters[c.kind], _passthrough_type(c.kind, converters[c.kind]))
            for c in columns
            if c.name != EXTRACTED_AT_COLUMN
        ]
        self._names = [c.name for c in columns]
        self._extracted_at = converters[Kind.TIMESTAMP]
        self._key_positions = [i for i, c in enumerate(columns) if c.name in HISTORY_KEY]

    def build(self, record: dict[str, Any], time_extracted: str | None) -> tuple[Any, ...]:
        """Return the row, or raise RejectedValue naming the column and the problem."""
        row: list[Any] = []
        append = row.append
        get = record.get
        for source, convert, passthrough in self._plan:
            value = get(source)
            kind = type(value)
            if value is None:
                append(None)
            elif kind is passthrough and (
                (kind is str and "\x00" not in value)
                or (kind is int and -INT64_MAX <= value <= INT64_MAX)
                or kind is bool
            ):
                append(value)
            else:
                try:
                    append(convert(value))
                except RejectedValue as exc:
                    raise RejectedValue(f"column {self._names[len(row)]}: {exc}") from None
        append(self._extracted_at(time_extracted) if time_extracted else None)
        for position in self._key_positions:
            if row[position] is None:
                raise RejectedValue(f"missing key column {self.columns[position].name}")
        return tuple(row)

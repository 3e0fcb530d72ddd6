"""Typed decoding of RECORD lines: msgspec checks every value in C, with no Python call per value.

A stream's RECORD message type is a msgspec Struct whose record fields follow the raw table's
columns. Each kind decodes to exactly what the per-value converter (``records.py``) returns for the
same input, or the line is rejected by msgspec and takes the per-value path instead, where it is
converted or quarantined with its reason. What a Struct cannot rule out on its own (a non-finite
decimal given as a string, an Oracle timestamp out of range) is a ``finish`` function run per column
when the batch is assembled; a value it rejects sends its record back to the per-value path.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec

from target_warehouse.columns import EXTRACTED_AT_COLUMN, HISTORY_KEY, ColumnSpec, Kind
from target_warehouse.records import CANONICAL_CONVERTERS, INT64_MAX, RejectedValue

Int64 = Annotated[int, msgspec.Meta(ge=-INT64_MAX, le=INT64_MAX)]
AwareDateTime = Annotated[dt.datetime, msgspec.Meta(tz=True)]


@dataclass(frozen=True)
class TypedKind:
    """How one kind decodes: the msgspec annotation, and an optional per-value check/conversion."""

    annotation: Any
    finish: Callable[[Any], Any] | None = None
    #: Whether ``finish`` can raise RejectedValue (then the input lines are kept for the retry).
    may_reject: bool = False


def _finite(value: decimal.Decimal) -> decimal.Decimal:
    # msgspec reads "NaN" and "Infinity" strings as decimals; the per-value path rejects them.
    if not value.is_finite():
        raise RejectedValue(f"number {value} is not finite")
    return value


CANONICAL_TYPED_KINDS: dict[Kind, TypedKind] = {
    Kind.INTEGER: TypedKind(Int64),
    Kind.DECIMAL: TypedKind(decimal.Decimal, _finite, may_reject=True),
    Kind.BOOLEAN: TypedKind(bool),
    Kind.TEXT: TypedKind(str),  # NUL characters: lines holding \u0000 never take the typed path
    Kind.TIMESTAMP: TypedKind(AwareDateTime),
    Kind.DATE: TypedKind(dt.date),
    Kind.JSON: TypedKind(Any, CANONICAL_CONVERTERS[Kind.JSON]),
}


@dataclass(frozen=True)
class TypedStream:
    """The message type of one stream and how its decoded records become columns."""

    message_type: type[msgspec.Struct]
    #: Decodes one line of this stream alone (the reader decodes a union of all streams).
    decoder: msgspec.json.Decoder[Any]
    #: The record Struct's field names, in column order (etl_extracted_at excluded).
    field_names: tuple[str, ...]
    #: Per column of the batch (the record fields, then etl_extracted_at): its finish, if any.
    finishers: tuple[Callable[[Any], Any] | None, ...]
    #: Whether a finish may reject a value (so the input lines must be kept for the retry).
    may_reject: bool


def typed_stream(
    stream_name: str, columns: Sequence[ColumnSpec], kinds: dict[Kind, TypedKind]
) -> TypedStream:
    """Build the RECORD message Struct of one stream; ``columns`` ends with etl_extracted_at.

    Field names are positional (``c0``, ``c1``...) and renamed to the record keys, so any key works;
    the history key fields are required and non-null, so records without them take the per-value
    path and are quarantined with the usual reason.
    """
    if not columns or columns[-1].name != EXTRACTED_AT_COLUMN:
        raise ValueError("the last column must be etl_extracted_at")
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    rename: dict[str, str] = {}
    for position, column in enumerate(columns[:-1]):
        field = f"c{position}"
        rename[field] = column.source or column.name
        annotation = kinds[column.kind].annotation
        if column.name in HISTORY_KEY:
            fields.append((field, annotation))
        else:
            fields.append((field, annotation | None, None))
    # kw_only lets required (key) fields sit anywhere, so fields keep the column order.
    record_type = msgspec.defstruct(
        f"Record_{_safe(stream_name)}", fields, rename=rename, kw_only=True, gc=False
    )
    extracted = kinds[Kind.TIMESTAMP]
    message_fields: list[Any] = [
        ("type", Literal["RECORD"]),
        ("record", record_type),
        ("time_extracted", AwareDateTime | None, None),
    ]
    message_type = msgspec.defstruct(
        f"RecordMessage_{_safe(stream_name)}",
        message_fields,
        tag_field="stream",
        tag=stream_name,
        gc=False,
    )
    used = [kinds[column.kind] for column in columns[:-1]] + [extracted]
    return TypedStream(
        message_type,
        msgspec.json.Decoder(message_type, float_hook=decimal.Decimal),
        field_names=tuple(spec[0] for spec in fields),
        finishers=tuple(kind.finish for kind in used),
        may_reject=any(kind.may_reject and kind.finish is not None for kind in used),
    )


def _safe(name: str) -> str:
    return "".join(char if char.isalnum() else "_" for char in name)

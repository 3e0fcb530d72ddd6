"""Columnar decoding of the RECORD lines msgspec accepted: Arrow's JSON reader, in C++, in bulk.

Used when the dialect stages batches as Arrow tables (DuckDB). msgspec has already checked every
value of these lines against the column kinds (typed.py), so Arrow only materialises them. Where
Arrow and msgspec could disagree, Arrow refuses instead of guessing (a lower-case ``t``/``z`` or a
fraction beyond microseconds in a timestamp), and the caller decodes that batch through the msgspec
Structs instead; values both accept come out the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from target_warehouse.columns import ColumnSpec, Kind

# Arrow parses in blocks (a longer line is still read whole). 4MB rather than 16MB: a batch (~25MB)
# spreads over both cores and the peak is ~30 MB lower (1M rows, 8 alternating runs: 416-421 vs
# 441-453 MB), at the same speed within the runs' spread.
_BLOCK_BYTES = 1 << 22

# The system allocator hands freed batches back sooner than Arrow's default (jemalloc): 40-60 MB
# lower peak for the same load (bench/loader/duckdb_memory.py, 1M and 3M rows).
pa.set_memory_pool(pa.system_memory_pool())


@dataclass(frozen=True)
class ArrowPlan:
    """How to read one stream's RECORD lines into Arrow columns of the staging types."""

    parse_options: pa_json.ParseOptions
    #: Per record field: the type to cast to after reading (dates are read as strings), if any.
    casts: tuple[pa.DataType | None, ...]


def arrow_plan(columns: Sequence[ColumnSpec], types: dict[Kind, pa.DataType]) -> ArrowPlan | None:
    """The reading plan, or None when a column cannot be read by Arrow's JSON reader (JSON kind)."""
    if any(column.kind is Kind.JSON for column in columns):
        return None
    fields, casts = [], []
    for column in columns[:-1]:  # the last column, etl_extracted_at, is the message's time_extracted
        target = types[column.kind]
        read_as = pa.string() if column.kind is Kind.DATE else target
        fields.append(pa.field(column.source or column.name, read_as))
        casts.append(target if read_as != target else None)
    schema = pa.schema(
        [("record", pa.struct(fields)), ("time_extracted", types[Kind.TIMESTAMP])],
    )
    options = pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    return ArrowPlan(options, (*casts, None))


def read_columns(data: bytes | bytearray, plan: ArrowPlan) -> list[pa.ChunkedArray] | None:
    """One Arrow column per batch column (record fields, then etl_extracted_at), or None if Arrow refuses."""
    try:
        table = pa_json.read_json(
            pa.py_buffer(data),
            read_options=pa_json.ReadOptions(block_size=_BLOCK_BYTES),
            parse_options=plan.parse_options,
        )
        record = table.column("record")
        columns = [pc.struct_field(record, [position]) for position in range(record.type.num_fields)]
        columns.append(table.column("time_extracted"))
        return [
            column if cast is None else column.cast(cast)
            for column, cast in zip(columns, plan.casts, strict=True)
        ]
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def last_of_each_key(first: Any, second: Any) -> list[int] | None:
    """Positions of the last row of each (first, second) pair, or None when every pair is unique."""
    if pc.count_distinct(first).as_py() == len(first):
        return None  # no id twice, so no (id, mod_ts) twice: the usual case, without grouping
    keys = pa.table({"a": first, "b": second, "position": pa.array(range(len(first)), pa.int64())})
    last = keys.group_by(["a", "b"], use_threads=False).aggregate([("position", "max")])
    if last.num_rows == keys.num_rows:
        return None
    return sorted(last.column("position_max").to_pylist())

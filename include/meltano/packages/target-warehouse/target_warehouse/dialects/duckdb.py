"""DuckDB: each batch is an Arrow table registered on the connection and read by INSERT ... SELECT."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import pyarrow as pa
import sqlalchemy as sa

from target_warehouse.columns import ColumnSpec, Kind
from target_warehouse.dialects.base import WarehouseDialect
from target_warehouse.records import CANONICAL_CONVERTERS, Converter
from target_warehouse.typed import TypedKind

_ARROW_TYPES: dict[Kind, pa.DataType] = {
    Kind.INTEGER: pa.int64(),
    Kind.DECIMAL: pa.float64(),
    Kind.BOOLEAN: pa.bool_(),
    Kind.TEXT: pa.string(),
    Kind.TIMESTAMP: pa.timestamp("us", tz="UTC"),
    Kind.DATE: pa.date32(),
    Kind.JSON: pa.string(),
}
_ARROW_BY_SA_TYPE: dict[type[Any], pa.DataType] = {
    sa.BigInteger: pa.int64(),
    sa.Double: pa.float64(),
    sa.Boolean: pa.bool_(),
    sa.Text: pa.string(),
    sa.DateTime: pa.timestamp("us", tz="UTC"),
    sa.Date: pa.date32(),
}


def _as_double(value: Any) -> float:
    return float(CANONICAL_CONVERTERS[Kind.DECIMAL](value))


class DuckDBDialect(WarehouseDialect):
    backend: ClassVar[str] = "duckdb"
    supports_grants: ClassVar[bool] = False  # an embedded file: no users
    max_identifier_length: ClassVar[int] = 255
    # One DuckDB thread: the loader's reading thread needs the other core (measured faster on two
    # cores). The memory cap keeps the loader's peak flat as the table grows: without it DuckDB's
    # cache grew ~65 MB per million rows loaded (650-714 MB at 3M). 64MB was too tight (the commit
    # failed after another process had written to the file); 128MB loads and reloads 3M rows.
    # Measured with bench/loader/duckdb_memory.py; figures in BENCHMARKS.md.
    # The default checkpoint threshold (16MB of WAL, about one batch) checkpoints after nearly every
    # commit, each costlier as the table grows (11 of 30 s at 1M rows): 256MB loaded 3M rows in
    # 68 s instead of 86, at the same peak. Not more: uncheckpointed rows are held under
    # memory_limit, and at 1GB a commit ran out of it at 2.5M rows. ``end_of_load`` checkpoints
    # what is left.
    session_setup: ClassVar[tuple[str, ...]] = (
        "SET threads = 1",
        "SET memory_limit = '128MB'",
        "SET checkpoint_threshold = '256MB'",
    )
    # Leave the file checkpointed: the next reader (dbt) would otherwise replay the WAL first. No
    # batch runs any more, so the checkpoint may use both cores.
    end_of_load: ClassVar[tuple[str, ...]] = ("SET threads = 2", "CHECKPOINT")

    def sa_type(self, kind: Kind, length: int | None) -> sa.types.TypeEngine[Any]:
        if kind is Kind.DECIMAL:
            return sa.Double()
        return super().sa_type(kind, length)

    def converters(self) -> dict[Kind, Converter]:
        return {**super().converters(), Kind.DECIMAL: _as_double}

    def arrow_types(self) -> dict[Kind, Any] | None:
        return dict(_ARROW_TYPES)

    def typed_kinds(self) -> dict[Kind, TypedKind]:
        # msgspec reads JSON numbers into doubles exactly as float(Decimal(text)) does; strings
        # ("1.25") are left to the per-value path.
        return {**super().typed_kinds(), Kind.DECIMAL: TypedKind(float)}

    def staging_table(
        self, name: str, columns: Sequence[ColumnSpec], lengths: dict[str, int | None]
    ) -> sa.Table:
        table = super().staging_table(name, columns, lengths)
        table._prefixes = []
        return table

    def create_staging(self, conn: sa.Connection, staging: sa.Table) -> None:
        """Nothing to create: ``bulk_load`` registers the Arrow table under the staging name."""

    def bulk_load(self, conn: sa.Connection, staging: sa.Table, columns: Sequence[Sequence[Any]]) -> None:
        """Register the batch as an Arrow table; list columns become typed arrays, built in C."""
        arrays = [
            values
            if isinstance(values, pa.Array | pa.ChunkedArray)
            else pa.array(values, type=_ARROW_BY_SA_TYPE[type(column.type)])
            for values, column in zip(columns, staging.columns, strict=True)
        ]
        batch = pa.Table.from_arrays(arrays, names=[str(column.name) for column in staging.columns])
        conn.connection.dbapi_connection.register(str(staging.name), batch)  # type: ignore[union-attr]

    def insert_count(self, conn: sa.Connection, statement: sa.Insert, params: dict[str, Any]) -> int:
        """DuckDB answers an INSERT with a row holding its count (the DB-API rowcount is -1).

        SQLAlchemy discards that row for a compiled INSERT, not for driver SQL, so the statement
        runs as its compiled text (no second query over the table to count what was already there).
        """
        compiled = statement.compile(dialect=conn.dialect)
        bound = compiled.construct_params(params)
        positional = tuple(bound[name] for name in compiled.positiontup or ())
        return int(conn.exec_driver_sql(compiled.string, positional).scalar_one())

    def drop_staging(self, conn: sa.Connection, staging: sa.Table) -> None:
        conn.connection.dbapi_connection.unregister(str(staging.name))  # type: ignore[union-attr]

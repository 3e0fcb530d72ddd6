"""Oracle (python-oracledb thin): NUMBER / VARCHAR2(n CHAR) / CLOB / TIMESTAMP(6) WITH TIME ZONE.

The staging table is a private temporary table dropped at commit; rows go in by array-bound
executemany (the base class path). Sessions run in UTC so timestamps bind as naive UTC values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects import oracle

from target_warehouse.columns import ColumnSpec, Kind
from target_warehouse.dialects.base import WarehouseDialect
from target_warehouse.records import CANONICAL_CONVERTERS, Converter, RejectedValue
from target_warehouse.typed import AwareDateTime, TypedKind

_PTT_PREFIX = "ora$ptt_"  # Oracle's default private_temp_table_prefix


class TimestampWithTimeZone(sa.types.UserDefinedType[dt.datetime]):
    """TIMESTAMP(6) WITH TIME ZONE; SQLAlchemy's Oracle TIMESTAMP has no precision argument."""

    cache_ok = True

    def get_col_spec(self, **_: Any) -> str:
        return "TIMESTAMP(6) WITH TIME ZONE"


def _naive_utc(value: Any) -> dt.datetime:
    stamp: dt.datetime = CANONICAL_CONVERTERS[Kind.TIMESTAMP](value)
    return stamp.replace(tzinfo=None)


def _naive_utc_from_aware(stamp: dt.datetime) -> dt.datetime:
    try:
        return stamp.astimezone(dt.UTC).replace(tzinfo=None)
    except OverflowError:
        raise RejectedValue(f"timestamp {stamp.isoformat()} is out of range in UTC") from None


def _number_flag(value: Any) -> int:
    return 1 if CANONICAL_CONVERTERS[Kind.BOOLEAN](value) else 0


class OracleDialect(WarehouseDialect):
    backend: ClassVar[str] = "oracle"
    max_identifier_length: ClassVar[int] = 128
    uppercase_identifiers: ClassVar[bool] = True
    bounded_strings: ClassVar[bool] = True
    max_varchar_length: ClassVar[int] = 4000
    max_varchar_bytes: ClassVar[int | None] = 4000
    session_setup: ClassVar[tuple[str, ...]] = ("ALTER SESSION SET TIME_ZONE = '+00:00'",)

    def sa_type(self, kind: Kind, length: int | None) -> sa.types.TypeEngine[Any]:
        if kind is Kind.INTEGER:
            return oracle.NUMBER(19)  # type: ignore[no-untyped-call]
        if kind is Kind.DECIMAL:
            return oracle.NUMBER()  # type: ignore[no-untyped-call]
        if kind is Kind.BOOLEAN:
            return oracle.NUMBER(1)  # type: ignore[no-untyped-call]
        if kind is Kind.TIMESTAMP:
            return TimestampWithTimeZone()
        if kind is Kind.TEXT and length is not None:
            return sa.String(length)  # renders VARCHAR2(n CHAR)
        if kind in (Kind.TEXT, Kind.JSON):
            return oracle.CLOB()
        return super().sa_type(kind, length)

    def converters(self) -> dict[Kind, Converter]:
        return {**super().converters(), Kind.TIMESTAMP: _naive_utc, Kind.BOOLEAN: _number_flag}

    def typed_kinds(self) -> dict[Kind, TypedKind]:
        return {
            **super().typed_kinds(),
            Kind.TIMESTAMP: TypedKind(AwareDateTime, _naive_utc_from_aware, may_reject=True),
            Kind.BOOLEAN: TypedKind(bool, int),
        }

    def timestamp_value(self, value: dt.datetime) -> Any:
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def staging_name(self, stream_table: str) -> str:
        return f"{_PTT_PREFIX}{stream_table}"

    def staging_table(
        self, name: str, columns: Sequence[ColumnSpec], lengths: dict[str, int | None]
    ) -> sa.Table:
        table = super().staging_table(name, columns, lengths)
        table._prefixes = ["PRIVATE TEMPORARY"]
        table.dialect_options["oracle"]["on_commit"] = "DROP DEFINITION"
        return table

    def drop_staging(self, conn: sa.Connection, staging: sa.Table) -> None:
        """Nothing to do: ON COMMIT DROP DEFINITION removes it with the batch transaction."""

    def existing_columns(self, conn: sa.Connection, table: sa.Table) -> dict[str, int | None] | None:
        """From ALL_TAB_COLUMNS via SQLAlchemy's reflection (CHAR_LENGTH for VARCHAR2, None for CLOB)."""
        inspector = sa.inspect(conn)
        if not inspector.has_table(table.name, schema=table.schema):
            return None
        return {
            str(column["name"]).lower(): getattr(column["type"], "length", None) or None
            for column in inspector.get_columns(table.name, schema=table.schema)
        }

    def add_column_ddl(self, table: sa.Table, column: ColumnSpec, length: int | None) -> list[str]:
        name = self.preparer.quote(self.identifier(column.name))
        return [
            f"ALTER TABLE {self.format_table(table)} ADD ({name} {self.render_type(column.kind, length)})"
        ]

    def widen_text_ddl(self, table: sa.Table, column_name: str, length: int | None) -> list[str]:
        target = self.format_table(table)
        name = self.preparer.quote(self.identifier(column_name))
        if length is not None:
            return [f"ALTER TABLE {target} MODIFY ({name} {self.render_type(Kind.TEXT, length)})"]
        # VARCHAR2 cannot be modified into CLOB (ORA-22858): copy through a new column, keep the name.
        scratch = self.preparer.quote(self.identifier(f"{column_name}_etl_clob"))
        return [
            f"ALTER TABLE {target} ADD ({scratch} CLOB)",
            f"UPDATE {target} SET {scratch} = {name}",
            f"ALTER TABLE {target} DROP COLUMN {name}",
            f"ALTER TABLE {target} RENAME COLUMN {scratch} TO {name}",
        ]

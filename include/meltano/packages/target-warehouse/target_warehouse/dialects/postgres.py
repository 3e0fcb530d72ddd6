"""PostgreSQL (psycopg 3): each batch is COPYed into a temporary table dropped at commit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from target_warehouse.columns import ColumnSpec, Kind
from target_warehouse.dialects.base import WarehouseDialect


class PostgresDialect(WarehouseDialect):
    backend: ClassVar[str] = "postgresql"
    max_identifier_length: ClassVar[int] = 63
    bounded_strings: ClassVar[bool] = True

    def sa_type(self, kind: Kind, length: int | None) -> sa.types.TypeEngine[Any]:
        if kind is Kind.TIMESTAMP:
            return postgresql.TIMESTAMP(timezone=True)
        return super().sa_type(kind, length)

    def staging_table(
        self, name: str, columns: Sequence[ColumnSpec], lengths: dict[str, int | None]
    ) -> sa.Table:
        table = super().staging_table(name, columns, lengths)
        table.dialect_options["postgresql"]["on_commit"] = "DROP"
        return table

    def bulk_load(self, conn: sa.Connection, staging: sa.Table, columns: Sequence[Sequence[Any]]) -> None:
        names = ", ".join(self.preparer.quote(str(column.name)) for column in staging.columns)
        statement = f"COPY {self.format_table(staging)} ({names}) FROM STDIN"
        cursor: Any = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        with cursor, cursor.copy(statement) as copy:
            write_row = copy.write_row
            for row in zip(*columns, strict=True):
                write_row(row)

    def drop_staging(self, conn: sa.Connection, staging: sa.Table) -> None:
        """Nothing to do: ON COMMIT DROP removes the table with the batch transaction."""

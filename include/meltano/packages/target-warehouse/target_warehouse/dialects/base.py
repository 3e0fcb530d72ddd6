"""What differs between warehouses: types, identifiers, the staging table and its bulk path.

Everything else (the statements, the batch transaction, schema evolution decisions) is shared and
lives outside this package; a dialect is a class with capability flags and a few small hooks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Dialect as SADialect
from sqlalchemy.sql.elements import quoted_name

from target_warehouse.columns import ColumnSpec, Kind
from target_warehouse.records import CANONICAL_CONVERTERS, Converter
from target_warehouse.typed import CANONICAL_TYPED_KINDS, TypedKind

Row = tuple[Any, ...]


class WarehouseDialect:
    """Base class: generic SQLAlchemy behaviour; subclasses override flags and hooks."""

    #: SQLAlchemy backend name (``URL.get_backend_name()``).
    backend: ClassVar[str] = ""
    #: Longest identifier the database accepts; longer names are shortened with a hash.
    max_identifier_length: ClassVar[int] = 63
    #: Oracle folds unquoted names to upper case; we store them that way.
    uppercase_identifiers: ClassVar[bool] = False
    #: Whether text columns carry a length that must grow with the data.
    bounded_strings: ClassVar[bool] = False
    #: Longest bounded string column (characters); longer text becomes unbounded text.
    max_varchar_length: ClassVar[int] = 10_485_760
    #: Byte limit of a bounded string column, when the database has one (Oracle: 4000 bytes).
    max_varchar_bytes: ClassVar[int | None] = None
    #: Statements run on every new connection.
    session_setup: ClassVar[tuple[str, ...]] = ()
    #: Statements run once after the last batch of a run has committed (outside any batch).
    end_of_load: ClassVar[tuple[str, ...]] = ()
    #: Whether the database has users to GRANT SELECT to (setting ``grant_select_to``).
    supports_grants: ClassVar[bool] = True
    #: Whether bounded text becomes unbounded by copying through a renamed column (Oracle cannot
    #: MODIFY VARCHAR2 into CLOB, ORA-22858) rather than by one ALTER of the column's type.
    unbounded_text_by_copy: ClassVar[bool] = False
    #: Lower-case fragments of the errors a DDL statement gets when another loader changed the same
    #: table first (the column it adds exists, the column it renames is gone): plan again.
    concurrent_change_markers: ClassVar[tuple[str, ...]] = (
        "already exists",
        "does not exist",
        "duplicate column",
    )
    #: Lower-case fragments of the error a DDL statement gets when it waited for other sessions'
    #: transactions on the table for the session's lock timeout: retry it later.
    lock_timeout_markers: ClassVar[tuple[str, ...]] = ()
    #: Lower-case fragments of the errors a batch gets when its table changed after the loader read
    #: it (a column renamed away or made shorter by another loader): read it again and retry.
    stale_schema_markers: ClassVar[tuple[str, ...]] = ("value too long for type", "does not exist")

    def __init__(self, sa_dialect: SADialect, settings: Mapping[str, Any] | None = None) -> None:
        """``settings`` are the loader's settings (a dialect reads the ones that concern it)."""
        self.sa_dialect = sa_dialect
        self.preparer = sa_dialect.identifier_preparer

    def is_stale_schema(self, exc: sa.exc.DBAPIError) -> bool:
        """Whether ``exc`` says the table changed after the loader read it (see stale_schema_markers)."""
        text = str(exc.orig if exc.orig is not None else exc).lower()
        return any(marker in text for marker in self.stale_schema_markers)

    def prepare_engine(self, engine: sa.Engine) -> None:
        """Register what this warehouse needs on a new engine (SQLAlchemy events); default: nothing."""

    # Identifiers -----------------------------------------------------------------------------

    def identifier(self, name: str) -> quoted_name:
        """The physical name for a logical (lower-case) name: cased, shortened, quoted only if needed."""
        physical = name.upper() if self.uppercase_identifiers else name.lower()
        if len(physical) > self.max_identifier_length:
            digest = hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()[:8]
            physical = f"{physical[: self.max_identifier_length - 9]}_{digest}"
            physical = physical.upper() if self.uppercase_identifiers else physical
        # SQLAlchemy quotes upper-case names as case-sensitive; decide ourselves instead.
        needs_quotes = self.preparer._requires_quotes(physical.lower())
        return quoted_name(physical, needs_quotes)

    def staging_name(self, stream_table: str) -> str:
        """Logical name of the per-batch staging table."""
        return f"etl_stage_{stream_table}"

    # Types -------------------------------------------------------------------------------

    def sa_type(self, kind: Kind, length: int | None) -> sa.types.TypeEngine[Any]:
        """Database type for a logical kind; ``length`` is None for unbounded text."""
        if kind is Kind.INTEGER:
            return sa.BigInteger()
        if kind is Kind.DECIMAL:
            return sa.Numeric()
        if kind is Kind.BOOLEAN:
            return sa.Boolean()
        if kind is Kind.TIMESTAMP:
            return sa.DateTime(timezone=True)
        if kind is Kind.DATE:
            return sa.Date()
        if kind is Kind.TEXT and length is not None and self.bounded_strings:
            return sa.String(length)
        return sa.Text()

    def timestamp_value(self, value: dt.datetime) -> Any:
        """An aware UTC datetime as this driver should bind it."""
        return value

    def converters(self) -> dict[Kind, Converter]:
        """Python value converters per kind; subclasses adapt values to their driver."""
        return dict(CANONICAL_CONVERTERS)

    def arrow_types(self) -> dict[Kind, Any] | None:
        """Arrow types per kind when batches are staged as Arrow tables (then read in bulk by Arrow)."""
        return None

    def typed_kinds(self) -> dict[Kind, TypedKind]:
        """How each kind decodes on the typed path; must give what ``converters()`` gives."""
        return dict(CANONICAL_TYPED_KINDS)

    def text_length_for(self, declared: int | None, chars: int, utf8_bytes: int) -> int | None:
        """Column length that holds ``declared`` and what was seen; None means unbounded text."""
        needed = max(declared or 0, chars)
        if needed > self.max_varchar_length:
            return None
        if self.max_varchar_bytes is not None and utf8_bytes > self.max_varchar_bytes:
            return None
        if declared is not None and declared >= chars:
            return declared
        # Round observed lengths up so a stream of slightly longer values does not ALTER each batch.
        size = 32
        while size < needed:
            size *= 2
        return min(size, self.max_varchar_length)

    def has_schema(self, conn: sa.Connection, schema: str) -> bool:
        """Whether the schema of physical name ``schema`` exists."""
        return sa.inspect(conn).has_schema(schema)

    def existing_columns(self, conn: sa.Connection, table: sa.Table) -> dict[str, int | None] | None:
        """Columns of ``table`` in the database (lower-case name -> text length, None if unbounded or not
        text), or None when the table does not exist. information_schema works for PostgreSQL and DuckDB.
        """
        rows = conn.execute(
            sa.text(
                "SELECT column_name, character_maximum_length FROM information_schema.columns "
                "WHERE table_schema = :schema AND table_name = :table"
            ),
            {"schema": str(table.schema), "table": str(table.name)},
        ).all()
        if not rows:
            return None
        return {str(name).lower(): int(length) if length else None for name, length in rows}

    # DDL -------------------------------------------------------------------------------------

    def render_type(self, kind: Kind, length: int | None) -> str:
        return str(self.sa_type(kind, length).compile(dialect=self.sa_dialect))

    def format_table(self, table: sa.Table) -> str:
        return self.preparer.format_table(table)

    def add_column_ddl(self, table: sa.Table, column: ColumnSpec, length: int | None) -> list[str]:
        name = self.preparer.quote(self.identifier(column.name))
        return [f"ALTER TABLE {self.format_table(table)} ADD {name} {self.render_type(column.kind, length)}"]

    def widen_text_ddl(self, table: sa.Table, column_name: str, length: int | None) -> list[str]:
        """Statements that make a text column hold ``length`` characters (None: unbounded)."""
        name = self.preparer.quote(self.identifier(column_name))
        new_type = self.render_type(Kind.TEXT, length)
        return [f"ALTER TABLE {self.format_table(table)} ALTER COLUMN {name} TYPE {new_type}"]

    def rename_column_ddl(self, table: sa.Table, old: str, new: str) -> str:
        """Rename column ``old`` to ``new`` (logical names)."""
        before, after = (self.preparer.quote(self.identifier(name)) for name in (old, new))
        return f"ALTER TABLE {self.format_table(table)} RENAME COLUMN {before} TO {after}"

    def drop_column_ddl(self, table: sa.Table, column_name: str) -> str:
        name = self.preparer.quote(self.identifier(column_name))
        return f"ALTER TABLE {self.format_table(table)} DROP COLUMN {name}"

    def copy_column_sql(self, table: sa.Table, source: str, target: str) -> str:
        """Copy every non-null value of column ``source`` into column ``target`` (same row)."""
        from_, to = (self.preparer.quote(self.identifier(name)) for name in (source, target))
        return f"UPDATE {self.format_table(table)} SET {to} = {from_} WHERE {from_} IS NOT NULL"

    # Staging -------------------------------------------------------------------------------

    def staging_table(
        self, name: str, columns: Sequence[ColumnSpec], lengths: dict[str, int | None]
    ) -> sa.Table:
        """The staging table's definition (no schema: it lives in the session's temporary space)."""
        return sa.Table(
            self.identifier(name),
            sa.MetaData(),
            *[
                sa.Column(self.identifier(c.name), self.sa_type(c.kind, lengths.get(c.name)), key=c.name)
                for c in columns
            ],
            prefixes=["TEMPORARY"],
        )

    def create_staging(self, conn: sa.Connection, staging: sa.Table) -> None:
        staging.create(conn)

    def insert_count(self, conn: sa.Connection, statement: sa.Insert, params: dict[str, Any]) -> int:
        """Run an INSERT ... SELECT; return how many rows it inserted."""
        # SQLAlchemy 2 only keeps an INSERT's rowcount when asked to.
        return int(conn.execute(statement.execution_options(preserve_rowcount=True), params).rowcount)

    def bulk_load(self, conn: sa.Connection, staging: sa.Table, columns: Sequence[Sequence[Any]]) -> None:
        """Array-bound executemany: the portable bulk path (Oracle uses it as is).

        ``columns`` holds one sequence of values per staging column, all of one length.
        """
        keys = [column.key for column in staging.columns]
        conn.execute(
            sa.insert(staging), [dict(zip(keys, row, strict=True)) for row in zip(*columns, strict=True)]
        )

    def drop_staging(self, conn: sa.Connection, staging: sa.Table) -> None:
        staging.drop(conn)

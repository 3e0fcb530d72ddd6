"""Oracle (python-oracledb thin): NUMBER / VARCHAR2(n CHAR) / CLOB / TIMESTAMP(6) holding UTC.

The staging table is a private temporary table dropped at commit; rows go in by array-bound
executemany (the base class path).

Timestamps are plain ``TIMESTAMP(6)`` holding UTC, not ``TIMESTAMP WITH TIME ZONE``: Oracle refuses a
TIMESTAMP WITH TIME ZONE column in a primary or unique key (SQL Language Reference, constraint
clause, "Restrictions on Primary Key Constraints"; ORA-02329), and ``mod_ts`` is half of the raw
tables' key. Every value is converted to UTC before it is bound, so nothing is lost.

Binds: SQLAlchemy calls ``cursor.setinputsizes`` only for the DB-API types a column type names
(``get_dbapi_type``) and only when they are in its oracledb dialect's ``include_set_input_sizes``.
A ``datetime`` bound without an input size is sent by python-oracledb as DB_TYPE_DATE, which has no
fractional seconds; so every timestamp type here names DB_TYPE_TIMESTAMP. CLOB values are bound as
DB_TYPE_LONG (inline text in the database character set; SQLAlchemy's own CLOB type names
DB_TYPE_NVARCHAR, the national character set, which python-oracledb thin supports only as AL16UTF16).
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects import oracle
from sqlalchemy.engine import Dialect as SADialect

from target_warehouse.columns import ColumnSpec, Kind
from target_warehouse.dialects.base import WarehouseDialect
from target_warehouse.dialects.oracle_reserved import ORACLE_RESERVED_WORDS
from target_warehouse.records import CANONICAL_CONVERTERS, Converter, RejectedValue
from target_warehouse.typed import AwareDateTime, TypedKind

#: Oracle's default PRIVATE_TEMP_TABLE_PREFIX. A private temporary table's name must start with the
#: database's value of that parameter (else ORA-00903), and a DBA may set another value, which "must
#: begin with the string ORA$" (Database Reference, PRIVATE_TEMP_TABLE_PREFIX).
DEFAULT_PTT_PREFIX = "ORA$PTT_"
PTT_PREFIX_SETTING = "oracle_private_temp_table_prefix"
_PTT_PREFIX = re.compile(r"ORA\$[A-Za-z0-9_$#]*", re.IGNORECASE)
# How long a DDL statement waits for other sessions' transactions on its table before ORA-00054
# (Database Reference, DDL_LOCK_TIMEOUT: 0 to 1,000,000 seconds; the default 0 means NOWAIT).
DDL_LOCK_TIMEOUT_SECONDS = 60
# NUMBER holds absolute values from 1.0E-130 up to but not including 1.0E126, with 38 significant
# digits of precision (SQL Language Reference, "Data Types", NUMBER). python-oracledb refuses values
# outside that range at bind time (DPY-4003), which would fail the whole batch.
_NUMBER_MAX_EXPONENT = 125  # adjusted exponent of the largest magnitude, 9.99...E125
_NUMBER_MIN_EXPONENT = -130
_NUMBER_MAX_DIGITS = 38


class UtcTimestamp(sa.types.UserDefinedType[dt.datetime]):
    """TIMESTAMP(6) holding UTC, bound as DB_TYPE_TIMESTAMP so microseconds reach the database."""

    cache_ok = True

    def get_col_spec(self, **_: Any) -> str:
        return "TIMESTAMP(6)"

    def get_dbapi_type(self, dbapi: Any) -> Any:
        return dbapi.DB_TYPE_TIMESTAMP


class ExactNumber(sa.types.UserDefinedType[decimal.Decimal]):
    """NUMBER whose values reach the driver unchanged (Decimal or int).

    SQLAlchemy's Oracle NUMBER without a scale converts every bound value to float
    (``_OracleNumeric.bind_processor``: ``processors.to_float``), losing digits beyond a double's 15-17.
    """

    cache_ok = True

    def get_col_spec(self, **_: Any) -> str:
        return "NUMBER"


class InlineClob(sa.types.UserDefinedType[str]):
    """CLOB whose values are bound as DB_TYPE_LONG: inline, in the database character set."""

    cache_ok = True

    def get_col_spec(self, **_: Any) -> str:
        return "CLOB"

    def get_dbapi_type(self, dbapi: Any) -> Any:
        return dbapi.DB_TYPE_LONG


def _bind_as_declared(
    inputsizes: dict[Any, Any], cursor: Any, statement: str, parameters: Any, context: Any
) -> None:
    """``do_setinputsizes`` listener: binds of our types get the DB-API type the type declares.

    SQLAlchemy drops DB-API types outside ``include_set_input_sizes`` (DB_TYPE_LONG is one); its
    documentation shows this event as the way to control setinputsizes per statement.
    """
    for bindparam in inputsizes:
        if isinstance(bindparam.type, InlineClob | UtcTimestamp):
            inputsizes[bindparam] = bindparam.type.get_dbapi_type(context.dialect.dbapi)


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


def oracle_number(value: Any) -> Any:
    """The number unchanged, or RejectedValue when Oracle NUMBER cannot hold it exactly."""
    exact = decimal.Decimal(repr(value)) if isinstance(value, float) else decimal.Decimal(value)
    if not exact.is_finite():
        raise RejectedValue(f"number {value} is not finite")
    if not exact:
        return value
    digits = exact.as_tuple().digits
    significant = len("".join(map(str, digits)).strip("0"))
    if exact.adjusted() > _NUMBER_MAX_EXPONENT or exact.adjusted() < _NUMBER_MIN_EXPONENT:
        raise RejectedValue(
            f"number {value!s:.80} is outside Oracle NUMBER's range (absolute value from 1E-130 "
            "up to but not including 1E126)"
        )
    if significant > _NUMBER_MAX_DIGITS:
        raise RejectedValue(
            f"number {value!s:.80} has {significant} significant digits; Oracle NUMBER keeps "
            f"{_NUMBER_MAX_DIGITS}"
        )
    return value


def _oracle_decimal(value: Any) -> decimal.Decimal:
    """The canonical number as a Decimal (a float as the Decimal of its shortest text), in NUMBER's range."""
    number = oracle_number(CANONICAL_CONVERTERS[Kind.DECIMAL](value))
    return decimal.Decimal(repr(number)) if isinstance(number, float) else decimal.Decimal(number)


def private_temp_table_prefix(settings: Mapping[str, Any]) -> str:
    """The ``oracle_private_temp_table_prefix`` setting, checked to be a possible parameter value."""
    prefix = str(settings.get(PTT_PREFIX_SETTING) or DEFAULT_PTT_PREFIX)
    if not _PTT_PREFIX.fullmatch(prefix) or len(prefix) > 64:
        raise ValueError(
            f"{PTT_PREFIX_SETTING}: {prefix!r} cannot be a PRIVATE_TEMP_TABLE_PREFIX; use the database's "
            "value (SELECT value FROM v$parameter WHERE name = 'private_temp_table_prefix'): ORA$ then "
            "letters, digits, _ $ # (default ORA$PTT_)"
        )
    return prefix.upper()


class OracleDialect(WarehouseDialect):
    backend: ClassVar[str] = "oracle"
    max_identifier_length: ClassVar[int] = 128
    uppercase_identifiers: ClassVar[bool] = True
    bounded_strings: ClassVar[bool] = True
    max_varchar_length: ClassVar[int] = 4000
    max_varchar_bytes: ClassVar[int | None] = 4000
    unbounded_text_by_copy: ClassVar[bool] = True
    session_setup: ClassVar[tuple[str, ...]] = (
        "ALTER SESSION SET TIME_ZONE = '+00:00'",
        f"ALTER SESSION SET DDL_LOCK_TIMEOUT = {DDL_LOCK_TIMEOUT_SECONDS}",
    )
    # ORA-01430: column being added already exists; ORA-00957: duplicate column name; ORA-00904:
    # invalid identifier (the column was renamed or dropped meanwhile); ORA-01441: cannot decrease
    # column length (another loader widened it further).
    concurrent_change_markers: ClassVar[tuple[str, ...]] = (
        "ora-01430",
        "ora-00957",
        "ora-00904",
        "ora-01441",
    )
    # ORA-00054: resource busy and acquire with NOWAIT specified or timeout expired.
    lock_timeout_markers: ClassVar[tuple[str, ...]] = ("ora-00054",)
    # ORA-12899: value too large for column; ORA-00904: invalid identifier (renamed away meanwhile).
    stale_schema_markers: ClassVar[tuple[str, ...]] = ("ora-12899", "ora-00904")

    def __init__(self, sa_dialect: SADialect, settings: Mapping[str, Any] | None = None) -> None:
        super().__init__(sa_dialect, settings)
        self.ptt_prefix = private_temp_table_prefix(settings or {})
        # Quote Oracle's full reserved-word list, in DDL and in bind names (SQLAlchemy's Oracle
        # compiler quotes a bind name the preparer calls reserved, e.g. :"session").
        reserved = self.preparer.reserved_words
        if not reserved >= ORACLE_RESERVED_WORDS:
            self.preparer.reserved_words = set(reserved) | ORACLE_RESERVED_WORDS

    def prepare_engine(self, engine: sa.Engine) -> None:
        if not sa.event.contains(engine, "do_setinputsizes", _bind_as_declared):
            sa.event.listen(engine, "do_setinputsizes", _bind_as_declared)

    def sa_type(self, kind: Kind, length: int | None) -> sa.types.TypeEngine[Any]:
        if kind is Kind.INTEGER:
            return sa.BigInteger()  # NUMBER(19), bound as int
        if kind is Kind.DECIMAL:
            return ExactNumber()
        if kind is Kind.BOOLEAN:
            return oracle.NUMBER(1)  # type: ignore[no-untyped-call]
        if kind is Kind.TIMESTAMP:
            return UtcTimestamp()
        if kind is Kind.TEXT and length is not None:
            return sa.String(length)  # renders VARCHAR2(n CHAR)
        if kind in (Kind.TEXT, Kind.JSON):
            return InlineClob()
        return super().sa_type(kind, length)

    def converters(self) -> dict[Kind, Converter]:
        return {
            **super().converters(),
            Kind.TIMESTAMP: _naive_utc,
            Kind.BOOLEAN: _number_flag,
            Kind.DECIMAL: _oracle_decimal,
        }

    def typed_kinds(self) -> dict[Kind, TypedKind]:
        return {
            **super().typed_kinds(),
            Kind.TIMESTAMP: TypedKind(AwareDateTime, _naive_utc_from_aware, may_reject=True),
            Kind.BOOLEAN: TypedKind(bool, int),
            Kind.DECIMAL: TypedKind(decimal.Decimal, oracle_number, may_reject=True),
        }

    def timestamp_value(self, value: dt.datetime) -> Any:
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def staging_name(self, stream_table: str) -> str:
        return f"{self.ptt_prefix}{stream_table}"

    def staging_table(
        self, name: str, columns: Sequence[ColumnSpec], lengths: dict[str, int | None]
    ) -> sa.Table:
        table = super().staging_table(name, columns, lengths)
        table._prefixes = ["PRIVATE TEMPORARY"]
        table.dialect_options["oracle"]["on_commit"] = "DROP DEFINITION"
        return table

    def drop_staging(self, conn: sa.Connection, staging: sa.Table) -> None:
        """Nothing to do: ON COMMIT DROP DEFINITION removes it with the batch transaction."""

    def has_schema(self, conn: sa.Connection, schema: str) -> bool:
        """Whether user ``schema`` exists (ALL_USERS).

        SQLAlchemy's Oracle dialect has no ``has_schema`` of its own: the default compares the name
        given with ``get_schema_names()``, which returns names normalised to lower case, so the
        upper-case physical name (WMS_RAW) is never found.
        """
        wanted = self.sa_dialect.normalize_name(str(schema))
        return wanted in sa.inspect(conn).get_schema_names()

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
        """VARCHAR2 grows by MODIFY; into CLOB it cannot (ORA-22858): see ``unbounded_text_by_copy``."""
        if length is None:
            raise ValueError("Oracle turns VARCHAR2 into CLOB by copying (evolution.py), not by MODIFY")
        name = self.preparer.quote(self.identifier(column_name))
        return [
            f"ALTER TABLE {self.format_table(table)} MODIFY ({name} {self.render_type(Kind.TEXT, length)})"
        ]

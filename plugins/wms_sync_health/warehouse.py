"""Read-only queries on the warehouse behind the `wms_warehouse` Airflow connection, within a time budget.

The page must answer in under a second, so every statement runs against what is left of one budget:
DuckDB through `interrupt()` from a timer, PostgreSQL through `statement_timeout`, Oracle through the
connection's `call_timeout`. A statement that runs out is reported as such, never waited for.
Statements use `:name` binds (rewritten to each driver's style) and identifiers from allow-lists only.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

KINDS = ("duckdb", "postgres", "oracle")
_BIND = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")


class WarehouseUnreachableError(RuntimeError):
    """The warehouse could not be opened; the message names the connection, never a credential."""


class QueryTimeoutError(RuntimeError):
    """A statement ran out of the page's time budget."""


class ConnectionLike(Protocol):
    """The fields of an Airflow Connection read here (duck-typed, as include/wms_pipeline/warehouse.py)."""

    conn_id: str
    conn_type: str | None
    host: str | None


def placeholder_sql(kind: str, sql: str) -> str:
    """`:name` binds in the driver's style: DuckDB `$name`, psycopg `%(name)s`, python-oracledb `:name`."""
    if kind == "oracle":
        return sql
    if kind == "duckdb":
        return _BIND.sub(r"$\1", sql)
    return _BIND.sub(r"%(\1)s", sql.replace("%", "%%"))


def limit_clause(kind: str, rows: int) -> str:
    """Row limiting each warehouse understands (Oracle 12c+: FETCH FIRST)."""
    count = int(rows)
    return f"fetch first {count} rows only" if kind == "oracle" else f"limit {count}"


def text_prefix(kind: str, column: str, chars: int) -> str:
    """The first `chars` characters of a text or JSON/CLOB column, as text."""
    if kind == "oracle":
        return f"dbms_lob.substr({column}, {int(chars)}, 1)"
    return f"substr(cast({column} as varchar), 1, {int(chars)})"


def as_utc(value: object) -> datetime | None:
    """A warehouse timestamp as an aware UTC datetime (Oracle's columns hold naive UTC)."""
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@dataclass
class Warehouse:
    """One open DB-API connection and the time left to use it."""

    kind: str
    connection: Any
    deadline: float

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def bind_time(self, moment: datetime) -> datetime:
        """A time as this warehouse's bookkeeping columns compare it (Oracle: naive UTC)."""
        return moment.astimezone(UTC).replace(tzinfo=None) if self.kind == "oracle" else moment

    def rows(
        self, sql: str, binds: Mapping[str, Any] | None = None, *, until: float | None = None
    ) -> list[tuple[Any, ...]]:
        """Run one statement within the budget (or until `until`, if sooner); `QueryTimeoutError` when spent."""
        left = min(self.deadline, until if until is not None else self.deadline) - time.monotonic()
        if left <= 0.01:
            raise QueryTimeoutError("the page's time budget was spent before this query")
        text = placeholder_sql(self.kind, sql)
        params = dict(binds or {})
        try:
            cursor = self.connection.cursor()
            try:
                if self.kind == "oracle":
                    _bind_times_as_timestamps(cursor, params)
                with self._limited(cursor, left):
                    cursor.execute(text, params)
                    return [tuple(row) for row in cursor.fetchall()]
            finally:
                cursor.close()
        except QueryTimeoutError:
            raise
        except Exception as error:
            self._recover()
            if _is_timeout(error) or self.remaining() <= 0:
                raise QueryTimeoutError(
                    f"ran out of the page's time budget ({type(error).__name__})"
                ) from None
            raise

    @contextmanager
    def _limited(self, cursor: Any, seconds: float) -> Iterator[None]:
        if self.kind == "duckdb":
            # A DuckDB cursor is a connection of its own: only its interrupt() stops its query.
            timer = threading.Timer(seconds, cursor.interrupt)
            timer.start()
            try:
                yield
            finally:
                timer.cancel()
        elif self.kind == "postgres":
            cursor.execute(f"set statement_timeout = {max(int(seconds * 1000), 1)}")
            yield
        else:
            self.connection.call_timeout = max(int(seconds * 1000), 1)
            yield

    def _recover(self) -> None:
        """After a failed statement PostgreSQL refuses the next one until the transaction ends."""
        if self.kind != "duckdb":
            with contextlib.suppress(Exception):  # the connection is closed right after anyway
                self.connection.rollback()


def _bind_times_as_timestamps(cursor: Any, params: Mapping[str, Any]) -> None:
    """python-oracledb binds a datetime as DATE by default, which drops the fractional seconds the
    bookkeeping columns (TIMESTAMP(6)) hold: name those binds TIMESTAMP."""
    import oracledb

    times = {
        name: oracledb.DB_TYPE_TIMESTAMP for name, value in params.items() if isinstance(value, datetime)
    }
    if times:
        cursor.setinputsizes(**times)


def _is_timeout(error: Exception) -> bool:
    text = f"{type(error).__name__} {error}".lower()
    markers = (
        "interrupt",
        "statement timeout",
        "canceling statement",
        "dpi-1067",
        "call timeout",
        "ora-03156",
    )
    return any(marker in text for marker in markers)


def kind_of(conn: ConnectionLike) -> str:
    kind = (conn.conn_type or "").lower()
    kind = "postgres" if kind == "postgresql" else kind
    if kind not in KINDS:
        raise WarehouseUnreachableError(
            f"Airflow connection {conn.conn_id!r} has conn_type {conn.conn_type!r}; "
            "the page reads duckdb, postgres or oracle warehouses"
        )
    return kind


def _open(conn: Any, kind: str) -> Any:
    if kind == "duckdb":
        import duckdb

        if not conn.host:
            raise WarehouseUnreachableError(
                f"Airflow connection {conn.conn_id!r} has no host (the DuckDB file)"
            )
        # Read-only: the page never writes, and never holds a write lock a loader would wait for.
        return duckdb.connect(str(conn.host), read_only=True)
    hook = conn.get_hook()
    return hook.get_conn()


@contextmanager
def open_warehouse(conn_id: str, budget_seconds: float) -> Iterator[Warehouse]:
    """The warehouse of Airflow connection `conn_id`, closed on exit; a clear error when unreachable.

    The error message names the connection and the driver's error class only: driver messages can
    quote the DSN, and the page is shown to every user who may read the DAGs.
    """
    from airflow.models.connection import Connection

    deadline = time.monotonic() + budget_seconds
    try:
        conn = Connection.get_connection_from_secrets(conn_id)
    except Exception as error:
        raise WarehouseUnreachableError(
            f"Airflow connection {conn_id!r} is not defined ({type(error).__name__})"
        ) from None
    kind = kind_of(conn)
    try:
        connection = _open(conn, kind)
    except WarehouseUnreachableError:
        raise
    except Exception as error:
        raise WarehouseUnreachableError(
            f"the {kind} warehouse of Airflow connection {conn_id!r} could not be opened "
            f"({type(error).__name__}{_hint(kind, error)})"
        ) from None
    try:
        yield Warehouse(kind, connection, deadline)
    finally:
        connection.close()


def _hint(kind: str, error: Exception) -> str:
    if kind == "duckdb" and "lock" in str(error).lower():
        return ": a load is writing the DuckDB file right now; reload the page when it is done"
    return ""

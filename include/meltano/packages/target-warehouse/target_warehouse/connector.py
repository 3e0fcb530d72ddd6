"""Connection, credentials and DDL: the warehouse as the sinks see it.

Credentials come from ``username``/``password`` and are merged into the URL object, never into a
string that could be logged; ``sqlalchemy_url`` (what the SDK may log) is the masked form.
"""

from __future__ import annotations

import functools
import re
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from singer_sdk.sql import SQLConnector

from target_warehouse.columns import ColumnSpec
from target_warehouse.dialects import WarehouseDialect, dialect_for
from target_warehouse.errors import (
    ConcurrentSchemaChange,
    SchemaChangeTimeout,
    WarehouseConfigError,
    explain,
    masked,
)
from target_warehouse.tables import ADDED_COLUMNS, bookkeeping_tables

DEFAULT_URL = "duckdb:///warehouse.duckdb"
_GRANTEE = re.compile(r"[A-Za-z][A-Za-z0-9_$#]{0,127}")
# Attempts at CREATE ... when a parallel load may be creating the same object at the same moment.
_DDL_ATTEMPTS = 3
_CONCURRENT_DDL = ("already exists", "duplicate key value violates unique constraint", "ora-00955")
# A schema change that waited for other loaders' transactions (the session's DDL lock timeout) is
# tried again this many times, after 2, 4, 8... seconds, before the run fails.
DDL_LOCK_ATTEMPTS = 5
DDL_LOCK_BACKOFF_SECONDS = 2.0


def _is_concurrent_ddl(exc: sa.exc.DBAPIError) -> bool:
    """The error another process gets when it creates the same schema/table in the same instant.

    PostgreSQL: "relation ... already exists" or a unique violation on pg_type/pg_namespace;
    Oracle: ORA-00955 (name already used); DuckDB takes one writer, so it never races here.
    """
    text = str(exc.orig if exc.orig is not None else exc).lower()
    return any(marker in text for marker in _CONCURRENT_DDL)


def build_url(config: dict[str, Any]) -> sa.URL:
    """The SQLAlchemy URL with ``username``/``password`` merged in (settings win over the URL)."""
    raw = config.get("sqlalchemy_url") or DEFAULT_URL
    try:
        url = sa.make_url(raw)
    except sa.exc.ArgumentError:
        raise WarehouseConfigError(
            "sqlalchemy_url is not a SQLAlchemy URL (e.g. duckdb:///path.duckdb, "
            "postgresql+psycopg://host:5432/db, oracle+oracledb://host:1521/?service_name=SVC)"
        ) from None
    if config.get("username"):
        url = url.set(username=config["username"])
    if config.get("password"):
        url = url.set(password=config["password"])
    return url


class WarehouseConnector(SQLConnector):
    """SQLConnector holding the engine, the dialect class and the table DDL."""

    allow_column_add = True
    allow_column_alter = True
    allow_column_rename = False
    allow_merge_upsert = False
    allow_overwrite = False

    def __init__(self, config: dict[str, Any] | None = None, sqlalchemy_url: str | None = None) -> None:
        super().__init__(config=config, sqlalchemy_url=sqlalchemy_url)
        self._bookkeeping_ready = False

    @functools.cached_property
    def url(self) -> sa.URL:
        return build_url(self.config)

    def get_sqlalchemy_url(self, config: dict[str, Any]) -> str:
        """Masked URL: safe to log. The engine is built from ``self.url``."""
        return masked(build_url(config))

    def create_engine(self) -> sa.Engine:
        url = self.url
        if url.get_backend_name() == "duckdb" and url.database not in (None, "", ":memory:"):
            Path(str(url.database)).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, pool_pre_ping=url.get_backend_name() != "duckdb")
        dialect = dialect_for(engine.dialect, self.config)
        dialect.prepare_engine(engine)
        setup = dialect.session_setup
        if setup:

            @sa.event.listens_for(engine, "connect")
            def _session_setup(dbapi_connection: Any, _: Any) -> None:
                cursor = dbapi_connection.cursor()
                for statement in setup:
                    cursor.execute(statement)
                cursor.close()

        return engine

    @functools.cached_property
    def dialect(self) -> WarehouseDialect:
        try:
            return dialect_for(self._engine.dialect, self.config)
        except ValueError as exc:
            raise WarehouseConfigError(str(exc)) from None

    @property
    def engine(self) -> sa.Engine:
        return self._engine

    def begin(self) -> Any:
        """A transaction; connection problems become errors naming the setting to fix."""
        return _Guarded(self)

    # Bookkeeping ------------------------------------------------------------------------------

    @functools.cached_property
    def bookkeeping(self) -> sa.MetaData:
        return bookkeeping_tables(self.dialect, self.target_schema)

    @property
    def target_schema(self) -> str:
        return str(self.config.get("default_target_schema") or "wms_raw")

    def bookkeeping_table(self, name: str) -> sa.Table:
        physical_schema = self.dialect.identifier(self.target_schema)
        return self.bookkeeping.tables[f"{physical_schema}.{self.dialect.identifier(name)}"]

    def ensure_ready(self) -> None:
        """Connect, create the target schema when missing and every etl_* table; once per run."""
        if self._bookkeeping_ready:
            return
        schema = self.dialect.identifier(self.target_schema)
        grantees = self.read_grantees  # a bad setting stops the run before anything is created
        with self.begin() as conn:
            schema_exists = self.dialect.has_schema(conn, schema)
        if not schema_exists and self.dialect.uppercase_identifiers:
            raise WarehouseConfigError(
                f"default_target_schema: Oracle schema {schema} does not exist; create that user "
                "or set default_target_schema to an existing schema"
            )
        # Parallel loads (the partitions of a full sync) may create the same schema and tables at
        # the same moment; "IF NOT EXISTS" checks are not atomic (PostgreSQL: "relation ... already
        # exists"), so a failed attempt is retried: by then the other load has created them.
        for attempt in range(_DDL_ATTEMPTS):
            try:
                if not schema_exists:
                    with self.begin() as conn:
                        schema_exists = self.dialect.has_schema(conn, schema)
                        if not schema_exists:
                            conn.execute(sa.schema.CreateSchema(schema))
                            schema_exists = True
                created = [table for table in self.bookkeeping.sorted_tables if self.create_table(table)]
                for name in ADDED_COLUMNS:
                    self.add_missing_columns(self.bookkeeping_table(name), ADDED_COLUMNS[name])
                break
            except sa.exc.DBAPIError as exc:
                if attempt + 1 < _DDL_ATTEMPTS and _is_concurrent_ddl(exc):
                    schema_exists = False  # check again
                    time.sleep(0.2 * (attempt + 1))
                    continue
                raise explain(exc, self.url, f"create schema {schema} and the etl_* tables") from None
        if grantees:
            for table in created:
                self.grant_reads(table)
        self._bookkeeping_ready = True

    def end_of_load(self) -> None:
        """The dialect's statements after the last batch (DuckDB: a checkpoint).

        Every batch is committed by then, so a failure here loses nothing: it is logged, not raised.
        """
        if not self.dialect.end_of_load or not self._bookkeeping_ready:
            return
        try:
            with self.begin() as conn:
                for statement in self.dialect.end_of_load:
                    conn.execute(sa.text(statement))
        except sa.exc.DBAPIError as exc:
            self.logger.warning("End-of-load statement failed (the data is committed): %s", exc.orig)

    # Raw tables --------------------------------------------------------------------------------

    def existing_text_lengths(self, table: sa.Table) -> dict[str, int | None] | None:
        """Lengths of the columns of ``table`` as they are in the database (None if it does not exist).

        Keys are the physical names in lower case; non-text columns map to None as well.
        """
        with self.begin() as conn:
            return self.dialect.existing_columns(conn, table)

    def run_ddl(self, table: sa.Table, statements: list[str]) -> None:
        """Run schema-change statements on ``table``, each in its own transaction.

        DDL runs outside batch transactions, and one statement at a time, as Oracle runs it anyway
        (every DDL statement commits implicitly): a crash leaves a state the next plan resumes from
        (evolution.py). A statement that waited for other loaders' transactions for the session's
        lock timeout (Oracle ORA-00054) is retried with backoff; a statement that fails because
        another loader changed the table first raises ConcurrentSchemaChange (plan again).
        """
        dialect, name = self.dialect, self.dialect.format_table(table)
        for statement in statements:
            for attempt in range(1, DDL_LOCK_ATTEMPTS + 1):
                try:
                    self.logger.info("Schema change: %s", statement)
                    self._execute_ddl(statement)
                    break
                except sa.exc.DBAPIError as exc:
                    text = str(exc.orig if exc.orig is not None else exc).lower()
                    if any(marker in text for marker in dialect.concurrent_change_markers):
                        raise ConcurrentSchemaChange(f"{name} changed meanwhile: {exc.orig}") from exc
                    if not any(marker in text for marker in dialect.lock_timeout_markers):
                        raise
                    if attempt == DDL_LOCK_ATTEMPTS:
                        raise SchemaChangeTimeout(
                            f"Cannot change table {name}: other sessions held it locked through "
                            f"{DDL_LOCK_ATTEMPTS} attempts ({exc.orig}); the statement was: {statement}"
                        ) from None
                    time.sleep(DDL_LOCK_BACKOFF_SECONDS * 2 ** (attempt - 1))

    def _execute_ddl(self, statement: str) -> None:
        with self.begin() as conn:
            conn.execute(sa.text(statement))

    def add_missing_columns(self, table: sa.Table, columns: list[tuple[ColumnSpec, int | None]]) -> None:
        """Add to an existing bookkeeping table the `columns` it lacks (an older loader created it).

        A parallel load (the partitions of a full sync) may add the same column first: the statement
        then fails as a concurrent change, and the column is looked for again.
        """

        def missing() -> list[tuple[ColumnSpec, int | None]]:
            with self.begin() as conn:
                existing = self.dialect.existing_columns(conn, table) or {}
            return [
                (s, n) for s, n in columns if str(self.dialect.identifier(s.name)).lower() not in existing
            ]

        for spec, length in missing():
            try:
                self.run_ddl(table, self.dialect.add_column_ddl(table, spec, length))
            except ConcurrentSchemaChange:
                if spec in [s for s, _ in missing()]:
                    raise

    def create_table(self, table: sa.Table) -> bool:
        """Create ``table`` unless it exists; whether this call created it."""
        for attempt in range(_DDL_ATTEMPTS):
            try:
                with self.begin() as conn:
                    if sa.inspect(conn).has_table(table.name, schema=table.schema):
                        return False
                    table.create(conn)
                return True
            except sa.exc.DBAPIError as exc:
                # A parallel load of the same stream created it first: checkfirst now sees it.
                if attempt + 1 < _DDL_ATTEMPTS and _is_concurrent_ddl(exc):
                    time.sleep(0.2 * (attempt + 1))
                    continue
                raise
        raise AssertionError("unreachable")

    @functools.cached_property
    def read_grantees(self) -> list[str]:
        """The ``grant_select_to`` users, checked: plain identifiers, on a database that has users."""
        grantees = [str(name) for name in self.config.get("grant_select_to") or []]
        for name in grantees:
            if not _GRANTEE.fullmatch(name):
                raise WarehouseConfigError(
                    f"grant_select_to: {name!r} is not a user name (letters, digits, _ $ #, starting "
                    "with a letter, at most 128 characters)"
                )
        if grantees and not self.dialect.supports_grants:
            raise WarehouseConfigError(f"grant_select_to: {self.dialect.backend} has no users to grant to")
        return grantees

    def grant_reads(self, table: sa.Table) -> None:
        """Let the ``grant_select_to`` users read ``table``, right after this loader created it.

        On Oracle dbt's user builds views on the raw tables and must hold SELECT on each directly
        (SQL Language Reference, CREATE VIEW, Prerequisites); the owner may grant it with no
        system privilege (GRANT, Prerequisites). Only the loader that created a table grants, so
        parallel loads never grant on one table at the same moment.
        """
        quote, name = self.dialect.preparer.quote, self.dialect.format_table(table)
        statements = [
            f"GRANT SELECT ON {name} TO {quote(self.dialect.identifier(grantee))}"
            for grantee in self.read_grantees
        ]
        if statements:
            self.run_ddl(table, statements)


class _Guarded:
    """Context manager: ``engine.begin()`` whose connect errors name the setting to fix."""

    def __init__(self, connector: WarehouseConnector) -> None:
        self._connector = connector
        self._context: Any = None

    def __enter__(self) -> sa.Connection:
        try:
            self._context = self._connector.engine.begin()
            return self._context.__enter__()  # type: ignore[no-any-return]
        except (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.DatabaseError) as exc:
            raise explain(exc, self._connector.url, "connect") from None

    def __exit__(self, *exc_info: Any) -> bool | None:
        return self._context.__exit__(*exc_info)  # type: ignore[no-any-return]

"""What the loader hands python-oracledb for one batch: statements, values and setinputsizes types.

The batch goes through the real ``write_batch`` and the connector's real engine set-up, with
SQLAlchemy's oracledb dialect and the real ``oracledb`` module for the DB-API types; only the
connection is a recorder (no server is reached). The expectations are python-oracledb's documented
behaviour: a value bound without an input size takes the type of its Python value, and a
``datetime`` then travels as DB_TYPE_DATE, which has no fractional seconds (python-oracledb
``OracleMetadata.from_value``; ``write_oracle_date`` writes them only for TIMESTAMP); CLOB text bound
as DB_TYPE_NVARCHAR goes through the national character set, which thin mode supports only as
AL16UTF16 (python-oracledb "Character Sets and Globalization").
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
from dataclasses import dataclass, field
from typing import Any

import oracledb
import pytest
import sqlalchemy as sa

from target_warehouse.batch import BatchTarget, write_batch
from target_warehouse.columns import columns_from_schema
from target_warehouse.connector import WarehouseConnector
from target_warehouse.dialects import oracle as oracle_dialect
from target_warehouse.errors import WarehouseConfigError
from target_warehouse.tables import raw_table

URL = "oracle+oracledb://loader@db.example:1521/?service_name=WMSPDB"
# Naive UTC, as the Oracle converters give it.
STAMP = dt.datetime(2025, 9, 15, 12, 35, 59, 926171, tzinfo=dt.UTC).replace(tzinfo=None)
PROPERTIES: dict[str, Any] = {
    "id": {"type": "integer"},
    "mod_ts": {"type": "string", "format": "date-time"},
    "session": {"type": ["string", "null"], "maxLength": 20},
    "alloc_qty": {"type": ["number", "null"]},
    "attributes": {"type": ["object", "null"]},
}
BIG_ID = 2**62 + 1  # not a double: a float would store 4611686018427387904
EXACT = decimal.Decimal("1234567890.123456789012345")  # 25 digits: a float keeps 15-17


@dataclass
class Call:
    method: str
    sql: str = ""
    rows: list[Any] = field(default_factory=list)
    inputsizes: dict[str, Any] = field(default_factory=dict)


# The users ALL_USERS lists (the only query this recorder answers; SQLAlchemy asks it for schemas).
USERS = [("SYS",), ("WMS_RAW",), ("WMS",)]


class RecordingCursor:
    """The DB-API cursor surface SQLAlchemy uses; every call is appended to ``calls``."""

    rowcount = 0
    arraysize = 100

    def __init__(self, calls: list[Call]) -> None:
        self._calls = calls
        self._inputsizes: dict[str, Any] = {}
        self.description: list[tuple[Any, ...]] | None = None
        self._rows: list[tuple[Any, ...]] = []

    def setinputsizes(self, *args: Any, **kwargs: Any) -> None:
        assert not args, "SQLAlchemy's oracledb dialect binds by name"
        self._inputsizes = kwargs

    def execute(self, sql: str, parameters: Any = None) -> None:
        self._calls.append(Call("execute", sql, [parameters or {}], self._inputsizes))
        self._inputsizes = {}
        self.description, self._rows = None, []
        if "ALL_USERS" in sql.upper():
            self.description = [("USERNAME", oracledb.DB_TYPE_VARCHAR, 128, 128, None, None, False)]
            self._rows = list(USERS)

    def executemany(self, sql: str, parameters: list[Any]) -> None:
        self._calls.append(Call("executemany", sql, list(parameters), self._inputsizes))
        self._inputsizes = {}

    def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    def fetchmany(self, size: int | None = None) -> list[Any]:
        rows, self._rows = self._rows[: size or self.arraysize], self._rows[size or self.arraysize :]
        return rows

    def close(self) -> None:
        pass


class RecordingConnection:
    def __init__(self, calls: list[Call]) -> None:
        self._calls = calls

    def cursor(self) -> RecordingCursor:
        return RecordingCursor(self._calls)

    def commit(self) -> None:
        self._calls.append(Call("commit"))

    def rollback(self) -> None:
        self._calls.append(Call("rollback"))

    def ping(self) -> None:
        pass

    def close(self) -> None:
        pass


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[Call]:
    """Engines made by the connector talk to a recorder (and skip the server version queries)."""
    recorded: list[Call] = []
    real_create_engine = sa.create_engine

    def create_engine(url: Any, **kwargs: Any) -> sa.Engine:
        return real_create_engine(
            url,
            module=oracledb,
            creator=functools.partial(RecordingConnection, recorded),
            _initialize=False,
            **kwargs,
        )

    monkeypatch.setattr(sa, "create_engine", create_engine)
    return recorded


def _write_one_batch(connector: WarehouseConnector) -> None:
    dialect = connector.dialect
    columns = columns_from_schema(PROPERTIES, str)
    raw = raw_table(dialect, "allocation", "wms_raw", columns, {"session": 20})
    rows = [
        (BIG_ID, STAMP, "night shift", EXACT, '{"zone":"A"}', STAMP),
        (7, STAMP.replace(microsecond=1), None, decimal.Decimal("0.5"), None, None),
    ]
    values = [list(column) for column in zip(*rows, strict=True)]
    rejected = [("column alloc_qty: number 1E+130 is outside Oracle NUMBER's range", '{"id":8}')]
    write_batch(
        connector,
        BatchTarget("allocation", "allocation", "run-1", "sync-1"),
        raw,
        columns,
        values,
        2,
        rejected,
        3,
    )


def _bound(recorded: list[Call]) -> list[tuple[str, str, Any, Any]]:
    """(statement head, bind name, value, setinputsizes type) for every bound value."""
    return [
        (call.sql.split("(")[0].strip(), name, value, call.inputsizes.get(name))
        for call in recorded
        if call.method in ("execute", "executemany")
        for row in call.rows
        for name, value in row.items()
    ]


def test_every_datetime_is_bound_as_timestamp_with_its_microseconds(calls: list[Call]) -> None:
    _write_one_batch(WarehouseConnector(config={"sqlalchemy_url": URL}))
    stamps = [
        (head, name, value, dbtype)
        for head, name, value, dbtype in _bound(calls)
        if isinstance(value, dt.datetime)
    ]
    # staging rows (mod_ts, etl_extracted_at), CAST(:b_loaded_at ...), quarantined_at, audit :b_now (x3)
    assert {name for _, name, _, _ in stamps} == {
        "mod_ts",
        "etl_extracted_at",
        "b_loaded_at",
        "quarantined_at",
        "b_now",
    }
    for head, name, value, dbtype in stamps:
        assert dbtype is oracledb.DB_TYPE_TIMESTAMP, (
            f"{head} :{name} bound as {dbtype} (DATE drops microseconds)"
        )
        assert value.tzinfo is None  # naive UTC: the session runs in UTC
    staged = [value for _, name, value, _ in stamps if name == "mod_ts"]
    assert [stamp.microsecond for stamp in staged] == [926171, 1]


def test_clob_text_is_bound_in_the_database_character_set(calls: list[Call]) -> None:
    _write_one_batch(WarehouseConnector(config={"sqlalchemy_url": URL}))
    lobs = {name: dbtype for _, name, _, dbtype in _bound(calls) if name in ("attributes", "raw_record")}
    assert lobs == {"attributes": oracledb.DB_TYPE_LONG, "raw_record": oracledb.DB_TYPE_LONG}
    assert oracledb.DB_TYPE_NVARCHAR not in {dbtype for *_, dbtype in _bound(calls)}


def test_numbers_reach_the_driver_exactly(calls: list[Call]) -> None:
    _write_one_batch(WarehouseConnector(config={"sqlalchemy_url": URL}))
    by_name = {name: value for _, name, value, _ in _bound(calls) if name in ("id", "alloc_qty")}
    staged = [(name, value) for _, name, value, _ in _bound(calls) if name in ("id", "alloc_qty")]
    assert staged == [("id", BIG_ID), ("alloc_qty", EXACT), ("id", 7), ("alloc_qty", decimal.Decimal("0.5"))]
    assert type(by_name["id"]) is int


def test_reserved_word_columns_bind_under_quoted_names(calls: list[Call]) -> None:
    _write_one_batch(WarehouseConnector(config={"sqlalchemy_url": URL}))
    staging = next(call for call in calls if call.method == "executemany" and "ORA$PTT_" in call.sql)
    assert ':"session"' in staging.sql  # ORA-01745 for an unquoted :session
    assert '"SESSION"' in staging.sql
    assert staging.rows[0]['"session"'] == "night shift"


def test_sessions_wait_for_ddl_locks(calls: list[Call]) -> None:
    connector = WarehouseConnector(config={"sqlalchemy_url": URL})
    _write_one_batch(connector)
    setup = [call.sql for call in calls if call.method == "execute" and call.sql.startswith("ALTER SESSION")]
    assert f"ALTER SESSION SET DDL_LOCK_TIMEOUT = {oracle_dialect.DDL_LOCK_TIMEOUT_SECONDS}" in setup


def test_the_check_catches_the_old_timestamp_type(calls: list[Call], monkeypatch: pytest.MonkeyPatch) -> None:
    """The previous type (a TIMESTAMP WITH TIME ZONE naming no DB-API type) gets no input size, so the
    driver would send DB_TYPE_DATE: the assertion above would fail on it."""

    class OldTimestampWithTimeZone(sa.types.UserDefinedType[dt.datetime]):
        cache_ok = True

        def get_col_spec(self, **_: Any) -> str:
            return "TIMESTAMP(6) WITH TIME ZONE"

    monkeypatch.setattr(oracle_dialect, "UtcTimestamp", OldTimestampWithTimeZone)
    _write_one_batch(WarehouseConnector(config={"sqlalchemy_url": URL}))
    untyped = {
        name for _, name, value, dbtype in _bound(calls) if isinstance(value, dt.datetime) and dbtype is None
    }
    assert {"mod_ts", "b_loaded_at", "quarantined_at", "b_now"} <= untyped


def test_an_existing_oracle_user_is_found_as_the_target_schema(calls: list[Call]) -> None:
    """The schema WMS_RAW is a user ALL_USERS lists in upper case; the loader must find it (and,
    Oracle schemas being users, it never creates one: a missing one is a configuration error)."""
    connector = WarehouseConnector(config={"sqlalchemy_url": URL})
    connector.ensure_ready()
    created = [call.sql.strip() for call in calls if call.sql.strip().startswith("CREATE TABLE")]
    assert any(sql.startswith("CREATE TABLE WMS_RAW.ETL_LOAD_AUDIT") for sql in created)
    assert not [call.sql for call in calls if call.sql.startswith("GRANT")]  # grant_select_to unset
    missing = WarehouseConnector(config={"sqlalchemy_url": URL, "default_target_schema": "wms_stage"})
    with pytest.raises(
        WarehouseConfigError, match="default_target_schema: Oracle schema WMS_STAGE does not exist"
    ):
        missing.ensure_ready()


def test_dbt_s_user_is_granted_select_on_each_table_the_loader_creates(calls: list[Call]) -> None:
    """SQL Language Reference, CREATE VIEW: the view owner (WMS) needs SELECT on each base table,
    granted directly; the owner (WMS_RAW) may grant it with no system privilege."""
    WarehouseConnector(config={"sqlalchemy_url": URL, "grant_select_to": ["wms"]}).ensure_ready()
    grants = [call.sql for call in calls if call.sql.startswith("GRANT")]
    assert sorted(grants) == [
        f"GRANT SELECT ON WMS_RAW.{table} TO WMS"
        for table in (
            "ETL_FULL_SYNC_COMPLETE",
            "ETL_FULL_SYNC_DECISION",
            "ETL_FULL_SYNC_SEEN",
            "ETL_LOADED_WINDOWS",
            "ETL_LOAD_AUDIT",
            "ETL_LOAD_SOURCE",
            "ETL_QUARANTINE",
        )
    ]

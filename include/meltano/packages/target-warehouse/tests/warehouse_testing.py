"""Helpers the loader tests share: the data files, the warehouses, an in-process target run, and a query."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from target_warehouse.target import TargetWarehouse

DATA_FILES = Path(__file__).parent / "data_files"
# The opt-in real-Oracle lane (docs/oracle.md): the loader's login, the owner of the raw schema.
ORACLE_URL_VARIABLE = "WMS_TEST_ORACLE_URL"
ORACLE_RAW_USER = "WMS_RAW"


def warehouse_kinds(environ: Mapping[str, str] | None = None) -> list[str]:
    """The warehouses each loading test runs on: Oracle only when WMS_TEST_ORACLE_URL is set."""
    env = os.environ if environ is None else environ
    return ["duckdb", "postgres", *(["oracle"] if env.get(ORACLE_URL_VARIABLE) else [])]


def oracle_test_url(environ: Mapping[str, str] | None = None) -> str:
    """WMS_TEST_ORACLE_URL, checked: an oracle+oracledb URL logging in as WMS_RAW.

    The loader writes to default_target_schema `wms_raw`, and on Oracle a schema is a user: logged in
    as its owner it needs no ANY privilege (docs/oracle/provision.sql). Errors never show the value.
    """
    env = os.environ if environ is None else environ
    example = "oracle+oracledb://wms_raw:<password>@<host>:1521/?service_name=FREEPDB1"
    try:
        url = sa.make_url(env.get(ORACLE_URL_VARIABLE, ""))
    except sa.exc.ArgumentError:
        raise ValueError(f"{ORACLE_URL_VARIABLE} is not a SQLAlchemy URL; e.g. {example}") from None
    if url.drivername != "oracle+oracledb" or not url.host or "service_name" not in url.query:
        raise ValueError(
            f"{ORACLE_URL_VARIABLE} must be an oracle+oracledb URL with ?service_name=; e.g. {example}"
        )
    if (url.username or "").upper() != ORACLE_RAW_USER or not url.password:
        raise ValueError(
            f"{ORACLE_URL_VARIABLE} must log in as {ORACLE_RAW_USER} with its password; e.g. {example}"
        )
    return MaskedUrl(url.render_as_string(hide_password=False), url.render_as_string(hide_password=True))


class MaskedUrl(str):
    """A URL that is the full text wherever it is used, and shows `***` for its password in repr():
    pytest prints fixture values through repr() when an assertion fails."""

    masked: str

    def __new__(cls, full: str, masked: str) -> MaskedUrl:
        url = super().__new__(cls, full)
        url.masked = masked
        return url

    def __repr__(self) -> str:
        return repr(self.masked)


def drop_own_tables(url: str) -> None:
    """Drop (purge) every table the Oracle user of `url` owns: the lane's tests share one schema, so
    each starts and ends with it empty. Point the lane at a throwaway database only."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            names = conn.execute(sa.text("SELECT table_name FROM user_tables WHERE dropped = 'NO'")).scalars()
            for name in list(names):
                if '"' in name:  # Oracle names cannot hold a double quote; refuse rather than quote
                    raise ValueError(f"unexpected table name in the data dictionary: {name!r}")
                conn.execute(sa.text(f'DROP TABLE "{name}" CASCADE CONSTRAINTS PURGE'))
    finally:
        engine.dispose()


def run_target(config: dict[str, Any], singer_text: str) -> list[dict[str, Any]]:
    """Load ``singer_text`` in-process; return the STATE values the target emitted."""
    target = TargetWarehouse(config=config, validate_config=True)
    captured = io.StringIO()
    original = target._write_state_message

    def capture(state: dict[str, Any]) -> None:
        captured.write(json.dumps(state) + "\n")
        original(state)

    target._write_state_message = capture  # type: ignore[method-assign]
    target.listen(io.StringIO(singer_text))
    return [json.loads(line) for line in captured.getvalue().splitlines()]


def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` (the engine is disposed so DuckDB's file lock is released).

    On Oracle, values come back as DuckDB and PostgreSQL return them, so the same assertions hold: a
    TIMESTAMP holds UTC (the loader's design) and comes back naive, so it is returned UTC-aware like a
    timestamptz; a DATE always carries a time of day, so the loader's dates (midnight) are returned
    as dates.
    """
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            result = conn.execute(sa.text(sql))
            types = [getattr(column[1], "name", "") for column in result.cursor.description or []]
            rows = [tuple(row) for row in result]
    finally:
        engine.dispose()
    if engine.dialect.name != "oracle":
        return rows
    return [tuple(_as_elsewhere(value, kind) for value, kind in zip(row, types, strict=True)) for row in rows]


def _as_elsewhere(value: Any, oracle_type: str) -> Any:
    if not isinstance(value, dt.datetime) or value.tzinfo is not None:
        return value
    if oracle_type == "DB_TYPE_DATE" and value.time() == dt.time(0):
        return value.date()
    return value.replace(tzinfo=dt.UTC)


def one_allocation(mod_ts: str) -> str:
    """Singer text of the smallest allocation stream: a schema of id and mod_ts, and one record."""
    schema = {"properties": {"id": {"type": "integer"}, "mod_ts": {"type": "string", "format": "date-time"}}}
    messages = [
        {"type": "SCHEMA", "stream": "allocation", "key_properties": ["id"], "schema": schema},
        {"type": "RECORD", "stream": "allocation", "record": {"id": 1, "mod_ts": mod_ts}},
    ]
    return "".join(json.dumps(message) + "\n" for message in messages)

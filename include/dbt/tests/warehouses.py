"""Load the scripted raw rows into DuckDB, PostgreSQL or Oracle and read mart rows back, for the build tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import duckdb
import psycopg
from oracle_lane import OracleLane
from raw_schema import as_parameters, ddl_statements, insert_statement, table_columns
from scripted_wms import ScriptedWms

RAW_SCHEMA = "wms_raw"
MODEL_SCHEMA = "wms"


def load_duckdb(path: Path, wms: ScriptedWms, *, create: bool = True) -> None:
    with duckdb.connect(str(path)) as con:
        if create:
            for statement in ddl_statements(RAW_SCHEMA):
                con.execute(statement)
        for table, rows in wms.rows.items():
            sql, names = insert_statement(RAW_SCHEMA, table, "?")
            con.executemany(sql, as_parameters(names, rows))


def query_duckdb(path: Path, sql: str) -> list[dict[str, Any]]:
    with duckdb.connect(str(path), read_only=True) as con:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def postgres_env(sqlalchemy_url: str) -> dict[str, str]:
    """WMS_PG_* variables for profiles.yml from a postgresql+psycopg:// URL."""
    parts = urlsplit(sqlalchemy_url)
    return {
        "WMS_PG_HOST": parts.hostname or "127.0.0.1",
        "WMS_PG_PORT": str(parts.port or 5432),
        "WMS_PG_USER": unquote(parts.username or ""),
        "WMS_PG_PASSWORD": unquote(parts.password or ""),
        "WMS_PG_DBNAME": parts.path.lstrip("/"),
    }


def _psycopg_dsn(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://", 1)


def load_postgres(url: str, wms: ScriptedWms, *, create: bool = True) -> None:
    with psycopg.connect(_psycopg_dsn(url)) as con, con.cursor() as cur:
        if create:
            for statement in ddl_statements(RAW_SCHEMA):
                cur.execute(statement)  # fixed DDL built from constants
        for table, rows in wms.rows.items():
            sql, names = insert_statement(RAW_SCHEMA, table, "%s")
            cur.executemany(sql, as_parameters(names, rows))


def query_postgres(url: str, sql: str) -> list[dict[str, Any]]:
    with psycopg.connect(_psycopg_dsn(url)) as con, con.cursor() as cur:
        cur.execute(sql)
        names: Sequence[str] = [d.name for d in cur.description or []]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


# Oracle (the opt-in lane, oracle_lane.py): the raw tables as target-warehouse creates them there.
ORACLE_TYPES = {
    "bigint": "NUMBER(19)",
    "integer": "NUMBER(19)",
    "varchar": "VARCHAR2(4000 CHAR)",
    "timestamptz": "TIMESTAMP(6)",  # UTC, the loader's design on Oracle
    "numeric(18,4)": "NUMBER",
    "boolean": "NUMBER(1)",
    "date": "DATE",
}


def oracle_ddl_statements() -> list[str]:
    """CREATE TABLE statements for the raw tables, in the schema of the user that runs them (WMS_RAW)."""
    statements = []
    for table, columns in table_columns().items():
        body = ", ".join(f"{name} {ORACLE_TYPES[sql_type]}" for name, sql_type in columns)
        statements.append(f"create table {table} ({body})")
    return statements


def load_oracle(lane: OracleLane, wms: ScriptedWms, *, create: bool = True) -> None:
    """As WMS_RAW: create the raw tables, insert the scripted rows, grant dbt's user SELECT on them."""
    if create:
        with lane.loader.connect() as connection, connection.cursor() as cursor:
            for statement in oracle_ddl_statements():
                cursor.execute(statement)  # fixed DDL built from constants
    for table, rows in wms.rows.items():
        sql, names = insert_statement(RAW_SCHEMA, table, "?")
        lane.execute(lane.loader, sql, as_parameters(names, rows))
    lane.grant_raw_read()

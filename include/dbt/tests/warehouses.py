"""Load the scripted raw rows into DuckDB or PostgreSQL and read mart rows back, for the build tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import duckdb
import psycopg
from raw_schema import as_parameters, ddl_statements, insert_statement
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

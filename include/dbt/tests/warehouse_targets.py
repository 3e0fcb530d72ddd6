"""One warehouse (a DuckDB file, a PostgreSQL database or the Oracle lane's two schemas) as the loader, dbt
and the test each reach it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import duckdb
import psycopg
from oracle_lane import OracleLane
from warehouses import postgres_env, query_duckdb, query_postgres

Query = Callable[[str], list[dict[str, Any]]]
Execute = Callable[[str, Sequence[Sequence[Any]]], None]


@dataclass(frozen=True)
class WarehouseTarget:
    """Connection settings for target-warehouse and dbt, plus query/execute for the test itself.

    `execute` runs one statement per parameter tuple, with `?` placeholders on every warehouse.
    `after_load` is what a deployment does between a load and dbt: on Oracle, grant dbt's user SELECT
    on the raw tables a load may have created (docs/oracle/grant_raw_read.sql); elsewhere nothing.
    """

    dbt_target: str
    loader_url: str  # SQLAlchemy URL without credentials, as target-warehouse wants it
    loader_username: str
    loader_password: str = field(repr=False)  # never in a failing test's output
    dbt_env: dict[str, str] = field(repr=False)  # holds dbt's password
    query: Query
    execute: Execute
    after_load: Callable[[], None] = lambda: None


def duckdb_target(path: Path) -> WarehouseTarget:
    return WarehouseTarget(
        dbt_target="duckdb",
        loader_url=f"duckdb:///{path}",
        loader_username="",
        loader_password="",
        dbt_env={"WMS_DUCKDB_PATH": str(path)},
        query=partial(query_duckdb, path),
        execute=partial(_execute_duckdb, path),
    )


def postgres_target(sqlalchemy_url: str) -> WarehouseTarget:
    """From a `postgresql+psycopg://user:pass@host:port/db` URL (the `postgres_url` fixture)."""
    parts = urlsplit(sqlalchemy_url)
    host_port = f"{parts.hostname}:{parts.port or 5432}"
    return WarehouseTarget(
        dbt_target="postgres",
        loader_url=urlunsplit((parts.scheme, host_port, parts.path, "", "")),
        loader_username=unquote(parts.username or ""),
        loader_password=unquote(parts.password or ""),
        dbt_env=postgres_env(sqlalchemy_url),
        query=partial(query_postgres, sqlalchemy_url),
        execute=partial(_execute_postgres, sqlalchemy_url),
    )


def oracle_target(lane: OracleLane, database: str) -> WarehouseTarget:
    """The lane's Oracle: the loader logs in as WMS_RAW, dbt (and the test's queries) as WMS.

    `database` is the DB_NAME (`lane.db_name()`), which dbt-oracle needs as the profile's `database`.
    """
    return WarehouseTarget(
        dbt_target="oracle",
        loader_url=lane.loader_url(),
        loader_username=lane.loader.user,
        loader_password=lane.loader.password,
        dbt_env=lane.profile_env(database),
        query=partial(lane.query, lane.dbt),
        execute=partial(lane.execute, lane.loader),
        after_load=lane.grant_raw_read,
    )


def _execute_duckdb(path: Path, sql: str, parameters: Sequence[Sequence[Any]]) -> None:
    with duckdb.connect(str(path)) as con:  # closed at once: the loader and dbt open the file next
        con.executemany(sql, [list(row) for row in parameters])


def _execute_postgres(url: str, sql: str, parameters: Sequence[Sequence[Any]]) -> None:
    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn) as con, con.cursor() as cur:
        cur.executemany(sql.replace("?", "%s"), [tuple(row) for row in parameters])

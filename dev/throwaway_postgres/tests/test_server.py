"""The throwaway server is a real PostgreSQL with password auth, and fresh databases are isolated."""

from __future__ import annotations

import pytest

from throwaway_postgres.pytest_plugin import PostgresHandle
from throwaway_postgres.server import ServerInfo, run_sql


def test_server_answers_sql_with_password_auth(postgres_server: PostgresHandle) -> None:
    version = run_sql(postgres_server.info, "SHOW server_version_num")
    assert int(version) >= 130000


def test_wrong_password_is_refused(postgres_server: PostgresHandle) -> None:
    info = postgres_server.info
    wrong = ServerInfo(info.host, info.port, info.user, info.password + "x")
    with pytest.raises(RuntimeError, match="password authentication failed"):
        run_sql(wrong, "SELECT 1")


def test_each_test_database_starts_empty(postgres_server: PostgresHandle, postgres_url: str) -> None:
    dbname = postgres_url.rsplit("/", 1)[1]
    run_sql(postgres_server.info, "CREATE TABLE marker (id int)", dbname=dbname)
    other = postgres_server.create_database(dbname + "_other").rsplit("/", 1)[1]
    tables = run_sql(postgres_server.info, "SELECT count(*) FROM pg_tables WHERE tablename = 'marker'", other)
    assert tables.strip() == "0"


def test_url_carries_driver_and_credentials(postgres_server: PostgresHandle) -> None:
    url = postgres_server.url("db1", driver="postgresql+psycopg")
    assert url.startswith(f"postgresql+psycopg://{postgres_server.info.user}:")
    assert url.endswith(f"@127.0.0.1:{postgres_server.info.port}/db1")

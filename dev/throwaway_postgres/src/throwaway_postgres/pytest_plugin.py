"""pytest fixtures: one throwaway PostgreSQL per session, a fresh database per test; Redis on request."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest

from throwaway_postgres.redis_server import RedisInfo, RedisServer
from throwaway_postgres.server import PostgresServer, ServerInfo, create_database, start_postgres

_counter = itertools.count()


class PostgresHandle:
    """What tests use: URLs with credentials, and fresh databases on demand."""

    def __init__(self, info: ServerInfo) -> None:
        self.info = info

    def url(self, dbname: str = "postgres", driver: str = "postgresql+psycopg") -> str:
        return self.info.url(dbname, driver)

    def create_database(self, name: str) -> str:
        create_database(self.info, name)
        return self.url(name)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresHandle]:
    """A running PostgreSQL; fails the tests that use it (never skips) when none can be started."""
    server: PostgresServer | None
    server, info = start_postgres()
    try:
        yield PostgresHandle(info)
    finally:
        if server is not None:
            server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresHandle) -> str:
    """A new, empty database for this test, as a SQLAlchemy URL (postgresql+psycopg://...)."""
    name = f"t_{os.getpid()}_{next(_counter)}"
    return postgres_server.create_database(name)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisInfo]:
    """A running Redis (Debian's redis-server, installed when missing and allowed); fails, never skips."""
    server = RedisServer()
    info = server.start()
    try:
        yield info
    finally:
        server.stop()

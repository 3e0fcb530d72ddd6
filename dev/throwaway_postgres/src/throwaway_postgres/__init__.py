"""A disposable PostgreSQL server for tests: started on loopback, password auth, removed afterwards.

The suite needs a real server-class warehouse. This starts one from the machine's PostgreSQL binaries,
installing Debian's package first when they are missing and we are allowed to (root with apt-get), and
raises `PostgresUnavailableError` with the reason otherwise: a missing server fails the run, it never
skips tests.

Redis (the Celery broker of the distributed test) is started the same way: `RedisServer`.
"""

from __future__ import annotations

from throwaway_postgres.redis_server import RedisInfo, RedisServer, RedisUnavailableError
from throwaway_postgres.server import (
    PostgresServer,
    PostgresUnavailableError,
    ServerInfo,
    start_postgres,
)

__all__ = [
    "PostgresServer",
    "PostgresUnavailableError",
    "RedisInfo",
    "RedisServer",
    "RedisUnavailableError",
    "ServerInfo",
    "start_postgres",
]

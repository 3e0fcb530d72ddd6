"""The throwaway Redis is a real redis-server with a password; without one it fails loudly, never skips."""

from __future__ import annotations

import os

import pytest
import redis

from throwaway_postgres import redis_server as module
from throwaway_postgres.redis_server import RedisInfo, RedisServer, RedisUnavailableError, ping


def test_server_answers_with_its_password(redis_server: RedisInfo) -> None:
    client = redis.Redis.from_url(redis_server.url())
    client.set("wms-key", "value")
    assert client.get("wms-key") == b"value"
    assert ping(redis_server)


def test_wrong_password_is_refused(redis_server: RedisInfo) -> None:
    wrong = RedisInfo(redis_server.host, redis_server.port, redis_server.password + "x")
    assert not ping(wrong)
    with pytest.raises(redis.AuthenticationError):
        redis.Redis.from_url(wrong.url()).ping()


def test_a_missing_server_that_cannot_be_installed_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(module, "_find_binary", lambda: None)
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(RedisUnavailableError, match="'redis-server' package is not installed"):
        RedisServer().start()


def test_stop_ends_the_server() -> None:
    server = RedisServer()
    info = server.start()
    assert ping(info)
    server.stop()
    assert not ping(info)

"""A stand-in server for the stand-in's own tests, reached with its driver module directly."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from oracle_standin import driver
from oracle_standin.testing import StandIn, running_standin


@pytest.fixture(scope="session")
def server() -> Iterator[StandIn]:
    with running_standin() as standin:
        yield standin


@pytest.fixture
def oracle(server: StandIn) -> StandIn:
    """A fresh catalog (users WMS_RAW, WMS, LOADER, DBT), log and violations; Oracle 19c."""
    server.reset(version="19.0.0.0.0")
    return server


@pytest.fixture
def connect(oracle: StandIn) -> Iterator[object]:
    opened: list[driver.Connection] = []

    def _connect(user: str = "wms_raw") -> driver.Connection:
        connection = driver.Connection(dsn="", user=user, params={}, address=oracle.address)
        opened.append(connection)
        return connection

    yield _connect
    for connection in opened:
        if not connection._closed:
            connection.close()

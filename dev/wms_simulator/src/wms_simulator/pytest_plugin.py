"""pytest fixtures: a session-scoped simulator server, reset before every test that asks for it.

Override ``wms_simulator_config`` (any scope) in a conftest or test module to change the data set;
``wms_simulator`` then serves that configuration from a per-session pool of servers.
``wms_simulator_server`` serves the session-level ``wms_simulator_config`` (override it session-scoped).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .config import SimulatorConfig
from .server import SimulatorServer
from .simulator import Simulator

DEFAULT_TEST_CONFIG = SimulatorConfig()


class _ServerPool:
    def __init__(self) -> None:
        self.servers: dict[SimulatorConfig, SimulatorServer] = {}

    def get(self, config: SimulatorConfig) -> SimulatorServer:
        if config not in self.servers:
            self.servers[config] = SimulatorServer(Simulator(config)).start()
        return self.servers[config]

    def stop_all(self) -> None:
        for server in self.servers.values():
            server.stop()
        self.servers.clear()


@pytest.fixture(scope="session")
def wms_simulator_config() -> SimulatorConfig:
    """The simulator configuration; override it to change volume, seed or credentials."""
    return DEFAULT_TEST_CONFIG


@pytest.fixture(scope="session")
def _wms_simulator_pool() -> Iterator[_ServerPool]:
    pool = _ServerPool()
    yield pool
    pool.stop_all()


@pytest.fixture(scope="session")
def wms_simulator_server(
    _wms_simulator_pool: _ServerPool, wms_simulator_config: SimulatorConfig
) -> SimulatorServer:
    """A running server for the session (state persists between tests; use ``wms_simulator`` to reset)."""
    return _wms_simulator_pool.get(wms_simulator_config)


@pytest.fixture
def wms_simulator(_wms_simulator_pool: _ServerPool, wms_simulator_config: SimulatorConfig) -> SimulatorServer:
    """The session server for ``wms_simulator_config``, reset to its initial state for this test."""
    server = _wms_simulator_pool.get(wms_simulator_config)
    server.sim.reset()
    return server

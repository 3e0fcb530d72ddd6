"""Fixtures: one small simulator server for the whole suite, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sim_helpers import SMALL, Api

from wms_simulator import Simulator, SimulatorServer


@pytest.fixture(scope="session")
def small_server() -> Iterator[SimulatorServer]:
    with SimulatorServer(Simulator(SMALL)) as server:
        yield server


@pytest.fixture
def api(small_server: SimulatorServer) -> Api:
    small_server.sim.reset()
    return Api(small_server)

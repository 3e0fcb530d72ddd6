"""A simulated WMS over HTTP for the modules that ask it questions (planning, counts)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from wms_simulator import Simulator, SimulatorConfig, SimulatorServer


@pytest.fixture(scope="module")
def wms_server() -> Iterator[Any]:
    """60 orders' worth of records behind Basic auth (`sim.config` has the credentials); tests reset it
    first."""
    config = SimulatorConfig(
        records=60,
        seed=3,
        start_time=datetime(2026, 1, 5, 6, tzinfo=UTC),
        username="wms_api",
        password="plan-secret-7788",
    )
    with SimulatorServer(Simulator(config), host="127.0.0.1", port=0) as running:
        yield running

"""The full sync's planning questions, asked of the simulator over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from include.wms_pipeline.wms_api import WmsApiError, WmsClient
from wms_simulator import FaultRule, Simulator, SimulatorConfig, SimulatorServer

PASSWORD = "plan-secret-7788"


@pytest.fixture(scope="module")
def server() -> Any:
    config = SimulatorConfig(
        records=60,
        seed=3,
        start_time=datetime(2026, 1, 5, 6, tzinfo=UTC),
        username="wms_api",
        password=PASSWORD,
    )
    with SimulatorServer(Simulator(config), host="127.0.0.1", port=0) as running:
        yield running


def _client(server: Any, password: str = PASSWORD) -> WmsClient:
    return WmsClient(
        server.base_url, {"type": "basic", "username": "wms_api", "password": password}, timeout=10
    )


@pytest.mark.parametrize("entity", ["order_hdr", "allocation", "order_status"])
def test_stats_match_the_simulators_records(server: Any, entity: str) -> None:
    server.sim.reset()
    ids = sorted(server.sim.versions(entity))
    stats = _client(server).entity_stats(entity)
    assert (stats.id_min, stats.id_max, stats.count) == (ids[0], ids[-1], len(ids))


def test_transient_errors_are_retried(server: Any) -> None:
    server.sim.reset()
    server.sim.faults.add(FaultRule(kind="503", entity="order_hdr", max_count=1))
    assert _client(server).entity_stats("order_hdr").count == len(server.sim.versions("order_hdr"))


def test_bad_credentials_name_the_connection_and_hide_the_password(server: Any) -> None:
    server.sim.reset()
    with pytest.raises(WmsApiError, match="oracle_wms") as failure:
        _client(server, password="wrong-" + PASSWORD).entity_stats("order_hdr")
    assert PASSWORD not in str(failure.value)

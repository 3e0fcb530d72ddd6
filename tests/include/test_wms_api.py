"""The full sync's planning questions, asked of the simulator over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from include.wms_pipeline.wms_api import WmsApiError, WmsClient
from wms_simulator import FaultRule


def _client(wms_server: Any, password: str | None = None) -> WmsClient:
    config = wms_server.sim.config
    auth = {"type": "basic", "username": config.username, "password": password or config.password}
    return WmsClient(wms_server.base_url, auth, timeout=10)


@pytest.mark.parametrize("entity", ["order_hdr", "allocation", "order_status"])
def test_stats_match_the_simulators_records(wms_server: Any, entity: str) -> None:
    wms_server.sim.reset()
    ids = sorted(wms_server.sim.versions(entity))
    stats = _client(wms_server).entity_stats(entity)
    assert (stats.id_min, stats.id_max, stats.count) == (ids[0], ids[-1], len(ids))


def test_transient_errors_are_retried(wms_server: Any) -> None:
    wms_server.sim.reset()
    wms_server.sim.faults.add(FaultRule(kind="503", entity="order_hdr", max_count=1))
    assert _client(wms_server).entity_stats("order_hdr").count == len(wms_server.sim.versions("order_hdr"))


def test_bad_credentials_name_the_connection_and_hide_the_password(wms_server: Any) -> None:
    wms_server.sim.reset()
    password = wms_server.sim.config.password
    with pytest.raises(WmsApiError, match="oracle_wms") as failure:
        _client(wms_server, password="wrong-" + password).entity_stats("order_hdr")
    assert password not in str(failure.value)

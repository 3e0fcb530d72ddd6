"""The latency model: calibrated costs, the scaled sleep and the 5-minute gateway limit."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sim_helpers import Api

from wms_simulator import Simulator, SimulatorConfig, SimulatorServer
from wms_simulator.latency import GATEWAY_LIMIT_SECONDS, page_cost

SCALE = 0.02


def test_costs_match_the_measured_real_service() -> None:
    assert 18 <= page_cost("allocation", 1000, 10**6, (("id", False),), False) <= 20
    assert 17 <= page_cost("order_dtl", 1000, 10**6, (("id", True),), False) <= 18.5
    assert 9 <= page_cost("order_hdr", 500, 10**6, (("id", True),), False) <= 10.5
    assert 21 <= page_cost("allocation", 1250, 10**6, (), False) <= 26
    windowed = page_cost("allocation", 1000, 5000, (("mod_ts", False),), True)
    unfiltered = page_cost("allocation", 1000, 2_770_000, (("mod_ts", False),), False)
    assert 95 <= windowed <= 110
    assert 170 <= unfiltered <= 190
    assert page_cost("allocation", 1250, 10_000_000, (("mod_ts", False),), False) > GATEWAY_LIMIT_SECONDS


@pytest.fixture
def slow_api() -> Iterator[Api]:
    config = SimulatorConfig(records=50, latency=True, latency_scale=SCALE)
    with SimulatorServer(Simulator(config)) as server:
        yield Api(server)


def test_scaled_sleep_grows_with_rows_and_with_mod_ts_ordering(slow_api: Api) -> None:
    def timed(**params: object) -> float:
        started = time.monotonic()
        assert slow_api.get("order_dtl/", **params).status == 200
        return time.monotonic() - started

    matches = len(slow_api.sim.versions("order_dtl"))
    small = timed(page_size=10, ordering="id")
    large = timed(page_size=120, ordering="id")
    by_mod_ts = timed(page_size=120, ordering="mod_ts")
    assert small >= SCALE * page_cost("order_dtl", 10, matches, (("id", False),), False)
    assert large >= SCALE * page_cost("order_dtl", 120, matches, (("id", False),), False)
    assert by_mod_ts >= SCALE * page_cost("order_dtl", 120, matches, (("mod_ts", False),), False)
    assert small < large < by_mod_ts


def test_page_over_the_gateway_limit_is_504(monkeypatch: pytest.MonkeyPatch, slow_api: Api) -> None:
    # a lower limit keeps the test fast: 120 rows by mod_ts cost ~12.4 s unscaled, by id ~2.5 s
    monkeypatch.setattr("wms_simulator.latency.GATEWAY_LIMIT_SECONDS", 10.0)
    assert slow_api.get("order_dtl/", page_size=120, ordering="mod_ts").status == 504
    assert slow_api.get("order_dtl/", page_size=120, ordering="id").status == 200


def test_latency_is_off_by_default(api: Api) -> None:
    started = time.monotonic()
    api.get("order_dtl/", page_size=1000, ordering="mod_ts")
    assert time.monotonic() - started < 2

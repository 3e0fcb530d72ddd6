"""What a key-scan full sync asks of the service: `fields` projections (reference §3, DOC p.30) and
`id__in` lists (§4), their latency, a service that ignores `fields`, and a clock that moves mid-sync."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sim_helpers import Api

from wms_simulator import FaultRule, Simulator, SimulatorConfig, SimulatorServer
from wms_simulator.latency import page_cost

SCALE = 0.02


def test_a_key_walk_returns_id_and_mod_ts_of_every_record_once(api: Api) -> None:
    rows = api.walk(
        api.url("allocation/", fields="id,mod_ts", ordering="id", page_mode="sequenced", page_size=40)
    )

    assert all(set(row) == {"id", "mod_ts"} for row in rows)
    assert {row["id"]: row["mod_ts"] for row in rows} == api.sim.versions("allocation")
    assert [row["id"] for row in rows] == sorted(row["id"] for row in rows)


def test_id_in_answers_exactly_the_listed_records_that_exist(api: Api) -> None:
    versions = api.sim.versions("order_hdr")
    wanted = sorted(versions)[:5]
    absent = max(versions) + 1000
    body = api.get("order_hdr/", id__in=",".join(map(str, [*wanted, absent])), ordering="id").json

    assert [row["id"] for row in body["results"]] == wanted
    assert {row["id"]: row["mod_ts"] for row in body["results"]} == {i: versions[i] for i in wanted}
    assert "order_nbr" in body["results"][0], "without fields, whole records"


def test_id_in_matching_nothing_is_404_as_any_empty_list(api: Api) -> None:
    assert api.get("order_hdr/", id__in=str(max(api.sim.versions("order_hdr")) + 1000)).status == 404


def test_a_projected_page_costs_its_fraction_of_the_per_row_cost() -> None:
    whole = page_cost("allocation", 1000, 10**6, (("id", False),), False)
    projected = page_cost("allocation", 1000, 10**6, (("id", False),), False, row_fraction=0.1)
    assert projected == pytest.approx(0.4 + (whole - 0.4) * 0.1)


@pytest.fixture
def slow_server() -> Iterator[SimulatorServer]:
    config = SimulatorConfig(records=50, latency=True, latency_scale=SCALE, projection_cost=0.1)
    with SimulatorServer(Simulator(config)) as server:
        yield server


def test_the_server_sleeps_less_for_a_projected_page(slow_server: SimulatorServer) -> None:
    api = Api(slow_server)

    def timed(**params: object) -> float:
        started = time.monotonic()
        assert api.get("order_dtl/", page_size=150, ordering="id", **params).status == 200
        return time.monotonic() - started

    assert timed(fields="id,mod_ts") < timed()


def test_a_service_that_ignores_fields_answers_whole_records() -> None:
    with SimulatorServer(Simulator(SimulatorConfig(records=20, ignore_fields=True))) as server:
        rows = Api(server).get("allocation/", fields="id,mod_ts", page_size=5).json["results"]
    assert all({"id", "mod_ts", "alloc_qty", "url"} <= set(row) for row in rows)


def test_an_advance_fault_moves_the_clock_before_answering(api: Api) -> None:
    before = api.sim.versions("order_hdr")
    api.sim.faults.add(FaultRule(kind="advance", query_regex="id__in", first_n=1, advance_minutes=600))
    api.get("order_hdr/", page_size=1)
    assert api.sim.versions("order_hdr") == before, "only requests the rule matches move the clock"

    api.get("order_hdr/", id__in=",".join(map(str, sorted(before)[:3])))

    assert api.sim.versions("order_hdr") != before

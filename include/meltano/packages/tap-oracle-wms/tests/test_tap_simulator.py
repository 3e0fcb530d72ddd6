"""End to end against dev/wms_simulator: the tap reads exactly the simulator's versions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from singer_run import SingerOutput, run_tap

from wms_simulator import FaultRule, Simulator, SimulatorConfig, SimulatorServer

CORE = ["allocation", "order_hdr", "order_dtl"]
FAST = {"retry_backoff_seconds": 0.01, "max_retries": 6, "progress_interval_seconds": 5}


def tap_config(handle: Any, **overrides: Any) -> dict[str, Any]:
    """Basic-auth settings aimed at a simulator handle (fixture handle or started server)."""
    config = handle.config if hasattr(handle, "config") else handle.sim.config
    return {
        "base_url": handle.base_url,
        "auth": {"type": "basic", "username": config.username, "password": config.password},
        "entities": CORE,
        "page_size": 250,
        **FAST,
        **overrides,
    }


def simulator_set(
    sim: Simulator, entity: str, start: datetime | None = None, end: datetime | None = None
) -> set[tuple[int, str]]:
    """(id, mod_ts) of every current version, optionally within [start, end)."""
    return {
        (record_id, mod_ts)
        for record_id, mod_ts in sim.versions(entity).items()
        if (start is None or datetime.fromisoformat(mod_ts) >= start)
        and (end is None or datetime.fromisoformat(mod_ts) < end)
    }


def assert_exactly(output: SingerOutput, entity: str, expected: set[tuple[int, str]]) -> None:
    versions = output.versions(entity)
    assert len(versions) == len(set(versions)), f"{entity}: a version was emitted twice"
    assert set(versions) == expected


@pytest.mark.parametrize("page_mode", ["sequenced", "paged"])
def test_full_sync_reads_every_version_once_in_both_paging_modes(wms_simulator: Any, page_mode: str) -> None:
    output = run_tap(tap_config(wms_simulator, page_mode=page_mode))

    for entity in CORE:
        expected = simulator_set(wms_simulator.sim, entity)
        assert expected, f"the simulator has {entity} records"
        assert_exactly(output, entity, expected)


def test_adjacent_windows_share_a_boundary_without_loss_or_duplicate(wms_simulator: Any) -> None:
    sim = wms_simulator.sim
    stamps = sorted({datetime.fromisoformat(ts) for ts in sim.versions("allocation").values()})
    start, end = stamps[0], stamps[-1] + timedelta(microseconds=1)
    boundary = stamps[len(stamps) // 2]  # a version changed exactly at the boundary
    on_boundary = {
        pair for pair in simulator_set(sim, "allocation") if datetime.fromisoformat(pair[1]) == boundary
    }

    first = run_tap(
        tap_config(
            wms_simulator,
            entities=["allocation"],
            start_date=start.isoformat(),
            end_date=boundary.isoformat(),
        )
    )
    second = run_tap(
        tap_config(
            wms_simulator, entities=["allocation"], start_date=boundary.isoformat(), end_date=end.isoformat()
        )
    )

    assert on_boundary
    assert not on_boundary & set(first.versions("allocation"))
    assert on_boundary <= set(second.versions("allocation"))
    combined = SingerOutput(first.messages + second.messages)
    assert_exactly(combined, "allocation", simulator_set(sim, "allocation", start, end))


def test_id_partitions_cover_the_range_exactly_once(wms_simulator: Any) -> None:
    ids = sorted(wms_simulator.sim.versions("order_dtl"))
    cut_1, cut_2 = ids[len(ids) // 3], ids[2 * len(ids) // 3]
    bounds = [(ids[0], cut_1), (cut_1 + 1, cut_2), (cut_2 + 1, ids[-1])]

    runs = [
        run_tap(tap_config(wms_simulator, entities=["order_dtl"], id_min=low, id_max=high))
        for low, high in bounds
    ]

    per_partition = [set(run.versions("order_dtl")) for run in runs]
    assert all(per_partition), "every partition read something"
    assert sum(len(part) for part in per_partition) == len(set().union(*per_partition))
    assert_exactly(
        SingerOutput([m for run in runs for m in run.messages]),
        "order_dtl",
        simulator_set(wms_simulator.sim, "order_dtl"),
    )


@pytest.mark.parametrize(
    "kind", ["409", "429", "500", "502", "503", "504", "reset", "slow", "truncated", "malformed"]
)
def test_each_fault_kind_is_retried_and_the_run_completes(wms_simulator: Any, kind: str) -> None:
    rule = wms_simulator.sim.faults.add(
        FaultRule(kind=kind, entity="allocation", max_count=2, delay_seconds=3.0, retry_after=0)
    )

    output = run_tap(tap_config(wms_simulator, entities=["allocation"], request_timeout=1))

    assert rule.injected == 2
    assert_exactly(output, "allocation", simulator_set(wms_simulator.sim, "allocation"))


def test_wrong_password_fails_naming_the_settings(
    wms_simulator: Any, caplog: pytest.LogCaptureFixture
) -> None:
    config = tap_config(wms_simulator)
    config["auth"] = {**config["auth"], "password": "not-the-password-42"}

    with pytest.raises(Exception, match=r"auth\.username.*auth\.password") as failure:
        run_tap(config)

    assert "not-the-password-42" not in str(failure.value) + caplog.text


def test_oauth2_reads_everything_and_survives_token_expiry_mid_run() -> None:
    config = SimulatorConfig(
        records=60, seed=7, start_time=datetime(2026, 1, 5, 6, tzinfo=UTC), token_ttl_seconds=2
    )
    server = SimulatorServer(Simulator(config), host="127.0.0.1", port=0).start()
    try:
        # Slow pages stretch the run past the 2 s token lifetime.
        server.sim.faults.add(FaultRule(kind="slow", entity="allocation", max_count=3, delay_seconds=1.2))
        settings = tap_config(server, entities=["allocation"], page_size=20)
        settings["auth"] = {
            "type": "oauth2",
            "token_url": server.token_url,
            "client_id": config.oauth_client_id,
            "client_secret": config.oauth_client_secret,
        }

        output = run_tap(settings)

        assert_exactly(output, "allocation", simulator_set(server.sim, "allocation"))
        token_requests = [seen for seen in server.sim.requests if "token" in str(getattr(seen, "path", seen))]
        assert len(token_requests) >= 2, "the token was renewed during the run"
    finally:
        server.stop()


@pytest.fixture(scope="module")
def big_simulator() -> Iterator[SimulatorServer]:
    """Enough orders that the three core streams hold at least 100,000 records."""
    config = SimulatorConfig(records=16_000, seed=11, start_time=datetime(2026, 1, 5, 6, tzinfo=UTC))
    server = SimulatorServer(Simulator(config), host="127.0.0.1", port=0).start()
    yield server
    server.stop()


def test_100k_records_with_faults_on_5_percent_of_requests(big_simulator: SimulatorServer) -> None:
    sim = big_simulator.sim
    expected = {entity: simulator_set(sim, entity) for entity in CORE}
    assert sum(len(versions) for versions in expected.values()) >= 100_000
    for kind in ("429", "500", "503", "504", "409", "reset", "truncated", "malformed"):
        sim.faults.add(FaultRule(kind=kind, probability=0.05 / 8, retry_after=0))

    output = run_tap(tap_config(big_simulator, page_size=250, max_retries=8))

    for entity in CORE:
        assert_exactly(output, entity, expected[entity])
    injected = sum(rule.injected for rule in sim.faults.rules)
    failed = sum(1 for served in sim.requests if served.status >= 400)
    # 5% is the configured rate; a seeded draw may land below it, but never far below.
    assert injected >= 0.02 * len(sim.requests), f"only {injected} faults over {len(sim.requests)} requests"
    assert failed <= injected, "every failed answer was an injected fault"


def test_facility_filter_goes_only_to_entities_with_facility_id(wms_simulator: Any) -> None:
    sim = wms_simulator.sim
    code = next(iter(sim.records("facility")))["code"]

    output = run_tap(tap_config(wms_simulator, entities=["allocation", "order_hdr"], facility_code=code))

    queries = {served.path.rstrip("/").rsplit("/", 1)[-1]: served.query for served in sim.requests}
    assert "facility_id__code" in queries["order_hdr"]
    assert "facility_id__code" not in queries["allocation"]
    assert output.records["order_hdr"]
    assert {record["facility_key"] for record in output.records["order_hdr"]} == {code}
    assert_exactly(output, "allocation", simulator_set(sim, "allocation"))

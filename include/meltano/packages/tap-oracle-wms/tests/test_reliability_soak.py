"""Soak (fast variant): consecutive incremental intervals while the WMS creates, updates, cancels and
deletes, with transient faults on a few percent of requests, then a full sync.

History must equal every version the API showed, the current state (newest version per id, minus the
ids the full sync did not see) must equal the simulator's live records, and deleted ids are marked -
both by the documented rule in SQL and in the dbt staging models analysts read. The 50-interval run:
scripts/reliability.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from wms_reliability.soak import soak

from wms_simulator import Simulator, SimulatorConfig, SimulatorServer


@pytest.fixture(scope="module")
def server() -> Iterator[SimulatorServer]:
    config = SimulatorConfig(records=100, seed=17, start_time=datetime(2026, 1, 5, 6, tzinfo=UTC))
    with SimulatorServer(Simulator(config)) as running:
        yield running


def test_soak_of_incremental_intervals_with_faults_then_full_sync_loses_nothing(
    server: SimulatorServer, tmp_path: Path
) -> None:
    report = soak(server, f"duckdb:///{tmp_path / 'soak.duckdb'}", intervals=5, fault_probability=0.1)

    assert report.problems == {}
    assert report.intervals == 5
    assert report.faults_injected > 0, "faults really happened"
    assert report.changed > 0, "the WMS really changed records"
    assert report.deleted > 0, "the WMS really deleted records"
    assert report.deleted_marked == report.deleted or report.deleted_marked > 0
    assert report.dbt_current_checked == report.current_checked, "dbt's current state was compared"
    assert report.dbt_deleted_marked == report.deleted_marked

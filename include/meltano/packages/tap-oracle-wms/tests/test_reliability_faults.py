"""Fault x outcome: an extract-load under each simulator fault ends exact, or fails clearly and a rerun converges.

The full table (and the long run against more data) comes from `scripts/reliability`; this is the
fast variant: every fault kind, transient and persistent, on a small data set, loading into DuckDB.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from wms_reliability.fault_matrix import CASES, FaultCase, duckdb_warehouses, expected_outcome, run_cell

from wms_simulator import Simulator, SimulatorConfig, SimulatorServer
from wms_simulator.faults import FAULT_KINDS


@pytest.fixture(scope="module")
def fault_server() -> Iterator[SimulatorServer]:
    config = SimulatorConfig(records=40, seed=11, start_time=datetime(2026, 1, 5, 6, tzinfo=UTC))
    with SimulatorServer(Simulator(config)) as server:
        yield server


def test_every_fault_kind_the_simulator_injects_is_covered() -> None:
    covered = {case.rule["kind"] for case in CASES}
    assert covered == FAULT_KINDS


@pytest.mark.parametrize("mode", ["transient", "persistent"])
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_extract_load_under_fault_is_exact_or_fails_clearly_then_converges(
    fault_server: SimulatorServer, tmp_path: Path, case: FaultCase, mode: str
) -> None:
    cell = run_cell(fault_server, case, mode, duckdb_warehouses(tmp_path)("w"), f"t-{mode}")

    assert cell.injected > 0, "the fault was really injected"
    assert cell.outcome.split(":")[0] == expected_outcome(case, mode), cell.outcome
    assert cell.rerun in ({"-"} if cell.outcome == "exact" else {"exact"}), cell.rerun

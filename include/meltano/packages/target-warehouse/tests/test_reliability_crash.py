"""SIGKILL the real `tap-oracle-wms | target-warehouse` pipe at random points (start-up, extraction,
mid-batch, right after a committed batch), rerun the same sync, and compare with one clean run.

The fast variant kills a few times; scripts/reliability kills many more times.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[5] / "dev" / "reliability"))
from wms_reliability.crash import crash_and_rerun

from wms_simulator import Simulator, SimulatorConfig, SimulatorServer


def test_every_rerun_after_sigkill_equals_one_clean_run(tmp_path: Path) -> None:
    config = SimulatorConfig(records=150, seed=9, start_time=datetime(2026, 1, 5, 6, tzinfo=UTC))
    with SimulatorServer(Simulator(config)) as server:
        report = crash_and_rerun(
            server, tmp_path, lambda name: f"duckdb:///{tmp_path / name}.duckdb", 2, seed=4
        )

    assert report.failures == []
    assert report.reruns_equal == 2
    assert report.kills >= 2
    assert report.clean_rows > 0
    assert report.clean_batches > 1

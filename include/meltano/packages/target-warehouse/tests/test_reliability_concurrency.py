"""Backfill, incremental and full sync loading overlapping windows into the same tables at once.

PostgreSQL: real concurrent transactions (threads, one connection each). Every writer must succeed or
fail loudly, the warehouse never holds a wrong or duplicated version, and rerunning the failed writers
converges to exactly the simulator's versions. (That every writer *succeeds* despite key races is
proven deterministically in test_reliability_regressions.py.)
DuckDB: a single-writer file lock. In Airflow the 1-slot pool `wms_duckdb_writer` serialises every
writer; at the loader level a concurrent writer must fail with a message naming the lock, and a
rerun converges. Longer runs (more repetitions, separate processes): scripts/reliability.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[5] / "dev" / "reliability"))
from wms_reliability.concurrency import (
    exactness,
    load_in_threads,
    rerun_failed,
    writer_inputs,
)
from wms_reliability.pipeline import load, target_config

from wms_simulator import Simulator, SimulatorConfig, SimulatorServer

HOLD_LOCK = (
    "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('locked', flush=True); time.sleep(120)"
)
REPETITIONS = 3  # a race that only usually works is a failure: every repetition must hold


@pytest.fixture(scope="module")
def server() -> Iterator[SimulatorServer]:
    config = SimulatorConfig(records=80, seed=21, start_time=datetime(2026, 1, 5, 6, tzinfo=UTC))
    with SimulatorServer(Simulator(config)) as running:
        yield running


@pytest.fixture(scope="module")
def inputs(server: SimulatorServer, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return writer_inputs(server, tmp_path_factory.mktemp("writers"))


@pytest.mark.parametrize("repetition", range(REPETITIONS))
def test_postgres_concurrent_overlapping_writers_never_lose_or_duplicate(
    server: SimulatorServer, inputs: list[Path], postgres_url: str, repetition: int
) -> None:
    result = load_in_threads(postgres_url, inputs, f"pg{repetition}")

    for error in result.errors:  # loud, and says what happened
        assert error.startswith("target:"), error
        assert "Error" in error, error
    assert rerun_failed(postgres_url, inputs, result, f"pg{repetition}") == []
    assert exactness(server, postgres_url) == {}


def test_duckdb_second_writer_fails_naming_the_lock_and_a_rerun_converges(
    server: SimulatorServer, inputs: list[Path], tmp_path: Path
) -> None:
    database = tmp_path / "warehouse.duckdb"
    url = f"duckdb:///{database}"
    # Another process is writing (e.g. a task that bypassed the wms_duckdb_writer pool).
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(database)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        error = load(target_config(url, "blocked"), inputs[-1].read_text())
    finally:
        holder.kill()
        holder.wait()

    assert error is not None
    assert "Could not set lock" in error, error
    assert "sqlalchemy_url (DuckDB file path or lock)" in error, error
    assert load(target_config(url, "rerun"), inputs[-1].read_text()) is None
    assert exactness(server, url) == {}

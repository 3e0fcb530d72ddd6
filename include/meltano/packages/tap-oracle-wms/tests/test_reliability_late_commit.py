"""Late commits (fast cases of `scripts/reliability --only late-commit`), on DuckDB and PostgreSQL.

The simulated WMS makes some changes visible only after their mod_ts (a long transaction commits late).
Incremental runs read `[start - lookback, end)` five minutes after each two-hour interval ends, then a
full sync runs, then more incremental runs:

- commits within the lookback: every version the WMS showed at a read is in the warehouse, including
  the ones that became visible only after the run of their own interval (the next run's lookback read
  them), and the full sync finds nothing the incremental runs missed;
- commits beyond it: no incremental run reads them, the full sync loads each one still current, and
  the count of versions it found that the incremental runs had missed (the product's statement,
  include/wms_pipeline/late_commits.py, which the full sync logs and writes into the load audit,
  etl_load_audit.missed_by_incremental) equals the count recomputed from what the WMS showed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from wms_reliability.late_commit import Scenario, run

from wms_simulator import Simulator, SimulatorConfig, SimulatorServer

LOOKBACK = timedelta(minutes=30)  # the scenarios' own, so they stay small; the product's default is longer
ENTITIES = ("order_hdr", "allocation")


@pytest.fixture(scope="module")
def server() -> Iterator[SimulatorServer]:
    config = SimulatorConfig(records=800, seed=31, start_time=datetime(2026, 1, 5, 6, tzinfo=UTC))
    with SimulatorServer(Simulator(config)) as running:
        yield running


def _postgres(name: str) -> str:
    admin = os.environ["WMS_TEST_POSTGRES_URL"].replace("postgresql+psycopg://", "postgresql://")
    database = f"late_{name}_{os.getpid()}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{database}"')
        conn.execute(f'create database "{database}"')
    return admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{database}"


@pytest.fixture(params=["duckdb", "postgresql"])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], str]:
    if request.param == "duckdb":
        return lambda name: f"duckdb:///{tmp_path / name}.duckdb"
    if not os.environ.get("WMS_TEST_POSTGRES_URL"):
        pytest.skip("needs WMS_TEST_POSTGRES_URL")
    return _postgres


def test_commits_later_than_their_run_but_within_the_lookback_arrive_with_every_version(
    server: SimulatorServer, warehouse: Callable[[str], str]
) -> None:
    every_interval = {k: timedelta(minutes=20) for k in range(6)}  # 20 min late: after the 5-min run delay
    scenario = Scenario(
        lookback=LOOKBACK, intervals_before=5, intervals_after=1, delays=every_interval, entities=ENTITIES
    )
    report = run(server, warehouse("within"), scenario)

    assert report.problems == {}
    assert report.uncommitted_at_reads > 0, "some changes were not visible when their own run read"
    assert report.caught_by_lookback > 0, "later runs' lookback loaded versions their own run could not see"
    assert report.history_lost == 0
    assert report.missed_expected == report.missed_reported == report.missed_in_audit == 0


def test_commits_beyond_the_lookback_arrive_by_the_full_sync_which_counts_them_as_missed(
    server: SimulatorServer, warehouse: Callable[[str], str]
) -> None:
    scenario = Scenario(
        lookback=LOOKBACK,
        intervals_before=3,
        intervals_after=1,
        delays={1: timedelta(hours=3)},  # the changes before run 1's read commit 3 h late
        entities=ENTITIES,
    )
    report = run(server, warehouse("beyond"), scenario)

    assert report.problems == {}, "each version current at the full sync is loaded; the count agrees"
    assert report.missed_expected > 0, "the full sync found versions no incremental run had read"
    assert report.missed_reported == report.missed_expected
    assert report.missed_in_audit == report.missed_expected, "on-call sees the count in the load audit"
    assert report.caught_by_lookback == 0

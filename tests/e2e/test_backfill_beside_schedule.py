"""Backfills beside the schedule, under the real scheduler, leave the warehouse equal to the WMS (issue 35).

Backfill runs do not count towards a DAG's `max_active_runs` (Airflow 3.3
scheduler_job_runner.py, `exclude_backfill=True`), so a backfill runs beside the scheduled runs, and
with `--max-active-runs 2` two of its runs run at once. On PostgreSQL nothing else keeps their dbt
builds apart: the one-slot `wms_transform` pool must (include/wms_pipeline/dag_factory.py).

The harness is the backfill test's (tests/e2e/test_backfill.py): a scheduler (LocalExecutor), a
dag-processor and an api-server on a PostgreSQL metadata database, a PostgreSQL warehouse, the
simulated WMS. The initial state is loaded up to START; the WMS clock then moves three intervals on.
One backfill is created over the first two intervals with two runs at once and the DAG is unpaused,
so the scheduler starts the scheduled run of the third (the latest, catchup off) beside them: three
runs at once. A second backfill created meanwhile is refused by Airflow (one running backfill per
DAG), so "two backfills" can only ever be one after the other beside the schedule.

Three runs of every entity beside a service start cost more than scripts/test's budget allows, so the
test runs in `scripts/reliability --only backfill-beside-schedule` (WMS_RELIABILITY_FULL=1); the
pool's place in the DAG is checked in scripts/test by tests/dags/test_wms_sync_structure.py.

What must hold, from the data: the raw history holds every version the WMS showed, each once; the
three runs' dbt builds (the Cosmos producer task) never overlapped in time, and each took the pool.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from include.wms_pipeline.settings import ENTITIES_ALL, TRANSFORM_POOL
from local_runner.airflow_home import LocalAirflow
from local_runner.services import AirflowServices, service_env
from local_runner.simulator import free_port
from local_runner.warehouse import WarehouseReader
from tests.e2e.test_backfill import (
    DAG_ID,
    INTERVAL,
    INTERVALS,
    SCHEDULE,
    START,
    Metadata,
    Versions,
    _raw,
    _versions,
)
from throwaway_postgres.pytest_plugin import PostgresHandle
from wms_simulator import Simulator, SimulatorConfig, SimulatorServer

pytestmark = pytest.mark.skipif(
    os.environ.get("WMS_RELIABILITY_FULL") != "1",
    reason="runs in scripts/reliability --only backfill-beside-schedule (WMS_RELIABILITY_FULL=1)",
)

PASSWORD = "beside-schedule-wms-password-7310"
# Three runs of every entity on a busy 2-core machine: 20 minutes were not enough at load average ~40.
TIMEOUT = 50 * 60
PRODUCER = "transform.dbt_producer_watcher"


@dataclass(frozen=True)
class Scene:
    expected: Versions
    raw: Versions
    runs: list[dict[str, Any]]
    producers: list[dict[str, Any]]
    second_backfill: subprocess.CompletedProcess[str]
    most_at_once: int


def _say(message: str, since: float) -> None:
    print(f"[beside-schedule e2e +{time.monotonic() - since:6.1f} s] {message}", flush=True)


@pytest.fixture(scope="module")
def scene(postgres_server: PostgresHandle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    since = time.monotonic()
    base = tmp_path_factory.mktemp("beside")
    meta_db, warehouse_db = f"meta_{base.name}", f"wh_{base.name}"
    postgres_server.create_database(meta_db)
    postgres_server.create_database(warehouse_db)
    info = postgres_server.info
    reader = WarehouseReader("postgres", info.url(warehouse_db, driver="postgresql"))
    metadata = Metadata(postgres_server.url(meta_db, driver="postgresql+psycopg2"))
    config = SimulatorConfig(records=200, seed=29, start_time=START, username="wms_api", password=PASSWORD)
    with SimulatorServer(Simulator(config), host="127.0.0.1", port=0) as simulator:
        airflow = LocalAirflow(
            home=base / "airflow",
            warehouse_kind="postgres",
            warehouse_conn={
                "conn_type": "postgres",
                "host": info.host,
                "port": info.port,
                "login": info.user,
                "password": info.password,
                "schema": warehouse_db,
            },
            wms_conn={
                "conn_type": "http",
                "host": simulator.base_url,
                "login": "wms_api",
                "password": PASSWORD,
            },
            metadata_db_url=postgres_server.url(meta_db, driver="postgresql+psycopg2"),
            extra_env={
                **service_env(api_port=free_port()),
                "WMS_TASK_RETRIES": "0",
                "WMS_INCREMENTAL_SYNC_SCHEDULE": SCHEDULE,
            },
        )
        airflow.prepare()
        log = base / "initial-load.log"
        initial_conf = {"window_start": "2000-01-01T00:00:00+00:00", "window_end": START.isoformat()}
        ok = airflow.dags_test(DAG_ID, (START - timedelta(hours=1)).isoformat(), initial_conf, log)
        assert ok, f"initial load failed:\n{log.read_text(errors='replace')[-4000:]}"
        initial = _versions(simulator)
        _say("initial load done (dags test)", since)
        for _ in INTERVALS:
            simulator.sim.advance(INTERVAL)
        final = _versions(simulator)

        with AirflowServices(airflow, base / "services") as services:
            services.wait_healthy()
            _say("services healthy", since)
            airflow.airflow(
                "backfill", "create", "--dag-id", DAG_ID,
                "--from-date", INTERVALS[0][0].isoformat(),
                "--to-date", INTERVALS[1][0].isoformat(),  # inclusive: the first two intervals
                "--max-active-runs", "2",
            )  # fmt: skip
            backfill_id, _ = metadata.latest_backfill()
            airflow.airflow("dags", "unpause", DAG_ID)
            # While the first backfill runs: a second one over the third interval.
            second = airflow.airflow(
                "backfill", "create", "--dag-id", DAG_ID,
                "--from-date", INTERVALS[2][0].isoformat(), "--to-date", INTERVALS[2][0].isoformat(),
                check=False,
            )  # fmt: skip
            refusal = (second.stdout + second.stderr).strip().splitlines()[-1:]
            _say(
                f"backfill {backfill_id} created, DAG unpaused; second backfill: {second.returncode} {refusal}",
                since,
            )
            most = 0

            def done() -> bool:
                nonlocal most
                runs = metadata.rows(
                    "select run_id, run_type, state from dag_run where dag_id = :d", d=DAG_ID
                )
                most = max(most, sum(1 for run in runs if run["state"] == "running"))
                ours = [run for run in runs if run["run_type"] in ("backfill", "scheduled")]
                if any(run["state"] == "failed" for run in ours):
                    failed = metadata.unfinished_tasks([run["run_id"] for run in ours])
                    raise AssertionError(f"a run failed: {ours}\ntasks: {failed}\n{services.log_tails()}")
                return len(ours) == 3 and all(run["state"] == "success" for run in ours)

            services.wait_until(done, TIMEOUT, "the backfill's and the schedule's runs to succeed", poll=5)
            _say("all three runs succeeded", since)
            runs = metadata.rows(
                "select run_id, run_type, data_interval_start, data_interval_end from dag_run "
                "where dag_id = :d and run_type <> 'manual' order by data_interval_start",
                d=DAG_ID,
            )
            producers = metadata.rows(
                "select run_id, pool, start_date, end_date from task_instance "
                "where dag_id = :d and task_id = :t and run_id = any(:runs) order by start_date",
                d=DAG_ID,
                t=PRODUCER,
                runs=[run["run_id"] for run in runs],
            )
        yield Scene(_union(initial, final), _raw(reader), runs, producers, second, most)


def _union(initial: Versions, final: Versions) -> Versions:
    # The initial load saw the WMS at START; the runs read it after the clock had moved on, so a
    # record changed twice within the six hours is seen in its last version only.
    return {entity: initial[entity] | final[entity] for entity in ENTITIES_ALL}


def test_two_backfill_runs_and_a_scheduled_run_ran_at_once(scene: Scene) -> None:
    assert [
        (run["run_type"], run["data_interval_start"], run["data_interval_end"]) for run in scene.runs
    ] == [
        ("backfill", *INTERVALS[0]),
        ("backfill", *INTERVALS[1]),
        ("scheduled", *INTERVALS[2]),
    ]
    assert scene.most_at_once >= 2, "the runs never overlapped: the test would not show anything"


def test_airflow_refuses_a_second_backfill_while_one_runs(scene: Scene) -> None:
    assert scene.second_backfill.returncode != 0
    assert (
        "There can be only one running backfill"
        in scene.second_backfill.stdout + scene.second_backfill.stderr
    )


def test_the_dbt_builds_of_the_three_runs_took_the_pool_one_at_a_time(scene: Scene) -> None:
    assert len(scene.producers) == 3
    assert {row["pool"] for row in scene.producers} == {TRANSFORM_POOL}
    for earlier, later in zip(scene.producers, scene.producers[1:], strict=False):
        assert earlier["end_date"] <= later["start_date"], (earlier, later)


@pytest.mark.parametrize("entity", ENTITIES_ALL)
def test_the_warehouse_holds_every_version_the_wms_showed(scene: Scene, entity: str) -> None:
    assert scene.expected[entity], f"the simulator has no {entity} records to compare"
    assert scene.raw[entity] == scene.expected[entity]

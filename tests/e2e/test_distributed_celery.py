"""Two Celery workers, each with a disk of its own, load the exact warehouse, also when one dies mid-task.

A CeleryExecutor deployment: a Redis broker (Debian's redis-server, started here), a PostgreSQL metadata
database, a PostgreSQL warehouse, the scheduler, dag-processor, api-server and triggerer, and two
`airflow celery worker`s. Each worker has its own working directory, TMPDIR, HOME, Airflow home (task
logs) and dbt log path, and records its own hostname on the task instances it runs; the workers share
only what the workers of a real deployment share: the image (this checkout), the metadata database,
the broker, the warehouse and the connections.

Timeline (WMS clock): the full sync (the run its schedule, confined to the day before START and START,
starts by itself when the DAG is unpaused) loads what the WMS holds at START; then, for each of INTERVALS
two-hour intervals, the clock moves one interval on and a backfill of that one interval loads it (an
incremental run of that interval, as the scheduler runs it); then the clock moves BACKFILL_INTERVALS
more and one backfill loads them together. The DAG's schedule is confined to the scenario's day, so
unpausing it makes the scheduler start one run by itself: the latest interval's, before its WMS
changes exist (it loads nothing; the final backfill reprocesses it).

During the full sync's extract-loads (and, with WMS_DISTRIBUTED_KILLS > 1, the incremental runs'), the
worker running one is killed with SIGKILL, every process it started with it, as if its machine died.
The scheduler notices the missing heartbeats, the task is retried, and its retry runs on the worker
still alive; a fresh worker (new directories) then replaces the dead one.

The warehouse must hold exactly every (id, mod_ts) version the WMS showed, once. scripts/test runs the
fast variant (one incremental interval by backfill, then a one-interval backfill that reprocesses the
scheduled run, one kill); WMS_DISTRIBUTED_INTERVALS=3 WMS_DISTRIBUTED_BACKFILL_INTERVALS=1 is issue 23's
scenario (three intervals and a backfill), and `scripts/reliability --only distributed` runs more
intervals, a two-interval backfill and more kills (WMS_DISTRIBUTED_INTERVALS, WMS_DISTRIBUTED_KILLS,
WMS_DISTRIBUTED_BACKFILL_INTERVALS).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from include.wms_pipeline.settings import ENTITIES_ALL
from local_runner.airflow_home import LocalAirflow
from local_runner.services import AirflowServices, CeleryWorker, celery_env, service_env
from local_runner.simulator import free_port
from local_runner.warehouse import RAW_SCHEMA, WarehouseReader
from throwaway_postgres.pytest_plugin import PostgresHandle
from throwaway_postgres.redis_server import RedisInfo
from wms_simulator import Simulator, SimulatorConfig, SimulatorServer

INCREMENTAL, FULL = "wms_incremental_sync", "wms_full_sync"
START = datetime(2026, 1, 5, 4, 0, tzinfo=UTC)
INTERVAL = timedelta(hours=2)
INTERVALS = int(os.environ.get("WMS_DISTRIBUTED_INTERVALS", "1"))
BACKFILL_INTERVALS = int(os.environ.get("WMS_DISTRIBUTED_BACKFILL_INTERVALS", "1"))
KILLS = int(os.environ.get("WMS_DISTRIBUTED_KILLS", "1"))
PASSWORD = "distributed-wms-password-7741"
RUN_TIMEOUT = 20 * 60
# A dead worker's task instance is failed (and retried) after this many seconds without a heartbeat.
HEARTBEAT_TIMEOUT = 30

Versions = dict[str, set[tuple[int, datetime]]]


def _say(message: str, since: float) -> None:
    print(f"[distributed e2e +{time.monotonic() - since:6.1f} s] {message}", flush=True)


def _schedule(intervals: int) -> str:
    """Two-hourly ticks on the scenario's day only, ending with the last interval's end."""
    last = START + intervals * INTERVAL
    if last.date() != START.date():
        raise ValueError(f"{intervals} intervals from {START} leave the scenario's day")
    return f"0 {START.hour}-{last.hour}/2 {START.day} {START.month} *"


@dataclass(frozen=True)
class Kill:
    victim: str
    survivor: str
    run_id: str
    task_id: str
    map_index: int


@dataclass
class Scenario:
    expected: Versions
    raw: Versions
    runs: list[dict[str, Any]]
    tasks: list[dict[str, Any]]
    history: list[dict[str, Any]]
    workers: list[str]
    kills: list[Kill] = field(default_factory=list)


class Metadata:
    """Read-only queries on the Airflow metadata database."""

    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(url)

    def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(sa.text(sql), params)]

    def runs(self) -> list[dict[str, Any]]:
        return self.rows(
            "select dag_id, run_id, run_type, state, data_interval_start, data_interval_end from dag_run "
            "order by id"
        )

    def running_extracts(self) -> list[dict[str, Any]]:
        return self.rows(
            "select run_id, task_id, map_index, hostname from task_instance "
            "where state = 'running' and task_id like 'extract_load_%'"
        )


def _versions(simulator: SimulatorServer) -> Versions:
    return {
        entity: {(i, datetime.fromisoformat(ts)) for i, ts in simulator.sim.versions(entity).items()}
        for entity in ENTITIES_ALL
    }


def _raw(reader: WarehouseReader) -> Versions:
    found: Versions = {}
    for entity in ENTITIES_ALL:
        rows = [(int(i), ts) for i, ts in reader.rows(f"select id, mod_ts from {RAW_SCHEMA}.{entity}")]
        assert len(rows) == len(set(rows)), f"{entity}: an (id, mod_ts) version is stored twice"
        found[entity] = set(rows)
    return found


def _merge(into: Versions, more: Versions) -> None:
    for entity, versions in more.items():
        into.setdefault(entity, set()).update(versions)


class Deployment:
    """The running services, the workers alive, and what the test does to them."""

    def __init__(self, airflow: LocalAirflow, services: AirflowServices, metadata: Metadata, base: Path):
        self.airflow, self.services, self.metadata, self.base = airflow, services, metadata, base
        self.alive = [worker.name for worker in services.workers]
        self.replacements = 0
        self.kills: list[Kill] = []

    def wait_for_runs(self, dag_id: str, count: int, since: float) -> None:
        def done() -> bool:
            runs = [run for run in self.metadata.runs() if run["dag_id"] == dag_id]
            failed = [run for run in runs if run["state"] == "failed"]
            if failed:
                tasks = self.metadata.rows(
                    "select run_id, task_id, state, hostname from task_instance where run_id = :r "
                    "and coalesce(state, 'none') not in ('success', 'skipped')",
                    r=failed[0]["run_id"],
                )
                raise AssertionError(f"{dag_id} run failed: {failed}\n{tasks}\n{self.services.log_tails()}")
            return len(runs) >= count and all(run["state"] == "success" for run in runs)

        self.services.wait_until(done, RUN_TIMEOUT, f"{count} successful {dag_id} runs", poll=3)
        _say(f"{dag_id}: {count} runs done", since)

    def kill_during_an_extract(self, since: float) -> None:
        """SIGKILL the worker running an extract-load once its Meltano process runs; start a new worker."""
        victim: dict[str, Any] = {}

        def extracting() -> bool:
            for ti in self.metadata.running_extracts():
                if ti["hostname"] in self.alive and self._meltano_running(ti["hostname"]):
                    victim.update(ti)
                    return True
            return False

        self.services.wait_until(extracting, RUN_TIMEOUT, "an extract-load running on a worker", poll=0.5)
        name = str(victim["hostname"])
        self.services.kill(name)
        self.alive.remove(name)
        [survivor] = self.alive
        self.kills.append(Kill(name, survivor, victim["run_id"], victim["task_id"], victim["map_index"]))
        _say(f"killed {name} (SIGKILL) while it ran {victim['task_id']}[{victim['map_index']}]", since)

        def retried() -> bool:
            [ti] = self.metadata.rows(
                "select state, hostname from task_instance where run_id = :r and task_id = :t "
                "and map_index = :m",
                r=victim["run_id"],
                t=victim["task_id"],
                m=victim["map_index"],
            )
            return bool(ti["state"] == "success")

        self.services.wait_until(retried, RUN_TIMEOUT, f"{victim['task_id']} retried after the kill", poll=2)
        _say(f"{victim['task_id']} succeeded again after the kill", since)
        self.replacements += 1
        replacement = CeleryWorker(
            f"worker_{chr(ord('a') + len(self.services.workers))}",
            self.base / f"replacement-{self.replacements}",
            log_server_port=free_port(),
        )
        self.services.start_worker(replacement)
        self.alive.append(replacement.name)

    def _meltano_running(self, worker: str) -> bool:
        for pid in self.services.pids(worker):
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"meltano" in command and b" run" in command.replace(b"\0", b" "):
                return True
        return False

    def wait_for_backfills(self) -> None:
        """Until the scheduler marks every backfill complete (a while after its last run succeeded):
        a Dag takes one running backfill at a time ("AlreadyRunningBackfill")."""

        def complete() -> bool:
            [row] = self.metadata.rows("select count(*) as open from backfill where completed_at is null")
            return int(row["open"]) == 0

        self.services.wait_until(complete, RUN_TIMEOUT, "every backfill to complete", poll=3)

    def backfill(self, dag_id: str, first: datetime, last: datetime, *extra: str) -> None:
        self.wait_for_backfills()
        self.airflow.airflow(
            "backfill",
            "create",
            "--dag-id",
            dag_id,
            "--from-date",
            first.isoformat(),
            "--to-date",
            last.isoformat(),
            "--max-active-runs",
            "1",
            *extra,
        )


@pytest.fixture(scope="module")
def scenario(
    postgres_server: PostgresHandle, redis_server: RedisInfo, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Scenario]:
    since = time.monotonic()
    base = tmp_path_factory.mktemp("distributed")
    # The process id too: runs side by side may share one PostgreSQL server (WMS_TEST_POSTGRES_URL).
    meta_db, warehouse_db = f"meta_{base.name}_{os.getpid()}", f"wh_{base.name}_{os.getpid()}"
    postgres_server.create_database(meta_db)
    postgres_server.create_database(warehouse_db)
    info = postgres_server.info
    reader = WarehouseReader("postgres", info.url(warehouse_db, driver="postgresql"))
    metadata_url = postgres_server.url(meta_db, driver="postgresql+psycopg2")
    metadata = Metadata(metadata_url)
    total = INTERVALS + BACKFILL_INTERVALS
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
            metadata_db_url=metadata_url,
            extra_env={
                **service_env(api_port=free_port(), parallelism=8),
                **celery_env(broker_url=redis_server.url(), heartbeat_timeout=HEARTBEAT_TIMEOUT),
                "WMS_TASK_RETRIES": "2",
                "WMS_TASK_RETRY_DELAY_SECONDS": "1",
                "WMS_INCREMENTAL_SYNC_SCHEDULE": _schedule(total),
                # Two ticks, the day before START and START: one interval over, ending at START.
                "WMS_FULL_SYNC_SCHEDULE": f"0 {START.hour} {START.day - 1},{START.day} {START.month} *",
            },
        )
        airflow.prepare()
        _say("metadata DB migrated, pools imported", since)
        expected = _versions(simulator)
        workers = [
            CeleryWorker(name, base / name, log_server_port=free_port()) for name in ("worker_a", "worker_b")
        ]
        with AirflowServices(airflow, base / "services", workers=workers) as services:
            services.wait_healthy()
            deployment = Deployment(airflow, services, metadata, base)
            _say("services and two Celery workers started", since)

            # The full sync: unpaused, the DAG's confined schedule has one interval over, ending at START.
            airflow.airflow("dags", "unpause", FULL)
            if KILLS:
                deployment.kill_during_an_extract(since)
            deployment.wait_for_runs(FULL, 1, since)

            # Unpausing starts the schedule's latest interval by itself (before its changes exist).
            airflow.airflow("dags", "unpause", INCREMENTAL)
            deployment.wait_for_runs(INCREMENTAL, 1, since)
            for index in range(INTERVALS):
                simulator.sim.advance(INTERVAL)
                _merge(expected, _versions(simulator))
                start = START + index * INTERVAL
                deployment.backfill(INCREMENTAL, start, start)
                if index + 1 < KILLS:
                    deployment.kill_during_an_extract(since)
                deployment.wait_for_runs(INCREMENTAL, index + 2, since)
            for _ in range(BACKFILL_INTERVALS):
                simulator.sim.advance(INTERVAL)
                _merge(expected, _versions(simulator))
            first = START + INTERVALS * INTERVAL
            last = START + (total - 1) * INTERVAL
            # `completed`: the schedule's own run of the last interval ran before its changes existed.
            deployment.backfill(INCREMENTAL, first, last, "--reprocess-behavior", "completed")
            # The backfill reuses the scheduled run of the last interval (clearing it) and adds the others.
            deployment.wait_for_runs(INCREMENTAL, 1 + INTERVALS + BACKFILL_INTERVALS - 1, since)
            deployment.wait_for_backfills()
            _say("all runs done", since)
            tasks = metadata.rows(
                "select dag_id, run_id, task_id, map_index, state, try_number, hostname, operator from task_instance"
            )
            history = metadata.rows(
                "select dag_id, run_id, task_id, map_index, state, try_number, hostname from task_instance_history"
            )
            names = [worker.name for worker in services.workers]
        scenario = Scenario(expected, _raw(reader), metadata.runs(), tasks, history, names, deployment.kills)
        counts = Counter(task["hostname"] for task in tasks if task["state"] == "success")
        print(
            f"distributed: task instances by worker {dict(sorted(counts.items()))}; kills {len(scenario.kills)}"
        )
        yield scenario


def test_every_run_succeeded_and_the_runs_covered_every_interval(scenario: Scenario) -> None:
    assert {run["state"] for run in scenario.runs} == {"success"}
    full = [run for run in scenario.runs if run["dag_id"] == FULL]
    assert [(run["run_type"], run["data_interval_end"]) for run in full] == [("scheduled", START)]
    incremental = [run for run in scenario.runs if run["dag_id"] == INCREMENTAL]
    # The schedule's own run of the last interval was reprocessed by the last backfill, not repeated.
    intervals = sorted((run["data_interval_start"], run["data_interval_end"]) for run in incremental)
    total = INTERVALS + BACKFILL_INTERVALS
    assert intervals == [(START + i * INTERVAL, START + (i + 1) * INTERVAL) for i in range(total)]
    assert Counter(run["run_type"] for run in incremental)["backfill"] >= total - 1


@pytest.mark.parametrize("entity", ENTITIES_ALL)
def test_the_warehouse_holds_exactly_every_version_the_wms_showed(scenario: Scenario, entity: str) -> None:
    assert scenario.expected[entity], f"the simulator has no {entity} records to compare"
    assert scenario.raw[entity] == scenario.expected[entity]


def test_every_task_ran_on_a_worker_and_both_first_workers_ran_tasks(scenario: Scenario) -> None:
    # EmptyOperators are marked done by the scheduler itself, on no worker.
    ran = [task for task in scenario.tasks if task["operator"] != "EmptyOperator"]
    assert {task["state"] for task in ran} <= {"success", "skipped"}
    assert {task["hostname"] for task in ran if task["state"] == "success"} <= set(scenario.workers)
    counts = Counter(task["hostname"] for task in ran if task["state"] == "success")
    assert counts["worker_a"] > 0
    assert counts["worker_b"] > 0


def test_the_killed_workers_extract_load_was_retried_on_the_other_worker(scenario: Scenario) -> None:
    assert len(scenario.kills) == KILLS
    for kill in scenario.kills:
        key = (kill.run_id, kill.task_id, kill.map_index)
        [final] = [t for t in scenario.tasks if (t["run_id"], t["task_id"], t["map_index"]) == key]
        earlier = [t for t in scenario.history if (t["run_id"], t["task_id"], t["map_index"]) == key]
        assert final["state"] == "success"
        assert final["hostname"] == kill.survivor
        assert final["try_number"] >= 2
        assert [(t["hostname"], t["state"]) for t in earlier if t["hostname"] == kill.victim] == [
            (kill.victim, "failed")
        ]


def test_every_attempt_on_a_killed_worker_failed_and_succeeded_on_a_live_one(scenario: Scenario) -> None:
    victims = {kill.victim for kill in scenario.kills}
    lost = [t for t in scenario.history if t["hostname"] in victims and t["state"] != "success"]
    assert lost, "no attempt was lost with the killed workers"
    for attempt in lost:
        key = (attempt["run_id"], attempt["task_id"], attempt["map_index"])
        [final] = [t for t in scenario.tasks if (t["run_id"], t["task_id"], t["map_index"]) == key]
        assert attempt["state"] == "failed"
        assert (final["state"], final["try_number"] > attempt["try_number"]) == ("success", True)
        assert final["hostname"] not in victims

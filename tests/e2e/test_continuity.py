"""Outages, a paused DAG and a failed run leave no window unloaded, under the real scheduler.

A scheduler (LocalExecutor), a dag-processor and an api-server run against a PostgreSQL metadata
database; the warehouse is a PostgreSQL database. The simulated WMS clock starts at START; one
manual run through the scheduler loads everything up to START (an explicit window, recorded in the
warehouse's etl_loaded_windows like any successful run). Then, with two-hour intervals on a grid
confined to the scenario's day (WMS_INCREMENTAL_SYNC_SCHEDULE), time passes in three scenes:

(a) the scheduler is stopped for three intervals: the services stop after the initial load and start
    again only when the WMS clock is four intervals on; with catchup off the scheduler creates the run of the latest interval alone, and
    that run must read from START.
(b) the DAG is paused for two intervals: paused, the grid (the time that passed) grows by three
    intervals; unpaused, the scheduler again creates the latest interval's run alone, which must read
    the two paused intervals too.
(c) one interval's extracts fail for good (the WMS answers 401 to everything, no retries); the next
    interval's run must read the failed one's interval as well.

With WMS_RELIABILITY_FULL=1 (`scripts/reliability --only continuity`) the grid is hourly and the
scenes miss 8, 5 and 3 intervals.

The grid grows by re-serialising the DAG with the new schedule (`airflow dags reserialize` in this
process's environment), as the dag-processor would after time passed; the scheduler then creates the
run of the newest complete interval, exactly as it does after an outage in real time.

After each scene the warehouse's raw history equals every version the WMS showed to a successful
read, once; the run's contiguity check passed; and the check's rule, applied to the windows the
warehouse records plus the run's own interval alone (what the run would have read without the
continuity start), names the gap that was open.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from include.wms_pipeline.settings import ENTITIES_ALL
from include.wms_pipeline.windows import LoadedWindow, missing_ranges
from local_runner.airflow_home import LocalAirflow
from local_runner.services import AirflowServices, service_env
from local_runner.simulator import free_port
from local_runner.warehouse import RAW_SCHEMA, WarehouseReader
from throwaway_postgres.pytest_plugin import PostgresHandle
from wms_simulator import Simulator, SimulatorConfig, SimulatorServer
from wms_simulator.faults import FaultRule

DAG_ID = "wms_incremental_sync"
START = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
# The long variant (scripts/reliability --only continuity) misses more intervals, on an hourly grid so
# that every scene fits in the scenario's day.
FULL = os.environ.get("WMS_RELIABILITY_FULL") == "1"
INTERVAL = timedelta(hours=1 if FULL else 2)
STOPPED, PAUSED, FAILED = (8, 5, 3) if FULL else (3, 2, 1)
# WMS_CONTINUITY_ONLY_A=1 runs scene (a) alone (a quicker look while working on it).
ONLY_A = os.environ.get("WMS_CONTINUITY_ONLY_A") == "1"
PASSWORD = "continuity-wms-password-7730"
RUN_TIMEOUT = 15 * 60

Versions = dict[str, set[tuple[int, datetime]]]


def _say(message: str, since: float) -> None:
    print(f"[continuity e2e +{time.monotonic() - since:6.1f} s] {message}", flush=True)


def grid(last: datetime) -> str:
    """Two-hourly points from START to `last` on the scenario's day: the time that has passed."""
    # An explicit list: croniter reads a range of one value with a step ("2-2/2") as "from 2 on".
    points = []
    point = START
    while point <= last:
        points.append(str(point.hour))
        point += INTERVAL
    return f"0 {','.join(points)} {START.day} {START.month} *"


@dataclass(frozen=True)
class Scene:
    """One scene's catch-up run as the metadata DB and the warehouse saw it when it finished."""

    name: str
    interval: tuple[datetime, datetime]
    state: str
    planned: dict[str, str] | None
    tasks: dict[str, str]
    raw: Versions
    expected: Versions
    gap_without_continuity: dict[str, list[tuple[datetime, datetime]]]


class Metadata:
    """Read-only queries on the Airflow metadata database."""

    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(url)

    def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(sa.text(sql), params)]

    def scheduled_run(self, interval_end: datetime) -> dict[str, Any] | None:
        rows = self.rows(
            "select run_id, state, data_interval_start, data_interval_end from dag_run "
            "where dag_id = :dag and run_type = 'scheduled' and data_interval_end = :end",
            dag=DAG_ID,
            end=interval_end,
        )
        return rows[0] if rows else None

    def run_types(self) -> list[tuple[str, datetime | None]]:
        rows = self.rows("select run_type, data_interval_end from dag_run where dag_id = :dag", dag=DAG_ID)
        return sorted((str(row["run_type"]), row["data_interval_end"]) for row in rows)

    def tasks(self, run_id: str) -> dict[str, str]:
        rows = self.rows(
            "select task_id, state from task_instance where dag_id = :dag and run_id = :run",
            dag=DAG_ID,
            run=run_id,
        )
        return {str(row["task_id"]): str(row["state"]) for row in rows}

    def planned_window(self, run_id: str) -> dict[str, str] | None:
        rows = self.rows(
            "select value from xcom where dag_id = :dag and run_id = :run and task_id = 'plan_window' "
            "and key = 'return_value'",
            dag=DAG_ID,
            run=run_id,
        )
        if not rows:
            return None
        value = rows[0]["value"]
        if isinstance(value, str):
            value = json.loads(value)
        return dict(value)


def _versions(simulator: SimulatorServer) -> Versions:
    return {
        entity: {(i, datetime.fromisoformat(ts)) for i, ts in simulator.sim.versions(entity).items()}
        for entity in ENTITIES_ALL
    }


def _union(*snapshots: Versions) -> Versions:
    return {entity: set().union(*(snapshot[entity] for snapshot in snapshots)) for entity in ENTITIES_ALL}


def _raw(reader: WarehouseReader) -> Versions:
    found: Versions = {}
    for entity in ENTITIES_ALL:
        rows = [(int(i), ts) for i, ts in reader.rows(f"select id, mod_ts from {RAW_SCHEMA}.{entity}")]
        assert len(rows) == len(set(rows)), f"{entity}: an (id, mod_ts) version is stored twice"
        found[entity] = set(rows)
    return found


def _recorded_windows(reader: WarehouseReader) -> list[LoadedWindow]:
    rows = reader.rows(f"select stream_name, window_start, window_end from {RAW_SCHEMA}.etl_loaded_windows")
    return [LoadedWindow(str(stream), start, end) for stream, start, end in rows]


class Deployment:
    def __init__(
        self,
        airflow: LocalAirflow,
        services: AirflowServices,
        metadata: Metadata,
        reader: WarehouseReader,
        simulator: SimulatorServer,
        since: float,
    ) -> None:
        self.airflow, self.services, self.metadata = airflow, services, metadata
        self.reader, self.simulator, self.since = reader, simulator, since
        self.now = START
        self.read_snapshots: list[Versions] = []

    def time_passes(self, intervals: int) -> None:
        """The WMS clock moves on, and the DAG's grid with it (re-serialised as after that time)."""
        for _ in range(intervals):
            self.simulator.sim.advance(INTERVAL)
        self.now += intervals * INTERVAL
        self.airflow.extra_env["WMS_INCREMENTAL_SYNC_SCHEDULE"] = grid(self.now)
        self.airflow.airflow("dags", "reserialize")
        _say(f"WMS clock and schedule at {self.now:%H:%M}", self.since)

    def wait_for_run(self, interval_end: datetime) -> dict[str, Any]:
        finished: dict[str, Any] = {}

        def done() -> bool:
            run = self.metadata.scheduled_run(interval_end)
            if run and run["state"] in ("success", "failed"):
                finished.update(run)
                return True
            return False

        self.services.wait_until(done, RUN_TIMEOUT, f"the scheduled run ending {interval_end:%H:%M}", poll=5)
        _say(f"scheduled run ending {interval_end:%H:%M}: {finished['state']}", self.since)
        return finished

    def scene(self, name: str, run: dict[str, Any]) -> Scene:
        interval = (run["data_interval_start"], run["data_interval_end"])
        tasks = self.metadata.tasks(run["run_id"])
        recorded = _recorded_windows(self.reader)
        own = [w for w in recorded if w.end != interval[1]]
        # The contiguity rule on what the warehouse would hold had the run read its interval alone.
        alone = [*own, *(LoadedWindow(entity, *interval) for entity in ENTITIES_ALL)]
        return Scene(
            name=name,
            interval=interval,
            state=str(run["state"]),
            planned=self.metadata.planned_window(run["run_id"]),
            tasks=tasks,
            raw=_raw(self.reader),
            expected=_union(*self.read_snapshots),
            gap_without_continuity=missing_ranges(alone, {}, ENTITIES_ALL),
        )


@dataclass(frozen=True)
class Timeline:
    scenes: dict[str, Scene]
    run_types: list[tuple[str, datetime | None]]


@pytest.fixture(scope="module")
def timeline(postgres_server: PostgresHandle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Timeline]:
    since = time.monotonic()
    base = tmp_path_factory.mktemp("continuity")
    meta_db, warehouse_db = f"meta_{base.name}_{os.getpid()}", f"wh_{base.name}_{os.getpid()}"
    postgres_server.create_database(meta_db)
    postgres_server.create_database(warehouse_db)
    info = postgres_server.info
    reader = WarehouseReader("postgres", info.url(warehouse_db, driver="postgresql"))
    metadata = Metadata(postgres_server.url(meta_db, driver="postgresql+psycopg2"))
    config = SimulatorConfig(records=150, seed=31, start_time=START, username="wms_api", password=PASSWORD)
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
                "WMS_INCREMENTAL_SYNC_SCHEDULE": grid(START),
            },
        )
        airflow.prepare()
        services = AirflowServices(airflow, base / "services")
        deployment = Deployment(airflow, services, metadata, reader, simulator, since)
        result: dict[str, Scene] = {}
        with services:
            # The initial state: a manual run through the scheduler, everything the WMS holds up to
            # START (the grid's only point so far is START: no scheduled run is due yet).
            services.wait_healthy()
            airflow.airflow("dags", "unpause", DAG_ID)
            # Its logical date START gives it the data interval ending at START, which the freshness
            # check measures from (a run without one would measure from the real clock).
            conf = {"window_start": "2000-01-01T00:00:00+00:00"}
            airflow.airflow("dags", "trigger", DAG_ID, "-l", START.isoformat(), "--conf", json.dumps(conf))
            deployment.read_snapshots.append(_versions(simulator))

            def initial_done() -> bool:
                runs = metadata.rows("select state from dag_run where dag_id = :d", d=DAG_ID)
                return bool(runs) and runs[0]["state"] in ("success", "failed")

            services.wait_until(initial_done, RUN_TIMEOUT, "the initial load", poll=5)
            initial = metadata.rows("select run_id, state from dag_run where dag_id = :d", d=DAG_ID)[0]
            assert initial["state"] == "success", metadata.tasks(initial["run_id"])
            # Paused while the services are down and start again, so that no task is queued before the
            # api-server answers (the scheduler, back first, would start the run at once).
            airflow.airflow("dags", "pause", DAG_ID)
            _say("initial load done; stopping the scheduler", since)

        # (a) The scheduler is down for STOPPED intervals and starts again when the next one ends.
        deployment.time_passes(STOPPED + 1)
        deployment.read_snapshots.append(_versions(simulator))
        with services:
            services.wait_healthy()
            airflow.airflow("dags", "unpause", DAG_ID)
            _say("services healthy again", since)
            result["a"] = deployment.scene("a", deployment.wait_for_run(deployment.now))
            if ONLY_A:
                yield Timeline(result, metadata.run_types())
                return

            # (b) Paused for PAUSED intervals, unpaused in the next one.
            airflow.airflow("dags", "pause", DAG_ID)
            deployment.time_passes(PAUSED + 1)
            deployment.read_snapshots.append(_versions(simulator))
            airflow.airflow("dags", "unpause", DAG_ID)
            result["b"] = deployment.scene("b", deployment.wait_for_run(deployment.now))

            # (c) FAILED intervals' extracts fail for good; the next interval's run succeeds.
            simulator.sim.faults.add(FaultRule(kind="401"))
            for failed in range(FAILED):
                deployment.time_passes(1)
                result[f"c_failed{failed}"] = deployment.scene(
                    "c_failed", deployment.wait_for_run(deployment.now)
                )
            simulator.sim.faults.clear()
            deployment.time_passes(1)
            deployment.read_snapshots.append(_versions(simulator))
            result["c"] = deployment.scene("c", deployment.wait_for_run(deployment.now))
            run_types = metadata.run_types()
        _say("services stopped", since)
        yield Timeline(result, run_types)


A_END = START + (STOPPED + 1) * INTERVAL
B_END = A_END + (PAUSED + 1) * INTERVAL
C_END = B_END + (FAILED + 1) * INTERVAL
CATCH_UPS = {"a": (START, STOPPED), "b": (A_END, PAUSED), "c": (B_END, FAILED)}


def _scene(timeline: Timeline, name: str) -> Scene:
    if name not in timeline.scenes:
        pytest.skip(
            f"scene {name} runs in scripts/reliability --only continuity (or WMS_CONTINUITY_ONLY_A=1 was set)"
        )
    return timeline.scenes[name]


@pytest.mark.parametrize("name", sorted(CATCH_UPS))
def test_the_run_after_the_gap_reads_from_where_the_loaded_time_ended(timeline: Timeline, name: str) -> None:
    scene = _scene(timeline, name)
    gap_start, missed = CATCH_UPS[name]
    assert scene.state == "success", scene.tasks
    assert scene.interval[0] - gap_start == missed * INTERVAL
    assert scene.planned == {"start": gap_start.isoformat(), "end": scene.interval[1].isoformat()}
    assert scene.tasks["record_window_end"] == "success"
    assert scene.tasks["check_loaded_windows_contiguous"] == "success"


@pytest.mark.parametrize("name", sorted(CATCH_UPS))
def test_the_warehouse_holds_every_version_the_wms_showed_once(timeline: Timeline, name: str) -> None:
    scene = _scene(timeline, name)
    gap_start, _ = CATCH_UPS[name]
    changed_in_gap = {v for v in scene.expected["order_hdr"] if gap_start <= v[1] < scene.interval[0]}
    assert changed_in_gap, "the scenario needs order changes inside the gap"
    for entity in ENTITIES_ALL:
        assert scene.raw[entity] == scene.expected[entity], entity


@pytest.mark.parametrize("name", sorted(CATCH_UPS))
def test_the_contiguity_rule_names_the_gap_the_run_closed(timeline: Timeline, name: str) -> None:
    scene = _scene(timeline, name)
    gap_start, _ = CATCH_UPS[name]
    assert scene.gap_without_continuity == {key: [(gap_start, scene.interval[0])] for key in ENTITIES_ALL}


def test_the_failed_intervals_recorded_no_window(timeline: Timeline) -> None:
    for failed in range(FAILED):
        scene = _scene(timeline, f"c_failed{failed}")
        assert scene.state == "failed"
        assert scene.tasks["extract_load_order_hdr"] == "failed"
        assert scene.tasks["record_window_end"] == "upstream_failed"


def test_the_scheduler_created_one_run_per_scene_and_no_other(timeline: Timeline) -> None:
    if ONLY_A:
        pytest.skip("scene (a) alone here; scenes (b) and (c) run in scripts/reliability --only continuity")
    scheduled = [end for kind, end in timeline.run_types if kind == "scheduled"]
    failed = [B_END + (k + 1) * INTERVAL for k in range(FAILED)]
    assert scheduled == [A_END, B_END, *failed, C_END]

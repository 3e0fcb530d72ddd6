"""`airflow backfill create` on a real deployment loads three intervals, and a second pass adds nothing.

A scheduler (LocalExecutor), a dag-processor and an api-server run against a PostgreSQL metadata
database; the warehouse is a PostgreSQL database too (no one-writer pool, so tasks run in parallel).

The first backfill's first run also meets a failing model: the warehouse refuses `fct_orders`' build
once (an event trigger), inside the one `dbt build` of the transform stage. The run must recover by
itself through retries (one each here, a second apart): `fct_orders`' own task and those of every
model and test dbt skipped after it rebuild them alone, and the run succeeds.

Timeline: the simulated WMS starts at START; one `dags test` run loads its initial state; the WMS clock
then moves three intervals on, so that records change in [START, START+2h), [START+2h, START+4h) and
[START+4h, START+6h); a backfill over exactly those intervals must load every change, and the same
backfill again (`--reprocess-behavior completed`) must insert nothing.

The DAG's schedule keeps its two-hour intervals but is confined to the scenario's day
(`0 6-12/2 5 1 *` via WMS_INCREMENTAL_SYNC_SCHEDULE): with catchup off, unpausing the DAG would
otherwise make the scheduler start a run for the latest real-time interval. Here the latest interval
is the backfill's last one, which already exists when the DAG is unpaused, so no other run starts.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from include.wms_pipeline.settings import ENTITIES_ALL
from local_runner.airflow_home import LocalAirflow
from local_runner.services import AirflowServices, service_env
from local_runner.simulator import free_port
from local_runner.warehouse import RAW_SCHEMA, WarehouseReader
from throwaway_postgres.pytest_plugin import PostgresHandle
from wms_simulator import Simulator, SimulatorConfig, SimulatorServer

DAG_ID = "wms_incremental_sync"
START = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
INTERVAL = timedelta(hours=2)
INTERVALS = [(START + i * INTERVAL, START + (i + 1) * INTERVAL) for i in range(3)]
SCHEDULE = "0 6-12/2 5 1 *"
PASSWORD = "backfill-wms-password-5521"
BACKFILL_TIMEOUT = 20 * 60
FAULTED_MODEL = "fct_orders"
# Fails the first DDL that creates dbt's temporary relation for the model (its incremental merge
# stages there), once: a sequence's nextval survives the failed statement's rollback.
FAULT_ONCE = f"""
create schema fault_injection;
create sequence fault_injection.attempts;
create function fault_injection.fail_first_build() returns event_trigger language plpgsql as $$
begin
  -- nested, not `and`: SQL does not promise to evaluate the count only when the name matches
  if exists (select 1 from pg_event_trigger_ddl_commands()
             where position('{FAULTED_MODEL}__dbt_tmp' in object_identity) > 0) then
    if nextval('fault_injection.attempts') = 1 then
      raise exception 'injected fault: {FAULTED_MODEL} refused once';
    end if;
  end if;
end $$;
create event trigger fail_first_build on ddl_command_end execute function fault_injection.fail_first_build();
"""

Versions = dict[str, set[tuple[int, datetime]]]


def _say(message: str, since: float) -> None:
    print(f"[backfill e2e +{time.monotonic() - since:6.1f} s] {message}", flush=True)


@dataclass(frozen=True)
class Pass:
    """One backfill as the metadata DB and the warehouse saw it when it was complete."""

    backfill_id: int
    runs: list[dict[str, Any]]
    raw: Versions
    audit: dict[str, tuple[int, int, int]]  # stream -> (audit rows, received, inserted)
    first_run_transform: dict[str, tuple[str, int]]  # task -> (state, try number)


@dataclass(frozen=True)
class Scenario:
    initial: Versions
    final: Versions
    first: Pass
    second: Pass
    run_types: list[str]
    fault_attempts: int  # builds of the faulted model the warehouse saw


class Metadata:
    """Read-only queries on the Airflow metadata database."""

    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(url)

    def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(sa.text(sql), params)]

    def latest_backfill(self) -> tuple[int, datetime | None]:
        [row] = self.rows(
            "select id, completed_at from backfill where dag_id = :dag order by id desc limit 1", dag=DAG_ID
        )
        return int(row["id"]), row["completed_at"]

    def backfill_runs(self, backfill_id: int) -> list[dict[str, Any]]:
        return self.rows(
            "select dr.run_id, dr.state, dr.data_interval_start, dr.data_interval_end "
            "from dag_run dr join backfill_dag_run b on b.dag_run_id = dr.id "
            "where b.backfill_id = :id order by dr.data_interval_start",
            id=backfill_id,
        )

    def transform_tasks(self, run_id: str) -> dict[str, tuple[str, int]]:
        rows = self.rows(
            "select task_id, state, try_number from task_instance where dag_id = :dag "
            "and run_id = :run and task_id like 'transform.%'",
            dag=DAG_ID,
            run=run_id,
        )
        return {row["task_id"]: (row["state"], int(row["try_number"])) for row in rows}

    def unfinished_tasks(self, run_ids: list[str]) -> list[dict[str, Any]]:
        return self.rows(
            "select run_id, task_id, state from task_instance where dag_id = :dag "
            "and run_id = any(:runs) and coalesce(state, 'none') not in ('success', 'skipped')",
            dag=DAG_ID,
            runs=run_ids,
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


def _audit(reader: WarehouseReader) -> dict[str, tuple[int, int, int]]:
    rows = reader.rows(
        f"select stream_name, count(*), sum(records_received), sum(records_inserted) "
        f"from {RAW_SCHEMA}.etl_load_audit where run_id like '{DAG_ID}/backfill\\_\\_%' group by stream_name"
    )
    return {str(r[0]): (int(r[1]), int(r[2]), int(r[3])) for r in rows}


def _run_backfill(
    airflow: LocalAirflow,
    services: AirflowServices,
    metadata: Metadata,
    reader: WarehouseReader,
    *extra: str,
    since: float,
) -> Pass:
    airflow.airflow(
        "backfill",
        "create",
        "--dag-id",
        DAG_ID,
        "--from-date",
        INTERVALS[0][0].isoformat(),
        "--to-date",
        INTERVALS[-1][0].isoformat(),  # inclusive: the logical date of the last interval
        "--max-active-runs",
        "1",
        *extra,
    )
    backfill_id, _ = metadata.latest_backfill()
    _say(f"backfill {backfill_id} created {' '.join(extra)}", since)
    # Unpausing is idempotent; task instances of a paused DAG are never queued.
    airflow.airflow("dags", "unpause", DAG_ID)

    def complete() -> bool:
        runs = metadata.backfill_runs(backfill_id)
        if any(run["state"] == "failed" for run in runs):
            failed = metadata.unfinished_tasks([run["run_id"] for run in runs])
            raise AssertionError(f"backfill run failed: {runs}\ntasks: {failed}\n{services.log_tails()}")
        return metadata.latest_backfill()[1] is not None

    services.wait_until(complete, BACKFILL_TIMEOUT, f"backfill {backfill_id} to complete", poll=10)
    _say(f"backfill {backfill_id} complete", since)
    runs = metadata.backfill_runs(backfill_id)
    first_run = metadata.transform_tasks(runs[0]["run_id"])
    return Pass(backfill_id, runs, _raw(reader), _audit(reader), first_run)


@pytest.fixture(scope="module")
def scenario(postgres_server: PostgresHandle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    since = time.monotonic()
    base = tmp_path_factory.mktemp("backfill")
    meta_db, warehouse_db = f"meta_{base.name}", f"wh_{base.name}"
    postgres_server.create_database(meta_db)
    postgres_server.create_database(warehouse_db)
    info = postgres_server.info
    reader = WarehouseReader("postgres", info.url(warehouse_db, driver="postgresql"))
    metadata = Metadata(postgres_server.url(meta_db, driver="postgresql+psycopg2"))
    # 200 records, seed 29: order changes fall in each of the three intervals (2, 1 and 3 of them).
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
                "WMS_TASK_RETRIES": "1",
                "WMS_TASK_RETRY_DELAY_SECONDS": "1",
                "WMS_INCREMENTAL_SYNC_SCHEDULE": SCHEDULE,
            },
        )
        airflow.prepare()
        _say("metadata DB migrated, pools imported", since)

        # The initial state: everything the WMS holds at START (a manual run off the schedule's grid).
        log = base / "initial-load.log"
        initial_conf = {"window_start": "2000-01-01T00:00:00+00:00", "window_end": START.isoformat()}
        ok = airflow.dags_test(DAG_ID, (START - timedelta(hours=1)).isoformat(), initial_conf, log)
        assert ok, f"initial load failed:\n{log.read_text(errors='replace')[-4000:]}"
        initial = _versions(simulator)
        _say("initial load done (dags test)", since)

        for _ in INTERVALS:
            simulator.sim.advance(INTERVAL)
        final = _versions(simulator)
        warehouse = sa.create_engine(info.url(warehouse_db, driver="postgresql+psycopg2"))
        with warehouse.begin() as conn:
            conn.exec_driver_sql(FAULT_ONCE)

        with AirflowServices(airflow, base / "services") as services:
            services.wait_healthy()
            _say("api-server, scheduler and dag-processor healthy", since)
            first = _run_backfill(airflow, services, metadata, reader, since=since)
            second = _run_backfill(
                airflow, services, metadata, reader, "--reprocess-behavior", "completed", since=since
            )
            run_types = sorted(
                row["run_type"]
                for row in metadata.rows("select run_type from dag_run where dag_id = :d", d=DAG_ID)
            )
        _say("services stopped", since)
        with warehouse.connect() as conn:
            attempts = conn.exec_driver_sql("select last_value from fault_injection.attempts").scalar_one()
        yield Scenario(initial, final, first, second, run_types, int(attempts))


def test_the_wms_changed_records_in_each_of_the_three_intervals(scenario: Scenario) -> None:
    changed = scenario.final["order_hdr"] - scenario.initial["order_hdr"]
    for start, end in INTERVALS:
        assert [version for version in changed if start <= version[1] < end], (start, end)


def test_the_backfill_ran_exactly_the_three_intervals_and_all_succeeded(scenario: Scenario) -> None:
    for backfill in (scenario.first, scenario.second):
        intervals = [(run["data_interval_start"], run["data_interval_end"]) for run in backfill.runs]
        assert intervals == INTERVALS
        assert {run["state"] for run in backfill.runs} == {"success"}


def test_a_model_failing_in_the_dbt_build_is_rebuilt_by_its_own_task_with_everything_after_it(
    scenario: Scenario,
) -> None:
    tasks = scenario.first.first_run_transform
    # One build of it per run in both backfills (the second, clearing the runs, rebuilds model by
    # model), plus its own rebuild after the fault.
    assert scenario.fault_attempts == 2 * len(INTERVALS) + 1
    assert tasks[f"transform.{FAULTED_MODEL}.run"] == ("success", 2)
    assert tasks["transform.dbt_producer_watcher"][0] == "skipped"  # its retry handed the results over
    assert {state for state, _ in tasks.values()} == {"success", "skipped"}
    retried = {task for task, (_, tries) in tasks.items() if tries == 2}
    # The marts built on fct_orders were skipped by dbt after it failed: rebuilt by their own tasks.
    assert {f"transform.{FAULTED_MODEL}.test", "transform.mart_order_backlog.run"} <= retried


def test_no_other_run_started_besides_the_initial_load_and_the_backfill(scenario: Scenario) -> None:
    assert scenario.run_types == ["backfill", "backfill", "backfill", "manual"]


@pytest.mark.parametrize("entity", ENTITIES_ALL)
def test_the_warehouse_holds_every_version_the_wms_showed(scenario: Scenario, entity: str) -> None:
    # The initial load saw the WMS at START; the backfill read it after the clock had moved on, so a
    # record changed twice within the six hours is seen in its last version only.
    expected = scenario.initial[entity] | scenario.final[entity]
    assert scenario.final[entity], f"the simulator has no {entity} records to compare"
    assert scenario.first.raw[entity] == expected


def test_the_same_backfill_again_changes_nothing(scenario: Scenario) -> None:
    first, second = scenario.first.audit, scenario.second.audit
    assert second.keys() == first.keys()
    assert scenario.second.raw == scenario.first.raw
    inserted_again = {stream: second[stream][2] - first[stream][2] for stream in first}
    assert inserted_again == dict.fromkeys(first, 0)
    # ...although every stream was loaded again, and the changed orders were read again.
    assert [stream for stream in first if second[stream][0] <= first[stream][0]] == []
    assert second["order_hdr"][1] > first["order_hdr"][1]

"""What an operator clicks, traced to the data (issue 35): `airflow dags test` runs against the
simulator, Airflow's own state changes (the code the UI's and REST API's "Mark success" call), and the
warehouse compared with the simulator's records afterwards.

Each action prints one line: what was done, what the pipeline did, and `wrong rows`: warehouse rows
that disagree with the WMS because of the action — ids live in the WMS that the deletion logic would
mark deleted, ids deleted in the WMS it would bring back, or versions from another WMS in the history.

    python -m wms_reliability --only operator-actions          (DuckDB; PostgreSQL too with
                                                                 WMS_TEST_POSTGRES_URL set)
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from local_runner.airflow_home import AIRFLOW_BIN, LocalAirflow
from local_runner.warehouse import WarehouseReader
from wms_simulator import Simulator, SimulatorConfig, SimulatorServer
from wms_simulator.faults import FaultRule

START = datetime(2026, 1, 5, 6, tzinfo=UTC)
STEP = timedelta(hours=2)
PASSWORD = "operator-actions-wms-0417"  # noqa: S105 - the simulator's own test password
ENTITIES = ["allocation", "order_hdr", "item"]
FULL = "wms_full_sync"
INCREMENTAL = "wms_incremental_sync"
# The full sync on the incremental's two-hour grid, so that a "newer" full sync is one step later.
SCHEDULE_ENV = {"WMS_FULL_SYNC_SCHEDULE": "0 */2 * * *", "WMS_INCREMENTAL_SYNC_SCHEDULE": "0 */2 * * *"}


@dataclass
class Action:
    name: str
    outcome: str
    wrong_rows: int
    seconds: float

    def line(self) -> str:
        return f"{self.name}: {self.outcome}; wrong rows: {self.wrong_rows} ({self.seconds:.0f} s)"


def latest_run(airflow: LocalAirflow, dag_id: str) -> str:
    """The run id of the newest run of `dag_id` (`dags test` names a run after the moment it starts)."""
    import sqlite3

    with sqlite3.connect(airflow.home / "airflow.db") as conn:
        [(run,)] = conn.execute(
            "select run_id from dag_run where dag_id = ? order by id desc limit 1", (dag_id,)
        ).fetchall()
    return str(run)


def mark_success(airflow: LocalAirflow, dag_id: str, run: str, task_id: str, map_index: int = -1) -> str:
    """Airflow's own "Mark success": SerializedDAG.set_task_instance_state, as the REST API's PATCH
    taskInstances/{task_id} calls it, which also clears the failed downstream tasks so they run."""
    script = textwrap.dedent(
        f"""
        from airflow.models.dagbag import DBDagBag
        from airflow.utils.session import create_session
        from airflow.utils.state import TaskInstanceState
        with create_session() as session:
            dag = DBDagBag().get_latest_version_of_dag({dag_id!r}, session=session)
            altered = dag.set_task_instance_state(
                task_id={task_id!r}, map_indexes=None if {map_index} < 0 else [{map_index}],
                run_id={run!r}, state=TaskInstanceState.SUCCESS, session=session)
            print("altered", sorted(ti.task_id for ti in altered))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=airflow.env(), text=True, capture_output=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"mark success of {task_id} failed:\n{result.stderr[-3000:]}")
    return result.stdout.strip()


def task_test(airflow: LocalAirflow, dag_id: str, task_id: str, run: str) -> tuple[bool, str]:
    """Run one task of the existing run as a worker would (`airflow tasks test`): what happens when
    the scheduler runs a task an operator's state change made runnable."""
    result = subprocess.run(
        [str(AIRFLOW_BIN), "tasks", "test", dag_id, task_id, run],
        env=airflow.dags_test_env(),
        text=True,
        capture_output=True,
        check=False,
    )
    output = result.stdout + result.stderr
    return result.returncode == 0 and "Task failed" not in output and "ERROR" not in output, output


def failed_tasks(airflow: LocalAirflow, dag_id: str, run: str) -> list[tuple[str, int]]:
    import sqlite3

    with sqlite3.connect(airflow.home / "airflow.db") as conn:
        rows = conn.execute(
            "select task_id, map_index from task_instance where dag_id = ? and run_id = ? and state = 'failed'",
            (dag_id, run),
        ).fetchall()
    return [(str(task), int(index)) for task, index in rows]


def would_be_deleted(reader: WarehouseReader, entity: str) -> set[int]:
    """Ids dbt's wms_full_sync_deletions marks deleted now: not seen by the newest complete full sync
    (ranked as the macro ranks it: latest cut-off, then latest completion) and changed before its
    cut-off."""
    tables = {
        str(r[0])
        for r in reader.rows(
            "select table_name from information_schema.tables where table_schema = 'wms_raw'"
        )
    }
    if entity not in tables or "etl_full_sync_complete" not in tables:
        return set()
    rows = reader.rows(
        f"""
        select distinct r.id from wms_raw.{entity} r
        join (select sync_id, window_end from (
                select sync_id, window_end, row_number() over (order by window_end desc, completed_at desc, sync_id desc) rk
                from wms_raw.etl_full_sync_complete where stream_name = '{entity}') ranked
              where rk = 1) newest on 1 = 1
        where r.id not in (select r2.id from wms_raw.{entity} r2 where r2.mod_ts >= newest.window_end)
          and not exists (select 1 from wms_raw.etl_full_sync_seen s
                          where s.sync_id = newest.sync_id and s.stream_name = '{entity}' and s.record_id = r.id)
        """
    )
    return {int(row[0]) for row in rows}


def wrong_marks(reader: WarehouseReader, simulator: SimulatorServer) -> int:
    """Ids the deletion logic gets wrong against the WMS: live ones marked deleted, plus deleted ones
    (that the warehouse knows of and a complete full sync could have seen gone) not marked."""
    wrong = 0
    for entity in ENTITIES:
        marked = would_be_deleted(reader, entity)
        live = set(simulator.sim.versions(entity))
        wrong += len(marked & live)
    return wrong


def resurrected(reader: WarehouseReader, before: dict[str, set[int]]) -> int:
    """Ids marked deleted before the action and no longer after it."""
    return sum(len(before[entity] - would_be_deleted(reader, entity)) for entity in ENTITIES)


def _marks(reader: WarehouseReader) -> dict[str, set[int]]:
    return {entity: would_be_deleted(reader, entity) for entity in ENTITIES}


def _foreign_versions(reader: WarehouseReader, foreign: SimulatorServer, home: SimulatorServer) -> int:
    """Versions in the raw history that only the second WMS has."""
    count = 0
    for entity in ENTITIES:
        stored = {
            (int(i), ts.astimezone(UTC)) for i, ts in reader.rows(f"select id, mod_ts from wms_raw.{entity}")
        }
        theirs = {
            (i, datetime.fromisoformat(ts).astimezone(UTC)) for i, ts in foreign.sim.versions(entity).items()
        }
        ours = {
            (i, datetime.fromisoformat(ts).astimezone(UTC)) for i, ts in home.sim.versions(entity).items()
        }
        count += len(stored & (theirs - ours))
    return count


def _delete_some(server: SimulatorServer, entity: str, count: int) -> list[int]:
    """Delete `count` live records in the WMS now (as a user deleting orders would)."""
    sim = server.sim
    with sim.lock:
        table = sim.store.tables[entity]
        positions = list(table.live_positions())[:count]
        for pos in positions:
            table.delete(pos, sim.store.now_us)
        table.flush_index()
        return [int(table.id_of(pos)) for pos in positions]


def _wms_conn(server: SimulatorServer) -> dict[str, Any]:
    return {"conn_type": "http", "host": server.base_url, "login": "wms_api", "password": PASSWORD}


def _simulator(environment: str, seed: int) -> SimulatorServer:
    config = SimulatorConfig(
        records=60,
        seed=seed,
        start_time=START,
        environment=environment,
        username="wms_api",
        password=PASSWORD,
    )
    return SimulatorServer(Simulator(config), host="127.0.0.1", port=0).start()


MELTANO_BIN = Path(__file__).resolve().parents[3] / ".venvs" / "meltano" / "bin"
TAP_SCHEMAS = (
    Path(__file__).resolve().parents[3] / "include/meltano/packages/tap-oracle-wms/tap_oracle_wms/schemas"
)


def create_raw_tables(work: Path, sqlalchemy_url: str) -> None:
    """Every entity's raw table, empty, as the loader creates them (SCHEMA messages only).

    The actions select three entities to stay cheap, but a full sync's dbt build also runs the source
    tests of every entity, which fail on a table that does not exist ("Table with name
    allocation_status does not exist"). The loader records a source row for each stream it sees;
    those rows are removed so that the first real load sets the warehouse's source.
    """
    from include.wms_pipeline.settings import ENTITIES_ALL

    schemas = "\n".join(
        json.dumps(
            {
                "type": "SCHEMA",
                "stream": entity,
                "key_properties": ["id"],
                "schema": json.loads((TAP_SCHEMAS / f"{entity}.json").read_text()),
            }
        )
        for entity in ENTITIES_ALL
    )
    config = work / "create-tables.json"
    config.write_text(json.dumps({"sqlalchemy_url": sqlalchemy_url, "run_id": "create-tables"}))
    result = subprocess.run(
        [str(MELTANO_BIN / "target-warehouse"), "--config", str(config)],
        input=schemas + "\n",
        text=True,
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"creating the raw tables failed:\n{result.stderr[-3000:]}")
    import sqlalchemy as sa

    engine = sa.create_engine(sqlalchemy_url)
    with engine.begin() as conn:
        conn.execute(sa.text("delete from wms_raw.etl_load_source"))
    engine.dispose()


@dataclass
class Bench:
    """One warehouse, one Airflow home, the production simulator and a second WMS."""

    kind: str
    work: Path
    warehouse_conn: dict[str, Any]
    reader: WarehouseReader
    say: Callable[[str], None]
    home: SimulatorServer
    other: SimulatorServer
    airflow: LocalAirflow


CONF = {"entities": ENTITIES}


def partition_marked_success(b: Bench, t1: datetime) -> Action:
    """A partition fails; an operator marks it and the then failing count check successful."""
    began = time.monotonic()
    b.home.sim.faults.add(FaultRule(kind="401", entity="allocation", query_regex="id__gte=", first_n=1))
    ok = b.airflow.dags_test(FULL, t1.isoformat(), CONF, b.work / "full-1.log")
    b.home.sim.faults.clear()
    run = latest_run(b.airflow, FULL)
    failed = failed_tasks(b.airflow, FULL, run)
    b.say(f"[{b.kind}] full sync with a failing partition: ok={ok}, failed={failed}")
    for task_id, index in failed:
        if task_id.startswith("extract_load_") or task_id == "check_full_sync_counts_match_wms":
            mark_success(b.airflow, FULL, run, task_id, index)
    finalized, output = task_test(b.airflow, FULL, "finalize_full_sync", run)
    refused = "is not recorded complete" in output and not finalized
    return Action(
        f"{b.kind}: mark success on a failed partition and its count check",
        f"finalize {'refused (no committed load for the partition)' if refused else 'RAN'}",
        wrong_marks(b.reader, b.home),
        time.monotonic() - began,
    )


def old_finalize_cleared(b: Bench, t1: datetime, t2: datetime) -> Action:
    """The sync is run again properly, a newer one completes, then the old one's finalize is cleared."""
    began = time.monotonic()
    assert b.airflow.dags_test(FULL, t1.isoformat(), CONF, b.work / "full-1b.log"), "the clean rerun failed"
    old_run = latest_run(b.airflow, FULL)
    b.home.sim.advance(t2 - t1)
    deleted = _delete_some(b.home, "order_hdr", 3)
    b.say(f"[{b.kind}] deleted in the WMS before the newer full sync: order_hdr {deleted}")
    assert b.airflow.dags_test(FULL, t2.isoformat(), CONF, b.work / "full-2.log"), (
        "the newer full sync failed"
    )
    before = _marks(b.reader)
    finalized, output = task_test(b.airflow, FULL, "finalize_full_sync", old_run)
    refused = "older than a complete full sync" in output and not finalized
    after = _marks(b.reader)
    return Action(
        f"{b.kind}: clear an old full sync's finalize after a newer one",
        f"finalize {'refused (a newer sync is complete)' if refused else 'RAN'}, ids marked deleted "
        f"before {sum(map(len, before.values()))}, after {sum(map(len, after.values()))}",
        resurrected(b.reader, before) + wrong_marks(b.reader, b.home),
        time.monotonic() - began,
    )


def incremental_marked_success(b: Bench, t3: datetime) -> Action:
    """A failed incremental extract marked successful: the run's own load check must fail."""
    began = time.monotonic()
    b.home.sim.advance(STEP)
    b.home.sim.faults.add(FaultRule(kind="401", entity="order_hdr", path_regex="order_hdr"))
    b.airflow.dags_test(INCREMENTAL, t3.isoformat(), CONF, b.work / "incremental-1.log")
    b.home.sim.faults.clear()
    run = latest_run(b.airflow, INCREMENTAL)
    mark_success(b.airflow, INCREMENTAL, run, "extract_load_order_hdr")
    checked, output = task_test(b.airflow, INCREMENTAL, "check_tap_read_matches_audit", run)
    named = "order_hdr was selected" in output and not checked
    return Action(
        f"{b.kind}: mark success on a failed incremental extract",
        f"check_tap_read_matches_audit {'failed naming order_hdr' if named else 'PASSED'}",
        wrong_marks(b.reader, b.home),
        time.monotonic() - began,
    )


def wms_switched(b: Bench, t4: datetime) -> Action:
    """The oracle_wms connection moved to another WMS (another environment)."""
    began = time.monotonic()
    switched = LocalAirflow(
        home=b.airflow.home,
        warehouse_conn=b.warehouse_conn,
        warehouse_kind=b.kind,
        wms_conn=_wms_conn(b.other),
        extra_env=b.airflow.extra_env,
    )
    ok = switched.dags_test(INCREMENTAL, t4.isoformat(), CONF, b.work / "incremental-switched.log")
    failed = failed_tasks(switched, INCREMENTAL, latest_run(switched, INCREMENTAL))
    loaded = int(
        b.reader.rows("select count(*) from wms_raw.etl_load_source where wms_base_url like '%lgf_test%'")[0][
            0
        ]
    )
    stopped = not ok and ("verify_wms_source", -1) in failed
    return Action(
        f"{b.kind}: switch oracle_wms to a second WMS",
        f"run {'failed at verify_wms_source' if stopped else 'LOADED'}, loads from it recorded: {loaded}",
        _foreign_versions(b.reader, b.other, b.home) + loaded,
        time.monotonic() - began,
    )


def _sqlalchemy_url(conn: dict[str, Any]) -> str:
    """The loader's URL for the Airflow warehouse connection `conn` (DuckDB file or PostgreSQL)."""
    if conn["conn_type"] == "duckdb":
        return f"duckdb:///{conn['host']}"
    from sqlalchemy.engine import URL

    return URL.create(
        "postgresql+psycopg",
        username=conn["login"],
        password=conn["password"],
        host=conn["host"],
        port=conn["port"],
        database=conn["schema"],
    ).render_as_string(hide_password=False)


def run_actions(
    kind: str, work: Path, warehouse_conn: dict[str, Any], reader: WarehouseReader, say: Callable[[str], None]
) -> list[Action]:
    """Every action in turn on one warehouse; one Action per operator action."""
    home = _simulator("lgf_prod", 11)
    other = _simulator("lgf_test", 12)
    try:
        airflow = LocalAirflow(
            home=work / "airflow",
            warehouse_conn=warehouse_conn,
            warehouse_kind=kind,
            wms_conn=_wms_conn(home),
            extra_env={
                "WMS_TASK_RETRIES": "0",
                "WMS_MIN_IDS_PER_PARTITION": "20",
                "WMS_FULL_SYNC_PARTITIONS": "3",
                **SCHEDULE_ENV,
            },
        )
        airflow.prepare()
        create_raw_tables(work, _sqlalchemy_url(warehouse_conn))
        bench = Bench(kind, work, warehouse_conn, reader, say, home, other, airflow)
        t1, t2 = START, START + STEP
        steps: list[Callable[[], Action]] = [
            lambda: partition_marked_success(bench, t1),
            lambda: old_finalize_cleared(bench, t1, t2),
            lambda: incremental_marked_success(bench, t2 + STEP),
            lambda: wms_switched(bench, t2 + 2 * STEP),
        ]
        actions = []
        for step in steps:
            actions.append(step())
            say(actions[-1].line())  # as each action ends: a run stopped half-way still reports it
        return actions
    finally:
        home.stop()
        other.stop()


def operator_actions(
    work: Path, postgres_fresh: Callable[[str], str] | None, say: Callable[[str], None]
) -> dict[str, Any]:
    """Every action on DuckDB, and on PostgreSQL when a server is given."""
    results: list[Action] = []
    duck = work / "duckdb"
    duck.mkdir(parents=True, exist_ok=True)
    path = duck / "warehouse.duckdb"
    results += run_actions(
        "duckdb", duck, {"conn_type": "duckdb", "host": str(path)}, WarehouseReader("duckdb", str(path)), say
    )
    if postgres_fresh is not None:
        url = postgres_fresh("operator")
        pg = work / "postgres"
        pg.mkdir(parents=True, exist_ok=True)
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        conn = {
            "conn_type": "postgres",
            "host": parsed.host,
            "port": parsed.port,
            "login": parsed.username,
            "password": parsed.password,
            "schema": parsed.database,
        }
        plain = url.replace("postgresql+psycopg://", "postgresql://")
        results += run_actions("postgres", pg, conn, WarehouseReader("postgres", plain), say)
    return {
        "actions": [action.__dict__ for action in results],
        "wrong_rows": sum(a.wrong_rows for a in results),
    }


def _fresh_postgres(admin_url: str) -> Callable[[str], str]:
    import os

    import psycopg

    admin = admin_url.replace("postgresql+psycopg://", "postgresql://")

    def fresh(name: str) -> str:
        database = f"rel_{name}_{os.getpid()}".lower()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'create database "{database}"')
        return admin.rsplit("/", 1)[0] + f"/{database}"

    return fresh


if __name__ == "__main__":  # python -m wms_reliability.operator_actions WORK_DIR (Airflow's environment)
    import os

    pg = os.environ.get("WMS_TEST_POSTGRES_URL")
    out = operator_actions(
        Path(sys.argv[1]), _fresh_postgres(pg) if pg else None, lambda m: print(m, flush=True)
    )
    print(json.dumps({"wrong_rows": out["wrong_rows"]}))

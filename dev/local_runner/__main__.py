"""`scripts/local-run`: the product end to end on this machine, through Airflow.

Simulated Oracle WMS -> tap-oracle-wms -> target-warehouse -> warehouse (DuckDB file by default, or a
PostgreSQL database) -> dbt via Cosmos -> SQL checks. It runs the weekly full sync, advances the simulated
WMS clock by one interval (orders are created, change status, get cancelled or deleted), runs the
two-hourly incremental sync over that interval, and prints what happened.

With --ui the same two runs go through a real local Airflow (api-server, scheduler, dag-processor,
triggerer) whose web UI stays up, showing the runs and their task logs, until Ctrl-C.
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from local_runner import dbt_docs, ui
from local_runner.airflow_home import AIRFLOW_BIN, REPO_ROOT, LocalAirflow
from local_runner.progress import run_following, split_task_logs
from local_runner.simulator import SimulatorProcess
from local_runner.warehouse import WarehouseReader, task_states

ENTITIES = (
    "order_status",
    "allocation_status",
    "facility",
    "company",
    "item",
    "location",
    "inventory",
    "allocation",
    "order_hdr",
    "order_dtl",
)
MARTS = ("mart_daily_fulfillment", "mart_order_backlog", "mart_pick_productivity")
INTERVAL = timedelta(hours=2)


@dataclass
class StageResult:
    name: str
    dag_id: str
    seconds: float
    states: dict[str, str]


def _say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def _warehouse(choice: str, state: Path) -> tuple[dict[str, object], str, WarehouseReader]:
    """The Airflow connection, warehouse kind and a reader for `--warehouse`."""
    if choice == "duckdb":
        path = state / "warehouse" / "warehouse.duckdb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        return {"conn_type": "duckdb", "host": str(path)}, "duckdb", WarehouseReader("duckdb", str(path))
    parts = urlsplit(choice)
    if parts.scheme not in {"postgresql", "postgres", "postgresql+psycopg"} or not parts.hostname:
        raise SystemExit(
            "--warehouse must be 'duckdb' or a PostgreSQL URL postgresql://user:password@host:port/db"
        )
    conn = {
        "conn_type": "postgres",
        "host": parts.hostname,
        "port": parts.port or 5432,
        "login": parts.username,
        "password": parts.password,
        "schema": parts.path.lstrip("/"),
    }
    plain = choice.replace("postgresql+psycopg://", "postgresql://")
    return conn, "postgres", WarehouseReader("postgres", plain)


def _run_stage(
    airflow: LocalAirflow, name: str, dag_id: str, run_after: datetime, run_dir: Path
) -> StageResult:
    _say(f"{name}: airflow dags test {dag_id} {run_after.isoformat()}")
    output = run_dir / f"{dag_id}.log"
    started = time.monotonic()

    def progress(task: str, seconds: float) -> None:
        print(f"           done  {task:<60} {seconds:5.0f} s", flush=True)

    run_following(
        [str(AIRFLOW_BIN), "dags", "test", dag_id, run_after.isoformat()],
        airflow.dags_test_env(),
        output,
        progress,
    )
    result = StageResult(name, dag_id, time.monotonic() - started, task_states(airflow.home, dag_id))
    failed = sorted(task for task, state in result.states.items() if state == "failed")
    blocked = [task for task, state in result.states.items() if state not in {"success", "skipped", "failed"}]
    if failed or blocked or not result.states:
        logs = split_task_logs(output, run_dir / dag_id)
        print(
            f"\nFAILED in {name}: {', '.join(failed) or 'no task failed, yet the run did not finish'}",
            file=sys.stderr,
        )
        for task in failed:
            print(f"  {task}: log {logs.get(task, output)}", file=sys.stderr)
        if blocked:
            print(f"  {len(blocked)} tasks did not run because of it", file=sys.stderr)
        print(f"  whole Airflow output: {output}", file=sys.stderr)
        raise SystemExit(1)
    split_task_logs(output, run_dir / dag_id)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/local-run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--records", type=int, default=300, help="order headers the simulated WMS starts with"
    )
    parser.add_argument(
        "--warehouse",
        default="duckdb",
        help="'duckdb' (a file under .local/warehouse) or postgresql://user:pass@host:port/db",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--start-time",
        default="2026-01-05T06:00:00+00:00",
        help="the simulated WMS clock at start (an incremental interval boundary, UTC); "
        "with --ui it is always two hours before the last two-hour boundary",
    )
    parser.add_argument(
        "--ui",
        action="store_true",
        help="run through a local Airflow with its web UI (scheduler, api-server, dag-processor, "
        "triggerer) and keep it running until Ctrl-C",
    )
    parser.add_argument("--port", type=int, default=8080, help="--ui: the UI's port (another if busy)")
    parser.add_argument(
        "--metadata-db",
        default=None,
        help="--ui: Airflow's metadata DB as a SQLAlchemy URL (postgresql+psycopg2://user:pass@host/db, "
        "an empty database); default: SQLite under .local/airflow-ui",
    )
    args = parser.parse_args(argv)
    if args.ui:
        return _main_ui(args)

    started = time.monotonic()
    state = REPO_ROOT / ".local"
    run_dir = state / "local-run"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    conn, kind, reader = _warehouse(args.warehouse, state)
    start = datetime.fromisoformat(args.start_time)

    _say(f"starting the WMS simulator ({args.records} orders, seed {args.seed}, clock {start.isoformat()})")
    simulator = SimulatorProcess.start(
        records=args.records,
        seed=args.seed,
        start_time=start.isoformat(),
        log_file=run_dir / "simulator.log",
        password=secrets.token_urlsafe(12),
    )
    stages: list[StageResult] = []
    stack = ExitStack()
    try:
        airflow = LocalAirflow(
            home=state / "airflow",
            warehouse_conn=conn,
            wms_conn=simulator.connection(),
            warehouse_kind=kind,
            extra_env={"WMS_TASK_RETRIES": "0", **ui.local_alert_connections(stack)},
        )
        _say("preparing Airflow (metadata DB; pools from airflow_settings.yaml)")
        stage_start = time.monotonic()
        airflow.prepare()
        prepare_seconds = time.monotonic() - stage_start
        stages.append(_run_stage(airflow, "weekly full sync", "wms_full_sync", start, run_dir))
        _say(f"advancing the simulated WMS clock by {INTERVAL}")
        changes = simulator.control("POST", "clock/advance", {"minutes": int(INTERVAL.total_seconds() // 60)})
        stages.append(
            _run_stage(airflow, "incremental sync", "wms_incremental_sync", start + INTERVAL, run_dir)
        )
        _summarise(reader, simulator, stages, changes, prepare_seconds, time.monotonic() - started, conn)
        _generate_docs(conn, run_dir)
        return 0
    finally:
        stack.close()
        simulator.stop()


def _generate_docs(conn: dict[str, object], run_dir: Path) -> None:
    _say("generating the dbt docs site (lineage graph, column docs)")
    try:
        index = dbt_docs.generate(conn, log_file=run_dir / "dbt-docs-generate.log")
    except RuntimeError as error:  # the data is loaded and checked; the docs are a convenience
        print(f"WARNING: {error}", file=sys.stderr)
        return
    print(f"dbt docs:  {index.parent} (serve: scripts/dbt-docs, then http://127.0.0.1:8081/)")


def _main_ui(args: argparse.Namespace) -> int:
    started = time.monotonic()
    state = REPO_ROOT / ".local"
    run_dir = state / "local-run"
    home = state / "airflow-ui"
    shutil.rmtree(run_dir, ignore_errors=True)
    shutil.rmtree(home, ignore_errors=True)  # fresh runs for a fresh warehouse
    run_dir.mkdir(parents=True)
    conn, kind, reader = _warehouse(args.warehouse, state)
    ui.raise_on_sigterm()
    with ui.ui_session(
        home=home,
        run_dir=run_dir,
        records=args.records,
        seed=args.seed,
        warehouse_conn=conn,
        warehouse_kind=kind,
        port=args.port,
        say=_say,
        metadata_db_url=args.metadata_db,
    ) as session:
        prepare_seconds = time.monotonic() - started
        try:
            runs, changes = ui.run_stages(session, _say)
        except KeyboardInterrupt:
            _say("interrupted: stopping")
            return 130
        except ui.RunFailedError as error:
            print(f"\n{error}", file=sys.stderr)
            return 1
        stages = [
            StageResult(name, run.dag_id, run.seconds, run.states)
            for name, run in zip(("weekly full sync", "incremental sync"), runs, strict=True)
        ]
        _summarise(
            reader, session.simulator, stages, changes, prepare_seconds, time.monotonic() - started, conn
        )
        _generate_docs(conn, run_dir)
        print(
            f"\nAirflow UI: {session.url}/  login: {ui.UI_USER} / password: {session.password()}"
            f"\n  (a generated local credential, in {home}/simple_auth_manager_passwords.json.generated)"
            f"\n  Both DAGs are unpaused; the incremental one keeps running every two hours."
            f"\n  Runbook: Dags -> a DAG -> Docs. Service logs: {session.services.log_dir}"
            "\nCtrl-C stops Airflow, the simulator and the alert receivers.",
            flush=True,
        )
        ui.wait_for_interrupt(session)
        _say("stopping")
    return 0


def _summarise(
    reader: WarehouseReader,
    simulator: SimulatorProcess,
    stages: list[StageResult],
    changes: object,
    prepare_seconds: float,
    total_seconds: float,
    conn: dict[str, object],
) -> None:
    print("\nRecords per entity (extracted = what the loader received from the tap)")
    header = f"{'entity':<18}{'in WMS':>8}" + "".join(
        f"{label:>12}" for label in ("extracted", "inserted", "present", "quarantined")
    )
    for stage in stages:
        audit = reader.audit_by_run(f"{stage.dag_id}/")
        print(f"\n  {stage.name}\n  {header}")
        for entity in ENTITIES:
            received, inserted, present, quarantined = audit.get(entity, (0, 0, 0, 0))
            wms = len(simulator.versions(entity))
            print(f"  {entity:<18}{wms:>8}{received:>12}{inserted:>12}{present:>12}{quarantined:>12}")
    print(f"\nSimulated WMS changes in the advanced interval: {changes}")
    print("\nValidations")
    for stage in stages:
        checks = {task: state for task, state in stage.states.items() if task.startswith("check_")}
        passed = sum(state == "success" for state in checks.values())
        print(f"  {stage.name:<18} {passed}/{len(checks)} passed")
    print("\nMarts (rows)")
    for mart in MARTS:
        print(f"  {mart:<26}{reader.count(f'wms.{mart}'):>8}")
    print("\nElapsed")
    print(f"  {'prepare Airflow':<26}{prepare_seconds:>8.0f} s")
    for stage in stages:
        print(f"  {stage.name:<26}{stage.seconds:>8.0f} s")
    print(f"  {'total':<26}{total_seconds:>8.0f} s")
    where = conn["host"] if conn["conn_type"] == "duckdb" else f"PostgreSQL {conn['host']}:{conn.get('port')}"
    print(f"\nWarehouse: {where} (raw history in wms_raw, models and marts in wms)")
    print(f"Run logs:  {REPO_ROOT / '.local' / 'local-run'}")


if __name__ == "__main__":
    raise SystemExit(main())

"""`scripts/local-run`: the pipeline end to end on this machine, through Airflow.

Simulated Oracle WMS -> tap-oracle-wms -> target-warehouse -> DuckDB file -> dbt (Cosmos) -> checks,
run by `airflow dags test`, then a summary of what it did.
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import sys
import time
from datetime import datetime
from pathlib import Path

from local_runner.airflow_home import REPO_ROOT, LocalAirflow
from local_runner.simulator import SimulatorProcess
from local_runner.warehouse import load_audit, raw_versions, task_states

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
DAG_ID = "wms_incremental_sync"


def _say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/local-run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=500, help="order headers the simulator starts with")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--start-time",
        default="2026-01-05T06:00:00+00:00",
        help="the simulated WMS clock at start (data interval ends here)",
    )
    args = parser.parse_args(argv)

    started = time.monotonic()
    state = REPO_ROOT / ".local"
    run_dir = state / "local-run"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    warehouse = state / "warehouse" / "warehouse.duckdb"
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    warehouse.unlink(missing_ok=True)

    _say(f"starting the WMS simulator ({args.records} orders, seed {args.seed})")
    simulator = SimulatorProcess.start(
        records=args.records,
        seed=args.seed,
        start_time=args.start_time,
        log_file=run_dir / "simulator.log",
        password=secrets.token_urlsafe(12),
    )
    try:
        airflow = LocalAirflow(
            home=state / "airflow",
            warehouse_conn={"conn_type": "duckdb", "host": str(warehouse)},
            wms_conn=simulator.connection(),
            extra_env={"WMS_TASK_RETRIES": "0"},
        )
        _say("preparing Airflow (metadata DB, pools from airflow_settings.yaml)")
        airflow.prepare()
        # `dags test` treats the date as run_after: the cron timetable infers the interval ending there.
        interval_end = datetime.fromisoformat(args.start_time).isoformat()
        _say(f"airflow dags test {DAG_ID} {interval_end} (initial load: window from the beginning)")
        stage = time.monotonic()
        log_file = run_dir / f"{DAG_ID}.log"
        ok = airflow.dags_test(DAG_ID, interval_end, {"window_start": "2000-01-01T00:00:00+00:00"}, log_file)
        dag_seconds = time.monotonic() - stage
        states = task_states(airflow.home, DAG_ID)
        if not ok:
            failed = sorted(task for task, state in states.items() if state != "success")
            print(
                f"\nFAILED: tasks {', '.join(failed) or '(none recorded)'} did not succeed.", file=sys.stderr
            )
            print(f"Airflow output: {log_file}\nTask logs: {airflow.home / 'logs'}", file=sys.stderr)
            return 1
        _summarise(warehouse, simulator, states, dag_seconds, time.monotonic() - started)
        return 0
    finally:
        simulator.stop()


def _summarise(
    warehouse: Path,
    simulator: SimulatorProcess,
    states: dict[str, str],
    dag_seconds: float,
    total_seconds: float,
) -> None:
    audit = load_audit(warehouse)
    print(f"\n{'entity':<20}{'in WMS':>10}{'in warehouse':>14}{'inserted':>10}{'quarantined':>13}")
    for entity in ENTITIES:
        wms = len(simulator.versions(entity))
        stored = len(raw_versions(warehouse, entity))
        _, inserted, _, quarantined = audit.get(entity, (0, 0, 0, 0))
        print(f"{entity:<20}{wms:>10}{stored:>14}{inserted:>10}{quarantined:>13}")
    checks = {task: state for task, state in states.items() if task.startswith("check_")}
    dbt_tasks = [task for task in states if task.startswith("transform.")]
    print(
        f"\ndbt models built: {len(dbt_tasks)}; checks passed: "
        f"{sum(state == 'success' for state in checks.values())}/{len(checks)}"
    )
    print(f"warehouse: {warehouse}")
    print(f"elapsed: {total_seconds:.0f} s (the DAG run itself {dag_seconds:.0f} s)")


if __name__ == "__main__":
    raise SystemExit(main())

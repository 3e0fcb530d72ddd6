"""The incremental DAG end to end (`airflow dags test`, DuckDB) and its dbt stage vs a plain `dbt build`.

The simulator starts with `orders` order headers; an untimed first run loads the whole history
(params window_start / window_end), the simulated clock then advances `hours`, and the timed run reads
that interval: about `--dag-changes` changed records on top of a complete warehouse. Task times come
from the runs' task instances in the metadata DB; a dbt stage = first start to last end of the
`transform.*` tasks.

Against each stage, in the same run, the same work from the command line on a copy of the warehouse:
- the timed (incremental) stage vs plain `dbt build`, on the warehouse as it was when that stage began
  (the models as the initial run left them, the raw tables as the timed run's extract-load left them);
- the initial run's stage (every model built from the whole history) vs plain `dbt build
  --full-refresh` on the warehouse as the initial run left it.
Cosmos modes (bench/dags/wms_incremental_sync.py): product (WATCHER: one `dbt build` from .venvs/dbt,
a task per model reporting after it), local (the product before: one `dbt build` per model) and,
with .venvs/bench-airflow-dbt, dbt_runner and watcher_dbt_runner (the same two, dbt in-process); each
a complete pair of DAG runs into a fresh warehouse.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.suite.common import ROOT, VENVS, WORK, load_average, median, say, timed

sys.path.insert(0, str(ROOT / "dev"))
START = datetime.fromisoformat("2026-01-05T06:00:00+00:00")
# Changed records (every entity the incremental DAG reads) per order header per hour the simulated
# clock advances, measured by this section: 4,993 in 12 h with 20,032 orders (seed 7). Not linear in
# the hours: 24 h with 20,060 orders gave 7,878.
CHANGES_PER_ORDER_HOUR = 4993 / 20_032 / 12
DAG_ID = "wms_incremental_sync"
MODES = {
    "product": "airflow",
    "local": "airflow",
    "dbt_runner": "bench-airflow-dbt",
    "watcher_dbt_runner": "bench-airflow-dbt",
}


def _task_times(home: Path) -> list[dict[str, Any]]:
    """The task instances of the newest run."""
    with sqlite3.connect(home / "airflow.db") as conn:
        rows = conn.execute(
            "select task_id, map_index, state, start_date, end_date from task_instance where dag_id = ? "
            "and run_id = (select run_id from dag_run where dag_id = ? order by id desc limit 1)",
            (DAG_ID, DAG_ID),
        ).fetchall()
    out = []
    for task, index, state, start, end in rows:
        started = datetime.fromisoformat(start) if start else None
        ended = datetime.fromisoformat(end) if end else None
        out.append(
            {
                "task": task if index < 0 else f"{task}[{index}]",
                "state": state,
                "start": start,
                "end": end,
                "seconds": (ended - started).total_seconds() if started and ended else None,
            }
        )
    return out


def task_span(tasks: list[dict[str, Any]], prefix: str = "") -> float | None:
    """First start to last end of the tasks whose id starts with `prefix` (all tasks by default)."""
    chosen = [t for t in tasks if t["task"].startswith(prefix) and t["start"] and t["end"]]
    if not chosen:
        return None
    first = min(datetime.fromisoformat(t["start"]) for t in chosen)
    last = max(datetime.fromisoformat(t["end"]) for t in chosen)
    return (last - first).total_seconds()


def _records_loaded(warehouse: Path) -> int:
    """Records the loader has received so far (all runs), from its audit table."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as conn:
        row = conn.execute("select coalesce(sum(records_received), 0) from wms_raw.etl_load_audit").fetchone()
    return int(row[0]) if row else 0


def _before_transform(after_initial: Path, final: Path, out: Path) -> None:
    """The warehouse as the timed run's dbt stage found it: the models from `after_initial`, every
    raw table (records, audit, full-sync bookkeeping) from `final`."""
    import duckdb

    shutil.copy2(after_initial, out)
    with duckdb.connect(str(out)) as conn:
        conn.execute(f"attach '{final}' as final (read_only)")
        tables = conn.execute(
            "select table_name from duckdb_tables() where database_name = 'final' and schema_name = 'wms_raw'"
        ).fetchall()
        for (table,) in tables:
            conn.execute(
                f'create or replace table wms_raw."{table}" as select * from final.wms_raw."{table}"'
            )


def dag_run(mode: str, orders: int, hours: float, work: Path) -> dict[str, Any]:
    from local_runner.airflow_home import LocalAirflow
    from local_runner.simulator import SimulatorProcess

    venv = VENVS / MODES[mode]
    work = work / mode
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    warehouse = work / "warehouse.duckdb"
    sim = SimulatorProcess.start(
        records=orders,
        seed=7,
        start_time=START.isoformat(),
        log_file=work / "simulator.log",
        password="bench-secret",  # noqa: S106 - a local simulator
    )
    try:
        airflow = LocalAirflow(
            home=work / "airflow",
            warehouse_conn={"conn_type": "duckdb", "host": str(warehouse)},
            wms_conn=sim.connection(),
            warehouse_kind="duckdb",
            extra_env={"WMS_TASK_RETRIES": "0", "WMS_BENCH_COSMOS_MODE": mode},
        )
        if mode != "product":
            airflow.extra_env["AIRFLOW__CORE__DAGS_FOLDER"] = str(ROOT / "bench" / "dags")
        airflow.prepare()
        env = airflow.dags_test_env()
        if mode != "product":
            env["AIRFLOW__CORE__DAGS_FOLDER"] = str(ROOT / "bench" / "dags")
            env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        command = [str(venv / "bin" / "airflow"), "dags", "test", DAG_ID]
        # Untimed: the initial load (every record of the simulated history), so the timed run works on
        # a warehouse whose dimensions are complete (relationship tests need them), as in production.
        # From 2000: the lookups (items, facilities, statuses) were created long before the orders.
        initial = {"window_start": "2000-01-01T00:00:00+00:00", "window_end": START.isoformat()}
        first = (START - timedelta(hours=2)).isoformat()
        setup = timed(
            [*command, first, "-c", json.dumps(initial)], env=env, log=work / "initial-load.log", interval=1
        )
        say(f"dag[{mode}]: initial load (untimed) {setup.wall_s:.0f} s, exit {setup.returncode}")
        initial_tasks = _task_times(work / "airflow")
        loaded_before = _records_loaded(warehouse) if warehouse.exists() else 0
        after_initial = work / "after-initial.duckdb"
        if warehouse.exists():
            shutil.copy2(warehouse, after_initial)
        # The timed run: `hours` of WMS activity after the initial load.
        sim.control("POST", "clock/advance", {"minutes": int(hours * 60)})
        end = START + timedelta(hours=hours)
        conf = {"window_start": START.isoformat(), "window_end": end.isoformat()}
        log = work / "dags-test.log"
        sample = timed([*command, end.isoformat(), "-c", json.dumps(conf)], env=env, log=log, interval=0.5)
    finally:
        sim.stop()
    tasks = _task_times(work / "airflow")  # the newest run: the timed one
    before_transform = work / "before-transform.duckdb"
    if after_initial.exists():
        _before_transform(after_initial, warehouse, before_transform)
    failed = [t["task"] for t in tasks if t["state"] != "success"]
    result = {
        "mode": mode,
        "wall_s": sample.wall_s,
        "load_before": sample.load_before,
        "peak_tree_mb": sample.peak_tree_mb,
        "returncode": sample.returncode,
        "tasks": tasks,
        "not_successful": failed,
        "dbt_stage_s": task_span(tasks, "transform."),
        "extract_load_s": task_span(tasks, "extract_load_"),
        "records": (_records_loaded(warehouse) - loaded_before) if warehouse.exists() else 0,
        "initial_load_s": setup.wall_s,
        "initial_dbt_stage_s": task_span(initial_tasks, "transform."),
        "initial_not_successful": [t["task"] for t in initial_tasks if t["state"] != "success"],
        "log": str(log),
        "warehouse": str(warehouse),
        "warehouse_after_initial": str(after_initial) if after_initial.exists() else None,
        "warehouse_before_transform": str(before_transform) if before_transform.exists() else None,
    }
    say(
        f"dag[{mode}]: dags test {sample.wall_s:.1f} s, dbt stage {result['dbt_stage_s']}, "
        f"{result['records']:,} records, not successful: {failed[:5]}, load {sample.load_before}"
    )
    return result


def plain_dbt(template: Path, repeat: int, work: Path, *, full_refresh: bool) -> dict[str, Any]:
    """`dbt build` from the command line, each run on a fresh copy of `template`."""
    warehouse = work / "plain_dbt.duckdb"  # the stem is dbt-duckdb's catalog name: no "-"
    env = {
        **os.environ,
        "WMS_DBT_TARGET": "duckdb",
        "WMS_DUCKDB_PATH": str(warehouse),
        "WMS_DBT_SCHEMA": "wms",
        "DBT_TARGET_PATH": str(work / "dbt-target"),
        "DBT_LOG_PATH": str(work / "dbt-logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    project = ROOT / "include" / "dbt" / "wms"
    command = [
        str(VENVS / "dbt" / "bin" / "dbt"),
        "build",
        *(["--full-refresh"] if full_refresh else []),
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target",
        "duckdb",
    ]
    label = "dbt build" + (" --full-refresh" if full_refresh else "") + " --target duckdb"
    runs = []
    for index in range(repeat):
        shutil.copy2(template, warehouse)
        log = work / f"dbt-build{'-full-refresh' if full_refresh else ''}-{index}.log"
        sample = timed(command, env=env, log=log, interval=0.5)
        runs.append(sample.as_dict())
        say(f"dag: plain {label} {sample.wall_s:.1f} s (exit {sample.returncode}), load {sample.load_before}")
    warehouse.unlink(missing_ok=True)
    ok = [r["wall_s"] for r in runs if r["returncode"] == 0]
    return {"command": f"{label} (include/dbt/wms)", "runs": runs, "wall_s": median(ok)}


def section(args: Any, previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """The modes in `--dag-modes`; the runs of other modes (and the plain dbt builds, when product
    is not rerun) are kept from `previous` if it used the same simulated volume, each with its time."""
    work = WORK / "dag"
    hours = 24.0
    orders = max(500, round(args.dag_changes / (CHANGES_PER_ORDER_HOUR * hours)))
    modes = [
        m for m in args.dag_modes if MODES[m] == "airflow" or (VENVS / MODES[m] / "bin" / "dbt").exists()
    ]
    out: dict[str, Any] = {"orders": orders, "window_hours": hours, "runs": {}}
    if previous and (previous.get("orders"), previous.get("window_hours")) == (orders, hours):
        out["runs"] = {m: r for m, r in previous.get("runs", {}).items() if m in MODES and m not in modes}
        if "product" not in modes:
            for key in ("plain_dbt", "plain_dbt_full_refresh"):
                if key in previous:
                    out[key] = previous[key]
    for mode in modes:
        started = time.monotonic()
        started_at = datetime.now(UTC).isoformat(timespec="seconds")
        try:
            out["runs"][mode] = dag_run(mode, orders, hours, work)
        except Exception as error:  # one mode failing must not lose the others
            out["runs"][mode] = {"mode": mode, "error": f"{type(error).__name__}: {error}"}
            say(f"dag[{mode}]: harness error {error}")
        out["runs"][mode]["harness_s"] = round(time.monotonic() - started, 1)
        out["runs"][mode]["started_at"] = started_at
        run = out["runs"][mode]
        if mode == "product" and run.get("warehouse_before_transform"):
            plain = work / "plain"
            plain.mkdir(exist_ok=True)
            out["plain_dbt"] = plain_dbt(
                Path(run["warehouse_before_transform"]), args.repeat, plain, full_refresh=False
            )
            out["plain_dbt_full_refresh"] = plain_dbt(
                Path(run["warehouse_after_initial"]), args.repeat, plain, full_refresh=True
            )
    # Each run keeps the plain builds of its own invocation: runs kept from an earlier one are
    # compared with theirs, never with a later machine's.
    if "product" in modes and "plain_dbt" in out:
        plain = {key: out[key].get("wall_s") for key in ("plain_dbt", "plain_dbt_full_refresh") if key in out}
        for mode in modes:
            out["runs"][mode]["plain_wall_s"] = plain
    out["load_after"] = load_average()
    return out

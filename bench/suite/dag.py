"""The incremental DAG end to end (`airflow dags test`, DuckDB) and its dbt stage vs a plain `dbt build`.

The simulator starts with `orders` order headers; an untimed first run loads the whole history
(params window_start / window_end), the simulated clock then advances `hours`, and the timed run reads
that interval: about `--dag-changes` changed records on top of a complete warehouse. Task times come from the run's task instances in the metadata DB. The dbt stage = first
start to last end of the `transform.*` tasks. Against it, in the same run and on the same warehouse
file: plain `dbt build --full-refresh` from the command line (the DAG's first run builds every model
from empty, the same work). Cosmos modes: subprocess (the product), and with .venvs/bench-airflow-dbt
dbt_runner (in-process) and watcher, each a complete DAG run into a fresh warehouse.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.suite.common import ROOT, VENVS, WORK, load_average, median, say, timed

sys.path.insert(0, str(ROOT / "dev"))
START = datetime.fromisoformat("2026-01-05T06:00:00+00:00")
# Changed records (allocation + order_hdr + order_dtl + inventory + lookups) per order header per
# hour the simulated clock advances, measured: 1,664 in 2 h with 20,000 orders.
CHANGES_PER_ORDER_HOUR = 1664 / 20_000 / 2
DAG_ID = "wms_incremental_sync"
MODES = {"subprocess": "airflow", "dbt_runner": "bench-airflow-dbt", "watcher": "bench-airflow-dbt"}


def _task_times(home: Path) -> list[dict[str, Any]]:
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


def _span(tasks: list[dict[str, Any]], prefix: str) -> float | None:
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
        if mode != "subprocess":
            airflow.extra_env["AIRFLOW__CORE__DAGS_FOLDER"] = str(ROOT / "bench" / "dags")
        airflow.prepare()
        env = airflow.dags_test_env()
        if mode != "subprocess":
            env["AIRFLOW__CORE__DAGS_FOLDER"] = str(ROOT / "bench" / "dags")
            env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        command = [str(venv / "bin" / "airflow"), "dags", "test", DAG_ID]
        # Untimed: the initial load (every record of the simulated history), so the timed run works on
        # a warehouse whose dimensions are complete (relationship tests need them), as in production.
        initial = {"window_start": (START - timedelta(days=60)).isoformat(), "window_end": START.isoformat()}
        first = (START - timedelta(hours=2)).isoformat()
        setup = timed(
            [*command, first, "-c", json.dumps(initial)], env=env, log=work / "initial-load.log", interval=1
        )
        say(f"dag[{mode}]: initial load (untimed) {setup.wall_s:.0f} s, exit {setup.returncode}")
        loaded_before = _records_loaded(warehouse) if warehouse.exists() else 0
        # The timed run: `hours` of WMS activity after the initial load.
        sim.control("POST", "clock/advance", {"minutes": int(hours * 60)})
        end = START + timedelta(hours=hours)
        conf = {"window_start": START.isoformat(), "window_end": end.isoformat()}
        log = work / "dags-test.log"
        sample = timed([*command, end.isoformat(), "-c", json.dumps(conf)], env=env, log=log, interval=0.5)
    finally:
        sim.stop()
    tasks = _task_times(work / "airflow")  # the newest run: the timed one
    failed = [t["task"] for t in tasks if t["state"] != "success"]
    result = {
        "mode": mode,
        "wall_s": sample.wall_s,
        "load_before": sample.load_before,
        "peak_tree_mb": sample.peak_tree_mb,
        "returncode": sample.returncode,
        "tasks": tasks,
        "not_successful": failed,
        "dbt_stage_s": _span(tasks, "transform."),
        "extract_load_s": _span(tasks, "extract_load_"),
        "records": (_records_loaded(warehouse) - loaded_before) if warehouse.exists() else 0,
        "initial_load_s": setup.wall_s,
        "log": str(log),
        "warehouse": str(warehouse),
    }
    say(
        f"dag[{mode}]: dags test {sample.wall_s:.1f} s, dbt stage {result['dbt_stage_s']}, "
        f"{result['records']:,} records, not successful: {failed[:5]}, load {sample.load_before}"
    )
    return result


def plain_dbt(warehouse: Path, repeat: int, work: Path) -> dict[str, Any]:
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
        "--full-refresh",
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target",
        "duckdb",
    ]
    runs = []
    for index in range(repeat):
        sample = timed(command, env=env, log=work / f"dbt-build-{index}.log", interval=0.5)
        runs.append(sample.as_dict())
        say(
            f"dag: plain dbt build --full-refresh {sample.wall_s:.1f} s (exit {sample.returncode}), "
            f"load {sample.load_before}"
        )
    ok = [r["wall_s"] for r in runs if r["returncode"] == 0]
    return {
        "command": "dbt build --full-refresh --target duckdb (include/dbt/wms)",
        "runs": runs,
        "wall_s": median(ok),
    }


def section(args: Any) -> dict[str, Any]:
    work = WORK / "dag"
    hours = 12.0
    orders = max(500, round(args.dag_changes / (CHANGES_PER_ORDER_HOUR * hours)))
    modes = ["subprocess"]
    if (VENVS / "bench-airflow-dbt" / "bin" / "dbt").exists():
        modes += ["dbt_runner", "watcher"]
    out: dict[str, Any] = {"orders": orders, "window_hours": hours, "runs": {}}
    for mode in modes:
        started = time.monotonic()
        try:
            out["runs"][mode] = dag_run(mode, orders, hours, work)
        except Exception as error:  # one mode failing must not lose the others
            out["runs"][mode] = {"mode": mode, "error": f"{type(error).__name__}: {error}"}
            say(f"dag[{mode}]: harness error {error}")
        out["runs"][mode]["harness_s"] = round(time.monotonic() - started, 1)
        if mode == "subprocess" and out["runs"][mode].get("warehouse"):
            out["plain_dbt"] = plain_dbt(Path(out["runs"][mode]["warehouse"]), args.repeat, work)
    out["load_after"] = load_average()
    return out

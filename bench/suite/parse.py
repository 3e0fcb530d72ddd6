"""Parse time of each DAG file (fresh process per parse, Airflow already imported), repeated; against
Cosmos rendering the same dbt project with `dbt ls` (LoadMode.DBT_LS, its cache off) in the same run."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from bench.suite.common import ROOT, VENVS, WORK, load_average, median, say


def _env(extra: dict[str, str]) -> dict[str, str]:
    import os

    home = WORK / "parse-airflow"
    home.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "AIRFLOW__COSMOS__ENABLE_CACHE_DBT_LS": "False",
        "PYTHONPATH": str(ROOT),
        "WMS_WAREHOUSE_KIND": "duckdb",
        "AIRFLOW_CONN_WMS_WAREHOUSE": json.dumps({"conn_type": "duckdb", "host": str(WORK / "parse.duckdb")}),
        **extra,
    }


def _probe(files: list[str], extra: dict[str, str]) -> dict[str, Any]:
    result = subprocess.run(
        [str(VENVS / "airflow" / "bin" / "python"), str(ROOT / "bench" / "suite" / "parse_probe.py"), *files],
        env=_env(extra),
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def section(args: Any) -> dict[str, Any]:
    files = {
        "dags/wms_full_sync.py": ({}, str(ROOT / "dags" / "wms_full_sync.py")),
        "dags/wms_incremental_sync.py": ({}, str(ROOT / "dags" / "wms_incremental_sync.py")),
        "incremental DAG, Cosmos LoadMode.DBT_LS (uncached)": (
            {"WMS_BENCH_LOAD_METHOD": "dbt_ls"},
            str(ROOT / "bench" / "dags" / "wms_incremental_sync.py"),
        ),
    }
    repeat = max(3, args.repeat * 2)
    out: dict[str, Any] = {}
    for label, (extra, path) in files.items():
        samples, loads = [], []
        info: dict[str, Any] = {}
        for _ in range(repeat):
            loads.append(load_average())
            info = _probe([path], extra)[path]
            samples.append(info["seconds"])
        out[label] = {
            "seconds": [round(s, 3) for s in samples],
            "median_s": median(samples),
            "load_before": loads,
            "dags": info.get("dags"),
            "tasks": info.get("tasks"),
            "errors": info.get("errors"),
        }
        say(f"parse: {label}: median {median(samples):.2f} s over {repeat} ({info.get('tasks')} tasks)")
    return out

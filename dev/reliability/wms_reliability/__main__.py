"""The long reliability run (`scripts/reliability`): the full variants, printed as markdown with figures.

python -m wms_reliability [--only faults,crash,concurrency,soak,secrets,hostile,continuity,late-commit,deletion-guard,operator-actions,backfill-beside-schedule,distributed] [--kills N] [--intervals N]

`distributed` (CeleryExecutor, two workers, SIGKILLs) is not in the default list: run it with --only
distributed [--intervals N --kills N]; options --distributed-intervals / --distributed-kills (6 / 3).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from wms_simulator import Simulator, SimulatorConfig, SimulatorServer

from .airflow_suite import run_e2e, summary
from .backfill_beside_schedule import backfill_beside_schedule_run
from .concurrency import exactness, load_concurrently, load_in_threads, rerun_failed, writer_inputs
from .continuity import continuity_run
from .crash import crash_and_rerun
from .deletion_guard import deletion_guard
from .distributed import distributed
from .fault_matrix import CASES, expected_outcome, run_matrix, table
from .hostile import hostile
from .late_commit import soak as late_commit_soak
from .soak import soak

START = datetime(2026, 1, 5, 6, tzinfo=UTC)


def _server(records: int, seed: int) -> SimulatorServer:
    return SimulatorServer(Simulator(SimulatorConfig(records=records, seed=seed, start_time=START))).start()


class Postgres:
    """Fresh databases on the server of WMS_TEST_POSTGRES_URL (postgresql://user:pw@host:port/db)."""

    def __init__(self, url: str) -> None:
        self.admin = url.replace("postgresql+psycopg://", "postgresql://")
        self.count = 0

    def fresh(self, name: str) -> str:
        self.count += 1
        database = f"rel_{name}_{os.getpid()}_{self.count}".replace("-", "_").lower()
        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f'create database "{database}"')
        return self.admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{database}"


def faults(work: Path, postgres: Postgres | None) -> dict[str, Any]:
    server = _server(300, 11)
    try:
        kinds = {"duckdb": lambda name: f"duckdb:///{work / name}.duckdb"}
        if postgres:
            kinds["postgresql"] = postgres.fresh
        result: dict[str, Any] = {}
        for warehouse, make in kinds.items():
            cells = run_matrix(server, make)
            wrong = [
                c
                for c in cells
                if not c.passed
                or c.outcome.split(":")[0]
                != expected_outcome(next(k for k in CASES if k.name == c.case), c.mode)
            ]
            result[warehouse] = {
                "cells": len(cells),
                "faults_injected": sum(c.injected for c in cells),
                "wrong": [asdict(c) for c in wrong],
                "table": table(cells),
            }
        return result
    finally:
        server.stop()


def crash(work: Path, kills: int) -> dict[str, Any]:
    server = _server(300, 9)
    try:
        report = crash_and_rerun(server, work, lambda name: f"duckdb:///{work / name}.duckdb", kills, seed=20)
        return asdict(report)
    finally:
        server.stop()


def concurrency(work: Path, postgres: Postgres | None, repetitions: int) -> dict[str, Any]:
    server = _server(200, 21)
    try:
        inputs = writer_inputs(server, work)
        rounds: list[dict[str, Any]] = []
        if postgres:
            for number in range(repetitions):
                url = postgres.fresh("conc")
                how = "processes" if number % 2 == 0 else "threads"
                result = (
                    load_concurrently(work, url, inputs, f"pg{number}")
                    if how == "processes"
                    else load_in_threads(url, inputs, f"pg{number}")
                )
                rerun_errors = rerun_failed(url, inputs, result, f"pg{number}")
                rounds.append(
                    {
                        "how": how,
                        "writers": len(inputs),
                        "failed_writers": len(result.errors),
                        "errors": sorted({e[-160:] for e in result.errors}),
                        "rerun_errors": rerun_errors,
                        "exact_after_rerun": exactness(server, url) == {},
                    }
                )
        url = f"duckdb:///{work / 'concurrent.duckdb'}"
        duck = load_concurrently(work, url, inputs, "duck")
        duck_rerun = rerun_failed(url, inputs, duck, "duck")
        return {
            "postgresql": rounds,
            "duckdb": {
                "writers": len(inputs),
                "failed_writers": len(duck.errors),
                "errors": sorted({e[-200:] for e in duck.errors}),
                "rerun_errors": duck_rerun,
                "exact_after_rerun": exactness(server, url) == {},
            },
        }
    finally:
        server.stop()


def soak_run(work: Path, intervals: int) -> dict[str, Any]:
    server = _server(200, 17)
    try:
        return asdict(soak(server, f"duckdb:///{work / 'soak.duckdb'}", intervals, fault_probability=0.06))
    finally:
        server.stop()


def late_commit_run(work: Path, postgres: Postgres | None, intervals: int) -> dict[str, Any]:
    """Commit delays under and over the product's lookback and a clock skew of a minute either way:
    consecutive incremental runs, a full sync, more runs; DuckDB (with the dbt staging models) and
    PostgreSQL."""

    def make_server(delays: tuple[tuple[float, float], ...], skew: float, records: int) -> SimulatorServer:
        config = SimulatorConfig(
            records=records, seed=41, start_time=START, commit_delays=delays, clock_skew_seconds=skew
        )
        return SimulatorServer(Simulator(config)).start()

    warehouses: dict[str, Any] = {
        "duckdb": lambda label: f"duckdb:///{work / re.sub(r'[^a-z0-9]+', '_', label.lower())}.duckdb"
    }
    if postgres:
        warehouses["postgresql"] = lambda label: postgres.fresh("late")
    return late_commit_soak(make_server, warehouses, intervals)


def secrets_run() -> dict[str, Any]:
    """The secret-leak tests including the `meltano run --log-level=debug` one (too slow for the suite)."""
    tests = Path(__file__).resolve().parents[3] / "include/meltano/packages/tap-oracle-wms/tests"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(tests / "test_reliability_secrets.py"),
        ],
        env={**os.environ, "WMS_RELIABILITY_FULL": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    return {"exit_code": result.returncode, "summary": result.stdout.strip().splitlines()[-1:]}


def hostile_run(work: Path, postgres: Postgres | None) -> dict[str, Any]:
    """WMS-side hostile input (foreign next_page links, hostile record content), then the DAG-side
    hostile conf suite through both DAGs on DuckDB and PostgreSQL (tests/e2e/test_hostile_conf.py)."""
    server = _server(200, 23)
    try:
        warehouses = {"duckdb": f"duckdb:///{work / 'hostile.duckdb'}"}
        if postgres:
            warehouses["postgresql"] = postgres.fresh("hostile")
        report = hostile(server, warehouses)
    finally:
        server.stop()
    result = run_e2e("tests/e2e/test_hostile_conf.py")
    case_lines = [
        line.lstrip(".") for line in result.stdout.splitlines() if "executed:" in line and "leaked:" in line
    ]
    report["lines"] += case_lines
    report["dag_suite"] = {"exit_code": result.returncode, "summary": summary(result)}
    for line in report["lines"]:
        print(line, flush=True)
    return report


def operator_actions_run(work: Path) -> dict[str, Any]:
    """Operator actions through Airflow (issue 35): runs in the Airflow environment, which has the
    local runner and the `airflow` CLI (operator_actions.py); one line per action with `wrong rows`."""
    root = Path(__file__).resolve().parents[3]
    airflow_python = Path(os.environ.get("WMS_VENVS_DIR", root / ".venvs")) / "airflow" / "bin" / "python"
    path = os.pathsep.join([str(root), str(root / "dev"), str(root / "dev" / "reliability")])
    # Each action's line is printed as it ends (a run takes tens of minutes on a busy machine).
    lines: list[str] = []
    seen: list[str] = []
    with subprocess.Popen(
        [str(airflow_python), "-m", "wms_reliability.operator_actions", str(work / "operator-actions")],
        cwd=root,
        env={**os.environ, "PYTHONPATH": path},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as process:
        for line in process.stdout or []:
            seen = [*seen[-4:], line.rstrip()]
            if "wrong rows:" in line:
                lines.append(line.rstrip())
                print(lines[-1], flush=True)
    tail = seen
    return {"exit_code": process.returncode, "lines": lines, "tail": tail}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--only",
        default="faults,crash,concurrency,soak,secrets,hostile,continuity,late-commit,deletion-guard",
    )
    parser.add_argument("--kills", type=int, default=12)
    parser.add_argument("--intervals", type=int, default=50)
    parser.add_argument("--repetitions", type=int, default=6)
    parser.add_argument(
        "--distributed-intervals", type=int, default=6, help="incremental intervals (at most 7)"
    )
    parser.add_argument("--distributed-kills", type=int, default=3, help="workers killed mid-extract")
    parser.add_argument("--out", type=Path, default=Path(".local/reliability"))
    args = parser.parse_args()
    postgres_url = os.environ.get("WMS_TEST_POSTGRES_URL")
    postgres = Postgres(postgres_url) if postgres_url else None
    args.out.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"started": datetime.now(UTC).isoformat(timespec="seconds")}
    with tempfile.TemporaryDirectory(prefix="wms-reliability-") as scratch:
        work = Path(scratch)
        for part in args.only.split(","):
            started = time.monotonic()
            if part == "faults":
                report[part] = faults(work, postgres)
            elif part == "crash":
                report[part] = crash(work, args.kills)
            elif part == "concurrency":
                report[part] = concurrency(work, postgres, args.repetitions)
            elif part == "secrets":
                report[part] = secrets_run()
            elif part == "hostile":
                report[part] = hostile_run(work, postgres)
            elif part == "distributed":
                report[part] = distributed(args.distributed_intervals, args.distributed_kills)
            elif part == "deletion-guard":
                report[part] = deletion_guard()
            elif part == "operator-actions":
                report[part] = operator_actions_run(work)
            elif part == "soak":
                report[part] = soak_run(work, args.intervals)
            elif part == "continuity":
                report[part] = continuity_run()
            elif part == "backfill-beside-schedule":
                report[part] = backfill_beside_schedule_run()
            elif part == "late-commit":
                report[part] = late_commit_run(work, postgres, min(args.intervals, 12))
            report[f"{part}_seconds"] = round(time.monotonic() - started, 1)
            (args.out / "report.json").write_text(json.dumps(report, indent=2, default=str))
            print(f"== {part} ({report[f'{part}_seconds']} s)", flush=True)
            print(json.dumps(report[part], indent=2, default=str)[:6000], flush=True)
    report["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    (args.out / "report.json").write_text(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

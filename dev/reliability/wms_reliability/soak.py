"""Soak: consecutive incremental intervals while the simulated WMS changes, with a few faults, then a
full sync; the warehouse history must equal every version the API ever showed, and the current state
(newest version per id, minus ids the full sync did not see) must equal the simulator's live records."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from wms_simulator import FaultRule, SimulatorServer

from .compare import Version, difference, simulator_versions, utc, warehouse_rows, warehouse_versions
from .pipeline import CORE, Outcome, extract_load, tap_config, target_config

TRANSIENT_KINDS = ("500", "503", "429", "reset", "truncated", "409")
INTERVAL = timedelta(hours=2)
REPO_ROOT = Path(__file__).resolve().parents[3]
DBT_PROJECT = REPO_ROOT / "include" / "dbt" / "wms"
DBT_EXECUTABLE = Path(os.environ.get("WMS_DBT_EXECUTABLE", REPO_ROOT / ".venvs" / "dbt" / "bin" / "dbt"))
# The dbt staging model holding each entity's current state, and its key column.
STAGING_MODELS = {
    "allocation": ("stg_oracle_wms__allocations", "allocation_id"),
    "order_hdr": ("stg_oracle_wms__order_hdrs", "order_id"),
    "order_dtl": ("stg_oracle_wms__order_dtls", "order_dtl_id"),
}


@dataclass
class SoakReport:
    intervals: int = 0
    runs: int = 0
    retried_runs: int = 0
    faults_injected: int = 0
    requests: int = 0
    created: int = 0
    changed: int = 0
    deleted: int = 0
    versions_checked: int = 0
    current_checked: int = 0
    deleted_marked: int = 0
    dbt_current_checked: int = 0
    dbt_deleted_marked: int = 0
    problems: dict[str, Any] = field(default_factory=dict)


def _until_ok(run: Any, report: SoakReport, attempts: int = 3) -> Outcome:
    """Like an Airflow task with retries: rerun the same interval until it succeeds."""
    for attempt in range(attempts):
        outcome: Outcome = run()
        report.runs += 1
        if outcome.ok:
            report.retried_runs += attempt > 0
            return outcome
    raise AssertionError(f"still failing after {attempts} attempts: {outcome.error}")


def soak(server: SimulatorServer, url: str, intervals: int, fault_probability: float = 0.03) -> SoakReport:
    sim = server.sim
    sim.reset()
    report = SoakReport()
    seen: dict[str, set[Version]] = {entity: simulator_versions(sim, entity) for entity in CORE}
    _until_ok(lambda: extract_load(tap_config(server), target_config(url, "initial")), report)
    for kind in TRANSIENT_KINDS:  # a few percent of list requests fail, transiently
        sim.faults.add(FaultRule(kind=kind, path_regex=r"/entity/\w+/$", probability=fault_probability / 6))
    for number in range(intervals):
        start = sim.now()
        summary = sim.advance(INTERVAL)
        for name, changes in summary.entities.items():
            if name in CORE:
                report.created += len(changes.created)
                report.changed += len(changes.changed)
                report.deleted += len(changes.deleted)
        for entity in CORE:
            seen[entity] |= simulator_versions(sim, entity)
        window = (start, sim.now())
        tap, target = tap_config(server, window=window), target_config(url, f"interval{number}")
        _until_ok(lambda tap=tap, target=target: extract_load(tap, target), report)
        report.intervals += 1
    report.faults_injected = sum(rule.injected for rule in sim.faults.rules)
    sim.faults.clear()
    sync_end = sim.now()
    _until_ok(
        lambda: extract_load(tap_config(server), target_config(url, "full", full_sync_id="soak-full")), report
    )
    report.requests = len(sim.requests)
    for entity in CORE:
        history = warehouse_versions(url, entity)
        report.versions_checked += len(history)
        if problem := difference(seen[entity], history):
            report.problems[f"{entity} history"] = problem
        current, deleted = current_state(url, entity, "soak-full", sync_end)
        report.current_checked += len(current)
        if problem := difference(simulator_versions(sim, entity), list(current)):
            report.problems[f"{entity} current"] = problem
        expected_deleted = {
            record_id for record_id in sim.deleted(entity) if any(v[0] == record_id for v in seen[entity])
        }
        report.deleted_marked += len(deleted)
        if deleted != expected_deleted:
            report.problems[f"{entity} deleted"] = {
                "not marked": sorted(expected_deleted - deleted)[:5],
                "wrongly marked": sorted(deleted - expected_deleted)[:5],
            }
    if url.startswith("duckdb:///"):
        _check_dbt_current_state(server, url, sync_end, seen, report)
    return report


def _check_dbt_current_state(
    server: SimulatorServer, url: str, sync_end: datetime, seen: dict[str, set[Version]], report: SoakReport
) -> None:
    """What analysts read: the dbt staging models, built on the soaked warehouse after the full sync
    is declared complete (as the DAG's finalize task does), against the simulator's live records."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "insert into wms_raw.etl_full_sync_complete (sync_id, stream_name, window_end, completed_at)"
                    " values (:sync_id, :stream, :window_end, :completed_at)"
                ),
                [
                    {
                        "sync_id": "soak-full",
                        "stream": e,
                        "window_end": sync_end,
                        "completed_at": datetime.now(UTC),
                    }
                    for e in CORE
                ],
            )
        with engine.connect() as conn:
            conn.execute(sa.text("checkpoint"))
    finally:
        engine.dispose()
    # dbt opens the file from another process; this one may still hold the loader's DuckDB instance,
    # so dbt builds on a checkpointed copy.
    with tempfile.TemporaryDirectory(prefix="soak-dbt-") as artefacts:
        path = f"{artefacts}/warehouse.duckdb"
        shutil.copyfile(url.removeprefix("duckdb:///"), path)
        _dbt_compare(server, path, artefacts, seen, report)


def _dbt_compare(
    server: SimulatorServer, path: str, artefacts: str, seen: dict[str, set[Version]], report: SoakReport
) -> None:
    models = [model for model, _ in STAGING_MODELS.values()]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WMS_", "DBT_"))}
    env.update(
        {
            "WMS_DBT_TARGET": "duckdb",
            "WMS_DUCKDB_PATH": path,
            "DBT_TARGET_PATH": f"{artefacts}/target",
            "DBT_LOG_PATH": f"{artefacts}/logs",
            "DBT_PROFILES_DIR": str(DBT_PROJECT),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        }
    )
    result = subprocess.run(
        [str(DBT_EXECUTABLE), "run", "--select", *models],
        cwd=DBT_PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        report.problems["dbt run"] = (result.stdout + result.stderr)[-2000:]
        return
    sim = server.sim
    for entity, (model, key) in STAGING_MODELS.items():
        rows = warehouse_rows(f"duckdb:///{path}", f"select {key}, modified_at, is_deleted from wms.{model}")
        live = [(int(row[0]), utc(row[1])) for row in rows if int(row[2]) == 0]
        marked = {int(row[0]) for row in rows if int(row[2]) == 1}
        report.dbt_current_checked += len(live)
        report.dbt_deleted_marked += len(marked)
        if problem := difference(simulator_versions(sim, entity), live):
            report.problems[f"{model} current"] = problem
        expected_deleted = {
            record_id for record_id in sim.deleted(entity) if any(v[0] == record_id for v in seen[entity])
        }
        if marked != expected_deleted:
            report.problems[f"{model} deleted"] = {
                "not marked": sorted(expected_deleted - marked)[:5],
                "wrongly marked": sorted(marked - expected_deleted)[:5],
            }


def current_state(url: str, entity: str, sync_id: str, window_end: datetime) -> tuple[set[Version], set[int]]:
    """The architecture's rule: newest version per id; deleted = not seen by the completed full sync
    and newest mod_ts older than its window end."""
    newest = warehouse_rows(url, f"select id, max(mod_ts) from wms_raw.{entity} group by id")
    seen = {
        int(row[0])
        for row in warehouse_rows(
            url,
            "select record_id from wms_raw.etl_full_sync_seen "
            f"where sync_id = '{sync_id}' and stream_name = '{entity}'",
        )
    }
    current, deleted = set(), set()
    for record_id, mod_ts in newest:
        stamp = utc(mod_ts)
        if int(record_id) not in seen and stamp < window_end.astimezone(UTC):
            deleted.add(int(record_id))
        else:
            current.add((int(record_id), stamp))
    return current, deleted

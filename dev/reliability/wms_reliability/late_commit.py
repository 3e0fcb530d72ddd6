"""Late commits: incremental runs with a lookback while the simulated WMS commits changes late and its
clock is skewed, a full sync, then more incremental runs (`scripts/reliability --only late-commit`).

The runs go as the DAGs do: incremental interval k is `[t0 + k·2h, t0 + (k+1)·2h)`, read with the
lookback `run_delay` after its end; the full sync's window ends half-way through an interval (as the
Sunday 03:00 sync does against the even-hour incremental runs) and it reads `full_sync_delay` later.
Before every read the simulator's visible versions are recorded (what the WMS made visible).

What is checked:
- the warehouse holds only versions the WMS showed at a read, each once;
- every version the WMS showed is in the warehouse, except versions that committed later than the
  lookback covers and were replaced before the full sync (`history_lost`; none when every commit
  delay is within the lookback);
- every version current at the full sync is in the warehouse after it; the versions the full sync
  found that incremental runs had missed, counted by the product's statement
  (include/wms_pipeline/late_commits.py), equal the count recomputed here from the recorded reads;
- optionally (`dbt=True`, DuckDB): the dbt staging models built after the last run mark no record
  deleted that the WMS shows, and show each live record's newest version.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from wms_simulator import SimulatorServer

from .compare import Version, simulator_versions, utc, warehouse_rows
from .pipeline import CORE, Outcome, extract_load, tap_config, target_config
from .soak import STAGING_MODELS

REPO_ROOT = Path(__file__).resolve().parents[3]
if str(REPO_ROOT) not in sys.path:  # the product's count of missed versions (no Airflow import)
    sys.path.insert(0, str(REPO_ROOT))
from include.wms_pipeline.late_commits import (  # noqa: E402
    count_missed_versions,
    deletion_cutoff,
    missed_before,
    record_missed_versions,
)

INTERVAL = timedelta(hours=2)
DBT_PROJECT = REPO_ROOT / "include" / "dbt" / "wms"
DBT_EXECUTABLE = Path(os.environ.get("WMS_DBT_EXECUTABLE", REPO_ROOT / ".venvs" / "dbt" / "bin" / "dbt"))
FULL_SYNC_ID = "late-commit-full"


@dataclass(frozen=True)
class Scenario:
    """One run. ``delays`` maps an incremental interval's index to the commit delay of every change the
    WMS saves between the previous read and that interval's read (-1: before the full sync's read),
    through the simulator's per-change API; the simulator's own configuration may add a distribution
    of delays and a clock skew."""

    lookback: timedelta = timedelta(minutes=30)
    run_delay: timedelta = timedelta(minutes=5)
    full_sync_delay: timedelta = timedelta(seconds=10)
    intervals_before: int = 4
    intervals_after: int = 2
    delays: Mapping[int, timedelta] = field(default_factory=dict)
    entities: tuple[str, ...] = CORE
    dbt: bool = False

    def longest_delay(self, commit_delays: tuple[tuple[float, float], ...]) -> timedelta:
        """The longest commit delay of this run: the per-change ones and the simulator's distribution."""
        distribution = [timedelta(seconds=seconds) for _, seconds in commit_delays]
        return max([*self.delays.values(), *distribution], default=timedelta(0))


@dataclass
class LateCommitReport:
    runs: int = 0
    versions_checked: int = 0
    versions_shown: int = 0  # distinct versions the WMS showed at the reads
    uncommitted_at_reads: int = 0  # saved versions not yet visible when a run read (summed over reads)
    caught_by_lookback: int = 0  # versions first loaded by a later run than the one whose interval holds them
    history_lost: int = 0  # versions shown only too old for any window, replaced before a full sync
    awaiting_next_full_sync: int = 0  # current versions that committed too late for every read so far
    missed_expected: int = 0  # versions the full sync found that the incremental runs had missed
    missed_reported: int = 0  # the same counted by the product's statement
    missed_in_audit: int = 0  # the same as the load audit shows it (etl_load_audit.missed_by_incremental)
    full_sync_inserted: int = 0
    reread_rows: int = 0  # rows the incremental runs read that were already present (lookback cost)
    incremental_rows: int = 0
    dbt_live_checked: int = 0
    dbt_deleted_marked: int = 0
    problems: dict[str, Any] = field(default_factory=dict)


def _ok(outcome: Outcome) -> Outcome:
    if not outcome.ok:
        raise AssertionError(f"extract-load failed: {outcome.error}")
    return outcome


def _versions(url: str, entity: str) -> list[tuple[int, datetime, str]]:
    rows = warehouse_rows(url, f"select id, mod_ts, etl_run_id from wms_raw.{entity}")
    return [(int(r[0]), utc(r[1]), str(r[2])) for r in rows]


def _count_missed(url: str, entity: str, before: datetime) -> tuple[int, int | None]:
    """The product's statement on a DB-API connection of the warehouse, and the count as the full sync's
    extract task records it in the load audit the loader created, read back from there."""
    kind = "duckdb" if url.startswith("duckdb") else "postgres"
    engine = sa.create_engine(url)
    try:
        raw = engine.raw_connection()
        try:
            counted = count_missed_versions(raw, kind, "wms_raw", entity, "full", before, "full")
            record_missed_versions(raw, kind, "wms_raw", entity, "full", counted)
        finally:
            raw.close()
        with engine.connect() as conn:
            audit = conn.execute(
                sa.text(
                    "select missed_by_incremental from wms_raw.etl_load_audit "
                    "where run_id = 'full' and stream_name = :entity"
                ),
                {"entity": entity},
            ).scalar()
        return counted, None if audit is None else int(audit)
    finally:
        engine.dispose()


def run(server: SimulatorServer, url: str, scenario: Scenario) -> LateCommitReport:  # noqa: PLR0915 - one story, told in order
    sim = server.sim
    sim.reset()
    report = LateCommitReport()
    entities = scenario.entities
    shown: dict[str, set[Version]] = {e: set() for e in entities}  # visible at some read
    # visible at a read whose window holds them (a full sync's window holds everything): must be loaded
    due: dict[str, set[Version]] = {e: set() for e in entities}
    # visible at an incremental read when already older than its window: no incremental run reads them
    # any more, only a full sync can (versions newer than a window's end are due at a later read)
    too_late: dict[str, set[Version]] = {e: set() for e in entities}
    lookback_minutes = int(scenario.lookback / timedelta(minutes=1))

    def record_reads(window: tuple[datetime, datetime] | None = None) -> dict[str, set[Version]]:
        snapshot = {e: simulator_versions(sim, e) for e in entities}
        for entity in entities:
            if window is None:
                due[entity] |= snapshot[entity]
            else:
                low, high = window
                due[entity] |= {v for v in snapshot[entity] if low <= v[1] < high}
                too_late[entity] |= {v for v in snapshot[entity] if v[1] < low}
            shown[entity] |= snapshot[entity]
            report.uncommitted_at_reads += len(sim.uncommitted(entity))
        return snapshot

    def advance_to(moment: datetime, delay: timedelta | None) -> None:
        if moment > sim.now():
            sim.advance(moment - sim.now(), delay)

    def loaded() -> dict[str, dict[Version, str]]:
        return {e: {(i, m): r for i, m, r in _versions(url, e)} for e in entities}

    t0 = sim.now()
    record_reads()
    _ok(extract_load(tap_config(server, entities), target_config(url, "initial")))
    report.runs += 1

    def incremental(k: int) -> None:
        start, end = t0 + k * INTERVAL, t0 + (k + 1) * INTERVAL
        advance_to(end + scenario.run_delay, scenario.delays.get(k))
        record_reads((start - scenario.lookback, end))
        before = loaded()
        tap = tap_config(server, entities, window=(start, end), lookback_minutes=lookback_minutes)
        outcome = _ok(extract_load(tap, target_config(url, f"incremental{k}")))
        report.runs += 1
        after = loaded()
        report.incremental_rows += outcome.records
        inserted = sum(len(after[e]) - len(before[e]) for e in entities)
        report.reread_rows += outcome.records - inserted
        for entity in entities:
            report.caught_by_lookback += sum(
                1 for (_, mod_ts) in set(after[entity]) - set(before[entity]) if mod_ts < start
            )

    for k in range(scenario.intervals_before):
        incremental(k)
    window_end = t0 + scenario.intervals_before * INTERVAL + INTERVAL / 2
    advance_to(window_end + scenario.full_sync_delay, scenario.delays.get(-1))
    at_full = record_reads()
    before_full = loaded()
    _ok(extract_load(tap_config(server, entities), target_config(url, "full", full_sync_id=FULL_SYNC_ID)))
    report.runs += 1
    after_full = loaded()
    cut_off = missed_before(window_end, INTERVAL, lookback_minutes)
    for entity in entities:
        new = set(after_full[entity]) - set(before_full[entity])
        report.full_sync_inserted += len(new)
        expected = {v for v in at_full[entity] if v not in before_full[entity] and v[1] < cut_off}
        report.missed_expected += len(expected)
        counted, audited = _count_missed(url, entity, cut_off)
        report.missed_reported += counted
        report.missed_in_audit += audited or 0
        if counted != len(expected) or not expected <= new:
            report.problems[f"{entity} missed count"] = {"counted": counted, "expected": len(expected)}
        if audited != counted and (audited is not None or new):  # no audit row: the load got no record
            report.problems[f"{entity} missed count in the load audit"] = {
                "audit": audited,
                "counted": counted,
            }
        if missing := at_full[entity] - set(after_full[entity]):
            report.problems[f"{entity} current at the full sync"] = sorted(missing)[:5]
    total = scenario.intervals_before + scenario.intervals_after
    for k in range(scenario.intervals_before, total):
        incremental(k)

    last_end = t0 + total * INTERVAL
    final = loaded()
    awaiting_all: dict[str, set[Version]] = {}
    for entity in entities:
        history = _versions(url, entity)
        got = {(i, m) for i, m, _ in history}
        report.versions_checked += len(history)
        report.versions_shown += len(shown[entity])
        if len(got) != len(history):
            report.problems[f"{entity} duplicates"] = len(history) - len(got)
        if unexpected := got - shown[entity]:
            report.problems[f"{entity} never shown"] = sorted(unexpected)[:5]
        if missing_due := due[entity] - got:  # shown inside a read's window, yet not loaded
            report.problems[f"{entity} history"] = sorted(missing_due)[:5]
        lost = too_late[entity] - got - due[entity]
        report.history_lost += len(lost)
        if lost and scenario.longest_delay(sim.config.commit_delays) <= scenario.lookback:
            report.problems[f"{entity} committed later than the lookback"] = sorted(lost)[:5]
        current = {v for v in simulator_versions(sim, entity) if v[1] < last_end}
        missing = current - set(final[entity])
        awaiting = awaiting_all[entity] = missing & too_late[entity]
        report.awaiting_next_full_sync += len(awaiting)
        if missing - awaiting:
            report.problems[f"{entity} current"] = sorted(missing - awaiting)[:5]
    if scenario.dbt:
        # what the DAG's finalize task records: the window end or the plan time (the full sync's read),
        # whichever is earlier, minus the deletion margin (its default: the lookback)
        marks_before = deletion_cutoff(window_end, window_end + scenario.full_sync_delay, scenario.lookback)
        _dbt_check(url, marks_before, last_end, report, sim, entities, awaiting_all)
    return report


def _dbt_check(
    url: str,
    deletion_cut_off: datetime,
    last_end: datetime,
    report: LateCommitReport,
    sim: Any,
    entities: tuple[str, ...],
    awaiting: dict[str, set[Version]],
) -> None:
    """Declare the full sync complete (as the DAG's finalize task does), build the staging models on a
    copy of the warehouse, and compare what they mark live or deleted with what the WMS shows."""
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
                        "sync_id": FULL_SYNC_ID,
                        "stream": e,
                        "window_end": deletion_cut_off,  # the column holds the sync's cut-off
                        "completed_at": datetime.now(UTC),
                    }
                    for e in entities
                ],
            )
        if url.startswith("duckdb"):
            with engine.connect() as conn:
                conn.execute(sa.text("checkpoint"))
    finally:
        engine.dispose()
    with tempfile.TemporaryDirectory(prefix="late-commit-dbt-") as artefacts:
        path = f"{artefacts}/warehouse.duckdb"
        shutil.copyfile(url.removeprefix("duckdb:///"), path)
        models = [STAGING_MODELS[e][0] for e in entities]
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
        for entity in entities:
            model, key = STAGING_MODELS[entity]
            rows = warehouse_rows(
                f"duckdb:///{path}", f"select {key}, modified_at, is_deleted from wms.{model}"
            )
            live = {(int(r[0]), utc(r[1])) for r in rows if int(r[2]) == 0}
            marked = {int(r[0]) for r in rows if int(r[2]) == 1}
            report.dbt_live_checked += len(live)
            report.dbt_deleted_marked += len(marked)
            wms_live = simulator_versions(sim, entity)
            if wrongly := marked & {i for i, _ in wms_live}:
                report.problems[f"{model} marked deleted while live"] = sorted(wrongly)[:5]
            # versions newer than the last window's end are not due yet
            # and versions that committed too late for every read wait for the next full sync
            if missing := {v for v in wms_live if v[1] < last_end} - live - awaiting[entity]:
                report.problems[f"{model} live"] = sorted(missing)[:5]


# The soak (`scripts/reliability --only late-commit`): the product's lookback, commit delays drawn for
# every change, under and over it, the WMS clock a minute ahead or behind; then the staging models.
PRODUCT_LOOKBACK = timedelta(minutes=120)  # include/wms_pipeline/dag_factory.py, SyncDagConfig
STRADDLE = "changes saved in the hour before the full sync's cut-off commit 90 min late, after it read"
SOAK_CASES: dict[str, tuple[tuple[tuple[float, float], ...], float]] = {
    # name: (commit delay distribution (probability, seconds), clock skew seconds); the straddle case
    # adds per-change delays
    "under the lookback, WMS clock 1 min ahead": (((0.05, 600.0), (0.02, 3600.0), (0.01, 6600.0)), 60.0),
    "under the lookback, WMS clock 1 min behind": (((0.05, 600.0), (0.02, 3600.0), (0.01, 6600.0)), -60.0),
    "over the lookback, WMS clock 1 min ahead": (
        ((0.05, 600.0), (0.02, 3 * 3600.0), (0.01, 9 * 3600.0)),
        60.0,
    ),
    STRADDLE: ((), 0.0),
}


def soak(
    make_server: Any,
    warehouses: Mapping[str, Any],
    intervals: int,
    records: int = 1000,
    only: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Every case on every warehouse (``name -> factory(case label) -> url``); dbt on DuckDB only.

    ``make_server(commit_delays, clock_skew_seconds)`` gives a started SimulatorServer."""
    results: dict[str, Any] = {}
    for label, (delays, skew) in SOAK_CASES.items():
        if only and label not in only:
            continue
        server = make_server(delays, skew, records)
        try:
            for kind, make_url in warehouses.items():
                scenario = Scenario(
                    lookback=PRODUCT_LOOKBACK,
                    intervals_before=intervals,
                    intervals_after=max(2, intervals // 4),
                    delays={-1: timedelta(minutes=90)} if label == STRADDLE else {},
                    dbt=kind == "duckdb",
                )
                report = run(server, make_url(label), scenario)
                results[f"{label} [{kind}]"] = {
                    "commit_delays": delays,
                    "clock_skew_seconds": skew,
                    **asdict(report),
                }
                print(f"late-commit {label} [{kind}]: problems {report.problems or 'none'}", flush=True)
        finally:
            server.stop()
    return results

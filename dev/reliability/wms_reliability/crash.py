"""SIGKILL a real `tap | target` pipe at random moments, rerun, and compare with one clean run."""

from __future__ import annotations

import contextlib
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from wms_simulator import SimulatorServer

from .compare import warehouse_rows
from .pipeline import CORE, start_pipe, tap_config, target_config

# Columns that differ between two correct runs by design (when and by which run a row was loaded).
VOLATILE = {"etl_loaded_at", "etl_run_id", "etl_extracted_at"}


def raw_snapshot(url: str, entities: tuple[str, ...] = CORE) -> dict[str, list[tuple[Any, ...]]]:
    """Every raw row of every entity, without the per-run bookkeeping columns, sorted."""
    engine = sa.create_engine(url)
    try:
        snapshot = {}
        for entity in entities:
            with engine.connect() as conn:
                columns = list(conn.execute(sa.text(f"select * from wms_raw.{entity} where 1 = 0")).keys())
                kept = ", ".join(c for c in sorted(columns) if c not in VOLATILE)
                rows = conn.execute(sa.text(f"select {kept} from wms_raw.{entity}"))
                snapshot[entity] = sorted((tuple(row) for row in rows), key=repr)
        return snapshot
    finally:
        engine.dispose()


def row_count(url: str, entities: tuple[str, ...] = CORE) -> int:
    total = 0
    for entity in entities:
        with contextlib.suppress(sa.exc.SQLAlchemyError):  # not created yet: killed before its first batch
            total += warehouse_rows(url, f"select count(*) from wms_raw.{entity}")[0][0]
    return total


def committed_batches(log: Path) -> int:
    try:
        return log.read_text(errors="replace").count("Committed batch")
    except FileNotFoundError:
        return 0


def wait_for_commits(log: Path, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while committed_batches(log) < count and time.monotonic() < deadline:
        time.sleep(0.005)


@dataclass
class CrashReport:
    clean_seconds: float = 0.0
    clean_rows: int = 0
    clean_batches: int = 0
    kills: int = 0
    rows_at_kill: list[int] = field(default_factory=list)
    reruns_equal: int = 0
    failures: list[str] = field(default_factory=list)


def run_pipe(directory: Path, tap: dict[str, Any], target: dict[str, Any], name: str) -> None:
    codes = start_pipe(directory, tap, target, name).wait()
    if codes != (0, 0):
        log = (directory / f"{name}-target.log").read_text()[-2000:]
        raise AssertionError(f"{name}: exit codes {codes}\n{log}")


def crash_and_rerun(
    server: SimulatorServer,
    directory: Path,
    url_for: Any,
    kills: int,
    seed: int,
    batch_size_rows: int = 50,
) -> CrashReport:
    """``kills`` rounds of: start, SIGKILL at a random moment (sometimes twice), rerun, compare to clean."""
    rng = random.Random(seed)  # noqa: S311 - reproducible kill moments
    report = CrashReport()
    tap = tap_config(server, page_size=100)
    clean_url = url_for("clean")
    started = time.monotonic()
    run_pipe(directory, tap, target_config(clean_url, "clean", batch_size_rows=batch_size_rows), "clean")
    report.clean_seconds = time.monotonic() - started
    report.clean_batches = committed_batches(directory / "clean-target.log")
    clean = raw_snapshot(clean_url)
    report.clean_rows = sum(len(rows) for rows in clean.values())
    for round_number in range(kills):
        url = url_for(f"killed{round_number}")
        for attempt in range(rng.choice((1, 1, 2))):  # sometimes a rerun is killed too
            pipe = start_pipe(
                directory,
                tap,
                target_config(url, f"killed{round_number}-{attempt}", batch_size_rows=batch_size_rows),
                f"k{round_number}-{attempt}",
            )
            log = directory / f"k{round_number}-{attempt}-target.log"
            if rng.random() < 0.5:  # after the k-th committed batch (+ a few ms): mid-load, batch/state edge
                wait_for_commits(log, rng.randint(1, max(1, report.clean_batches)), timeout=120)
                time.sleep(rng.uniform(0, 0.05))
            else:  # at any moment: start-up, extraction, a batch being written, the final state
                time.sleep(rng.uniform(0.3, report.clean_seconds * 1.05))
            pipe.kill()
            report.kills += 1
            report.rows_at_kill.append(row_count(url))
        run_pipe(
            directory,
            tap,
            target_config(url, f"rerun{round_number}", batch_size_rows=batch_size_rows),
            f"r{round_number}",
        )
        if raw_snapshot(url) == clean:
            report.reruns_equal += 1
        else:
            report.failures.append(f"round {round_number}: rerun differs from the clean run")
    return report

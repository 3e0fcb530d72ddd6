"""Soak: consecutive incremental intervals while the simulated WMS changes, with a few faults, then a
full sync; the warehouse history must equal every version the API ever showed, and the current state
(newest version per id, minus ids the full sync did not see) must equal the simulator's live records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from wms_simulator import FaultRule, SimulatorServer

from .compare import Version, difference, simulator_versions, utc, warehouse_rows, warehouse_versions
from .pipeline import CORE, Outcome, extract_load, tap_config, target_config

TRANSIENT_KINDS = ("500", "503", "429", "reset", "truncated", "409")
INTERVAL = timedelta(hours=2)


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
    return report


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

"""Fault x outcome: every fault the simulator injects, transient and persistent, then a clean rerun.

Each cell is an extract-load of the same full sync into the same warehouse. It must end either
complete and exact (the warehouse's (id, mod_ts) set equals the simulator's) or failed with a clear
message; after the fault is cleared, a rerun of the same sync must converge to exact.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wms_simulator import FaultRule, SimulatorServer

from .compare import difference, simulator_versions, table_exists, warehouse_versions
from .pipeline import Outcome, extract_load, oauth_tap_config, tap_config, target_config

ENTITIES = ("order_hdr", "order_dtl")
FAULTED = "order_dtl"  # loaded second: a failure lands after order_hdr is committed


@dataclass(frozen=True)
class FaultCase:
    """One kind of fault, how to inject it, and whether it is survivable when it never stops."""

    name: str
    rule: dict[str, Any]
    oauth: bool = False
    survives_persistent: bool = False  # 504 on large pages: the tap shrinks its pages and completes
    tap_overrides: dict[str, Any] | None = None
    fatal: bool = False  # 401: the policy is to fail at once naming the setting, never to retry
    transient_count: int = 2
    path_regex: str | None = None  # default: every request of the faulted entity (describe and list)


CASES: tuple[FaultCase, ...] = (
    FaultCase("429 + Retry-After", {"kind": "429", "retry_after": 1}),
    FaultCase("500", {"kind": "500"}),
    FaultCase("502", {"kind": "502"}),
    FaultCase("503", {"kind": "503"}),
    FaultCase(
        "504 on large pages", {"kind": "504", "query_regex": r"page_size=\d{3,}"}, survives_persistent=True
    ),
    FaultCase("409", {"kind": "409"}),
    FaultCase("connection reset", {"kind": "reset"}),
    FaultCase(
        "slower than timeout", {"kind": "slow", "delay_seconds": 1.6}, tap_overrides={"request_timeout": 1}
    ),
    FaultCase("truncated body", {"kind": "truncated"}),
    FaultCase("malformed body", {"kind": "malformed"}),
    # A token expires once (transient) or every fresh token is rejected too (persistent).
    FaultCase("expired OAuth token (describe)", {"kind": "expired_token"}, oauth=True, transient_count=1),
    FaultCase(
        "expired OAuth token (list)",
        {"kind": "expired_token"},
        oauth=True,
        transient_count=1,
        path_regex=f"/entity/{FAULTED}/$",
    ),
    FaultCase("401", {"kind": "401"}, fatal=True, transient_count=1),
    FaultCase(
        "401 (list)", {"kind": "401"}, fatal=True, transient_count=1, path_regex=f"/entity/{FAULTED}/$"
    ),
)

# A clear message names the entity or the setting to fix, or the HTTP failure, never just a traceback.
CLEAR = re.compile(
    r"order_dtl|auth\.|HTTP \d{3}|\b\d{3}\b .*for|timed out|Malformed|truncated", re.IGNORECASE
)


@dataclass
class Cell:
    case: str
    mode: str  # "transient" (2 faults) | "persistent" (every matching request)
    injected: int
    outcome: str  # "exact" | "failed: <message>" | "WRONG: ..."
    rerun: str  # "exact" after clearing the faults | "WRONG: ..." | "-" (not needed)

    @property
    def passed(self) -> bool:
        return not self.outcome.startswith("WRONG") and not self.rerun.startswith("WRONG")


def _judge(server: SimulatorServer, url: str, outcome: Outcome) -> str:
    problems = {
        entity: difference(simulator_versions(server.sim, entity), warehouse_versions(url, entity))
        for entity in ENTITIES
        if table_exists(url, entity)
    }
    if outcome.ok:
        missing_tables = [entity for entity in ENTITIES if not table_exists(url, entity)]
        bad = {k: v for k, v in problems.items() if v}
        return (
            "exact"
            if not bad and not missing_tables
            else f"WRONG: reported success but {bad or missing_tables}"
        )
    assert outcome.error is not None
    # A failed run may have loaded part of the data, but never a wrong or duplicated version.
    wrong = {k: v for k, v in problems.items() if "unexpected" in v or "duplicates" in v}
    if wrong:
        return f"WRONG: failed run left {wrong}"
    message = outcome.error.splitlines()[0][:160]
    if not CLEAR.search(outcome.error):
        return f"WRONG: unclear failure message: {message}"
    return f"failed: {message}"


def run_cell(server: SimulatorServer, case: FaultCase, mode: str, url: str, run_id: str) -> Cell:
    """One extract-load under the fault, then (if it failed) a clean rerun of the same sync."""
    server.sim.reset()
    limit = {"max_count": case.transient_count} if mode == "transient" else {}
    target = {"path_regex": case.path_regex} if case.path_regex else {"entity": FAULTED}
    rule = server.sim.faults.add(FaultRule.from_json({**case.rule, **target, **limit}))
    make = oauth_tap_config if case.oauth else tap_config
    retries = 6 if mode == "transient" else 2  # persistent faults: fail fast, the verdict is the message
    tap = make(server, entities=ENTITIES, max_retries=retries, **(case.tap_overrides or {}))
    outcome = extract_load(tap, target_config(url, f"{run_id}-1"))
    verdict = _judge(server, url, outcome)
    rerun = "-"
    if not outcome.ok:
        server.sim.faults.clear()
        retry = extract_load(make(server, entities=ENTITIES), target_config(url, f"{run_id}-2"))
        rerun = _judge(server, url, retry)
        if rerun != "exact":
            rerun = rerun if rerun.startswith("WRONG") else f"WRONG: rerun {rerun}"
    return Cell(case.name, mode, rule.injected, verdict, rerun)


def run_matrix(
    server: SimulatorServer,
    warehouse: Callable[[str], str],
    cases: tuple[FaultCase, ...] = CASES,
    modes: tuple[str, ...] = ("transient", "persistent"),
) -> list[Cell]:
    """Every case x mode; ``warehouse(name)`` gives a fresh warehouse URL per cell."""
    cells = []
    for number, case in enumerate(cases):
        for mode in modes:
            cells.append(
                run_cell(server, case, mode, warehouse(f"f{number}-{mode}"), f"fault{number}-{mode}")
            )
    return cells


def expected_outcome(case: FaultCase, mode: str) -> str:
    if case.fatal:
        return "failed"
    return "exact" if mode == "transient" or case.survives_persistent else "failed"


def table(cells: list[Cell]) -> str:
    """Markdown table fault x outcome."""
    lines = [
        "| Fault | Mode | Injected | Outcome | Rerun after clearing |",
        "|---|---|---|---|---|",
    ]
    for cell in cells:
        outcome = cell.outcome.replace("|", "/")
        lines.append(f"| {cell.case} | {cell.mode} | {cell.injected} | {outcome} | {cell.rerun} |")
    return "\n".join(lines)


def duckdb_warehouses(directory: Path) -> Callable[[str], str]:
    return lambda name: f"duckdb:///{directory / name}.duckdb"

"""Check specifications as data; their SQL lives in `sql/` and is Jinja-templated by Airflow.

Every statement is portable to Oracle: no trailing semicolon, no `AS` before a table alias, no
boolean literals, a FROM clause on every select. The one dialect difference, the keyword of a
time-zone-aware timestamp literal, arrives as a parameter chosen by the warehouse kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SQL_DIR = Path(__file__).parent / "sql"
# Defines `this_run_load_ids()` for the checks that read the load audit (see the file).
THIS_RUN_LOADS_PRELUDE = "_this_run_loads.sql"

TIMESTAMP_LITERAL = {"oracle": "TIMESTAMP", "postgres": "TIMESTAMP WITH TIME ZONE", "duckdb": "TIMESTAMPTZ"}


@dataclass(frozen=True)
class CheckSpec:
    """One SQLCheckOperator: fails the run when any value of the first row is falsy."""

    task_id: str
    sql_file: str
    description: str
    after: str  # "load": right after extract-load; "transform": after the dbt models
    params: dict[str, Any] = field(default_factory=dict)

    def sql(self) -> str:
        text = (SQL_DIR / self.sql_file).read_text()
        if "this_run_load_ids()" in text:
            text = (SQL_DIR / THIS_RUN_LOADS_PRELUDE).read_text() + text
        return text


@dataclass(frozen=True)
class CheckSettings:
    raw_schema: str
    marts_schema: str
    warehouse_kind: str
    entities: tuple[str, ...]
    quarantine_threshold: int = 0
    freshness_hours: int = 48
    count_tolerance_abs: int = 2
    count_tolerance_ratio: float = 0.005
    orphan_tolerance_ratio: float = 0.01


def sync_checks(cfg: CheckSettings, *, full_sync: bool) -> list[CheckSpec]:
    """The validations of one sync DAG run."""
    params: dict[str, Any] = {
        "raw_schema": cfg.raw_schema,
        "marts_schema": cfg.marts_schema,
        # Not "entities": task params share one namespace with the DAG's params, and a manual run's
        # conf (the UI form sends `entities: []` for "all") would replace the list the checks walk.
        "checked_entities": list(cfg.entities),
        "quarantine_threshold": cfg.quarantine_threshold,
        "freshness_hours": cfg.freshness_hours,
        "timestamp_literal": TIMESTAMP_LITERAL[cfg.warehouse_kind],
        "count_tolerance_abs": cfg.count_tolerance_abs,
        "count_tolerance_ratio": cfg.count_tolerance_ratio,
        "orphan_tolerance_ratio": cfg.orphan_tolerance_ratio,
    }
    checks = [
        CheckSpec(
            "check_tap_read_matches_audit",
            "tap_read_matches_audit.sql",
            "per entity, the records the tap read = the records the loader received",
            "load",
            params,
        ),
        CheckSpec(
            "check_load_audit_reconciles",
            "load_audit_reconciles.sql",
            "received = inserted + already present + quarantined, for every stream of this run",
            "load",
            params,
        ),
        CheckSpec(
            "check_quarantine_within_threshold",
            "quarantine_within_threshold.sql",
            "records quarantined by this run are at most the threshold",
            "load",
            params,
        ),
        CheckSpec(
            "check_raw_history_is_fresh",
            "raw_history_is_fresh.sql",
            "the newest order change is at most freshness_hours before the window end",
            "load",
            params,
        ),
        CheckSpec(
            "check_current_state_keys_unique",
            "current_state_keys_unique.sql",
            "one row per WMS record in fct_orders, fct_order_lines, fct_allocations",
            "transform",
            params,
        ),
        CheckSpec(
            "check_referential_integrity",
            "referential_integrity.sql",
            "lines → orders and allocations → lines, within the orphan tolerance",
            "transform",
            params,
        ),
    ]
    if full_sync:
        checks.append(
            CheckSpec(
                "check_full_sync_counts_match_wms",
                "full_sync_counts_match_wms.sql",
                "ids seen by this full sync = the WMS's result_count, within tolerance",
                "load",
                params,
            )
        )
    return checks

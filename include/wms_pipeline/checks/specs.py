"""Check specifications: what each validation asserts, and the function that builds its statement.

Statements are built in Python (see `statements.py`) from `CheckSettings` — the deployment's settings,
checked here where they are built — and from `RunFacts`, what this run's own tasks pushed. No value of
a run's conf reaches them: thresholds are part of the DAG's definition, not run parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from include.wms_pipeline import settings
from include.wms_pipeline.checks import statements
from include.wms_pipeline.checks.binds import Binds
from include.wms_pipeline.checks.facts import RunFacts


@dataclass(frozen=True)
class CheckSettings:
    """Everything a check's SQL text depends on; identifiers are validated on construction."""

    raw_schema: str
    marts_schema: str
    warehouse_kind: str
    entities: tuple[str, ...]
    quarantine_threshold: int = 0
    freshness_hours: int = 48
    count_tolerance_abs: int = 2
    count_tolerance_ratio: float = 0.005
    orphan_tolerance_ratio: float = 0.01

    def __post_init__(self) -> None:
        settings.schema_name(self.raw_schema, "the raw schema")
        settings.schema_name(self.marts_schema, "the marts schema (WMS_DBT_SCHEMA)")
        settings.entity_names(self.entities, "the checked entities")
        if self.warehouse_kind not in settings.WAREHOUSE_KINDS:
            raise ValueError(
                f"warehouse kind must be one of {', '.join(settings.WAREHOUSE_KINDS)}; got {self.warehouse_kind!r}"
            )
        numbers: dict[str, Any] = {
            "quarantine_threshold": self.quarantine_threshold,
            "freshness_hours": self.freshness_hours,
            "count_tolerance_abs": self.count_tolerance_abs,
            "count_tolerance_ratio": self.count_tolerance_ratio,
            "orphan_tolerance_ratio": self.orphan_tolerance_ratio,
        }
        bad = {
            name: value
            for name, value in numbers.items()
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0
        }
        if bad:
            raise ValueError(f"check thresholds must be numbers of at least 0; got {bad}")


@dataclass(frozen=True)
class Statement:
    """A check's final SQL text and its bind values, in marker order."""

    sql: str
    binds: list[Any]


StatementBuilder = Callable[[CheckSettings, RunFacts, Binds], str]


@dataclass(frozen=True)
class CheckSpec:
    """One check task: fails the run when any value of the statement's one row is falsy."""

    task_id: str
    description: str
    after: str  # "load": right after extract-load; "transform": after the dbt models
    build: StatementBuilder
    # When the check fails: the message for on-call, from the run id (None: SQLCheckOperator's own).
    explain: Callable[[str], str] | None = None

    def statement(self, cfg: CheckSettings, facts: RunFacts) -> Statement:
        binds = Binds(cfg.warehouse_kind)
        sql = self.build(cfg, facts, binds)
        return Statement(sql, binds.values)


def sync_checks(cfg: CheckSettings, *, full_sync: bool) -> list[CheckSpec]:
    """The validations of one sync DAG run."""
    checks = [
        CheckSpec(
            "check_tap_read_matches_audit",
            "per entity, the records the tap read = the records the loader received",
            "load",
            statements.tap_read_matches_audit,
        ),
        CheckSpec(
            "check_load_audit_reconciles",
            "received = inserted + already present + quarantined, for every stream of this run",
            "load",
            statements.load_audit_reconciles,
        ),
        CheckSpec(
            "check_quarantine_within_threshold",
            "records quarantined by this run are at most the threshold",
            "load",
            statements.quarantine_within_threshold,
        ),
        CheckSpec(
            "check_raw_history_is_fresh",
            f"the newest order change is at most {cfg.freshness_hours} hours before the window end",
            "load",
            statements.raw_history_is_fresh,
        ),
        CheckSpec(
            "check_current_state_keys_unique",
            "one row per WMS record in fct_orders, fct_order_lines, fct_allocations",
            "transform",
            statements.current_state_keys_unique,
        ),
        CheckSpec(
            "check_referential_integrity",
            "lines → orders and allocations → lines, within the orphan tolerance",
            "transform",
            statements.referential_integrity,
        ),
    ]
    if full_sync:
        checks.append(
            CheckSpec(
                "check_full_sync_counts_match_wms",
                "ids seen by this full sync = the WMS's result_count, within tolerance",
                "load",
                statements.full_sync_counts_match_wms,
            )
        )
        checks.append(
            CheckSpec(
                "check_full_sync_deletions_plausible",
                "the deletion guard held this full sync for no entity (etl_full_sync_decision)",
                "transform",
                statements.full_sync_deletions_plausible,
                explain=_explain_held,
            )
        )
    return checks


def _explain_held(run_id: str) -> str:
    """The held entities of this full sync, with the count, threshold and filters in force."""
    from include.wms_pipeline import full_sync  # the task's import only: full_sync reaches Airflow hooks

    held = full_sync.held_decisions(run_id)
    lines = "\n".join(f"- {entity.entity}: {entity.detail}" for entity in held)
    # The first line is what the run's alert shows (alerts.first_error_line, 300 characters): every
    # held entity with the records it would mark deleted of its live ones, the largest first.
    counts = ", ".join(entity.summary() for entity in sorted(held, key=lambda e: (-e.would_mark, e.entity)))
    changed = sum(entity.scope_changed for entity in held)
    scope = f", {changed} for a changed scope" if changed else ""
    return (
        f"Deletion guard held {len(held)} entity(ies){scope}; would mark deleted/live: {counts}. No new "
        f"deletion marks for them; every version read is loaded.\n{lines}\n"
        "If the records are really gone from the WMS, "
        'trigger wms_full_sync with {"confirm_deletions": true} (docs/runbook.md, "A full sync is held").'
    )

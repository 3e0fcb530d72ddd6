"""The SQL checks of the sync DAGs. `rendered_checks` shows each check's final SQL and bind values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from include.wms_pipeline import settings
from include.wms_pipeline.checks.facts import Load, RunFacts
from include.wms_pipeline.checks.specs import CheckSettings, sync_checks

__all__ = ["Load", "RenderedCheck", "RunFacts", "rendered_checks"]


@dataclass(frozen=True)
class RenderedCheck:
    task_id: str
    sql: str
    binds: list[Any]


def rendered_checks(
    kind: str,
    facts: RunFacts,
    *,
    entities: tuple[str, ...] = settings.ENTITIES_ALL,
    full_sync: bool,
    quarantine_threshold: int = 0,
    raw_schema: str = settings.RAW_SCHEMA,
    marts_schema: str = settings.DBT_SCHEMA_DEFAULT,
) -> list[RenderedCheck]:
    """Every check of a sync DAG (its entities, full or incremental) as the warehouse `kind` receives
    it: the final SQL text and its bind values, exactly what the check task passes to the driver.

    `facts` stands in for what the run's tasks pushed (loads per entity, WMS counts) and its run id
    and window end; no Airflow is needed.
    """
    cfg = CheckSettings(raw_schema, marts_schema, kind, entities, quarantine_threshold)
    return [
        RenderedCheck(spec.task_id, statement.sql, statement.binds)
        for spec in sync_checks(cfg, full_sync=full_sync)
        for statement in [spec.statement(cfg, facts)]
    ]

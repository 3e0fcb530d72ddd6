"""The check task: SQLCheckOperator with a statement built at run time, and no template at all."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from airflow.providers.common.sql.operators.sql import SQLCheckOperator
from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowException, AirflowFailException

from include.wms_pipeline.checks import statements
from include.wms_pipeline.checks.binds import Binds
from include.wms_pipeline.checks.facts import run_facts
from include.wms_pipeline.checks.specs import CheckSettings, CheckSpec, Statement
from include.wms_pipeline.windows import catch_up_command, missing_ranges


class WarehouseCheckOperator(SQLCheckOperator):
    """Runs one `CheckSpec` against the warehouse; fails when a value of its one row is falsy.

    Nothing here is templated and nothing reads `params`, so a run's conf (which Airflow merges into
    params) cannot reach the SQL: identifiers come from `CheckSettings`, values from this run's XComs
    and go to the driver as bind values.
    """

    template_fields: Sequence[str] = ()
    template_ext: Sequence[str] = ()

    def __init__(
        self, *, spec: CheckSpec, check_settings: CheckSettings, full_sync: bool, **kwargs: Any
    ) -> None:
        super().__init__(sql=f"-- {spec.task_id}: built when the task runs", task_id=spec.task_id, **kwargs)
        self.spec = spec
        self.check_settings = check_settings
        self.full_sync = full_sync

    def statement(self, context: Any) -> Statement:
        facts = run_facts(context, self.check_settings.entities, full_sync=self.full_sync)
        return self.spec.statement(self.check_settings, facts)

    def execute(self, context: Any) -> None:
        statement = self.statement(context)
        self.sql, self.parameters = statement.sql, statement.binds
        if self.spec.explain is None:
            super().execute(context)
            return
        try:
            super().execute(context)
        except AirflowException as failed:
            raise AirflowFailException(self.spec.explain(str(context["run_id"]))) from failed


class WindowContiguityCheckOperator(BaseOperator):
    """Fails, naming the missing ranges, when the incremental windows loaded successfully since each
    stream's last complete full sync do not cover time without a gap (etl_loaded_windows).

    Reads only the warehouse (statements built in Python, values bound); nothing is templated.
    """

    template_fields: Sequence[str] = ()

    def __init__(self, *, check_settings: CheckSettings, conn_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check_settings = check_settings
        self.conn_id = conn_id

    def statement(self, context: Any) -> Statement:
        """The statement that reads the loaded windows (its values bound), as the driver receives it."""
        binds = Binds(self.check_settings.warehouse_kind)
        return Statement(statements.loaded_windows(self.check_settings, binds), binds.values)

    def execute(self, context: Any) -> None:
        from include.wms_pipeline import loaded_windows

        cfg = self.check_settings
        loaded = loaded_windows.read(cfg, self.conn_id)
        gaps = missing_ranges(loaded.windows, loaded.full_sync_ends, cfg.entities)
        if gaps:
            raise AirflowException(describe_gaps(gaps))
        self.log.info("Loaded windows cover time without a gap for %s", ", ".join(cfg.entities))


def describe_gaps(gaps: dict[str, list[tuple[datetime, datetime]]]) -> str:
    """The failure message: each stream's missing ranges, and what loads them."""
    lines = [
        f"{stream}: {', '.join(f'[{start.isoformat()}, {end.isoformat()})' for start, end in ranges)}"
        for stream, ranges in sorted(gaps.items())
    ]
    first = min(start for ranges in gaps.values() for start, _ in ranges)
    last = max(end for ranges in gaps.values() for _, end in ranges)
    return (
        "The incremental windows loaded since the last full sync leave time unread:\n"
        + "\n".join(lines)
        + "\nThe next scheduled run reads them when they are within WMS_MAX_CATCH_UP_HOURS of its interval; "
        f'otherwise load them with: {catch_up_command(first, last)} (docs/runbook.md, "Airflow was down")'
    )

"""The check task: SQLCheckOperator with a statement built at run time, and no template at all."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.providers.common.sql.operators.sql import SQLCheckOperator
from airflow.sdk.exceptions import AirflowException, AirflowFailException

from include.wms_pipeline.checks.facts import run_facts
from include.wms_pipeline.checks.specs import CheckSettings, CheckSpec, Statement


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

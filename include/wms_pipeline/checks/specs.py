"""Check specifications as data; their SQL lives in `sql/` and is Jinja-templated by Airflow.

Every statement is portable to Oracle: no trailing semicolon, no `AS` before a table alias, no
boolean literals, and a FROM clause on every select.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SQL_DIR = Path(__file__).parent / "sql"


@dataclass(frozen=True)
class CheckSpec:
    """One SQLCheckOperator: fails the run when any value of the first row is falsy."""

    task_id: str
    sql_file: str
    description: str
    params: dict[str, Any] = field(default_factory=dict)

    def sql(self) -> str:
        return (SQL_DIR / self.sql_file).read_text()


def load_checks(raw_schema: str, quarantine_threshold: int) -> list[CheckSpec]:
    """The checks on this run's loads, read from the loader's audit table."""
    params = {"raw_schema": raw_schema, "quarantine_threshold": quarantine_threshold}
    return [
        CheckSpec(
            task_id="check_load_audit_reconciles",
            sql_file="load_audit_reconciles.sql",
            description="received = inserted + already present + quarantined, for every stream of this run",
            params=params,
        ),
        CheckSpec(
            task_id="check_quarantine_within_threshold",
            sql_file="quarantine_within_threshold.sql",
            description="records quarantined by this run are at most the threshold",
            params=params,
        ),
    ]

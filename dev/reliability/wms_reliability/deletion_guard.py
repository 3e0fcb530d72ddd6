"""The deletion guard's six scenarios of issue 29 (and the late-commit straddle of issue 34) through the
real full-sync DAG on DuckDB and PostgreSQL: tests/e2e/test_deletion_guard.py with WMS_RELIABILITY_FULL=1.

One line per scenario and warehouse: `<warehouse> <scenario>: would-mark: N / marked: N / held: ... /
problems: 0`.
"""

from __future__ import annotations

from typing import Any

from .airflow_suite import printed_lines, run_e2e, summary


def deletion_guard() -> dict[str, Any]:
    """Run the full scenario set in the Airflow environment; the scenario lines and pytest's summary."""
    result = run_e2e("tests/e2e/test_deletion_guard.py")
    lines = printed_lines(result, "would-mark:", "problems:")
    return {
        "lines": lines,
        "problems": sum(int(line.rsplit("problems:", 1)[1]) for line in lines),
        "exit_code": result.returncode,
        "summary": summary(result),
    }

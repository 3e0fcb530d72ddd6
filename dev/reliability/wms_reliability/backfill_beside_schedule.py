"""Backfills beside the schedule under the real scheduler (tests/e2e/test_backfill_beside_schedule.py):
two backfill runs and a scheduled run at once on PostgreSQL, the warehouse compared with the WMS."""

from __future__ import annotations

from typing import Any

from .airflow_suite import printed_lines, run_e2e, summary


def backfill_beside_schedule_run() -> dict[str, Any]:
    result = run_e2e("tests/e2e/test_backfill_beside_schedule.py")
    timeline = printed_lines(result, "[beside-schedule e2e")
    return {
        "exit_code": result.returncode,
        "summary": summary(result),
        "timeline": timeline,
        "failures": result.stdout[-4000:] if result.returncode else "",
    }

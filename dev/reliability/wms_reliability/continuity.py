"""The long variant of the continuity scenes (tests/e2e/test_continuity.py) under the real scheduler:
on an hourly grid, the scheduler stopped for 8 intervals, the DAG paused for 5, 3 consecutive runs
failed for good; each followed by the one run that must read all of it."""

from __future__ import annotations

import re
from typing import Any

from .airflow_suite import run_e2e, summary


def continuity_run() -> dict[str, Any]:
    result = run_e2e("tests/e2e/test_continuity.py")
    timeline = [
        match.group(1)
        for line in result.stdout.splitlines()
        if (match := re.search(r"\[continuity e2e (.*)", line))
    ]
    for line in timeline:
        print(line, flush=True)
    return {
        "exit_code": result.returncode,
        "summary": summary(result),
        "timeline": timeline,
        "failures": result.stdout[-4000:] if result.returncode else "",
    }

"""The long variant of the distributed run: more intervals and more worker kills on CeleryExecutor.

Runs tests/e2e/test_distributed_celery.py (which starts Redis, the Airflow services and two Celery
workers itself) in the Airflow environment with WMS_DISTRIBUTED_INTERVALS / WMS_DISTRIBUTED_KILLS, and
reports its outcome and the task instances each worker ran (the test's `distributed:` line).
"""

from __future__ import annotations

import time
from typing import Any

from .airflow_suite import run_e2e

TEST = "tests/e2e/test_distributed_celery.py"


def distributed(intervals: int, kills: int) -> dict[str, Any]:
    """One distributed scenario with `intervals` incremental intervals and `kills` worker kills."""
    env = {
        "WMS_DISTRIBUTED_INTERVALS": str(intervals),
        "WMS_DISTRIBUTED_KILLS": str(kills),
        "WMS_DISTRIBUTED_BACKFILL_INTERVALS": "2",
    }
    started = time.monotonic()
    result = run_e2e(TEST, env)
    lines = result.stdout.splitlines()
    workers = [line.split("distributed: ", 1)[1] for line in lines if "distributed: " in line]
    report = {
        "command": f"WMS_DISTRIBUTED_INTERVALS={intervals} WMS_DISTRIBUTED_KILLS={kills} "
        f"WMS_DISTRIBUTED_BACKFILL_INTERVALS=2 pytest {TEST}",
        "intervals": intervals,
        "kills": kills,
        "exit_code": result.returncode,
        "seconds": round(time.monotonic() - started, 1),
        "workers": workers[-1] if workers else None,
        "summary": lines[-1:] if lines else [],
    }
    if result.returncode != 0:
        report["output_tail"] = "\n".join(lines[-60:]) + result.stderr[-3000:]
    print(f"distributed: {report['workers']} -> exit {result.returncode}", flush=True)
    return report

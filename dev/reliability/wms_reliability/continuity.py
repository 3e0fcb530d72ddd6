"""The long variant of the continuity scenes (tests/e2e/test_continuity.py) under the real scheduler:
on an hourly grid, the scheduler stopped for 8 intervals, the DAG paused for 5, 3 consecutive runs
failed for good; each followed by the one run that must read all of it."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]


def continuity_run() -> dict[str, Any]:
    airflow_python = Path(os.environ.get("WMS_VENVS_DIR", ROOT / ".venvs")) / "airflow" / "bin" / "python"
    result = subprocess.run(
        [
            str(airflow_python),
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-s",
            "tests/e2e/test_continuity.py",
        ],
        cwd=ROOT,
        env={**os.environ, "WMS_RELIABILITY_FULL": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    timeline = [
        match.group(1)
        for line in result.stdout.splitlines()
        if (match := re.search(r"\[continuity e2e (.*)", line))
    ]
    for line in timeline:
        print(line, flush=True)
    return {
        "exit_code": result.returncode,
        "summary": result.stdout.strip().splitlines()[-1:],
        "timeline": timeline,
        "failures": result.stdout[-4000:] if result.returncode else "",
    }

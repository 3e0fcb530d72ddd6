"""The deletion guard's six scenarios of issue 29 (and the late-commit straddle of issue 34) through the
real full-sync DAG on DuckDB and PostgreSQL: tests/e2e/test_deletion_guard.py with WMS_RELIABILITY_FULL=1.

One line per scenario and warehouse: `<warehouse> <scenario>: would-mark: N / marked: N / held: ... /
problems: 0`.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]


def deletion_guard() -> dict[str, Any]:
    """Run the full scenario set in the Airflow environment; the scenario lines and pytest's summary."""
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
            "tests/e2e/test_deletion_guard.py",
        ],
        cwd=ROOT,
        env={**os.environ, "WMS_RELIABILITY_FULL": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    # pytest -q prints its progress dots on the same line as a test's first output.
    lines = [
        line.lstrip(".")
        for line in result.stdout.splitlines()
        if "would-mark:" in line and "problems:" in line
    ]
    for line in lines:
        print(line, flush=True)
    return {
        "lines": lines,
        "problems": sum(int(line.rsplit("problems:", 1)[1]) for line in lines),
        "exit_code": result.returncode,
        "summary": result.stdout.strip().splitlines()[-1:],
    }

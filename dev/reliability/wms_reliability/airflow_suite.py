"""Run one end-to-end test file of `tests/e2e` in the Airflow environment, as its long variant.

The reliability run itself lives in the Meltano environment; the DAG-level scenarios need Airflow, the
local runner and the `airflow` CLI, so they run as a pytest subprocess with WMS_RELIABILITY_FULL=1 (each
test file reads it to switch to its long variant) and report through lines they print.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def run_e2e(test_file: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`pytest -q -s <test_file>` in the Airflow environment, from the repository root, output captured."""
    airflow_python = Path(os.environ.get("WMS_VENVS_DIR", ROOT / ".venvs")) / "airflow" / "bin" / "python"
    return subprocess.run(
        [str(airflow_python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-s", test_file],
        cwd=ROOT,
        env={**os.environ, "WMS_RELIABILITY_FULL": "1", **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )


def printed_lines(result: subprocess.CompletedProcess[str], *markers: str) -> list[str]:
    """The lines of the run's output carrying every marker, echoed; pytest -q prints its progress dots
    on the same line as a test's first output, so they are stripped."""
    lines = [
        line.lstrip(".") for line in result.stdout.splitlines() if all(marker in line for marker in markers)
    ]
    for line in lines:
        print(line, flush=True)
    return lines


def summary(result: subprocess.CompletedProcess[str]) -> list[str]:
    """pytest's closing line."""
    return result.stdout.strip().splitlines()[-1:]

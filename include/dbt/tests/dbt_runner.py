"""Run the dbt binary of the dbt environment against include/dbt/wms, with artefacts under a tmp dir."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1] / "wms"
REPO_ROOT = Path(__file__).resolve().parents[3]
DBT_EXECUTABLE = Path(os.environ.get("WMS_DBT_EXECUTABLE", REPO_ROOT / ".venvs" / "dbt" / "bin" / "dbt"))
DBT_TIMEOUT_SECONDS = 300
# Connection settings a developer's shell may hold must not leak into a test's profile.
_ISOLATED_PREFIXES = ("WMS_", "DBT_")


def dbt_env(artefacts: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for one dbt invocation: artefacts under `artefacts`, no telemetry."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_ISOLATED_PREFIXES)}
    env.update(
        {
            "DBT_TARGET_PATH": str(artefacts / "target"),
            "DBT_LOG_PATH": str(artefacts / "logs"),
            "DBT_PACKAGES_INSTALL_PATH": str(artefacts / "dbt_packages"),
            "DBT_PROFILES_DIR": str(PROJECT_DIR),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
            "DBT_USE_COLORS": "False",
        }
    )
    env.update(extra or {})
    return env


def run_dbt(args: Sequence[str], artefacts: Path, extra_env: Mapping[str, str] | None = None) -> str:
    """Run `dbt <args>` in the project; return its output, or fail with the output's tail."""
    if not DBT_EXECUTABLE.exists():
        raise FileNotFoundError(
            f"dbt not found at {DBT_EXECUTABLE}: run scripts/bootstrap or set WMS_DBT_EXECUTABLE"
        )
    result = subprocess.run(
        [str(DBT_EXECUTABLE), *args],
        cwd=PROJECT_DIR,
        env=dbt_env(artefacts, extra_env),
        capture_output=True,
        text=True,
        timeout=DBT_TIMEOUT_SECONDS,
        check=False,
    )
    output = result.stdout + result.stderr
    if result.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} failed ({result.returncode}):\n{output[-6000:]}")
    return output

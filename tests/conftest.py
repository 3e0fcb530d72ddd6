"""Test set-up for the Airflow environment: an isolated AIRFLOW_HOME, the repository on sys.path.

Airflow reads its configuration when first imported, so the environment is set here, before any test
module imports it.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from collections.abc import Generator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="wms-airflow-home-"))

os.environ.setdefault("AIRFLOW_HOME", str(_AIRFLOW_HOME))
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO_ROOT / "dags")
os.environ["AIRFLOW__COSMOS__ENABLE_TELEMETRY"] = "False"
os.environ.setdefault("WMS_STATE_DIR", str(REPO_ROOT / ".local"))
for path in (REPO_ROOT, REPO_ROOT / "dev"):  # the include package; the dev-only local runner
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
# The real-Oracle lane's helpers (oracle_lane), shared with the dbt suite; last, so they shadow nothing.
_DBT_TESTS = str(REPO_ROOT / "include" / "dbt" / "tests")
if _DBT_TESTS not in sys.path:
    sys.path.append(_DBT_TESTS)
# `astro dev pytest` runs these tests inside the image, which has no dev/ (.dockerignore): a module that
# needs the simulator, the local runner or another dev-only helper is reported skipped with the reason.
# Any other missing module (a dependency the image lacks) stays a collection error.
_IMAGE_LACKS_DEV = not (REPO_ROOT / "dev").is_dir()
_DEV_ONLY_MODULES = frozenset(
    {
        "wms_simulator",
        "local_runner",
        "throwaway_postgres",
        "oracle_standin",
        "wms_reliability",
        # the dbt suite's helpers (include/dbt/tests, not in the image either), shared with tests/e2e
        "oracle_lane",
        "expected_from_records",
        "expected_mart_rows",
        "loaded_history",
        "table_comparison",
        "test_marts_match_simulator",
        "warehouses",
    }
)
_MISSING_MODULE = re.compile(r"No module named '([A-Za-z0-9_]+)")


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    report = yield
    if (
        _IMAGE_LACKS_DEV
        and report.failed
        and isinstance(collector, pytest.Module)
        and (found := _MISSING_MODULE.search(str(report.longrepr)))
        and found.group(1) in _DEV_ONLY_MODULES
    ):
        missing = str(report.longrepr).strip().splitlines()[-1].lstrip("E ")
        report.outcome = "skipped"
        report.longrepr = (str(collector.path), 0, f"needs dev/ (not in the Astro image): {missing}")
    return report


@pytest.fixture(scope="session")
def dag_bag() -> object:
    """The project's DAGs, parsed once per session as the dag-processor would."""
    from airflow.dag_processing.dagbag import DagBag  # after the environment above is set

    return DagBag(dag_folder=str(REPO_ROOT / "dags"))

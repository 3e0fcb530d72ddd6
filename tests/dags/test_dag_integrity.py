"""Every DAG in dags/ meets the project's standards (Astro's default integrity test, extended)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag

from include.wms_pipeline.dag_factory import OWNER, TAGS

DAG_FILES = sorted((Path(__file__).resolve().parents[2] / "dags").glob("*.py"))
EXPECTED_DAGS = {"wms_full_sync", "wms_incremental_sync"}


def test_dag_files_import_without_errors(dag_bag: DagBag) -> None:
    assert dag_bag.import_errors == {}
    assert set(dag_bag.dag_ids) == EXPECTED_DAGS


@pytest.mark.parametrize("dag_id", sorted(EXPECTED_DAGS))
def test_dag_meets_house_standards(dag_bag: DagBag, dag_id: str) -> None:
    dag = dag_bag.dags[dag_id]  # get_dag() would ask the metadata database
    assert dag.tags
    assert set(dag.tags) <= TAGS
    assert dag.default_args.get("retries", 0) >= 2
    assert dag.default_args.get("owner") == OWNER
    assert dag.default_args.get("retry_exponential_backoff") is True
    assert "docs/runbook.md" in (dag.doc_md or "")
    assert dag.max_active_runs == 1
    assert dag.catchup is False
    assert dag.dagrun_timeout is not None
    assert dag.start_date is not None
    assert dag.start_date.tzinfo is not None
    assert all(task.on_failure_callback for task in dag.tasks), "every task alerts on failure"


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda p: p.name)
def test_dag_file_parses_quickly(dag_bag: DagBag, dag_file: Path) -> None:
    """A DAG file does no network or database work at import, so parsing stays well under a second."""
    fresh = DagBag(dag_folder=str(dag_file.parent), collect_dags=False)
    started = time.perf_counter()
    fresh.process_file(str(dag_file))
    elapsed = time.perf_counter() - started
    assert not fresh.import_errors
    assert elapsed < 1.0, f"{dag_file.name} took {elapsed:.2f}s to parse"


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda p: p.name)
def test_dag_parse_stays_light(dag_file: Path) -> None:
    """Each parse (and each task) runs in a fresh interpreter, so what a DAG file pulls in is paid
    every time. It reads the dbt manifest as a local file: through Airflow's ObjectStoragePath it would
    start the hook-lineage collector, which loads every plugin (Cosmos' own imports FastAPI). And the
    Slack SDK (slack_sdk, aiohttp) is imported only when a message is sent. 0.3 s each, per parse."""
    probe = (
        "import json, sys\n"
        "from airflow.dag_processing.dagbag import DagBag\n"
        "from airflow.sdk.lineage import get_hook_lineage_collector\n"
        "bag = DagBag(dag_folder=sys.argv[1], collect_dags=False)\n"
        "bag.process_file(sys.argv[1])\n"
        "assert not bag.import_errors, bag.import_errors\n"
        "print(json.dumps({'collector_started': get_hook_lineage_collector.cache_info().currsize > 0,\n"
        "                  'imported': sorted(m for m in ('fastapi', 'slack_sdk', 'aiohttp') if m in sys.modules)}))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    result = subprocess.run(
        [sys.executable, "-c", probe, str(dag_file)], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"collector_started": False, "imported": []}


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda p: p.name)
def test_dag_files_only_wire(dag_file: Path) -> None:
    """DAG files hold configuration and wiring; logic lives in include/wms_pipeline."""
    source = dag_file.read_text()
    assert len(source.splitlines()) <= 60
    for forbidden in ("Variable.get", "get_connection", "subprocess", "requests.", "os.environ["):
        assert forbidden not in source

"""Every DAG file imports without errors: the check `astro dev parse` and `astro deploy` run.

The Astro CLI runs `pytest .astro/test_dag_integrity_default.py` in the project image from
$AIRFLOW_HOME; when this file is missing, both skip the check without saying so. This is the
project's version of the file `astro dev init` writes: the same check (one test per DAG file, failed
by its import error, unless the file is listed in .astro/dag_integrity_exceptions.txt) and the same
stand-ins for Variables and connections read at parse time. Adapted for Airflow 3.3 and this project:
the DagBag comes from airflow.dag_processing.dagbag and reads the configured DAGs folder (Airflow
3.3's DagBag takes no include_examples, which the CLI's file passes, so that file fails on 3.3); no metadata
database is initialised (parsing these DAGs reads none); os.getenv is not faked, because the DAG
factory validates its environment settings and would refuse an invented value.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import pytest
from airflow.configuration import conf
from airflow.dag_processing.dagbag import DagBag
from airflow.sdk import BaseHook, Connection, Variable

EXCEPTIONS_FILE = Path(__file__).with_name("dag_integrity_exceptions.txt")
NO_ERRORS = "No import errors"


def _placeholder_connection(conn_id: str, *args: Any, **kwargs: Any) -> Connection:
    print(f"DAG parse read connection {conn_id!r}: given an empty one")
    return Connection(conn_id=conn_id, conn_type="generic")


def _placeholder_variable(key: str, default: Any = None, *args: Any, **kwargs: Any) -> Any:
    print(f"DAG parse read Variable {key!r}: given a placeholder")
    return default if default is not None else f"PLACEHOLDER_{key.upper()}"


BaseHook.get_connection = _placeholder_connection  # type: ignore[method-assign,assignment]
Variable.get = _placeholder_variable  # type: ignore[method-assign,assignment]


def _dags_folder() -> Path:
    return Path(conf.get("core", "dags_folder"))


def _exceptions() -> set[str]:
    if not EXCEPTIONS_FILE.exists():
        return set()
    lines = (line.strip() for line in EXCEPTIONS_FILE.read_text().splitlines())
    return {line for line in lines if line and not line.startswith("#")}


def import_results() -> list[tuple[str, str]]:
    """(DAG file relative to $AIRFLOW_HOME, its import error or NO_ERRORS) for every DAG file."""
    airflow_home = os.environ.get("AIRFLOW_HOME", str(Path.cwd()))
    logger = logging.getLogger("airflow")
    was_disabled, logger.disabled = logger.disabled, True
    try:
        bag = DagBag(dag_folder=str(_dags_folder()))  # 3.3 has no include_examples argument
    finally:
        logger.disabled = was_disabled
    results = {
        os.path.relpath(path, airflow_home): error.strip() for path, error in bag.import_errors.items()
    }
    for dag in bag.dags.values():
        results.setdefault(os.path.relpath(dag.fileloc, airflow_home), NO_ERRORS)
    return sorted(results.items())


RESULTS = import_results()


def test_the_dags_folder_holds_dags() -> None:
    assert RESULTS, f"no DAG file found in {_dags_folder()}"


@pytest.mark.parametrize(("rel_path", "result"), RESULTS, ids=[path for path, _ in RESULTS])
def test_file_imports(rel_path: str, result: str) -> None:
    if result != NO_ERRORS and rel_path not in _exceptions():
        raise AssertionError(f"{rel_path} failed to import:\n{result}")

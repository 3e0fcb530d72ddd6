"""The dbt profile Cosmos builds from the warehouse connection: on Oracle, `database` is the DB_NAME."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from include.wms_pipeline import settings
from include.wms_pipeline.dbt import profile_config

REPO_ROOT = Path(__file__).resolve().parents[2]
ORACLE_CONNECTION = {
    "conn_type": "oracle",
    "host": "ora.example.com",
    "port": 1521,
    "login": "wms_dbt",
    "password": "dbt-secret-4411",
    "extra": {"service_name": "wmsprod.example.com"},
}


def _use_connection(monkeypatch: pytest.MonkeyPatch, connection: dict[str, object]) -> None:
    monkeypatch.setenv(f"AIRFLOW_CONN_{settings.WAREHOUSE_CONN_ID.upper()}", json.dumps(connection))


def test_oracle_profile_database_is_the_db_name_not_the_service(monkeypatch: pytest.MonkeyPatch) -> None:
    extra = {"service_name": "wmsprod.example.com", "database": "WMSPROD"}
    _use_connection(monkeypatch, {**ORACLE_CONNECTION, "extra": extra})

    profile = profile_config("oracle").profile_mapping.profile

    assert (profile["service"], profile["database"]) == ("wmsprod.example.com", "WMSPROD")


def test_oracle_profile_without_the_db_name_names_the_extra_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    _use_connection(monkeypatch, ORACLE_CONNECTION)
    config = profile_config("oracle")  # building the config (DAG parse) does not need it

    with pytest.raises(
        ValueError, match=r"wms_warehouse.*extra\.database.*SYS_CONTEXT\('userenv','DB_NAME'\)"
    ):
        _ = config.profile_mapping.profile


def test_oracle_db_name_that_is_not_an_identifier_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    extra = {"service_name": "wmsprod.example.com", "database": "WMSPROD; drop"}
    _use_connection(monkeypatch, {**ORACLE_CONNECTION, "extra": extra})

    with pytest.raises(ValueError, match="not an Oracle database name"):
        _ = profile_config("oracle").profile_mapping.profile


def test_both_dags_parse_on_oracle_without_the_db_name() -> None:
    """The missing extra fails the dbt tasks when they build the profile, never the DAG files' import."""
    probe = (
        "from airflow.dag_processing.dagbag import DagBag\n"
        "bag = DagBag(dag_folder='dags')\n"
        "assert bag.import_errors == {}, bag.import_errors\n"
        "print(sorted(bag.dag_ids))\n"
    )
    env = {
        "WMS_WAREHOUSE_KIND": "oracle",
        f"AIRFLOW_CONN_{settings.WAREHOUSE_CONN_ID.upper()}": json.dumps(ORACLE_CONNECTION),
    }
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "['wms_full_sync', 'wms_incremental_sync']" in result.stdout


def test_with_a_dbt_connection_set_dbt_logs_in_through_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Least-privilege Oracle: the loader is the raw schema's owner, dbt the models' (docs/oracle.md)."""
    _use_connection(monkeypatch, {**ORACLE_CONNECTION, "login": "wms_raw"})
    dbt_connection = {
        **ORACLE_CONNECTION,
        "extra": {"service_name": "wmsprod.example.com", "database": "WMSPROD"},
    }
    monkeypatch.setenv("AIRFLOW_CONN_WMS_WAREHOUSE_DBT", json.dumps(dbt_connection))
    monkeypatch.setenv("WMS_DBT_CONN_ID", "wms_warehouse_dbt")

    profile = profile_config("oracle").profile_mapping.profile

    assert (profile["user"], profile["database"]) == ("wms_dbt", "WMSPROD")

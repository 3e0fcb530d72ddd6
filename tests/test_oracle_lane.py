"""The real-Oracle lane seen from the Airflow suite (docs/oracle.md): `scripts/test --oracle` without its
variables stops at once, naming what to set, before it builds or starts anything; and the end-to-end
case's Oracle connections are ones the product reads as documented."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
# Far more than the check needs; far less than bootstrapping three environments and a PostgreSQL.
FAST_SECONDS = 30


def _run_test_script(tmp_path: Path, extra_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """scripts/test --oracle with tool and state directories that do not exist yet: if anything ran
    before the check, it would create them (scripts/bootstrap's first step)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WMS_TEST_ORACLE_")}
    env.update(
        {"WMS_VENVS_DIR": str(tmp_path / "venvs"), "WMS_STATE_DIR": str(tmp_path / "state"), **extra_env}
    )
    process = subprocess.Popen(
        [str(REPO_ROOT / "scripts" / "test"), "--oracle", "-k", "anything"],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # so a script that went on can be stopped with everything it started
    )
    try:
        stdout, stderr = process.communicate(timeout=FAST_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(
            f"scripts/test --oracle was still running after {FAST_SECONDS} s: it did not stop at the check"
        )
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def test_without_the_oracle_url_it_fails_naming_it_before_building_anything(tmp_path: Path) -> None:
    result = _run_test_script(tmp_path, {})

    assert result.returncode != 0
    assert "WMS_TEST_ORACLE_URL" in result.stderr
    assert not (tmp_path / "venvs").exists()
    assert not (tmp_path / "state").exists()


def test_without_the_dbt_users_url_it_fails_naming_that_one(tmp_path: Path) -> None:
    secret = "never-printed-7781"
    url = f"oracle+oracledb://wms_raw:{secret}@db.invalid:1521/?service_name=FREEPDB1"

    result = _run_test_script(tmp_path, {"WMS_TEST_ORACLE_URL": url})

    assert result.returncode != 0
    assert "WMS_TEST_ORACLE_DBT_URL" in result.stderr
    assert secret not in result.stdout + result.stderr
    assert not (tmp_path / "venvs").exists()
    assert not (tmp_path / "state").exists()


def test_the_end_to_end_oracle_connections_are_what_the_product_reads() -> None:
    """The connections the end-to-end Oracle case gives Airflow (as AIRFLOW_CONN_* JSON) yield the
    loader's URL and dbt's DB_NAME through the product's own readers."""
    from airflow.models.connection import Connection
    from e2e.test_sync_end_to_end import _oracle_conn
    from oracle_lane import OracleLogin

    from include.wms_pipeline.warehouse import oracle_db_name, warehouse_target

    loader = OracleLogin("WMS_RAW", "pw-raw", "db.example", 1522, "wmspdb.example")
    dbt = OracleLogin("WMS", "pw-dbt", "db.example", 1522, "wmspdb.example")
    loader_conn = Connection.from_json(json.dumps(_oracle_conn(loader, "WMSCDB")), conn_id="wms_warehouse")
    dbt_conn = Connection.from_json(json.dumps(_oracle_conn(dbt, "WMSCDB")), conn_id="wms_warehouse_dbt")

    target = warehouse_target(loader_conn)
    assert (target.kind, target.url) == (
        "oracle",
        "oracle+oracledb://db.example:1522/?service_name=wmspdb.example",
    )
    assert (target.username, target.password) == ("WMS_RAW", "pw-raw")
    assert oracle_db_name(dbt_conn) == "WMSCDB"
    assert (dbt_conn.login, dbt_conn.password) == ("WMS", "pw-dbt")

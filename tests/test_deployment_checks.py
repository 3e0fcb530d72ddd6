"""A deployment without the settings the DAGs need fails the run's first task, naming the fix.

Against a real Airflow metadata database: `airflow tasks test` runs `deployment_ready` as a worker
would (its Variable lookups go through Airflow's own API to that database).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from include.wms_pipeline import deployment_checks, settings
from include.wms_pipeline.deployment_checks import REQUIRED_VARIABLES, required_pools
from local_runner.airflow_home import LocalAirflow

ROOT = Path(__file__).resolve().parents[1]
DAG_ID = "wms_incremental_sync"


@pytest.fixture(scope="module")
def airflow(tmp_path_factory: pytest.TempPathFactory) -> LocalAirflow:
    home = LocalAirflow(
        home=tmp_path_factory.mktemp("deployment-checks"),
        warehouse_conn={"conn_type": "duckdb", "host": "unused.duckdb"},
        wms_conn={"conn_type": "http", "host": "http://127.0.0.1:9", "login": "u", "password": "p"},
    )
    home.airflow("db", "migrate")  # an empty deployment: no pools beyond default_pool, no Variables
    return home


def _deployment_ready(airflow: LocalAirflow, **env: str) -> tuple[str, str]:
    """(state written to the metadata database, output) of one `deployment_ready` run."""
    airflow.extra_env = env
    result = airflow.airflow(
        "tasks", "test", DAG_ID, "deployment_ready", "2026-01-05T06:00:00+00:00", check=False
    )
    output = result.stdout + result.stderr
    states = re.findall(r"Task instance state updated.*new_state=(\w+)", output)
    assert result.returncode == 0, output[-3000:]
    assert states, output[-3000:]
    return states[-1], output


def test_the_first_task_of_every_run_checks_the_deployment(dag_bag: object) -> None:
    for dag in dag_bag.dags.values():  # type: ignore[attr-defined]
        check = dag.get_task("deployment_ready")
        others = {task.task_id for task in dag.tasks} - {check.task_id}
        assert check.get_flat_relative_ids(upstream=False) == others, dag.dag_id
        assert check.pool == "default_pool", "a missing project pool must not stall the check itself"


def test_a_missing_variable_fails_the_run_with_the_commands_that_create_it(airflow: LocalAirflow) -> None:
    state, output = _deployment_ready(airflow)
    assert state == "failed"
    variable = settings.ALERT_EMAILS_VARIABLE
    assert f"Airflow Variable(s) not set in this deployment: {variable}" in output
    assert f"airflow variables set {variable} " in output
    assert f"astro deployment airflow-variable create --deployment-id <id> --key {variable}" in output
    assert f"AIRFLOW_VAR_{variable.upper()}" in output


def test_the_printed_airflow_command_is_the_fix(airflow: LocalAirflow) -> None:
    state, output = _deployment_ready(airflow)
    assert state == "failed"
    command = next(line.strip() for line in output.splitlines() if "airflow variables set" in line)
    args = shlex.split(command[command.index("airflow variables set") :])
    airflow.airflow(*args[1:])  # exactly what the message says, against this metadata database
    try:
        state, output = _deployment_ready(airflow)
        assert state == "success", output[-3000:]
    finally:
        airflow.airflow("variables", "delete", settings.ALERT_EMAILS_VARIABLE)


def test_a_variable_from_the_environment_counts(airflow: LocalAirflow) -> None:
    name = f"AIRFLOW_VAR_{settings.ALERT_EMAILS_VARIABLE.upper()}"
    state, output = _deployment_ready(airflow, **{name: "oncall@example.com"})
    assert state == "success", output[-3000:]


def test_a_blank_variable_is_missing() -> None:
    assert deployment_checks.missing_variables(lambda name: "  ") == list(REQUIRED_VARIABLES)
    assert deployment_checks.missing_variables(lambda name: "a@example.com") == []


@pytest.mark.parametrize("kind", settings.WAREHOUSE_KINDS)
def test_the_pool_commands_name_every_pool_the_dags_use(dag_bag: object, kind: str) -> None:
    commands = "\n".join(deployment_checks.setup_commands(pools=required_pools(kind)))
    for pool in required_pools(kind):
        assert f"airflow pools set {pool.name} {pool.slots} " in commands
        assert (
            f"astro deployment pool create --deployment-id <id> --name {pool.name} --slots {pool.slots}"
            in commands
        )


def test_every_pool_the_dags_use_is_required() -> None:
    """The suite parses the DAGs on DuckDB: every pool a task names is one `required_pools` lists."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags"))
    used = {task.pool for dag in bag.dags.values() for task in dag.tasks} - {"default_pool"}
    assert used == {pool.name for pool in required_pools("duckdb")}


def test_astro_dev_start_creates_them_from_airflow_settings() -> None:
    local = yaml.safe_load((ROOT / "airflow_settings.yaml").read_text())["airflow"]
    pools = {pool["pool_name"]: pool["pool_slot"] for pool in local["pools"]}
    # One file for every warehouse kind: DuckDB's writer pool and PostgreSQL/Oracle's transform pool.
    assert pools == {
        pool.name: pool.slots for kind in ("duckdb", "postgres") for pool in required_pools(kind)
    }
    assert {var["variable_name"] for var in local["variables"]} >= {v.name for v in REQUIRED_VARIABLES}

"""The incremental DAG, run through Airflow against the simulator, leaves the simulator's records in DuckDB.

This is the whole chain: `airflow dags test` -> Meltano (our tap and loader) -> DuckDB -> dbt via Cosmos
-> SQL checks. It compares data: every (id, mod_ts) version the WMS holds is in the raw history, once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from include.wms_pipeline.settings import ENTITIES_ALL
from local_runner.airflow_home import LocalAirflow
from local_runner.warehouse import duckdb_rows, raw_versions, task_states
from wms_simulator import Simulator, SimulatorConfig, SimulatorServer

START = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
PASSWORD = "e2e-wms-password-0193"
DAG_ID = "wms_incremental_sync"


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorServer]:
    config = SimulatorConfig(
        records=120, seed=11, start_time=START, environment="lgf_test", username="wms_api", password=PASSWORD
    )
    server = SimulatorServer(Simulator(config), host="127.0.0.1", port=0).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def initial_load(
    simulator: SimulatorServer, tmp_path_factory: pytest.TempPathFactory
) -> tuple[LocalAirflow, Path, Path]:
    base = tmp_path_factory.mktemp("e2e")
    warehouse = base / "warehouse.duckdb"
    airflow = LocalAirflow(
        home=base / "airflow",
        warehouse_conn={"conn_type": "duckdb", "host": str(warehouse)},
        wms_conn={"conn_type": "http", "host": simulator.base_url, "login": "wms_api", "password": PASSWORD},
        extra_env={"WMS_TASK_RETRIES": "0"},
    )
    airflow.prepare()
    log = base / "dags-test.log"
    # `dags test` takes the date as run_after; the interval inferred from it ends at START.
    ok = airflow.dags_test(DAG_ID, START.isoformat(), {"window_start": "2000-01-01T00:00:00+00:00"}, log)
    assert ok, f"dags test failed; last output:\n{log.read_text()[-4000:]}"
    return airflow, warehouse, log


def test_every_task_of_the_run_succeeded(initial_load: tuple[LocalAirflow, Path, Path]) -> None:
    airflow, _, _ = initial_load
    states = task_states(airflow.home, DAG_ID)
    assert {f"extract_load_{entity}" for entity in ENTITIES_ALL} <= set(states)
    assert any(task.startswith("transform.") for task in states)
    assert {"check_load_audit_reconciles", "check_quarantine_within_threshold"} <= set(states)
    assert {task: state for task, state in states.items() if state != "success"} == {}


@pytest.mark.parametrize("entity", ENTITIES_ALL)
def test_raw_history_holds_exactly_the_simulators_versions(
    initial_load: tuple[LocalAirflow, Path, Path], simulator: SimulatorServer, entity: str
) -> None:
    _, warehouse, _ = initial_load
    expected = {
        (record_id, datetime.fromisoformat(mod_ts))
        for record_id, mod_ts in simulator.sim.versions(entity).items()
    }
    assert expected, f"the simulator has no {entity} records to compare"
    assert raw_versions(warehouse, entity) == expected


def test_staging_has_the_current_version_of_every_order(
    initial_load: tuple[LocalAirflow, Path, Path], simulator: SimulatorServer
) -> None:
    _, warehouse, _ = initial_load
    [(schema,)] = duckdb_rows(
        warehouse,
        "select table_schema from information_schema.tables where table_name = 'stg_oracle_wms__order_hdrs'",
    )
    rows = duckdb_rows(warehouse, f"select order_id, order_nbr from {schema}.stg_oracle_wms__order_hdrs")
    expected = {record["id"]: record["order_nbr"] for record in simulator.sim.records("order_hdr")}
    assert dict(rows) == expected


def test_no_secret_reaches_the_airflow_output(initial_load: tuple[LocalAirflow, Path, Path]) -> None:
    airflow, _, log = initial_load
    texts = [log.read_text(errors="replace")]
    texts += [
        path.read_text(errors="replace") for path in (airflow.home / "logs").rglob("*") if path.is_file()
    ]
    assert texts
    assert not [text for text in texts if PASSWORD in text]

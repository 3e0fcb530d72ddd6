"""Both DAGs, through Airflow, against the simulator, on DuckDB and on PostgreSQL (and on a real Oracle
when the opt-in lane is configured: WMS_TEST_ORACLE_URL, WMS_TEST_ORACLE_DBT_URL; docs/oracle.md).

The scenario is the product's week in miniature: the weekly full sync loads everything, the simulated
WMS clock moves on by one interval (orders are created, progress, get cancelled or deleted), and the
incremental sync loads that interval. After each run the warehouse is compared with the simulator's own
records: the raw history holds exactly every (id, mod_ts) version the WMS showed, once.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeAlias

import pytest
from oracle_lane import OracleLane, OracleLogin, warehouse_kinds

from include.wms_pipeline.settings import ENTITIES_ALL
from local_runner.airflow_home import LocalAirflow
from local_runner.warehouse import WarehouseReader, task_states
from throwaway_postgres.pytest_plugin import PostgresHandle
from wms_simulator import Simulator, SimulatorConfig, SimulatorServer

START = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
INTERVAL = timedelta(hours=2)
PASSWORD = "e2e-wms-password-0193"


@dataclass
class Scenario:
    airflow: LocalAirflow
    reader: Reader
    simulator: SimulatorServer
    after_full_sync: dict[str, set[tuple[int, datetime]]]
    after_incremental: dict[str, set[tuple[int, datetime]]]
    outputs: list[Path]
    secrets: list[str]


def _versions(simulator: SimulatorServer) -> dict[str, set[tuple[int, datetime]]]:
    return {
        entity: {
            (record_id, datetime.fromisoformat(ts))
            for record_id, ts in simulator.sim.versions(entity).items()
        }
        for entity in ENTITIES_ALL
    }


class OracleReader:
    """WarehouseReader's `rows` on the Oracle lane, as dbt's user (WMS reads every raw table)."""

    kind = "oracle"

    def __init__(self, lane: OracleLane) -> None:
        self.lane = lane

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(row.values()) for row in self.lane.query(self.lane.dbt, sql)]


Reader: TypeAlias = WarehouseReader | OracleReader


def _oracle_conn(login: OracleLogin, database: str) -> dict[str, Any]:
    """An Airflow connection as docs/oracle.md describes it: extra service_name and database (DB_NAME)."""
    return {
        "conn_type": "oracle",
        "host": login.host,
        "port": login.port,
        "login": login.user,
        "password": login.password,
        "extra": {"service_name": login.service_name, "database": database},
    }


def _warehouse(
    kind: str, base: Path, request: pytest.FixtureRequest
) -> tuple[dict[str, Any], WarehouseReader]:
    if kind == "duckdb":
        path = base / "warehouse.duckdb"
        return {"conn_type": "duckdb", "host": str(path)}, WarehouseReader("duckdb", str(path))
    postgres: PostgresHandle = request.getfixturevalue("postgres_server")
    dbname = f"e2e_{base.name.replace('-', '_')}"
    postgres.create_database(dbname)
    info = postgres.info
    conn = {
        "conn_type": "postgres",
        "host": info.host,
        "port": info.port,
        "login": info.user,
        "password": info.password,
        "schema": dbname,
    }
    return conn, WarehouseReader("postgres", info.url(dbname, driver="postgresql"))


@pytest.fixture(scope="module", params=warehouse_kinds())
def scenario(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    kind: str = request.param
    if kind == "oracle":
        yield from _oracle_scenario(tmp_path_factory)
    else:
        yield from _scenario(kind, tmp_path_factory, request)


def _oracle_scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    """The lane's Oracle: the loader's connection `wms_warehouse` logs in as WMS_RAW, dbt's
    `wms_warehouse_dbt` as WMS (docs/oracle.md, the connection model); both schemas emptied before
    and after."""
    lane = OracleLane.from_environ()
    assert lane is not None, "the oracle parameter exists only when WMS_TEST_ORACLE_URL is set"
    lane.clean()
    try:
        database = lane.db_name()
        dbt_conn = {"AIRFLOW_CONN_WMS_WAREHOUSE_DBT": json.dumps(_oracle_conn(lane.dbt, database))}
        yield from _scenario(
            "oracle",
            tmp_path_factory,
            warehouse=(_oracle_conn(lane.loader, database), OracleReader(lane)),
            extra_env={**dbt_conn, "WMS_DBT_CONN_ID": "wms_warehouse_dbt"},
            secrets=[lane.loader.password, lane.dbt.password],
        )
    finally:
        lane.clean()


def _scenario(
    kind: str,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest | None = None,
    *,
    warehouse: tuple[dict[str, Any], Reader] | None = None,
    extra_env: dict[str, str] | None = None,
    secrets: list[str] | None = None,
) -> Iterator[Scenario]:
    base = tmp_path_factory.mktemp(f"e2e-{kind}")
    config = SimulatorConfig(
        records=120, seed=11, start_time=START, environment="lgf_test", username="wms_api", password=PASSWORD
    )
    with SimulatorServer(Simulator(config), host="127.0.0.1", port=0) as simulator:
        if warehouse is None:
            assert request is not None
            warehouse = _warehouse(kind, base, request)
        conn, reader = warehouse
        airflow = LocalAirflow(
            home=base / "airflow",
            warehouse_conn=conn,
            warehouse_kind=kind,
            wms_conn={
                "conn_type": "http",
                "host": simulator.base_url,
                "login": "wms_api",
                "password": PASSWORD,
            },
            # Small partitions so the full sync really maps over several id ranges.
            extra_env={"WMS_TASK_RETRIES": "0", "WMS_MIN_IDS_PER_PARTITION": "40", **(extra_env or {})},
        )
        airflow.prepare()
        outputs = [base / "full-sync.log", base / "incremental.log"]
        # `dags test` takes the date as run_after: the interval inferred from it ends there.
        assert airflow.dags_test("wms_full_sync", START.isoformat(), {}, outputs[0]), outputs[0].read_text()[
            -4000:
        ]
        after_full_sync = _versions(simulator)
        simulator.sim.advance(INTERVAL)
        ok = airflow.dags_test("wms_incremental_sync", (START + INTERVAL).isoformat(), {}, outputs[1])
        assert ok, outputs[1].read_text()[-4000:]
        secrets = [PASSWORD, *(secrets or ([conn["password"]] if conn.get("password") else []))]
        yield Scenario(airflow, reader, simulator, after_full_sync, _versions(simulator), outputs, secrets)


def _raw(reader: Reader, entity: str) -> list[tuple[int, datetime]]:
    return [(int(i), ts) for i, ts in reader.rows(f"select id, mod_ts from wms_raw.{entity}")]


@pytest.mark.parametrize("dag_id", ["wms_full_sync", "wms_incremental_sync"])
def test_every_task_succeeded(scenario: Scenario, dag_id: str) -> None:
    states = task_states(scenario.airflow.home, dag_id)
    assert any(task.startswith("transform.") for task in states)
    assert {task for task in states if task.startswith("check_")}
    assert {task: state for task, state in states.items() if state != "success"} == {}


def test_full_sync_mapped_large_entities_over_several_partitions(scenario: Scenario) -> None:
    states = task_states(scenario.airflow.home, "wms_full_sync")
    assert len([task for task in states if task.startswith("extract_load_allocation[")]) > 1


@pytest.mark.parametrize("entity", ENTITIES_ALL)
def test_raw_history_holds_every_version_the_wms_showed_exactly_once(scenario: Scenario, entity: str) -> None:
    stored = _raw(scenario.reader, entity)
    assert len(stored) == len(set(stored)), "no (id, mod_ts) version is stored twice"
    expected = scenario.after_full_sync[entity] | scenario.after_incremental[entity]
    assert scenario.after_full_sync[entity], f"the simulator has no {entity} records to compare"
    assert set(stored) == expected


def test_the_incremental_interval_really_changed_records(scenario: Scenario) -> None:
    changed = scenario.after_incremental["order_hdr"] - scenario.after_full_sync["order_hdr"]
    assert changed, "the scenario must exercise the incremental window"


def test_staging_shows_the_current_version_of_every_order(scenario: Scenario) -> None:
    rows = scenario.reader.rows(
        "select order_id, order_nbr from wms.stg_oracle_wms__order_hdrs where is_deleted = 0"
    )
    current = {record["id"]: record["order_nbr"] for record in scenario.simulator.sim.records("order_hdr")}
    deleted_since_full_sync = {i for i, _ in scenario.after_full_sync["order_hdr"]} - set(current)
    # Deletions become visible at the next full sync; until then the last known version stands.
    assert {i for i, _ in rows} == set(current) | deleted_since_full_sync
    assert {i: n for i, n in rows if i in current} == current


def test_no_secret_reaches_the_airflow_output(scenario: Scenario) -> None:
    """Neither the WMS password nor the warehouse's: not in logs, XComs (dbt's results and events
    included), Variables or rendered templates."""
    texts = [path.read_text(errors="replace") for path in scenario.outputs]
    texts += [
        p.read_text(errors="replace") for p in (scenario.airflow.home / "logs").rglob("*") if p.is_file()
    ]
    with sqlite3.connect(scenario.airflow.home / "airflow.db") as metadata:
        stored = [
            metadata.execute(f"select {column} from {table}").fetchall()
            for table, column in (
                ("xcom", "value"),
                ("variable", "val"),
                ("rendered_task_instance_fields", "rendered_fields"),
            )
        ]
    assert stored[0], "no XCom to search: the metadata DB is not the one the runs used"
    texts += [str(value) for rows in stored for (value,) in rows]
    # The WMS password, and each warehouse login's: PostgreSQL one, Oracle two (loader and dbt).
    assert len(scenario.secrets) == {"duckdb": 1, "postgres": 2, "oracle": 3}[scenario.reader.kind]
    assert [secret for secret in scenario.secrets if any(secret in text for text in texts)] == []

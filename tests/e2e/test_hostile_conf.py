"""A hostile run conf through the real DAGs, on DuckDB and on PostgreSQL: nothing of it runs as SQL.

Anyone who may trigger a DAG can send a conf (the Trigger form's JSON box, `airflow dags trigger
--conf`, the REST API), and Airflow merges it into every task's params, undeclared keys included. The
conf here carries every value the checks once took from params, and keys no DAG declares, each with
an injection payload (stacked statement, comment, quote, union select) aimed at a canary table that
holds a secret. After both DAGs ran with it: the canary is untouched and unread, no extra table exists,
every task did what it does without the conf, and a check whose rule is broken still fails although
the conf tries to loosen it.

The fast variant (scripts/test) runs on DuckDB, about 6 minutes; WMS_RELIABILITY_FULL=1 (scripts/reliability
--only hostile) adds PostgreSQL. The SQL the checks send is run on PostgreSQL by tests/include/test_checks.py
in every suite run. Every case prints `executed: N / leaked: N`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest

from local_runner.airflow_home import LocalAirflow
from local_runner.warehouse import WarehouseReader, task_states
from tests.e2e.test_sync_end_to_end import INTERVAL, PASSWORD, START, _warehouse
from wms_simulator import Simulator, SimulatorConfig, SimulatorServer

CANARY_SECRET = "canary-secret-Qm81Zr"
PAYLOADS = {
    "stacked statement": (
        "wms_raw.order_hdr; drop table canary; create table wms_raw.injected_stacked as select 1 as x; "
        "select 1 as y from wms_raw.order_hdr"
    ),
    "comment": "wms_raw.order_hdr where 1 = 0 --",
    "quote": "x'; drop table canary; create table injected_quote (x int); --",
    "union select": "1 as x from wms_raw.order_hdr union select secret from canary --",
}
# Every value the checks once took from params, and keys no DAG declares.
FORMER_CHECK_PARAMS = (
    "raw_schema",
    "marts_schema",
    "checked_entities",
    "timestamp_literal",
    "quarantine_threshold",
    "freshness_hours",
    "count_tolerance_abs",
    "count_tolerance_ratio",
    "orphan_tolerance_ratio",
)
UNDECLARED = ("schema", "sql", "table", "dbt_vars")
DAGS = (("wms_full_sync", START), ("wms_incremental_sync", START + INTERVAL))
FULL = os.environ.get("WMS_RELIABILITY_FULL") == "1"


def hostile_conf() -> dict[str, Any]:
    """Each key gets one payload kind, in turn, so every kind reaches several keys."""
    kinds = list(PAYLOADS)
    conf: dict[str, Any] = {}
    for number, key in enumerate(FORMER_CHECK_PARAMS + UNDECLARED):
        payload = PAYLOADS[kinds[number % len(kinds)]]
        conf[key] = [payload] if key == "checked_entities" else payload
    return conf


@dataclass
class HostileScenario:
    kind: str
    airflow: LocalAirflow
    reader: WarehouseReader
    outputs: dict[str, str]
    succeeded: dict[str, bool]


def _plant_canary(kind: str, conn: dict[str, Any]) -> None:
    statement = f"create table canary (secret varchar(40)); insert into canary values ('{CANARY_SECRET}')"
    if kind == "duckdb":
        with duckdb.connect(conn["host"]) as db:
            db.execute(statement)
        return
    with psycopg.connect(
        host=conn["host"],
        port=conn["port"],
        user=conn["login"],
        password=conn["password"],
        dbname=conn["schema"],
    ) as db:
        db.execute(statement.replace("; ", ";\n"))


@pytest.fixture(
    scope="module",
    params=[
        "duckdb",
        pytest.param(
            "postgres",
            marks=pytest.mark.skipif(not FULL, reason="PostgreSQL: scripts/reliability --only hostile"),
        ),
    ],
)
def hostile(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HostileScenario]:
    kind: str = request.param
    # The PostgreSQL database is named after this directory: unique per process on a shared server.
    base = tmp_path_factory.mktemp(f"hostile-{kind}-{os.getpid()}")
    config = SimulatorConfig(
        records=60, seed=13, start_time=START, environment="lgf_test", username="wms_api", password=PASSWORD
    )
    with SimulatorServer(Simulator(config), host="127.0.0.1", port=0) as simulator:
        conn, reader = _warehouse(kind, base, request)
        _plant_canary(kind, conn)
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
            extra_env={"WMS_TASK_RETRIES": "0"},
        )
        airflow.prepare()
        outputs: dict[str, str] = {}
        succeeded: dict[str, bool] = {}
        for dag_id, run_after in DAGS:
            log = base / f"{dag_id}.log"
            succeeded[dag_id] = airflow.dags_test(dag_id, run_after.isoformat(), hostile_conf(), log)
            outputs[dag_id] = log.read_text(errors="replace")
            simulator.sim.advance(INTERVAL)
        yield HostileScenario(kind, airflow, reader, outputs, succeeded)


def _executed(scenario: HostileScenario) -> list[str]:
    """What a payload would have left behind: the canary changed or gone, an injected table."""
    found = []
    try:
        canary = scenario.reader.rows("select secret from canary")
    except Exception as exc:  # the table is gone
        found.append(f"canary unreadable: {type(exc).__name__}")
    else:
        if canary != [(CANARY_SECRET,)]:
            found.append(f"canary changed: {canary}")
    tables = scenario.reader.rows("select table_schema, table_name from information_schema.tables")
    found += [f"{schema}.{name}" for schema, name in tables if "injected" in str(name)]
    return found


def _leaked(scenario: HostileScenario, dag_id: str) -> int:
    return scenario.outputs[dag_id].count(CANARY_SECRET)


@pytest.mark.parametrize("dag_id", [dag_id for dag_id, _ in DAGS])
def test_no_statement_of_the_payload_ran_and_nothing_leaked(hostile: HostileScenario, dag_id: str) -> None:
    executed, leaked = _executed(hostile), _leaked(hostile, dag_id)
    keys = hostile_conf()
    kinds = {
        next(name for name, payload in PAYLOADS.items() if payload in (value, *value))
        for value in keys.values()
    }
    # One run carries every key: its figures are the run's, printed once.
    print(
        f"{hostile.kind} {dag_id}, one run with {len(keys)} hostile conf keys ({', '.join(sorted(kinds))}): "
        f"executed: {len(executed)} / leaked: {leaked}"
    )
    assert executed == []
    assert leaked == 0


@pytest.mark.parametrize("dag_id", [dag_id for dag_id, _ in DAGS])
def test_the_run_ignores_the_keys_and_every_task_does_its_job(hostile: HostileScenario, dag_id: str) -> None:
    states = task_states(hostile.airflow.home, dag_id)
    assert {task for task in states if task.startswith("check_")}
    assert {task: state for task, state in states.items() if state != "success"} == {}
    assert hostile.succeeded[dag_id], hostile.outputs[dag_id][-3000:]


def test_the_checks_read_the_loaded_data_not_the_payloads(hostile: HostileScenario) -> None:
    """Had a payload replaced the checks' SQL, the loaded tables would not be what they count."""
    assert hostile.reader.count("wms_raw.order_hdr") > 0
    assert hostile.reader.count("wms.fct_orders") > 0


def test_a_broken_rule_still_fails_although_the_conf_tries_to_loosen_it(
    hostile: HostileScenario, tmp_path: Path
) -> None:
    """Ten days on, the WMS shows no order change: the freshness check must fail, whatever
    `freshness_hours` or `timestamp_literal` the conf sends."""
    conf = {
        **hostile_conf(),
        "entities": ["order_hdr"],
        "freshness_hours": 1_000_000,
        "timestamp_literal": "TIMESTAMP '1900-01-01 00:00:00' --",
    }
    log = tmp_path / "stale.log"
    later = START + timedelta(days=10)
    assert not hostile.airflow.dags_test("wms_incremental_sync", later.isoformat(), conf, log)
    states = task_states(hostile.airflow.home, "wms_incremental_sync")
    assert states["check_raw_history_is_fresh"] == "failed"
    assert "order_changes_are_fresh" in log.read_text(errors="replace")
    executed = _executed(hostile)
    leaked = log.read_text(errors="replace").count(CANARY_SECRET)
    print(f"{hostile.kind} stale data with loosening conf: executed: {len(executed)} / leaked: {leaked}")
    assert executed == []
    assert leaked == 0

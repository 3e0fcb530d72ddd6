"""What an operator clicks must not corrupt the data (issue 35), through Airflow on DuckDB and PostgreSQL.

The quick variant of `scripts/reliability --only operator-actions`, on each warehouse:

1. a full sync whose allocation partition fails under `airflow dags test`; the operator then marks the
   failed partition and the failing count check successful with Airflow's own state change
   (SerializedDAG.set_task_instance_state, what the UI's and REST API's "Mark success" call: it
   clears the failed downstream tasks so they run), and `finalize_full_sync` runs as the scheduler
   would then run it. It must refuse, naming the partition, and no id the WMS still has may be
   marked deleted;
2. the `oracle_wms` connection then points at a second simulator (another environment): the next
   run must fail at `verify_wms_source`, before any extract, and nothing the second WMS holds may
   reach the warehouse.

The long variant adds clearing an old full sync's finalize after a newer one and a failed incremental
extract marked successful (RELIABILITY.md).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from local_runner.airflow_home import LocalAirflow
from local_runner.warehouse import WarehouseReader

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "dev" / "reliability"))
from wms_reliability.operator_actions import (
    ENTITIES,
    SCHEDULE_ENV,
    START,
    STEP,
    Action,
    Bench,
    _simulator,
    _wms_conn,
    partition_marked_success,
    wms_switched,
)


def _warehouse(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> tuple[dict[str, Any], WarehouseReader]:
    if kind == "duckdb":
        path = tmp_path / "warehouse.duckdb"
        return {"conn_type": "duckdb", "host": str(path)}, WarehouseReader("duckdb", str(path))
    server = request.getfixturevalue("postgres_server")
    url = make_url(server.create_database(f"operator_{tmp_path.name}".lower()[:60]))
    conn = {
        "conn_type": "postgres",
        "host": url.host,
        "port": url.port,
        "login": url.username,
        "password": url.password,
        "schema": url.database,
    }
    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return conn, WarehouseReader("postgres", plain)


@pytest.fixture(params=["duckdb", "postgres"])
def bench(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Bench]:
    kind = str(request.param)
    conn, reader = _warehouse(kind, request, tmp_path)
    home, other = _simulator("lgf_prod", 11), _simulator("lgf_test", 12)
    try:
        airflow = LocalAirflow(
            home=tmp_path / "airflow",
            warehouse_conn=conn,
            warehouse_kind=kind,
            wms_conn=_wms_conn(home),
            extra_env={
                "WMS_TASK_RETRIES": "0",
                "WMS_MIN_IDS_PER_PARTITION": "20",
                "WMS_FULL_SYNC_PARTITIONS": "3",
                **SCHEDULE_ENV,
            },
        )
        airflow.prepare()
        yield Bench(kind, tmp_path, conn, reader, print, home, other, airflow)
    finally:
        home.stop()
        other.stop()


def test_marked_success_cannot_complete_a_full_sync_and_another_wms_cannot_load(bench: Bench) -> None:
    actions: list[Action] = [partition_marked_success(bench, START)]
    completed = bench.reader.rows("select count(*) from wms_raw.etl_full_sync_complete")
    loaded = {e: bench.reader.rows(f"select count(*) from wms_raw.{e}")[0][0] for e in ENTITIES}
    actions.append(wms_switched(bench, START + STEP))
    for action in actions:
        print(action.line())

    refused, switched = actions
    assert refused.outcome == "finalize refused (no committed load for the partition)", refused.line()
    assert completed == [(0,)]
    # The other entities loaded: the refusal is about the missing partition, not an empty warehouse.
    assert all(loaded.values()), loaded
    assert switched.outcome == "run failed at verify_wms_source, loads from it recorded: 0", switched.line()
    assert [action.wrong_rows for action in actions] == [0, 0]
    # Nothing was loaded after the switch: the raw tables hold what they held.
    assert {e: bench.reader.rows(f"select count(*) from wms_raw.{e}")[0][0] for e in ENTITIES} == loaded

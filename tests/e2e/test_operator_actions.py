"""What an operator clicks must not corrupt the data (issue 35), through Airflow on DuckDB.

The quick variant of `scripts/reliability --only operator-actions`: a full sync whose allocation
partition fails under `airflow dags test`; the operator then marks the failed partition and the failing
count check successful with Airflow's own state change (SerializedDAG.set_task_instance_state, what
the UI's and REST API's "Mark success" call: it clears the failed downstream tasks so they run), and
`finalize_full_sync` runs as the scheduler would then run it. It must refuse, naming the partition,
and no id the WMS still has may be marked deleted. The long variant adds clearing an old full sync's
finalize after a newer one, a failed incremental extract marked successful and a switched WMS
connection, on DuckDB and PostgreSQL (RELIABILITY.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

from local_runner.airflow_home import LocalAirflow
from local_runner.warehouse import WarehouseReader

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "dev" / "reliability"))
from wms_reliability.operator_actions import (
    ENTITIES,
    SCHEDULE_ENV,
    START,
    Bench,
    _simulator,
    _wms_conn,
    partition_marked_success,
)


def test_a_failed_partition_and_its_count_check_marked_success_cannot_complete_the_sync(
    tmp_path: Path,
) -> None:
    path = tmp_path / "warehouse.duckdb"
    conn = {"conn_type": "duckdb", "host": str(path)}
    reader = WarehouseReader("duckdb", str(path))
    home, other = _simulator("lgf_prod", 11), _simulator("lgf_test", 12)
    try:
        airflow = LocalAirflow(
            home=tmp_path / "airflow",
            warehouse_conn=conn,
            warehouse_kind="duckdb",
            wms_conn=_wms_conn(home),
            extra_env={
                "WMS_TASK_RETRIES": "0",
                "WMS_MIN_IDS_PER_PARTITION": "20",
                "WMS_FULL_SYNC_PARTITIONS": "3",
                **SCHEDULE_ENV,
            },
        )
        airflow.prepare()
        bench = Bench("duckdb", tmp_path, conn, reader, print, home, other, airflow)
        action = partition_marked_success(bench, START)
    finally:
        home.stop()
        other.stop()
    print(action.line())
    assert action.outcome == "finalize refused (no committed load for the partition)", action.line()
    assert reader.rows("select count(*) from wms_raw.etl_full_sync_complete") == [(0,)]
    assert action.wrong_rows == 0
    # The other entities loaded: the refusal is about the missing partition, not an empty warehouse.
    for entity in ENTITIES:
        assert reader.rows(f"select count(*) from wms_raw.{entity}")[0][0] > 0, entity

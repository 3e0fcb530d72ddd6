"""etl_load_source: every load records which WMS it read (base URL with environment, API user), before
its first batch, and never a credential (issue 35 item 3)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from warehouse_testing import one_allocation, query, run_target

REPO = Path(__file__).resolve().parents[5]
sys.path.insert(0, str(REPO / "dev" / "oracle_standin" / "src"))

from oracle_standin.testing import StandIn, running_standin  # noqa: E402
from oracle_standin.testing import run_loader as run_standin_loader  # noqa: E402

SOURCE = {"wms_base_url": "https://tenant.wms.example.com/prod_env", "wms_user": "etl_reader"}
COLUMNS = "run_id, stream_name, wms_base_url, wms_user, committed_at, records_read"


def test_each_stream_of_a_load_records_the_wms_it_read(warehouse_url: str) -> None:
    run_target(
        {"sqlalchemy_url": warehouse_url, "run_id": "run-1", **SOURCE}, one_allocation("2026-01-01T00:00:00Z")
    )

    rows = query(warehouse_url, f"SELECT {COLUMNS} FROM wms_raw.etl_load_source")
    # committed_at and records_read are the orchestrator's, once the whole extract-load succeeded.
    assert rows == [("run-1", "allocation", SOURCE["wms_base_url"], "etl_reader", None, None)]


def test_a_stream_without_records_still_records_its_source(warehouse_url: str) -> None:
    schema_only = one_allocation("2026-01-01T00:00:00Z").splitlines()[0]
    assert json.loads(schema_only)["type"] == "SCHEMA"
    run_target({"sqlalchemy_url": warehouse_url, "run_id": "run-2", **SOURCE}, schema_only + "\n")

    assert query(warehouse_url, "SELECT run_id, wms_user FROM wms_raw.etl_load_source") == [
        ("run-2", "etl_reader")
    ]
    assert query(warehouse_url, "SELECT COUNT(*) FROM wms_raw.allocation") == [(0,)]


def test_a_retried_batch_keeps_one_source_row(warehouse_url: str) -> None:
    config = {"sqlalchemy_url": warehouse_url, "run_id": "run-3", **SOURCE}
    run_target(config, one_allocation("2026-01-01T00:00:00Z"))
    run_target(config, one_allocation("2026-01-02T00:00:00Z"))
    assert query(warehouse_url, "SELECT COUNT(*) FROM wms_raw.etl_load_source") == [(1,)]


@pytest.fixture(scope="module")
def standin() -> object:
    with running_standin() as server:
        yield server


def test_the_source_row_passes_the_oracle_standin(standin: StandIn, tmp_path: Path) -> None:
    standin.reset()
    config = {
        "sqlalchemy_url": "oracle+oracledb://loader:secret@127.0.0.1:1521/?service_name=WMSPDB_SERVICE",
        "default_target_schema": "wms_raw",
        "run_id": "run-4",
        **SOURCE,
    }
    result = run_standin_loader(
        standin, one_allocation("2026-01-01T00:00:00Z"), config, work_dir=tmp_path, label="loader"
    )
    assert result.returncode == 0, result.stderr[-4000:]
    report = standin.report()
    assert report.violations == []
    assert report.unanalysed() == []
    assert report.errors() == []
    table = report.table("WMS_RAW", "ETL_LOAD_SOURCE")
    assert table is not None
    inserts = [
        s for s in report.statements if "ETL_LOAD_SOURCE" in s["sql"].upper() and "INSERT" in s["sql"].upper()
    ]
    assert inserts, "the source row was never inserted"


def test_an_older_full_sync_completion_table_gains_the_source_columns_and_keeps_its_rows(
    warehouse_url: str,
) -> None:
    # etl_full_sync_complete as a loader before issue 35 item 3 created it, with a completed sync.
    run_target(
        {"sqlalchemy_url": warehouse_url, "run_id": "run-5", **SOURCE}, one_allocation("2026-01-01T00:00:00Z")
    )
    engine = sa.create_engine(warehouse_url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE wms_raw.etl_full_sync_complete"))
        conn.execute(
            sa.text(
                "CREATE TABLE wms_raw.etl_full_sync_complete (sync_id VARCHAR(512) NOT NULL, "
                "stream_name VARCHAR(128) NOT NULL, window_end TIMESTAMP, completed_at TIMESTAMP)"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO wms_raw.etl_full_sync_complete VALUES "
                "('sync-old', 'allocation', TIMESTAMP '2026-01-01 00:00:00', TIMESTAMP '2026-01-01 01:00:00')"
            )
        )
    engine.dispose()

    run_target(
        {"sqlalchemy_url": warehouse_url, "run_id": "run-6", **SOURCE}, one_allocation("2026-01-02T00:00:00Z")
    )

    rows = query(
        warehouse_url,
        "SELECT sync_id, stream_name, wms_base_url, wms_user FROM wms_raw.etl_full_sync_complete",
    )
    # The sync recorded before the column existed says nothing about its WMS; it is kept, not guessed.
    assert rows == [("sync-old", "allocation", None, None)]

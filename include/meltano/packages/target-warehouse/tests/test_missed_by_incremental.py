"""etl_load_audit.missed_by_incremental: the load audit has room for the number of versions a full sync
found that the incremental runs had missed (issue 34 item 2; the full sync's extract task writes it,
include/wms_pipeline/late_commits.py). The loader creates the column, leaves it NULL, and adds it to an
audit table an older loader created, keeping that table's rows."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from warehouse_testing import one_allocation, query, run_target

REPO = Path(__file__).resolve().parents[5]
sys.path.insert(0, str(REPO / "dev" / "oracle_standin" / "src"))

from oracle_standin.testing import StandIn, running_standin  # noqa: E402
from oracle_standin.testing import run_loader as run_standin_loader  # noqa: E402

# etl_load_audit as the loaders before this column created it.
OLDER_AUDIT = (
    "CREATE TABLE wms_raw.etl_load_audit (run_id VARCHAR(512) NOT NULL, stream_name VARCHAR(128) NOT NULL, "
    "started_at TIMESTAMP WITH TIME ZONE, finished_at TIMESTAMP WITH TIME ZONE, records_received BIGINT, "
    "records_inserted BIGINT, records_already_present BIGINT, records_quarantined BIGINT, "
    "PRIMARY KEY (run_id, stream_name))"
)
AUDIT = "SELECT run_id, records_received, records_inserted, missed_by_incremental FROM wms_raw.etl_load_audit"


def test_a_load_leaves_the_missed_count_empty(warehouse_url: str) -> None:
    run_target({"sqlalchemy_url": warehouse_url, "run_id": "run-1"}, one_allocation("2026-01-01T00:00:00Z"))

    assert query(warehouse_url, AUDIT) == [("run-1", 1, 1, None)]


def test_an_audit_table_of_an_older_loader_gets_the_column_and_keeps_its_rows(warehouse_url: str) -> None:
    engine = sa.create_engine(warehouse_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE SCHEMA IF NOT EXISTS wms_raw"))
            conn.execute(sa.text(OLDER_AUDIT))
            conn.execute(
                sa.text(
                    "INSERT INTO wms_raw.etl_load_audit VALUES ('old-run', 'allocation', now(), now(), 5, 4, 1, 0)"
                )
            )
    finally:
        engine.dispose()

    run_target({"sqlalchemy_url": warehouse_url, "run_id": "run-2"}, one_allocation("2026-01-01T00:00:00Z"))

    assert sorted(query(warehouse_url, AUDIT)) == [("old-run", 5, 4, None), ("run-2", 1, 1, None)]
    # a second load finds the column there and changes nothing
    run_target({"sqlalchemy_url": warehouse_url, "run_id": "run-3"}, one_allocation("2026-01-02T00:00:00Z"))
    assert len(query(warehouse_url, AUDIT)) == 3


@pytest.fixture(scope="module")
def standin() -> object:
    with running_standin() as server:
        yield server


def test_the_column_is_added_on_oracle_as_oracle_accepts_it(standin: StandIn, tmp_path: Path) -> None:
    """Through the Oracle stand-in: an ETL_LOAD_AUDIT an older loader created (this loader with the
    added column taken out) gets the column by one ALTER TABLE that breaks none of Oracle's rules."""
    standin.reset()
    config = {
        "sqlalchemy_url": "oracle+oracledb://loader:secret@127.0.0.1:1521/?service_name=WMSPDB_SERVICE",
        "default_target_schema": "wms_raw",
        "run_id": "run-4",
    }
    older = "import target_warehouse.tables as t\nt.ADDED_COLUMNS[t.AUDIT] = ()"
    first = run_standin_loader(
        standin, one_allocation("2026-01-01T00:00:00Z"), config, work_dir=tmp_path, before=older
    )
    assert first.returncode == 0, first.stderr[-4000:]
    assert "MISSED_BY_INCREMENTAL" not in _columns(standin)
    standin.reset_log()

    second = run_standin_loader(standin, one_allocation("2026-01-02T00:00:00Z"), config, work_dir=tmp_path)

    assert second.returncode == 0, second.stderr[-4000:]
    report = standin.report()
    assert report.violations == []
    assert report.errors() == []
    alters = [
        " ".join(s["sql"].split()) for s in report.statements if s["sql"].upper().startswith("ALTER TABLE")
    ]
    assert alters == ["ALTER TABLE WMS_RAW.ETL_LOAD_AUDIT ADD (MISSED_BY_INCREMENTAL NUMBER(19))"]
    assert "MISSED_BY_INCREMENTAL" in _columns(standin)


def _columns(standin: StandIn) -> list[str]:
    table = standin.report().table("WMS_RAW", "ETL_LOAD_AUDIT")
    assert table is not None
    return [str(column[0]) for column in table["columns"]]  # (name, type, ...)

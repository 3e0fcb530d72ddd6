"""The full sync counts the versions the incremental runs missed (commits later than the lookback),
logs them for on-call, writes them into the load audit (etl_load_audit.missed_by_incremental) and
returns them to XCom, on DuckDB and PostgreSQL."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
import pytest
from structlog.testing import capture_logs

from include.wms_pipeline.late_commits import (
    count_missed_versions,
    missed_before,
    missed_versions_sql,
    record_missed_versions,
)
from include.wms_pipeline.meltano import MeltanoRunOperator

WINDOW_END = datetime(2026, 3, 8, 3, tzinfo=UTC)  # a Sunday 03:00 full sync
SYNC = "wms_full_sync/scheduled__2026-03-01/"  # the full sync's run: every partition's run id starts so
RUN = SYNC + "allocation/p0/try1"
ANOTHER_RUN = SYNC + "allocation/p2/try1"  # a partition that inserted nothing older than the cut-off
CUT_OFF = missed_before(WINDOW_END, timedelta(hours=2), 240)
# (id, mod_ts, run): two versions only the full sync loaded and older than the cut-off (missed),
# one it loaded that is newer (the incremental runs had not come to it yet), one an incremental
# run loaded, and one of another full-sync partition.
ROWS = [
    (1, CUT_OFF - timedelta(days=2), RUN),
    (2, CUT_OFF - timedelta(microseconds=1), RUN),
    (3, CUT_OFF, RUN),
    (4, CUT_OFF - timedelta(hours=5), "wms_incremental_sync/scheduled__2026-03-07T20/allocation/try1"),
    (5, CUT_OFF - timedelta(hours=5), RUN.replace("/p0/", "/p1/")),
]


def test_the_cut_off_is_the_window_end_less_one_interval_and_the_lookback() -> None:
    assert datetime(2026, 3, 7, 21, tzinfo=UTC) == CUT_OFF
    with pytest.raises(ValueError, match="no time zone"):
        missed_before(datetime(2026, 3, 8, 3), timedelta(hours=2), 240)  # noqa: DTZ001 - the bad input


def test_only_known_entities_and_plain_schemas_become_identifiers() -> None:
    assert missed_versions_sql("postgres", "wms_raw", "allocation", 12) == (
        "select count(*) from wms_raw.allocation where etl_run_id = %s and mod_ts < %s and exists "
        "(select 1 from wms_raw.allocation o where substr(o.etl_run_id, 1, 12) <> %s)"
    )
    assert ":1 and mod_ts < :2 and exists" in missed_versions_sql("oracle", "wms_raw", "order_hdr", 3)
    with pytest.raises(ValueError, match="unknown entity"):
        missed_versions_sql("duckdb", "wms_raw", "allocation; drop table x", 3)
    with pytest.raises(ValueError, match="plain lowercase"):
        missed_versions_sql("duckdb", "wms_raw.x--", "allocation", 3)
    with pytest.raises(ValueError, match="unknown warehouse kind"):
        missed_versions_sql("sqlite", "wms_raw", "allocation", 3)
    conn = duckdb.connect()
    with pytest.raises(ValueError, match="plain lowercase"):
        record_missed_versions(conn, "duckdb", "wms_raw.x--", "allocation", RUN, 1)
    with pytest.raises(ValueError, match="unknown warehouse kind"):
        record_missed_versions(conn, "sqlite", "wms_raw", "allocation", RUN, 1)


def _fill(conn: Any, placeholder: str, rows: list[tuple[int, datetime, str]] = ROWS) -> None:
    cursor = conn.cursor()
    cursor.execute("create schema if not exists wms_raw")
    cursor.execute("create table wms_raw.allocation (id bigint, mod_ts timestamptz, etl_run_id varchar(512))")
    for row in rows:
        cursor.execute(
            f"insert into wms_raw.allocation values ({placeholder}, {placeholder}, {placeholder})", row
        )
    # the load audit's key and the loader's column (the loader's own tests create the whole table)
    cursor.execute(
        "create table wms_raw.etl_load_audit (run_id varchar(512), stream_name varchar(128), "
        "records_inserted bigint, missed_by_incremental bigint)"
    )
    for run in (RUN, ANOTHER_RUN):
        cursor.execute(
            f"insert into wms_raw.etl_load_audit values ({placeholder}, 'allocation', 3, null)", (run,)
        )
    conn.commit()


def _audit(conn: Any) -> dict[str, int | None]:
    cursor = conn.cursor()
    cursor.execute("select run_id, missed_by_incremental from wms_raw.etl_load_audit")
    return {str(run): missed for run, missed in cursor.fetchall()}


def test_counts_the_loads_own_versions_older_than_the_cut_off_on_duckdb() -> None:
    conn = duckdb.connect()
    _fill(conn, "?")
    assert count_missed_versions(conn, "duckdb", "wms_raw", "allocation", RUN, CUT_OFF, SYNC) == 2


def test_the_first_load_of_an_empty_table_counts_nothing() -> None:
    """Only this full sync's partitions loaded the table: no incremental run could have missed a thing."""
    conn = duckdb.connect()
    _fill(conn, "?", [row for row in ROWS if row[2].startswith(SYNC)])
    assert count_missed_versions(conn, "duckdb", "wms_raw", "allocation", RUN, CUT_OFF, SYNC) == 0


@pytest.mark.skipif(not os.environ.get("WMS_TEST_POSTGRES_URL"), reason="needs WMS_TEST_POSTGRES_URL")
def test_counts_the_loads_own_versions_older_than_the_cut_off_on_postgresql() -> None:
    import psycopg

    url = os.environ["WMS_TEST_POSTGRES_URL"].replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as conn:
        conn.execute("drop schema if exists wms_raw cascade")
        _fill(conn, "%s")
        try:
            # the session's zone must not matter: the cut-off is an aware instant
            conn.execute("set time zone 'America/Sao_Paulo'")
            assert count_missed_versions(conn, "postgres", "wms_raw", "allocation", RUN, CUT_OFF, SYNC) == 2
            record_missed_versions(conn, "postgres", "wms_raw", "allocation", RUN, 2)
            assert _audit(conn) == {RUN: 2, ANOTHER_RUN: None}
        finally:
            conn.execute("drop schema wms_raw cascade")
            conn.commit()


def test_the_full_sync_task_logs_records_in_the_audit_and_returns_what_the_incremental_runs_missed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = str(tmp_path / "warehouse.duckdb")
    with duckdb.connect(path) as conn:
        _fill(conn, "?")
    hook = SimpleNamespace(get_conn=lambda: duckdb.connect(path))
    monkeypatch.setattr(
        "include.wms_pipeline.meltano.BaseHook.get_connection",
        lambda conn_id: SimpleNamespace(get_hook=lambda: hook),
    )
    monkeypatch.setenv("WMS_WAREHOUSE_KIND", "duckdb")
    operator = MeltanoRunOperator(
        task_id="extract_load_allocation",
        entity="allocation",
        state_id_suffix="wms_full_sync.allocation",
        lookback_minutes=240,
        default_span=timedelta(hours=2),
        meltano_environment="prod",
        full_sync=True,
    )
    context: dict[str, Any] = {
        "params": {},
        "dag": SimpleNamespace(dag_id="wms_full_sync"),
        "run_id": "scheduled__2026-03-01",
        "dag_run": SimpleNamespace(run_after=WINDOW_END + timedelta(minutes=1)),
        "data_interval_start": WINDOW_END - timedelta(days=7),
        "data_interval_end": WINDOW_END,
    }
    with capture_logs() as logs:
        assert operator.report_missed_versions(context, RUN) == 2
    with duckdb.connect(path) as conn:  # what on-call reads in the load audit
        assert _audit(conn) == {RUN: 2, ANOTHER_RUN: None}
    warnings = [_text(entry) for entry in logs if entry["log_level"] == "warning"]
    assert len(warnings) == 1
    assert "2 version(s) of allocation modified before 2026-03-07T21:00:00+00:00" in warnings[0]
    assert "240-minute lookback" in warnings[0]
    with capture_logs() as logs:
        assert operator.report_missed_versions(context, ANOTHER_RUN) == 0
    assert [entry["log_level"] for entry in logs] == ["info"]
    with duckdb.connect(path) as conn:  # 0, not NULL: this load was a full sync's and missed nothing
        assert _audit(conn) == {RUN: 2, ANOTHER_RUN: 0}


def _text(entry: dict[str, Any]) -> str:
    args = entry.get("positional_args") or ()
    return str(entry["event"]) % tuple(args) if args else str(entry["event"])

"""A small warehouse in the loader's contract (docs/architecture.md, "The warehouse tables") with known
answers, on DuckDB; the same rows on PostgreSQL when a test gives a psycopg connection."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
SECRET = "s3cr3t-never-shown"

DDL = """
create schema if not exists wms_raw;
create table wms_raw.etl_load_audit (run_id varchar(512) not null, stream_name varchar(128) not null,
  started_at timestamptz, finished_at timestamptz, records_received bigint, records_inserted bigint,
  records_already_present bigint, records_quarantined bigint, primary key (run_id, stream_name));
create table wms_raw.etl_quarantine (run_id varchar(512), stream_name varchar(128), quarantined_at timestamptz,
  reason varchar(4000), raw_record text);
create table wms_raw.etl_full_sync_seen (sync_id varchar(512) not null, stream_name varchar(128) not null,
  record_id bigint not null, primary key (sync_id, stream_name, record_id));
create table wms_raw.etl_full_sync_complete (sync_id varchar(512) not null, stream_name varchar(128) not null,
  window_end timestamptz, completed_at timestamptz, primary key (sync_id, stream_name));
create table wms_raw.etl_full_sync_decision (sync_id varchar(512) not null, stream_name varchar(128) not null,
  status varchar(16), purge_before timestamptz, primary key (sync_id, stream_name));
create table wms_raw.etl_loaded_windows (run_id varchar(512) not null, stream_name varchar(128) not null,
  window_start timestamptz, window_end timestamptz, recorded_at timestamptz);
create table wms_raw.etl_load_source (run_id varchar(512) not null, stream_name varchar(128) not null,
  wms_base_url varchar(1000), wms_user varchar(128), started_at timestamptz, committed_at timestamptz,
  records_read bigint, primary key (run_id, stream_name));
create table wms_raw.order_hdr (id bigint not null, mod_ts timestamptz not null, order_nbr varchar(40),
  etl_loaded_at timestamptz, etl_run_id varchar(512), primary key (id, mod_ts));
create table wms_raw.order_status (id bigint not null, mod_ts timestamptz not null, description varchar(40),
  etl_loaded_at timestamptz, etl_run_id varchar(512), primary key (id, mod_ts));
"""


WMS_URL = "https://tenant.wms.ocs.oraclecloud.com/prod"
WMS_USER = "wms_reader"
# A quiet lookup: changed last 200 days ago, read (empty) by every incremental run since.
QUIET_CHANGE = NOW - timedelta(days=200)


def rows() -> dict[str, list[tuple[Any, ...]]]:
    """Two days of runs for order_hdr; a full sync that saw ids 1-3 of 1-6 (4 is deleted, 5 is newer, 6 purged).

    order_status is a quiet lookup: its newest change is 200 days old, and the same two windows loaded it.
    """
    full_end = NOW - timedelta(days=1)
    return {
        "etl_load_audit": [
            ("full/order_hdr/p0/try1", "order_hdr", full_end, full_end, 5, 5, 0, 0),
            (
                "inc1/order_hdr/try1",
                "order_hdr",
                NOW - timedelta(hours=4),
                NOW - timedelta(hours=4),
                7,
                2,
                3,
                2,
            ),
            (
                "inc2/order_hdr/try1",
                "order_hdr",
                NOW - timedelta(hours=2),
                NOW - timedelta(hours=2),
                4,
                3,
                1,
                0,
            ),
            (
                "old/order_hdr/try1",
                "order_hdr",
                NOW - timedelta(days=30),
                NOW - timedelta(days=30),
                9,
                9,
                0,
                0,
            ),
        ],
        "etl_quarantine": [
            (
                "inc1/order_hdr/try1",
                "order_hdr",
                NOW - timedelta(hours=4),
                "value too long for order_nbr",
                json.dumps({"id": 8, "order_nbr": "X" * 500, "api_password": SECRET}),
            ),
            (
                "inc1/order_hdr/try1",
                "order_hdr",
                NOW - timedelta(hours=4, minutes=1),
                "<b>not a number</b>",
                json.dumps({"id": 9, "priority": "high"}),
            ),
        ],
        "etl_full_sync_seen": [("full", "order_hdr", i) for i in (1, 2, 3)],
        "etl_full_sync_complete": [("full", "order_hdr", full_end, full_end + timedelta(minutes=5))],
        # the full sync's purge bound: a record whose newest version is older was purged, not deleted
        "etl_full_sync_decision": [("full", "order_hdr", "complete", full_end - timedelta(days=10))],
        "etl_load_source": [
            (f"{run}/{stream}/try1", stream, WMS_URL, WMS_USER, at, at, 3)
            for run, at in (("inc1", NOW - timedelta(hours=4)), ("inc2", NOW - timedelta(hours=2)))
            for stream in ("order_hdr", "order_status")
        ],
        "order_status": [(1, QUIET_CHANGE, "Created", QUIET_CHANGE, "old")],
        "etl_loaded_windows": [
            (
                "inc1",
                "order_hdr",
                NOW - timedelta(hours=6),
                NOW - timedelta(hours=4),
                NOW - timedelta(hours=4),
            ),
            (
                "inc2",
                "order_hdr",
                NOW - timedelta(hours=4),
                NOW - timedelta(hours=2),
                NOW - timedelta(hours=2),
            ),
            *[
                ("inc" + str(n), "order_status", NOW - timedelta(hours=2 + h), NOW - timedelta(hours=h), NOW)
                for n, h in ((1, 4), (2, 2))
            ],
        ],
        "order_hdr": [
            (1, full_end - timedelta(days=2), "A1", full_end, "full"),
            (2, full_end - timedelta(days=2), "A2", full_end, "full"),
            (2, NOW - timedelta(hours=3), "A2b", NOW, "inc2"),
            (3, full_end - timedelta(hours=1), "A3", full_end, "full"),
            (4, full_end - timedelta(days=3), "A4", full_end, "old"),
            (5, NOW - timedelta(hours=2, minutes=30), "A5", NOW, "inc2"),
            (6, full_end - timedelta(days=20), "A6", full_end, "old"),  # unseen, older than the purge bound
        ],
    }


def fill(conn: Any, marker: str = "?") -> None:
    """Create and fill the tables through a DB-API connection (`?` DuckDB, `%s` psycopg)."""
    cursor = conn.cursor()
    for statement in DDL.split(";"):
        if statement.strip():
            cursor.execute(statement)
    for table, values in rows().items():
        marks = ", ".join([marker] * len(values[0]))
        cursor.executemany(f"insert into wms_raw.{table} values ({marks})", values)
    conn.commit()

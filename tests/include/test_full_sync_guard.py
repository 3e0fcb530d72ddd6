"""`full_sync.decide` on a real DuckDB and PostgreSQL warehouse: what the guard counts from the raw
history and the bookkeeping, and what it records (the DAG-level scenarios: tests/e2e/test_deletion_guard.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import duckdb
import psycopg
import pytest

from include.wms_pipeline import full_sync
from include.wms_pipeline.alerts import first_error_line
from include.wms_pipeline.checks import specs
from include.wms_pipeline.deletion_guard import Threshold
from include.wms_pipeline.load_evidence import WmsSource

CUTOFF = datetime(2026, 1, 4, 2, 30, tzinfo=UTC)
SCOPE = json.dumps({"facility_code": None})
SOURCE = WmsSource("https://tenant.wms.example.com/prod_env", "etl_reader")
SETUP = (
    "create schema wms_raw",
    "create table wms_raw.order_hdr (id bigint, mod_ts timestamptz)",
    "create table wms_raw.etl_full_sync_seen (sync_id varchar(512), stream_name varchar(128), record_id bigint)",
    "create table wms_raw.etl_full_sync_complete (sync_id varchar(512), stream_name varchar(128),"
    " window_end timestamptz, completed_at timestamptz, wms_base_url varchar(1000), wms_user varchar(128))",
    "create table wms_raw.etl_full_sync_decision (sync_id varchar(512), stream_name varchar(128),"
    " status varchar(16), scope varchar(2000), previous_scope varchar(2000), live_records bigint,"
    " would_mark bigint, purged bigint, deletion_cutoff timestamptz, purge_before timestamptz,"
    " decided_at timestamptz, reason varchar(4000))",
)


class Warehouse:
    def __init__(self, kind: str, connect: Any) -> None:
        self.kind, self.connect = kind, connect
        for statement in SETUP:
            self.execute(statement)

    def execute(self, sql: str, binds: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        conn = self.connect()
        try:
            cursor = conn.cursor()
            cursor.execute(sql.replace("?", "%s") if self.kind == "postgres" else sql, binds or None)
            rows = cursor.fetchall() if cursor.description else []
            conn.commit()
            return list(rows)
        finally:
            conn.close()

    def orders(self, count: int, mod_ts: datetime, first: int = 1) -> None:
        for record_id in range(first, first + count):
            self.execute("insert into wms_raw.order_hdr values (?, ?)", (record_id, mod_ts))

    def seen(self, sync_id: str, ids: range | list[int]) -> None:
        for record_id in ids:
            self.execute(
                "insert into wms_raw.etl_full_sync_seen values (?, 'order_hdr', ?)", (sync_id, record_id)
            )

    def decide(
        self, sync_id: str, *, confirm: bool = False, scope: str = SCOPE, purge_days: int | None = None
    ) -> Any:
        threshold = {"order_hdr": Threshold(2, 3)}
        [decision] = full_sync.decide(
            sync_id, ["order_hdr"], CUTOFF, threshold, {"order_hdr": purge_days}, scope, confirm=confirm
        )
        if decision.status != "held":
            full_sync.record_complete(sync_id, ["order_hdr"], CUTOFF, SOURCE)
        return decision


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request: pytest.FixtureRequest, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Warehouse:
    if request.param == "duckdb":
        path = str(tmp_path / "warehouse.duckdb")

        def connect() -> Any:
            return duckdb.connect(path)
    else:
        server = request.getfixturevalue("postgres_server")
        url = server.create_database(f"guard_{abs(hash(request.node.name)) % 10**8}")
        dsn = url.replace("postgresql+psycopg", "postgresql")

        def connect() -> Any:
            return psycopg.connect(dsn)

    hook = SimpleNamespace(get_conn=connect)
    monkeypatch.setattr(
        full_sync.BaseHook, "get_connection", lambda conn_id: SimpleNamespace(get_hook=lambda: hook)
    )
    monkeypatch.setenv("WMS_WAREHOUSE_KIND", request.param)
    return Warehouse(request.param, connect)


def _baseline(warehouse: Warehouse) -> None:
    """100 orders, all older than the cut-off, seen by the complete sync `s1`."""
    warehouse.orders(100, CUTOFF - timedelta(days=10))
    warehouse.seen("s1", range(1, 101))
    assert warehouse.decide("s1").status == "complete"


def test_a_sync_that_misses_many_live_records_is_held_and_not_recorded_complete(warehouse: Warehouse) -> None:
    _baseline(warehouse)
    warehouse.seen("s2", range(1, 91))  # 10 of 100 unseen: 10 %, more than 3 records

    decision = warehouse.decide("s2")

    assert (decision.status, decision.live, decision.would_mark) == ("held", 100, 10)
    assert warehouse.execute("select sync_id from wms_raw.etl_full_sync_complete") == [("s1",)]
    [(status, would_mark)] = warehouse.execute(
        "select status, would_mark from wms_raw.etl_full_sync_decision where sync_id = 's2'"
    )
    assert (status, would_mark) == ("held", 10)


def test_few_missing_records_and_records_newer_than_the_cutoff_go_through(warehouse: Warehouse) -> None:
    _baseline(warehouse)
    warehouse.orders(50, CUTOFF + timedelta(minutes=10), first=101)  # committed late: never counted
    warehouse.seen("s2", range(1, 98))  # 3 unseen: not more than 3

    decision = warehouse.decide("s2")

    assert (decision.status, decision.live, decision.would_mark) == ("complete", 150, 3)


def test_records_the_previous_sync_marked_are_not_live_and_not_counted_again(warehouse: Warehouse) -> None:
    _baseline(warehouse)
    warehouse.seen("s2", range(1, 91))
    assert warehouse.decide("s2", confirm=True).status == "released"
    warehouse.seen("s3", range(1, 91))  # the same 10 still gone

    decision = warehouse.decide("s3")

    assert (decision.status, decision.live, decision.would_mark) == ("complete", 90, 0)


def test_a_changed_scope_holds_whatever_the_count(warehouse: Warehouse) -> None:
    _baseline(warehouse)
    warehouse.seen("s2", range(1, 101))

    decision = warehouse.decide("s2", scope=json.dumps({"facility_code": "FAC2"}))

    assert (decision.status, decision.would_mark, decision.previous_scope) == ("held", 0, SCOPE)


def test_records_older_than_the_purge_horizon_count_as_purged_not_deleted(warehouse: Warehouse) -> None:
    warehouse.orders(100, CUTOFF - timedelta(days=10))
    warehouse.orders(5, CUTOFF - timedelta(days=1), first=101)
    warehouse.seen("s1", range(1, 106))
    assert warehouse.decide("s1").status == "complete"
    warehouse.seen("s2", [*range(1, 51), 101, 102])  # 50 old ones and 3 young ones unseen

    decision = warehouse.decide("s2", purge_days=7)

    assert (decision.status, decision.live, decision.would_mark, decision.purged) == ("complete", 105, 3, 50)


def test_the_held_entities_are_named_with_their_counts_for_the_alerts_first_line(
    warehouse: Warehouse,
) -> None:
    _baseline(warehouse)
    warehouse.seen("s2", range(1, 91))
    warehouse.decide("s2")
    warehouse.seen("s3", range(1, 101))
    warehouse.decide("s3", scope=json.dumps({"facility_code": "FAC2"}))

    [held] = full_sync.held_decisions("s2")
    [moved] = full_sync.held_decisions("s3")

    assert held.summary() == "order_hdr 10/100"
    assert not held.scope_changed
    assert held.detail.endswith(f"; filters in force: {SCOPE}")
    assert "more than 2 % and more than 3 records" in held.detail
    assert (moved.summary(), moved.scope_changed) == ("order_hdr 0/100", True)
    # The alert shows the failed check's first line: it must name the entity and its count.
    assert first_error_line(specs._explain_held("s2")).startswith(
        "Deletion guard held 1 entity(ies); would mark deleted/live: order_hdr 10/100."
    )
    assert "1 for a changed scope; would mark deleted/live: order_hdr 0/100" in first_error_line(
        specs._explain_held("s3")
    )

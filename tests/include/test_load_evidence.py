"""What the warehouse recorded decides, not task states (issue 35): the WMS source guard, the
full-sync backfill refusal, and finalize_full_sync's verification — the statements run for real on
DuckDB and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
import psycopg
import pytest

from include.wms_pipeline import load_evidence
from include.wms_pipeline.checks import RunFacts, statements
from include.wms_pipeline.checks.binds import Binds
from include.wms_pipeline.checks.facts import MissingEvidence
from include.wms_pipeline.checks.specs import CheckSettings
from include.wms_pipeline.load_evidence import (
    OperatorActionRefused,
    Warehouse,
    WmsSource,
    backfill_refusal,
    missing_loads,
    source_change,
    source_of,
    verify_before_complete,
)

DAG = "wms_full_sync"
SYNC = "scheduled__2026-01-11T03:00:00+00:00"
OLD_SYNC = "scheduled__2026-01-04T03:00:00+00:00"
END = datetime(2026, 1, 11, 3, tzinfo=UTC)
PROD = WmsSource("https://tenant.wms.example.com/prod_env", "etl_reader")
TEST = WmsSource("https://tenant.wms.example.com/test_env", "etl_reader")


def _conn(host: str, login: str = "etl_reader", **extra: Any) -> Any:
    return SimpleNamespace(
        conn_id="oracle_wms", host=host, login=login, password="s3cret", extra_dejson=extra
    )


# The source --------------------------------------------------------------------------------------------


def test_the_source_is_the_base_url_and_user_never_a_credential() -> None:
    conn = _conn("https://u:pw@tenant.wms.example.com:443/prod_env/?token=abc#x")
    source = source_of(conn, "https://u:pw@tenant.wms.example.com:443/prod_env/?token=abc#x")
    assert source == WmsSource("https://tenant.wms.example.com:443/prod_env", "etl_reader")
    assert "pw" not in source.describe()
    assert "abc" not in source.describe()
    oauth = _conn("https://t/prod", auth_type="oauth2", client_id="client-7")
    assert source_of(oauth, "https://t/prod").user == "client-7"


def test_a_changed_wms_is_refused_naming_both_until_the_param_names_the_new_one() -> None:
    refusal = source_change(PROD, TEST, None)
    assert refusal is not None
    assert PROD.describe() in refusal
    assert TEST.describe() in refusal
    assert "confirm_wms_source" in refusal
    assert source_change(PROD, TEST, PROD.describe()) is not None  # confirming the old one is no confirmation
    assert source_change(PROD, TEST, True) is not None
    assert source_change(PROD, TEST, f" {TEST.describe()} ") is None
    assert source_change(PROD, PROD, None) is None
    assert source_change(None, TEST, None) is None  # nothing loaded yet


def test_a_backfill_of_the_full_sync_is_refused_and_other_runs_are_not() -> None:
    assert backfill_refusal(True, "backfill") is not None
    assert backfill_refusal(True, SimpleNamespace(value="backfill")) is not None
    assert backfill_refusal(True, "scheduled") is None
    assert backfill_refusal(True, "manual") is None
    assert backfill_refusal(False, "backfill") is None


# The warehouse -----------------------------------------------------------------------------------------


class _Shared:
    """One DB-API connection handed out again and again (the hook would open a new one each time)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def cursor(self) -> Any:
        return self.conn.cursor()

    def commit(self) -> None:
        self.conn.commit()

    def close(self) -> None:
        pass


SETUP = (
    "create schema wms_raw",
    "create table wms_raw.etl_load_source (run_id varchar(512), stream_name varchar(128),"
    " wms_base_url varchar(1000), wms_user varchar(128), started_at timestamptz,"
    " committed_at timestamptz, records_read bigint)",
    "create table wms_raw.etl_full_sync_complete (sync_id varchar(512), stream_name varchar(128),"
    " window_end timestamptz, completed_at timestamptz)",
    "create table wms_raw.etl_full_sync_seen (sync_id varchar(512), stream_name varchar(128), record_id bigint)",
)


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Warehouse]:
    if request.param == "duckdb":
        raw: Any = duckdb.connect()
    else:
        server = request.getfixturevalue("postgres_server")
        url = server.create_database(f"evidence_{abs(hash(request.node.name)) % 10**8}")
        raw = psycopg.connect(url.replace("postgresql+psycopg", "postgresql"))
    for statement in SETUP:
        raw.cursor().execute(statement)
    raw.commit()
    store = Warehouse(kind=request.param)
    monkeypatch.setattr(store, "_connect", lambda: _Shared(raw))
    yield store
    raw.close()


def _started(store: Warehouse, load_run_id: str, entity: str, source: WmsSource, at: str) -> None:
    """A row as the loader writes it when a stream starts (not committed)."""
    conn = store._connect()
    conn.cursor().execute(
        "insert into wms_raw.etl_load_source (run_id, stream_name, wms_base_url, wms_user, started_at)"
        f" values ('{load_run_id}', '{entity}', '{source.base_url}', '{source.user}', '{at}')"
    )
    conn.commit()


def test_the_last_source_is_the_newest_loads(warehouse: Warehouse) -> None:
    assert warehouse.last_source() is None
    _started(warehouse, "a/try1", "item", PROD, "2026-01-01 00:00:00+00")
    _started(warehouse, "b/try1", "item", TEST, "2026-01-02 00:00:00+00")
    assert warehouse.last_source() == TEST


def test_a_load_counts_only_once_marked_committed(warehouse: Warehouse) -> None:
    _started(warehouse, f"{DAG}/{SYNC}/item/try1", "item", PROD, "2026-01-11 03:01:00+00")
    assert warehouse.committed_loads(DAG, SYNC) == []
    warehouse.mark_committed(f"{DAG}/{SYNC}/item/try1", "item", 4, PROD)
    # A load that wrote no row (no SCHEMA reached the loader) gets one when it is marked committed.
    warehouse.mark_committed(f"{DAG}/{SYNC}/company/try1", "company", 0, PROD)
    # Another run's committed load is not this run's.
    warehouse.mark_committed(f"{DAG}/{OLD_SYNC}/item/try1", "item", 3, PROD)
    assert sorted(warehouse.committed_loads(DAG, SYNC)) == [
        (f"{DAG}/{SYNC}/company/try1", "company", 0),
        (f"{DAG}/{SYNC}/item/try1", "item", 4),
    ]


def test_a_rerun_forgets_the_seen_ids_of_the_entities_it_reads_again(warehouse: Warehouse) -> None:
    conn = warehouse._connect()
    conn.cursor().execute(
        f"insert into wms_raw.etl_full_sync_seen values ('{SYNC}', 'item', 1), ('{SYNC}', 'company', 2),"
        f" ('{OLD_SYNC}', 'item', 3)"
    )
    conn.commit()
    warehouse.reset_seen(SYNC, ["item"])
    rows = conn.cursor().execute("select sync_id, stream_name from wms_raw.etl_full_sync_seen order by 1, 2")
    assert sorted(rows.fetchall()) == [(OLD_SYNC, "item"), (SYNC, "company")]


# Finalize ----------------------------------------------------------------------------------------------


def _commit_plan(store: Warehouse, sync: str, entity: str, partitions: list[int]) -> None:
    for index in partitions:
        store.mark_committed(f"{DAG}/{sync}/{entity}/p{index}/try1", entity, 10, PROD)


def _complete(store: Warehouse, sync: str, entity: str, window_end: str) -> None:
    conn = store._connect()
    conn.cursor().execute(
        f"insert into wms_raw.etl_full_sync_complete values ('{sync}', '{entity}', '{window_end}',"
        " '2026-01-11 05:00:00+00')"
    )
    conn.commit()


def _verify(
    store: Warehouse, planned: dict[str, list[int] | None], sync: str = SYNC, end: datetime = END
) -> None:
    verify_before_complete(store, dag_id=DAG, sync_id=sync, window_end=end, planned=planned, source=PROD)


def test_finalize_passes_when_every_planned_partition_committed(warehouse: Warehouse) -> None:
    _commit_plan(warehouse, SYNC, "allocation", [0, 1, 2])
    _verify(warehouse, {"allocation": [0, 1, 2]})


def test_finalize_refuses_a_partition_marked_success_without_a_committed_load(warehouse: Warehouse) -> None:
    """The failed partition's first batches may be in the audit; without its committed mark it
    never finished, whatever its task state says."""
    _commit_plan(warehouse, SYNC, "allocation", [0, 2])
    _started(warehouse, f"{DAG}/{SYNC}/allocation/p1/try1", "allocation", PROD, "2026-01-11 03:01:00+00")
    with pytest.raises(OperatorActionRefused, match=r"allocation partition 1\b"):
        _verify(warehouse, {"allocation": [0, 1, 2]})


def test_finalize_refuses_an_entity_whose_plan_recorded_nothing(warehouse: Warehouse) -> None:
    with pytest.raises(OperatorActionRefused, match=r"item \(plan_item recorded no partitions\)"):
        _verify(warehouse, {"item": None})


def test_finalize_refuses_a_sync_older_than_the_newest_complete_one(warehouse: Warehouse) -> None:
    _commit_plan(warehouse, OLD_SYNC, "item", [0])
    _complete(warehouse, SYNC, "item", "2026-01-11 03:00:00+00")
    with pytest.raises(
        OperatorActionRefused, match=r"older than a complete full sync: item: scheduled__2026-01-11"
    ):
        _verify(warehouse, {"item": [0]}, sync=OLD_SYNC, end=datetime(2026, 1, 4, 3, tzinfo=UTC))
    # The newest one itself may be finalized again (its own row is replaced).
    _commit_plan(warehouse, SYNC, "item", [0])
    _verify(warehouse, {"item": [0]})


def test_finalize_refuses_a_sync_that_read_two_wms(warehouse: Warehouse) -> None:
    _commit_plan(warehouse, SYNC, "item", [0])
    warehouse.mark_committed(f"{DAG}/{SYNC}/item/p1/try1", "item", 10, TEST)
    with pytest.raises(OperatorActionRefused, match="test_env"):
        _verify(warehouse, {"item": [0, 1]})


def test_missing_loads_names_what_lacks_a_committed_load() -> None:
    committed = [("d/r/order_dtl/p0/try2", "order_dtl", 1), ("d/r/item/p0/try1", "item", 1)]
    assert missing_loads({"order_dtl": [0, 3], "item": [0], "company": None}, committed) == [
        "order_dtl partition 3",
        "company (plan_company recorded no partitions)",
    ]
    assert load_evidence.partition_of("d/r/item/try1") is None


# The checks ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("build", [statements.tap_read_matches_audit, statements.full_sync_counts_match_wms])
def test_a_selected_entity_with_nothing_recorded_fails_its_check_naming_it(build: Any) -> None:
    """'Mark success' on a failed extract (or plan) leaves nothing in the warehouse: the check fails
    and names the entity, instead of passing as it did for an entity that pushed no XCom."""
    cfg = CheckSettings("wms_raw", "wms", "duckdb", ("order_hdr", "item"))
    facts = RunFacts(SYNC, END, selected=("order_hdr",))
    with pytest.raises(MissingEvidence, match=r"order_hdr was selected"):
        build(cfg, facts, Binds("duckdb"))
    # An entity left out of a manual subset is not required.
    build(cfg, RunFacts(SYNC, END, selected=()), Binds("duckdb"))


# Oracle: every statement through Airflow's OracleHook to the Oracle stand-in ---------------------------

ORACLE_EVIDENCE = """
import datetime as dt, json
from include.wms_pipeline.load_evidence import Warehouse, WmsSource
store = Warehouse(kind="oracle")
source = WmsSource("https://tenant.wms.example.com/prod_env", "etl_reader")
store.mark_committed("wms_full_sync/sync-9/item/p0/try1", "item", 4, source)
store.reset_seen("sync-9", ["item"])
end = dt.datetime(2026, 1, 11, 3, 0, 0, 123456, tzinfo=dt.UTC)
print(json.dumps({
    "has_table": store.has_table("etl_load_source"),
    "last_source": str(store.last_source()),
    "committed": store.committed_loads("wms_full_sync", "sync-9"),
    "newer": store.newer_complete_syncs("item", "sync-9", end),
}))
"""


@pytest.fixture(scope="module")
def oracle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The stand-in holding the bookkeeping tables the real loader creates (ETL_LOAD_SOURCE among them)."""
    import json
    import sys

    from include.wms_pipeline import settings

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "dev" / "oracle_standin" / "src"))
    from oracle_standin.testing import run_loader, running_standin, singer_schema

    with running_standin() as standin:
        singer = singer_schema(
            "item", {"id": {"type": "integer"}, "mod_ts": {"type": "string", "format": "date-time"}}
        )
        config = {
            "sqlalchemy_url": "oracle+oracledb://loader:secret@127.0.0.1:1521/?service_name=WMSPDB_SERVICE",
            "default_target_schema": settings.RAW_SCHEMA,
        }
        loaded = run_loader(standin, singer + "\n", config, work_dir=tmp_path_factory.mktemp("loader"))
        assert loaded.returncode == 0, loaded.stderr[-3000:]
        standin.connection_json = json.dumps(  # type: ignore[attr-defined]
            {
                "conn_type": "oracle",
                "host": "127.0.0.1",
                "port": 1521,
                "login": "loader",
                "password": "secret",
                "extra": {"service_name": "WMSPDB_SERVICE"},
            }
        )
        yield standin


def test_the_evidence_statements_are_valid_oracle(oracle: Any) -> None:
    import json
    import subprocess
    import sys

    oracle.reset_log()
    env = oracle.environment("worker")
    env["PYTHONPATH"] = f"{env['PYTHONPATH']}:{Path(__file__).resolve().parents[2]}"
    env["WMS_WAREHOUSE_KIND"] = "oracle"
    env["AIRFLOW_CONN_WMS_WAREHOUSE"] = oracle.connection_json
    result = subprocess.run(
        [sys.executable, "-c", ORACLE_EVIDENCE],
        env=env,
        text=True,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    answers = json.loads(result.stdout.strip().splitlines()[-1])
    assert answers["has_table"] is True
    # The stand-in checks each statement against Oracle's rules; it keeps no rows (the data effects are
    # tested on DuckDB and PostgreSQL above).
    report = oracle.report()
    assert report.violations == [], json.dumps(report.violations, indent=1)
    assert report.errors() == []
    assert report.unanalysed() == [], [s["sql"][:200] for s in report.unanalysed()]
    stamps = [
        s for s in report.statements if "etl_load_source" in s["sql"].lower() and "committed_at =" in s["sql"]
    ]
    assert stamps
    assert stamps[0]["bind_types"][0] == "DB_TYPE_TIMESTAMP"

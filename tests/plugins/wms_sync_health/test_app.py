"""`collect_report` through the `wms_warehouse` Airflow connection, as the api-server runs it."""

from __future__ import annotations

import json
import os
import socket
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pytest
from airflow.timetables.interval import CronDataIntervalTimetable

from tests.plugins.wms_sync_health import warehouse_data
from tests.plugins.wms_sync_health.warehouse_data import NOW, WMS_URL, WMS_USER
from wms_sync_health import app, facts
from wms_sync_health.freshness import Schedule

TWO_HOURLY = Schedule(
    CronDataIntervalTimetable("0 */2 * * *", timezone="UTC"), timedelta(hours=2), "0 */2 * * *"
)


@pytest.fixture(autouse=True)
def no_metadata_db(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Airflow side (the check tasks) is the api-server test's; here only the warehouse."""
    monkeypatch.setattr(app.airflow_state, "latest_validations", lambda: [])
    monkeypatch.setattr(app.airflow_state, "incremental_schedule", lambda: TWO_HOURLY)
    monkeypatch.setattr(facts, "CACHE", facts.FactsCache())


def _use_connection(monkeypatch: pytest.MonkeyPatch, conn: dict[str, object]) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_WMS_WAREHOUSE", json.dumps(conn))


@pytest.fixture
def postgres_warehouse(tmp_path: Path) -> str:
    url = os.environ.get("WMS_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("WMS_TEST_POSTGRES_URL is not set (scripts/test sets it)")
    import psycopg

    name = f"health_app_{tmp_path.name.lower()[-16:]}".replace("-", "_")
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"drop database if exists {name}")
        admin.execute(f"create database {name}")
    target = url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(target) as setup:
        warehouse_data.fill(setup, "%s")
    return target


def test_through_the_postgres_connection_the_numbers_equal_a_direct_query(
    monkeypatch: pytest.MonkeyPatch, postgres_warehouse: str
) -> None:
    parts = urlsplit(postgres_warehouse)
    _use_connection(
        monkeypatch,
        {
            "conn_type": "postgres",
            "host": parts.hostname,
            "port": parts.port,
            "login": parts.username,
            "password": parts.password,
            "schema": parts.path.lstrip("/"),
        },
    )
    report = app.collect_report(now=NOW, budget=30)
    assert report.error is None
    assert report.warehouse_kind == "postgres"
    order = next(e for e in report.entities if e.entity == "order_hdr")
    import psycopg

    with psycopg.connect(postgres_warehouse) as conn:
        [(newest,)] = conn.execute("select max(mod_ts) from wms_raw.order_hdr").fetchall()
        [(quarantined,)] = conn.execute("select count(*) from wms_raw.etl_quarantine").fetchall()
    assert order.newest_mod_ts == newest
    assert order.marked_deleted == 1
    assert sum(n for _s, _r, n in report.quarantine_reasons) == quarantined
    # Nothing left open: no session of the page's user on the warehouse's database but this one.
    with psycopg.connect(postgres_warehouse) as conn:
        [(others,)] = conn.execute(
            "select count(*) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()"
        ).fetchall()
    assert others == 0


def test_through_the_duckdb_connection_the_page_reads_the_file_read_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as conn:
        warehouse_data.fill(conn)
    _use_connection(monkeypatch, {"conn_type": "duckdb", "host": str(path)})
    report = app.collect_report(now=NOW, budget=30)
    assert report.error is None
    assert next(e for e in report.entities if e.entity == "order_hdr").marked_deleted == 1
    with duckdb.connect(str(path)) as conn:  # read-write again: the page left nothing open
        conn.execute("select 1").fetchall()


def test_an_unreachable_warehouse_is_reported_without_its_password(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens once it is closed
    _use_connection(
        monkeypatch,
        {
            "conn_type": "postgres",
            "host": "127.0.0.1",
            "port": port,
            "login": "etl",
            "password": "pw-7731-secret",
            "schema": "dw",
        },
    )
    report = app.collect_report(now=NOW, budget=5)
    assert report.error is not None
    assert "wms_warehouse" in report.error
    assert "could not be opened" in report.error
    assert "pw-7731-secret" not in json.dumps(report.as_json())
    assert report.red


def test_the_time_budget_setting_is_checked_and_named() -> None:
    assert app.budget_seconds({}) == app.BUDGET_SECONDS
    assert app.budget_seconds({"WMS_HEALTH_BUDGET_SECONDS": "2.5"}) == 2.5
    for bad in ("0", "-1", "fast", "601"):
        with pytest.raises(ValueError, match=r"WMS_HEALTH_BUDGET_SECONDS must be a number of seconds"):
            app.budget_seconds({"WMS_HEALTH_BUDGET_SECONDS": bad})


def test_the_json_says_per_entity_how_fresh_it_is_against_the_schedule_and_which_wms_it_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as conn:
        warehouse_data.fill(conn)
    _use_connection(monkeypatch, {"conn_type": "duckdb", "host": str(path)})
    answer = app.collect_report(now=NOW, budget=30).as_json()
    assert answer["window_due"] == (NOW - timedelta(hours=2)).isoformat()  # 12:00 - 2 h timeout: 10:00's run
    assert answer["schedule"] == "0 */2 * * *"
    entities = {e["entity"]: e for e in answer["entities"]}
    quiet, busy = entities["order_status"], entities["order_hdr"]
    assert (quiet["window_stale"], quiet["newest_mod_ts_stale"], quiet["change_age_limit_hours"]) == (
        False,
        False,
        None,
    )
    assert (busy["window_stale"], busy["change_age_limit_hours"]) == (False, 48)
    assert entities["item"]["window_stale"] is True  # never loaded
    assert answer["sources"] == [
        {
            "base_url": WMS_URL,
            "user": WMS_USER,
            "loads": 4,
            "newest_load": (NOW - timedelta(hours=2)).isoformat(),
        }
    ]


def test_before_the_incremental_dag_is_parsed_the_page_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as conn:
        warehouse_data.fill(conn)
    _use_connection(monkeypatch, {"conn_type": "duckdb", "host": str(path)})
    monkeypatch.setattr(app.airflow_state, "incremental_schedule", lambda: None)
    report = app.collect_report(now=NOW, budget=30)
    assert report.window_due is None
    assert any("wms_incremental_sync) is not parsed yet" in note for note in report.notes)
    assert report.last_window_stale is False  # loaded windows exist; red only when missing


def test_a_bad_change_age_setting_is_shown_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WMS_HEALTH_MAX_CHANGE_AGE_HOURS", '{"orders": 4}')
    report = app.collect_report(now=NOW, budget=30)
    assert report.error is not None
    assert "WMS_HEALTH_MAX_CHANGE_AGE_HOURS" in report.error
    assert report.red

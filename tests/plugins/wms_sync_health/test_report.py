"""The numbers the page shows equal a direct query of the warehouse, within the time budget."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.plugins.wms_sync_health import warehouse_data
from tests.plugins.wms_sync_health.warehouse_data import NOW, QUIET_CHANGE, SECRET, WMS_URL, WMS_USER
from wms_sync_health import report
from wms_sync_health.facts import FactsCache
from wms_sync_health.report import Limits, ReportBuilder, redact_record
from wms_sync_health.warehouse import Warehouse, placeholder_sql

# As the product's defaults: order_hdr busy (48 h), order_status a quiet lookup (no change-age limit);
# the newest window due at NOW - 4 h (two-hourly schedule, 2 h dagrun_timeout).
LIMITS = Limits(
    window_due=NOW - timedelta(hours=4),
    change_age={"order_hdr": timedelta(hours=48), "order_status": None},
)


def _builder(warehouse: Warehouse, entities: tuple[str, ...] = ("order_hdr",)) -> ReportBuilder:
    return ReportBuilder(warehouse, raw_schema="wms_raw", entities=entities, days=7, now=NOW)


@pytest.fixture
def duckdb_file(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as conn:
        warehouse_data.fill(conn)
    return path


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Warehouse]:
    """The same rows on DuckDB and, when WMS_TEST_POSTGRES_URL is set, on a fresh PostgreSQL database."""
    if request.param == "duckdb":
        path = request.getfixturevalue("duckdb_file")
        conn: Any = duckdb.connect(str(path), read_only=True)
    else:
        url = os.environ.get("WMS_TEST_POSTGRES_URL")
        if not url:
            pytest.skip("WMS_TEST_POSTGRES_URL is not set (scripts/test sets it)")
        import psycopg

        name = f"health_{tmp_path.name.lower()[-20:]}".replace("-", "_")
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"drop database if exists {name}")
            admin.execute(f"create database {name}")
        target = url.rsplit("/", 1)[0] + f"/{name}"
        with psycopg.connect(target) as setup:
            warehouse_data.fill(setup, "%s")
        conn = psycopg.connect(target)
    yield Warehouse(request.param, conn, time.monotonic() + 30)
    conn.close()


def test_each_entity_shows_the_newest_mod_ts_and_its_last_runs_from_the_load_audit(
    warehouse: Warehouse,
) -> None:
    health = _builder(warehouse).entity_health(LIMITS)["order_hdr"]
    [(newest,)] = warehouse.rows("select max(mod_ts) from wms_raw.order_hdr")
    assert health.newest_mod_ts == newest
    assert health.newest_mod_ts_stale is False
    assert [(r.run_id, r.extracted, r.inserted, r.already_present, r.quarantined) for r in health.runs] == [
        ("inc2/order_hdr/try1", 4, 3, 1, 0),
        ("inc1/order_hdr/try1", 7, 2, 3, 2),
        ("full/order_hdr/p0/try1", 5, 5, 0, 0),
    ]  # newest first; the 30-day-old run is outside the 7 days shown
    assert health.quarantined_total == 2
    assert health.problems == []


def test_the_full_sync_and_the_records_it_marked_deleted_follow_the_dbt_rule(warehouse: Warehouse) -> None:
    health = _builder(warehouse).entity_health(LIMITS)["order_hdr"]
    assert health.full_sync_id == "full"
    assert health.full_sync_window_end == NOW - timedelta(days=1)
    # Ids 1-6; the sync saw 1-3; 5's newest version is after the window end, 6's is older than the sync's
    # purge bound (purged by the WMS's retention): only 4 is deleted.
    assert health.marked_deleted == 1


def test_the_last_window_end_is_the_newest_window_the_warehouse_recorded_as_loaded(
    warehouse: Warehouse,
) -> None:
    [(newest,)] = warehouse.rows("select max(window_end) from wms_raw.etl_loaded_windows")
    assert _builder(warehouse).last_window_end() == newest == NOW - timedelta(hours=2)


def test_before_any_window_was_recorded_the_last_window_end_is_unknown_with_a_note(
    warehouse: Warehouse,
) -> None:
    builder = _builder(warehouse)
    builder.raw = "no_such_schema"
    assert builder.last_window_end() is None
    assert any("the loaded windows" in note for note in builder.notes)


def test_an_entity_whose_newest_change_is_older_than_the_freshness_limit_is_red(warehouse: Warehouse) -> None:
    strict = Limits(window_due=LIMITS.window_due, change_age={"order_hdr": timedelta(hours=1)})
    assert _builder(warehouse).entity_health(strict)["order_hdr"].newest_mod_ts_stale is True


def test_a_quiet_lookup_loaded_by_every_run_is_not_red_however_old_its_newest_change(
    warehouse: Warehouse,
) -> None:
    found = _builder(warehouse, ("order_hdr", "order_status")).entity_health(LIMITS)
    quiet = found["order_status"]
    [(newest,)] = warehouse.rows("select max(mod_ts) from wms_raw.order_status")
    assert quiet.newest_mod_ts == newest == QUIET_CHANGE  # 200 days old, shown as it is
    assert quiet.change_age_limit_hours is None
    assert quiet.newest_mod_ts_stale is False
    assert quiet.window_stale is False
    # The same age on a busy entity (a limit of 48 h) is red.
    busy = Limits(window_due=LIMITS.window_due, change_age={"order_status": timedelta(hours=48)})
    assert _builder(warehouse, ("order_status",)).entity_health(busy)["order_status"].newest_mod_ts_stale


def test_each_entity_is_loaded_through_its_own_newest_window_and_red_when_that_is_before_the_due_end(
    warehouse: Warehouse,
) -> None:
    found = _builder(warehouse, ("order_hdr", "order_status", "item")).entity_health(LIMITS)
    direct = dict(
        warehouse.rows(
            "select stream_name, max(window_end) from wms_raw.etl_loaded_windows group by stream_name"
        )
    )
    assert found["order_hdr"].window_end == direct["order_hdr"] == NOW - timedelta(hours=2)
    assert found["order_status"].window_end == direct["order_status"] == NOW - timedelta(hours=2)
    assert not found["order_hdr"].window_stale
    assert found["item"].window_end is None  # never loaded: red
    assert found["item"].window_stale
    # A run missing: the due end moved past what was loaded.
    later = Limits(window_due=NOW - timedelta(hours=1), change_age=LIMITS.change_age)
    assert _builder(warehouse).entity_health(later)["order_hdr"].window_stale


def test_the_sources_of_the_period_are_its_base_urls_and_users_as_etl_load_source_holds_them(
    warehouse: Warehouse,
) -> None:
    [source] = _builder(warehouse).sources()
    [(url, user, loads)] = warehouse.rows(
        "select wms_base_url, wms_user, count(*) from wms_raw.etl_load_source group by wms_base_url, wms_user"
    )
    assert (source.base_url, source.user, source.loads) == (url, user, loads) == (WMS_URL, WMS_USER, 4)
    assert source.newest_load == NOW - timedelta(hours=2)


def test_a_source_url_is_shown_without_userinfo_query_or_fragment() -> None:
    assert report.public_url("https://u:pw-99@tenant.example.com:8443/prod?token=t#x") == (
        "https://tenant.example.com:8443/prod"
    )
    assert "pw" not in report.public_url("not a url u:pw@host?x=1")


def test_the_daily_chart_sums_the_audit_per_utc_day(warehouse: Warehouse) -> None:
    daily = _builder(warehouse).daily()
    assert list(daily)[-1] == NOW.date().isoformat()
    assert len(daily) == 7
    assert daily[NOW.date().isoformat()] == {
        "extracted": 11,
        "inserted": 5,
        "already_present": 4,
        "quarantined": 2,
    }
    assert daily[(NOW - timedelta(days=1)).date().isoformat()]["extracted"] == 5


def test_quarantine_is_counted_by_reason_and_its_newest_rows_hide_credentials(warehouse: Warehouse) -> None:
    builder = _builder(warehouse)
    assert sorted(builder.quarantine_reasons()) == [
        ("order_hdr", "<b>not a number</b>", 1),
        ("order_hdr", "value too long for order_nbr", 1),
    ]
    newest = builder.quarantine_newest()
    assert [q.reason for q in newest] == ["value too long for order_nbr", "<b>not a number</b>"]
    assert SECRET not in newest[0].record
    assert '"api_password": "***"' in newest[0].record
    assert "X" * 59 + "…" in newest[0].record
    assert "X" * 61 not in newest[0].record


def test_a_missing_table_is_a_problem_of_that_entity_only(warehouse: Warehouse) -> None:
    found = _builder(warehouse, ("order_hdr", "item")).entity_health(LIMITS)
    assert found["order_hdr"].problems == []
    assert found["item"].problems
    assert "newest mod_ts and deletions of item: not readable" in found["item"].problems[0]


def test_a_spent_budget_leaves_every_section_unread_with_a_note(duckdb_file: Path) -> None:
    with duckdb.connect(str(duckdb_file), read_only=True) as conn:
        builder = _builder(Warehouse("duckdb", conn, time.monotonic() - 1))
        health = builder.entity_health(LIMITS)["order_hdr"]
        assert health.newest_mod_ts is None
        assert any("the load audit: not read" in note for note in builder.notes)
        assert any("newest mod_ts and records marked deleted: not read" in note for note in builder.notes)


def test_a_long_duckdb_query_is_interrupted_when_the_budget_ends(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "big.duckdb")) as conn:
        started = time.monotonic()
        warehouse = Warehouse("duckdb", conn, time.monotonic() + 0.3)
        with pytest.raises(Exception, match="time budget"):
            warehouse.rows(
                "select count(*) from range(100000000000) a, range(10) b where a.range % 7 = b.range"
            )
        assert time.monotonic() - started < 3


def test_binds_are_written_in_each_drivers_style() -> None:
    sql = "select 1 from t where a = :since and b::text like '5%' and c = :sync_id"
    assert (
        placeholder_sql("duckdb", sql)
        == "select 1 from t where a = $since and b::text like '5%' and c = $sync_id"
    )
    assert placeholder_sql("postgres", sql) == (
        "select 1 from t where a = %(since)s and b::text like '5%%' and c = %(sync_id)s"
    )
    assert placeholder_sql("oracle", sql) == sql


def test_a_record_cut_short_is_still_shown_without_its_credentials() -> None:
    cut = '{"id": 1, "token": "abc' + "x" * 3000
    shown = redact_record(cut)
    assert "abc" not in shown
    assert '"token": "***"' in shown
    assert len(shown) <= 300


def test_history_numbers_too_slow_for_the_request_are_computed_once_in_the_background(
    duckdb_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = FactsCache()
    monkeypatch.setattr(report, "INLINE_SHARE", 0.0)  # as if the tables were too large for the request

    @contextmanager
    def opener(budget: float) -> Iterator[Warehouse]:
        with duckdb.connect(str(duckdb_file), read_only=True) as conn:
            yield Warehouse("duckdb", conn, time.monotonic() + budget)

    with duckdb.connect(str(duckdb_file), read_only=True) as conn:
        spent = ReportBuilder(
            Warehouse("duckdb", conn, time.monotonic() + 5),
            raw_schema="wms_raw",
            entities=("order_hdr",),
            days=7,
            now=NOW,
            cache=cache,
            opener=opener,
        )
        first = spent.entity_health(LIMITS)["order_hdr"]
    assert first.newest_mod_ts is None
    assert any("being computed in the background" in note for note in spent.notes)
    assert cache.wait_idle(30)
    monkeypatch.setattr(report, "INLINE_SHARE", 0.5)
    with duckdb.connect(str(duckdb_file), read_only=True) as conn:
        # No time at all: the numbers come from the cache, keyed by the entity's newest load.
        later = ReportBuilder(
            Warehouse("duckdb", conn, time.monotonic() + 0.5),
            raw_schema="wms_raw",
            entities=("order_hdr",),
            days=7,
            now=NOW,
            cache=cache,
            opener=opener,
        )
        later.wh.deadline = time.monotonic() + 0.5
        health = later.entity_health(LIMITS)["order_hdr"]
        [(newest,)] = conn.execute("select max(mod_ts) from wms_raw.order_hdr").fetchall()
    assert health.newest_mod_ts == newest
    assert health.marked_deleted == 1
    assert not any("background" in note for note in later.notes)

"""`scripts/bench --only health`: the WMS sync health page on a warehouse with 10 million history rows.

Builds a DuckDB and a PostgreSQL warehouse in the loader's contract (docs/architecture.md): 10M
`order_hdr` versions (2.5M ids, four versions each; on PostgreSQL with the loader's key (id, mod_ts)),
1,000 rows in each other entity, a completed full sync that saw all order ids but 1,000, a load audit
of 30 days of two-hourly runs for every entity, a year of loaded windows and load sources, and 50,000
quarantined records; then times the plugin's `collect_report` + `render` (the page's whole answer,
minus HTTP) with the product's time budget: the first request after a load (the whole-table numbers go
to the background worker), then the following ones (from its cache), and with an unlimited budget (the
cache warm) for comparison. Goal: under one second, every section read, on both.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from bench.suite import common
from include.wms_pipeline.settings import ENTITIES_ALL

HISTORY_ROWS = 10_000_000
VERSIONS_PER_ID = 4
GOAL_SECONDS = 1.0
OTHER_ROWS = 1000
YEAR_OF_WINDOWS = 365 * 12
SOURCE_URL = "https://tenant.wms.ocs.oraclecloud.com/prod"

# PostgreSQL: the same warehouse as build() makes on DuckDB; {rows}, {ids}, {windows} are integers.
PG_BUILD = """
drop schema if exists wms_raw cascade;
create schema wms_raw;
create table wms_raw.order_hdr (id bigint not null, mod_ts timestamptz not null, order_nbr varchar(40),
  etl_loaded_at timestamptz, etl_run_id varchar(512));
insert into wms_raw.order_hdr select (i / 4) + 1, timestamptz '2026-11-01 00:00:00+00'
  + make_interval(secs => i % 2500000 + (i % 4) * 60), 'ORD' || i, now(), 'bench' from generate_series(0, {rows} - 1) i;
alter table wms_raw.order_hdr add primary key (id, mod_ts);
create table wms_raw.etl_full_sync_seen (sync_id varchar(512), stream_name varchar(128), record_id bigint);
insert into wms_raw.etl_full_sync_seen select 'full-1', 'order_hdr', id from generate_series(1001, {ids}) id;
alter table wms_raw.etl_full_sync_seen add primary key (sync_id, stream_name, record_id);
create table wms_raw.etl_full_sync_complete as select 'full-1'::varchar as sync_id, 'order_hdr'::varchar as stream_name,
  now() - interval '1 day' as window_end, now() - interval '23 hours' as completed_at;
create table wms_raw.etl_full_sync_decision as select 'full-1'::varchar as sync_id, 'order_hdr'::varchar as stream_name,
  'complete'::varchar as status, null::timestamptz as purge_before;
create table wms_raw.etl_load_audit as select 'run-' || r || '/' || s as run_id, s as stream_name,
  now() - make_interval(hours => r * 2) as started_at, now() - make_interval(hours => r * 2, mins => -5) as finished_at,
  1000 as records_received, 900 as records_inserted, 95 as records_already_present, 5 as records_quarantined
  from generate_series(0, 359) r, unnest(%(entities)s::varchar[]) s;
alter table wms_raw.etl_load_audit add primary key (run_id, stream_name);
create table wms_raw.etl_loaded_windows as select 'run-' || r as run_id, s as stream_name,
  date_trunc('hour', now()) - make_interval(hours => r * 2 + 2) as window_start,
  date_trunc('hour', now()) - make_interval(hours => r * 2) as window_end, now() as recorded_at
  from generate_series(0, {windows} - 1) r, unnest(%(entities)s::varchar[]) s;
alter table wms_raw.etl_loaded_windows add primary key (run_id, stream_name);
create table wms_raw.etl_load_source as select 'run-' || r || '/' || s as run_id, s as stream_name,
  %(url)s::varchar as wms_base_url, 'wms_reader'::varchar as wms_user,
  now() - make_interval(hours => r * 2) as started_at, now() - make_interval(hours => r * 2) as committed_at,
  1000 as records_read from generate_series(0, {windows} - 1) r, unnest(%(entities)s::varchar[]) s;
alter table wms_raw.etl_load_source add primary key (run_id, stream_name);
create table wms_raw.etl_quarantine as select 'run-' || (i % 360) as run_id, 'order_hdr'::varchar as stream_name,
  now() - make_interval(mins => i) as quarantined_at, 'reason ' || (i % 7) as reason,
  '{{"id": ' || i || ', "order_nbr": "' || repeat('x', 200) || '"}}' as raw_record from generate_series(0, 49999) i;
"""


def _other_entities_duckdb(conn: Any) -> None:
    for entity in ENTITIES_ALL:
        if entity != "order_hdr":
            conn.execute(
                f"create table wms_raw.{entity} as select i + 1 as id, "
                "timestamptz '2026-01-01 00:00:00+00' + to_minutes(i) as mod_ts from range(?) t(i)",
                [OTHER_ROWS],
            )


def build_postgres(url: str, rows: int) -> dict[str, Any]:
    import psycopg

    started = time.monotonic()
    ids = rows // VERSIONS_PER_ID
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in PG_BUILD.format(rows=int(rows), ids=int(ids), windows=YEAR_OF_WINDOWS).split(";"):
            if statement.strip():
                conn.execute(
                    statement,
                    {"entities": list(ENTITIES_ALL), "url": SOURCE_URL} if "%(" in statement else None,
                )
        for entity in ENTITIES_ALL:
            if entity != "order_hdr":
                conn.execute(
                    f"create table wms_raw.{entity} as select i + 1 as id, timestamptz '2026-01-01 00:00:00+00' "
                    f"+ make_interval(mins => i) as mod_ts from generate_series(0, {OTHER_ROWS} - 1) i"
                )
        conn.execute("vacuum analyze")
    return {"rows": rows, "ids": ids, "build_seconds": round(time.monotonic() - started, 1)}


def build(path: Path, rows: int) -> dict[str, Any]:
    import duckdb

    ids = rows // VERSIONS_PER_ID
    started = time.monotonic()
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema wms_raw")
        _other_entities_duckdb(conn)
        conn.execute(
            "create table wms_raw.order_hdr as select (i // 4) + 1 as id, "
            "timestamptz '2026-11-01 00:00:00+00' + to_seconds(i % 2500000 + (i % 4) * 60) as mod_ts, "
            "'ORD' || i as order_nbr, now() as etl_loaded_at, 'bench' as etl_run_id from range(?) t(i)",
            [rows],
        )
        conn.execute(
            "create table wms_raw.etl_full_sync_seen as select 'full-1' as sync_id, 'order_hdr' as stream_name, "
            "id as record_id from range(1, ? + 1) t(id) where id > 1000",
            [ids],
        )
        conn.execute(
            "create table wms_raw.etl_full_sync_complete as select 'full-1' as sync_id, 'order_hdr' as "
            "stream_name, now() - interval 1 day as window_end, now() - interval 23 hour as completed_at"
        )
        conn.execute(
            "create table wms_raw.etl_load_audit as select 'run-' || r || '/' || s as run_id, s as stream_name, "
            "now() - to_hours(r * 2) as started_at, now() - to_hours(r * 2) + interval 5 minute as finished_at, "
            "1000 as records_received, 900 as records_inserted, 95 as records_already_present, "
            "5 as records_quarantined from range(360) t(r), unnest(?::varchar[]) u(s)",
            [list(ENTITIES_ALL)],
        )
        conn.execute(
            "create table wms_raw.etl_full_sync_decision as select 'full-1' as sync_id, 'order_hdr' as "
            "stream_name, 'complete' as status, null::timestamptz as purge_before"
        )
        conn.execute(
            "create table wms_raw.etl_loaded_windows as select 'run-' || r as run_id, s as stream_name, "
            "date_trunc('hour', now()) - to_hours(r * 2 + 2) as window_start, "
            "date_trunc('hour', now()) - to_hours(r * 2) as window_end, now() as recorded_at "
            "from range(?) t(r), unnest(?::varchar[]) u(s)",
            [YEAR_OF_WINDOWS, list(ENTITIES_ALL)],
        )
        conn.execute(
            "create table wms_raw.etl_load_source as select 'run-' || r || '/' || s as run_id, s as stream_name, "
            "?::varchar as wms_base_url, 'wms_reader' as wms_user, now() - to_hours(r * 2) as started_at, "
            "now() - to_hours(r * 2) as committed_at, 1000 as records_read "
            "from range(?) t(r), unnest(?::varchar[]) u(s)",
            [SOURCE_URL, YEAR_OF_WINDOWS, list(ENTITIES_ALL)],
        )
        conn.execute(
            "create table wms_raw.etl_quarantine as select 'run-' || (i % 360) as run_id, 'order_hdr' as stream_name, "
            "now() - to_minutes(i) as quarantined_at, 'reason ' || (i % 7) as reason, "
            "'{\"id\": ' || i || ', \"order_nbr\": \"' || repeat('x', 200) || '\"}' as raw_record from range(50000) t(i)"
        )
    return {"rows": rows, "ids": ids, "build_seconds": round(time.monotonic() - started, 1)}


def _time_page(budget: float, repeat: int) -> dict[str, Any]:
    from wms_sync_health import app, page

    samples: list[float] = []
    report = None
    for _ in range(repeat):
        started = time.monotonic()
        report = app.collect_report(budget=budget)
        page.render(report)
        samples.append(time.monotonic() - started)
    assert report is not None
    order = next(e for e in report.entities if e.entity == "order_hdr")
    return {
        "budget_seconds": budget,
        "samples": [round(s, 3) for s in samples],
        "median_seconds": round(common.median(samples), 3),
        "max_seconds": round(max(samples), 3),
        "order_hdr_marked_deleted": order.marked_deleted,
        "order_hdr_newest_mod_ts": order.newest_mod_ts.isoformat() if order.newest_mod_ts else None,
        "problems": [p for e in report.entities for p in e.problems],
        "red_entities": [e.entity for e in report.entities if e.window_stale or e.newest_mod_ts_stale],
        "notes": report.notes,
    }


def _measure(args: argparse.Namespace, kind: str) -> dict[str, Any]:
    from airflow.timetables.interval import CronDataIntervalTimetable

    from wms_sync_health import app, facts, freshness, warehouse

    two_hourly = freshness.Schedule(
        CronDataIntervalTimetable("0 */2 * * *", timezone="UTC"), timedelta(hours=2), "0 */2 * * *"
    )
    # No metadata DB here: the page's Airflow reads (check tasks, the DAG's schedule) are not what grows.
    with (
        mock.patch.object(app.airflow_state, "latest_validations", return_value=[]),
        mock.patch.object(app.airflow_state, "incremental_schedule", return_value=two_hourly),
        mock.patch.object(facts, "CACHE", facts.FactsCache()),
    ):
        # A running api-server has imported everything and looked the connection up before: so here.
        freshness.change_age_limits()
        with warehouse.open_warehouse("wms_warehouse", 60) as opened:
            opened.rows("select 1")
        cold = _time_page(app.BUDGET_SECONDS, 1)  # first request after a load: history numbers not known yet
        started = time.monotonic()
        facts.CACHE.wait_idle(600)
        cold["background_seconds"] = round(time.monotonic() - started + cold["max_seconds"], 1)
        product = _time_page(app.BUDGET_SECONDS, args.repeat * 3)
        unlimited = _time_page(60.0, args.repeat)
    common.say(
        f"health ({kind}): first request {cold['max_seconds']} s (background {cold['background_seconds']} s), "
        f"then median {product['median_seconds']} s, max {product['max_seconds']} s"
    )
    return {
        "warehouse": kind,
        "cold": cold,
        "product": product,
        "unlimited": unlimited,
        "goal_seconds": GOAL_SECONDS,
        "goal_met": product["max_seconds"] < GOAL_SECONDS
        and not product["problems"]
        and not product["notes"],
    }


def section(args: argparse.Namespace, pg: Any) -> dict[str, Any]:
    rows = 200_000 if args.quick else HISTORY_ROWS
    plugins = str(common.ROOT / "plugins")
    if plugins not in sys.path:
        sys.path.append(plugins)
    runs: list[dict[str, Any]] = []
    path = common.WORK / "health" / "warehouse.duckdb"
    path.parent.mkdir(parents=True, exist_ok=True)
    common.say(f"health: building a DuckDB warehouse with {rows} history rows")
    built = build(path, rows)
    os.environ["AIRFLOW_CONN_WMS_WAREHOUSE"] = json.dumps({"conn_type": "duckdb", "host": str(path)})
    runs.append({**built, **_measure(args, "duckdb")})
    from throwaway_postgres.server import create_database, run_sql

    database = "bench_health"
    run_sql(pg, f'DROP DATABASE IF EXISTS "{database}"')
    create_database(pg, database)
    common.say(f"health: building a PostgreSQL warehouse with {rows} history rows")
    built = build_postgres(pg.url(database, driver="postgresql"), rows)
    os.environ["AIRFLOW_CONN_WMS_WAREHOUSE"] = json.dumps(
        {
            "conn_type": "postgres",
            "host": pg.host,
            "port": pg.port,
            "login": pg.user,
            "password": pg.password,
            "schema": database,
        }
    )
    runs.append({**built, **_measure(args, "postgres")})
    return {"runs": runs, "goal_met": all(r["goal_met"] for r in runs), "load": common.load_average()}

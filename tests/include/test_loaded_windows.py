"""The warehouse's record of loaded windows (etl_loaded_windows), written and read through the
warehouse connection's Airflow hook on DuckDB and PostgreSQL, and the contiguity check on it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest
from airflow.sdk.exceptions import AirflowException

from include.wms_pipeline import loaded_windows, settings
from include.wms_pipeline.checks.operator import WindowContiguityCheckOperator
from include.wms_pipeline.checks.specs import CheckSettings
from include.wms_pipeline.windows import ExtractionWindow, covered_until, missing_ranges

T0 = datetime(2026, 1, 5, 6, tzinfo=UTC)
H = timedelta(hours=1)
STREAMS = ("order_hdr", "allocation")
# The shapes the loader creates (target_warehouse/tables.py) on DuckDB and PostgreSQL.
DDL = (
    "create schema wms_raw",
    "create table wms_raw.etl_loaded_windows (run_id varchar(512) not null, stream_name varchar(128) not null,"
    " window_start timestamptz, window_end timestamptz, recorded_at timestamptz, primary key (run_id, stream_name))",
    "create table wms_raw.etl_full_sync_complete (sync_id varchar(512) not null, stream_name varchar(128) not null,"
    " window_end timestamptz, completed_at timestamptz, primary key (sync_id, stream_name))",
)


class Warehouse:
    def __init__(self, kind: str, execute: Any) -> None:
        self.kind, self.execute = kind, execute

    def create_tables(self) -> None:
        for statement in DDL:
            self.execute(statement)

    def cfg(self) -> CheckSettings:
        return CheckSettings(settings.RAW_SCHEMA, "wms", self.kind, STREAMS)


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Warehouse]:
    monkeypatch.setenv("WMS_WAREHOUSE_KIND", request.param)
    if request.param == "duckdb":
        path = tmp_path / "warehouse.duckdb"
        conn: dict[str, Any] = {"conn_type": "duckdb", "host": str(path)}
        monkeypatch.setenv(f"AIRFLOW_CONN_{settings.WAREHOUSE_CONN_ID.upper()}", json.dumps(conn))

        def run_duckdb(sql: str) -> None:
            with duckdb.connect(str(path)) as db:
                db.execute(sql)

        yield Warehouse("duckdb", run_duckdb)
        return
    server = request.getfixturevalue("postgres_server")
    name = f"windows_{abs(hash(request.node.name)) % 10**8}"
    url = server.create_database(name)
    info = server.info
    conn = {
        "conn_type": "postgres",
        "host": info.host,
        "port": info.port,
        "login": info.user,
        "password": info.password,
        "schema": name,
    }
    monkeypatch.setenv(f"AIRFLOW_CONN_{settings.WAREHOUSE_CONN_ID.upper()}", json.dumps(conn))

    def run_postgres(sql: str) -> None:
        with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as db:
            db.execute(sql)  # type: ignore[call-overload]

    yield Warehouse("postgres", run_postgres)


def _check(warehouse: Warehouse) -> None:
    operator = WindowContiguityCheckOperator(
        task_id="check_loaded_windows_contiguous",
        check_settings=warehouse.cfg(),
        conn_id=settings.WAREHOUSE_CONN_ID,
    )
    operator.execute({})


def test_before_the_loaders_first_run_nothing_is_loaded(warehouse: Warehouse) -> None:
    assert loaded_windows.read(warehouse.cfg()) == loaded_windows.LoadedTime((), {})


def test_recorded_windows_are_read_back_and_a_gap_fails_the_check_naming_it(warehouse: Warehouse) -> None:
    warehouse.create_tables()
    loaded_windows.record("initial", STREAMS, ExtractionWindow(T0 - 24 * H, T0))
    loaded_windows.record("scheduled__later", STREAMS, ExtractionWindow(T0 + 6 * H, T0 + 8 * H))
    loaded_windows.record("scheduled__later", STREAMS, ExtractionWindow(T0 + 6 * H, T0 + 8 * H))  # a rerun

    loaded = loaded_windows.read(warehouse.cfg())
    assert sorted((w.stream, w.start, w.end) for w in loaded.windows) == sorted(
        [(s, T0 - 24 * H, T0) for s in STREAMS] + [(s, T0 + 6 * H, T0 + 8 * H) for s in STREAMS]
    )
    assert covered_until(loaded.windows, loaded.full_sync_ends, STREAMS) == T0
    assert missing_ranges(loaded.windows, loaded.full_sync_ends, STREAMS) == {
        key: [(T0, T0 + 6 * H)] for key in STREAMS
    }
    with pytest.raises(AirflowException) as failure:
        _check(warehouse)
    message = str(failure.value)
    assert "order_hdr: [2026-01-05T06:00:00+00:00, 2026-01-05T12:00:00+00:00)" in message
    assert "allocation: [2026-01-05T06:00:00+00:00, 2026-01-05T12:00:00+00:00)" in message
    assert "--from-date 2026-01-05T06:00:00+00:00 --to-date 2026-01-05T11:59:59+00:00" in message

    # The catch-up run's window closes the gap.
    loaded_windows.record("scheduled__catch_up", STREAMS, ExtractionWindow(T0, T0 + 10 * H))
    _check(warehouse)
    loaded = loaded_windows.read(warehouse.cfg())
    assert covered_until(loaded.windows, loaded.full_sync_ends, STREAMS) == T0 + 10 * H


def test_a_rerun_reading_a_narrower_window_keeps_the_time_its_first_attempt_loaded(
    warehouse: Warehouse,
) -> None:
    # Seen in the distributed run: a scheduled catch-up run read [T0, T0 + 10 h); a backfill with
    # --reprocess-behavior completed then re-ran it as a backfill, which reads its interval alone.
    warehouse.create_tables()
    loaded_windows.record("initial", STREAMS, ExtractionWindow(T0 - 24 * H, T0))
    loaded_windows.record("scheduled__catch_up", STREAMS, ExtractionWindow(T0, T0 + 10 * H))
    loaded_windows.record("scheduled__catch_up", STREAMS, ExtractionWindow(T0 + 8 * H, T0 + 10 * H))

    loaded = loaded_windows.read(warehouse.cfg())
    assert sorted((w.stream, w.start, w.end) for w in loaded.windows if w.start >= T0) == sorted(
        (s, T0, T0 + 10 * H) for s in STREAMS
    )
    _check(warehouse)


def test_a_complete_full_sync_closes_the_gaps_before_it(warehouse: Warehouse) -> None:
    warehouse.create_tables()
    loaded_windows.record("initial", STREAMS, ExtractionWindow(T0 - 24 * H, T0))
    loaded_windows.record("scheduled__later", STREAMS, ExtractionWindow(T0 + 6 * H, T0 + 8 * H))
    for stream in STREAMS:
        warehouse.execute(
            "insert into wms_raw.etl_full_sync_complete values"
            f" ('sync-1', '{stream}', '2026-01-05 12:00:00+00', '2026-01-05 12:30:00+00')"
        )
    _check(warehouse)
    loaded = loaded_windows.read(warehouse.cfg())
    assert loaded.full_sync_ends == dict.fromkeys(STREAMS, T0 + 6 * H)
    assert {w.end for w in loaded.windows} == {T0 + 8 * H}  # windows before the sync are not even read
    assert covered_until(loaded.windows, loaded.full_sync_ends, STREAMS) == T0 + 8 * H

"""The full sync's bookkeeping and every SQL check of both DAGs, sent through Airflow's OracleHook
to the Oracle stand-in: each statement checked against Oracle's rules (dev/oracle_standin/README.md).

The hook runs in a subprocess whose ``oracledb`` is the stand-in's shim, as a worker would run it;
the raw tables exist because the real loader created them through the stand-in first.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from include.wms_pipeline import settings

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "dev" / "oracle_standin" / "src"))

from oracle_standin import driver  # noqa: E402
from oracle_standin.testing import StandIn, run_loader, running_standin, singer_schema  # noqa: E402

SCHEMAS = REPO / "include" / "meltano" / "packages" / "tap-oracle-wms" / "tap_oracle_wms" / "schemas"
LOADER_CONFIG = {
    "sqlalchemy_url": "oracle+oracledb://loader:secret@127.0.0.1:1521/?service_name=WMSPDB_SERVICE",
    "default_target_schema": settings.RAW_SCHEMA,
}
WAREHOUSE_CONNECTION = {
    "conn_type": "oracle",
    "host": "127.0.0.1",
    "port": 1521,
    "login": "loader",
    "password": "secret",
    "extra": {"service_name": "WMSPDB_SERVICE"},
}
# Only what the checks read of dbt's facts (the dbt lane builds the real ones: include/dbt/tests).
FACT_TABLES = (
    "CREATE TABLE WMS.FCT_ORDERS (ORDER_ID NUMBER(19) NOT NULL)",
    "CREATE TABLE WMS.FCT_ORDER_LINES (ORDER_DTL_ID NUMBER(19) NOT NULL, ORDER_ID NUMBER(19))",
    "CREATE TABLE WMS.FCT_ALLOCATIONS (ALLOCATION_ID NUMBER(19) NOT NULL, ORDER_DTL_ID NUMBER(19))",
)


@pytest.fixture(scope="module")
def oracle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandIn]:
    """The stand-in holding the raw tables the real loader creates, and the three facts."""
    with running_standin() as standin:
        singer = "\n".join(
            singer_schema(entity, json.loads((SCHEMAS / f"{entity}.json").read_text())["properties"])
            for entity in settings.ENTITIES_ALL
        )
        loaded = run_loader(standin, singer + "\n", LOADER_CONFIG, work_dir=tmp_path_factory.mktemp("loader"))
        assert loaded.returncode == 0, loaded.stderr[-3000:]
        connection = driver.Connection(dsn="", user="dbt", params={}, address=standin.address)
        for ddl in FACT_TABLES:
            connection.cursor().execute(ddl)
        connection.close()
        yield standin


def run_in_worker(oracle: StandIn, program: str, *, before: str = "", time_zone: str = "UTC") -> Any:
    """``program`` in a fresh Airflow-environment process (the worker), Oracle warehouse; its JSON output."""
    env = oracle.environment("worker")
    env["PYTHONPATH"] = f"{env['PYTHONPATH']}:{REPO}"
    env["TZ"] = time_zone
    env["WMS_WAREHOUSE_KIND"] = "oracle"
    env[f"AIRFLOW_CONN_{settings.WAREHOUSE_CONN_ID.upper()}"] = json.dumps(WAREHOUSE_CONNECTION)
    result = subprocess.run(
        [sys.executable, "-c", before + "\n" + program],
        env=env,
        text=True,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _statements(oracle: StandIn, fragment: str) -> list[dict[str, Any]]:
    return [s for s in oracle.report().statements if fragment in s["sql"].lower()]


# Full-sync bookkeeping -------------------------------------------------------------------------------

RECORD_COMPLETE = """
import datetime as dt, json
from include.wms_pipeline.full_sync import record_complete
from include.wms_pipeline.load_evidence import WmsSource
window_end = dt.datetime(2025, 9, 15, 12, 0, 0, 123456, tzinfo=dt.UTC)
source = WmsSource("https://tenant.wms.example.com/prod_env", "etl_reader")
print(json.dumps(record_complete("sync-1", ["allocation", "order_hdr"], window_end, source)))
"""
OLD_AWARE_DATETIME_BIND = """
from include.wms_pipeline import full_sync
full_sync.as_naive_utc = lambda moment: moment
full_sync._bind_times_as_timestamps = lambda cursor, count, time_positions: None
"""


def test_window_end_is_bound_as_a_naive_utc_timestamp_on_a_worker_outside_utc(oracle: StandIn) -> None:
    oracle.reset_log()
    recorded = run_in_worker(oracle, RECORD_COMPLETE, time_zone="America/Sao_Paulo")

    assert recorded == ["allocation", "order_hdr"]
    report = oracle.report()
    assert report.violations == [], report.violations
    assert report.errors() == []
    inserts = _statements(oracle, "insert into wms_raw.etl_full_sync_complete")
    assert len(inserts) == 2
    for insert in inserts:
        assert insert["bind_types"][2:4] == ["DB_TYPE_TIMESTAMP", "DB_TYPE_TIMESTAMP"]
        assert insert["binds"][0][2] == {
            "$datetime": "2025-09-15T12:00:00.123456"
        }  # naive UTC, microseconds kept


def test_reverted_aware_datetime_bind_is_reported(oracle: StandIn) -> None:
    oracle.reset_log()
    run_in_worker(oracle, RECORD_COMPLETE, before=OLD_AWARE_DATETIME_BIND, time_zone="America/Sao_Paulo")

    broken = oracle.report().rules_broken()
    assert {"aware_datetime_bound", "datetime_bound_as_date"} <= broken


DECIDE = """
import datetime as dt, json
from include.wms_pipeline import full_sync
from include.wms_pipeline.deletion_guard import Threshold
cutoff = dt.datetime(2025, 9, 15, 11, 30, tzinfo=dt.UTC)
entities = ["allocation", "order_hdr"]
decisions = full_sync.decide(
    "sync-2", entities, cutoff, dict.fromkeys(entities, Threshold()), {"order_hdr": 365, "allocation": None},
    '{"facility_code":null}', confirm=False,
)
print(json.dumps([[d.entity, d.status, d.live, d.would_mark, d.purged] for d in decisions]))
"""


def test_the_deletion_guard_s_statements_run_on_oracle_after_a_complete_sync(oracle: StandIn) -> None:
    """The previous complete sync (sync-1, recorded above), the counts over the raw history and the
    decision rows: bookkeeping statements through OracleHook, each checked against Oracle's rules."""
    run_in_worker(oracle, RECORD_COMPLETE)
    oracle.reset_log()

    decided = run_in_worker(oracle, DECIDE, time_zone="America/Sao_Paulo")

    assert decided == [["allocation", "complete", 0, 0, 0], ["order_hdr", "complete", 0, 0, 0]]
    report = oracle.report()
    assert report.violations == [], report.violations
    assert report.errors() == []
    inserts = _statements(oracle, "insert into wms_raw.etl_full_sync_decision")
    assert len(inserts) == 2
    assert inserts[1]["binds"][0][9] == {"$datetime": "2024-09-15T11:30:00"}  # purge bound: naive UTC


# The DAGs' SQL checks -----------------------------------------------------------------------------------

RUN_CHECKS = """
import datetime as dt, json
from airflow.providers.oracle.hooks.oracle import OracleHook
from include.wms_pipeline import settings
from include.wms_pipeline.checks import Load, RunFacts, rendered_checks
loads = {entity: (Load(records_read=3, load_run_id=f"run-{entity}-1"),) for entity in settings.ENTITIES_ALL}
facts = RunFacts(
    run_id="manual__2025-09-15T09:30:07.654321-03:00",
    # A manual run's window end: another offset, and microseconds (a datetime is bound as DATE).
    window_end=dt.datetime(2025, 9, 15, 9, 30, 7, 654321, tzinfo=dt.timezone(dt.timedelta(hours=-3))),
    loads=loads,
    wms_counts={entity: 10 for entity in settings.PARTITIONED_ENTITIES},
)
hook = OracleHook(oracle_conn_id=settings.WAREHOUSE_CONN_ID)
answers = {}
for full_sync in (False, True):
    for check in rendered_checks("oracle", facts, full_sync=full_sync):
        rows = hook.get_records(check.sql, parameters=check.binds)
        answers[f"{'full' if full_sync else 'incremental'}:{check.task_id}"] = len(rows)
print(json.dumps(answers))
"""


def test_every_check_of_both_dags_is_valid_oracle_and_returns_one_row(oracle: StandIn) -> None:
    oracle.reset_log()
    answers = run_in_worker(oracle, RUN_CHECKS)

    assert {key.split(":")[0] for key in answers} == {"incremental", "full"}
    assert set(answers.values()) == {1}, answers
    report = oracle.report()
    assert report.violations == [], json.dumps(report.violations, indent=1)
    assert report.errors() == []
    assert report.unanalysed() == [], [s["sql"][:200] for s in report.unanalysed()]


# The incremental DAG's record of loaded windows ------------------------------------------------------------
# The stand-in checks statements and keeps the catalog, not rows: what comes back is the read's answer to
# an empty table; that the rows mean what they should is shown on DuckDB and PostgreSQL
# (tests/include/test_loaded_windows.py).

RECORD_AND_READ_WINDOWS = """
import datetime as dt, json
from include.wms_pipeline import loaded_windows, settings
from include.wms_pipeline.checks.specs import CheckSettings
from include.wms_pipeline.windows import ExtractionWindow
window = ExtractionWindow(
    dt.datetime(2025, 9, 15, 12, 0, 0, 123456, tzinfo=dt.UTC), dt.datetime(2025, 9, 15, 14, tzinfo=dt.UTC)
)
recorded = loaded_windows.record("scheduled__1", ["order_hdr", "allocation"], window)
loaded = loaded_windows.read(CheckSettings(settings.RAW_SCHEMA, "wms", "oracle", ("order_hdr", "allocation")))
print(json.dumps({"recorded": recorded, "windows": len(loaded.windows)}))
"""


def test_loaded_windows_are_recorded_as_naive_utc_timestamps_and_read_with_valid_oracle(
    oracle: StandIn,
) -> None:
    oracle.reset_log()
    answer = run_in_worker(oracle, RECORD_AND_READ_WINDOWS, time_zone="America/Sao_Paulo")

    assert answer == {"recorded": ["order_hdr", "allocation"], "windows": 0}
    report = oracle.report()
    assert report.violations == [], json.dumps(report.violations, indent=1)
    assert report.errors() == []
    assert report.unanalysed() == [], [s["sql"][:200] for s in report.unanalysed()]
    inserts = _statements(oracle, "insert into wms_raw.etl_loaded_windows")
    assert len(inserts) == 2
    for insert in inserts:
        assert insert["bind_types"][2:] == ["DB_TYPE_TIMESTAMP"] * 3
        assert insert["binds"][0][2] == {"$datetime": "2025-09-15T12:00:00.123456"}  # naive UTC
    assert len(_statements(oracle, "from all_tables where owner")) == 1  # the table exists: read it
    assert len(_statements(oracle, "from wms_raw.etl_loaded_windows l")) == 1

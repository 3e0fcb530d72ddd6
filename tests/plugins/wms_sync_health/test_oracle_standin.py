"""The page's statements on Oracle: the report built through the `wms_warehouse` connection (OracleHook)
against the Oracle stand-in, which checks each statement against Oracle's rules
(dev/oracle_standin/README.md). The tables exist because the real loader created them through the
stand-in; the stand-in keeps no rows, so this shows the statements Oracle accepts, not the numbers
(those are compared on DuckDB and PostgreSQL in test_report.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from include.wms_pipeline import settings

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "dev" / "oracle_standin" / "src"))

from oracle_standin.testing import AIRFLOW_CONNECTION, StandIn, create_raw_tables, running_standin  # noqa: E402

REPORT = """
import json
from wms_sync_health import app
from datetime import timedelta
from airflow.timetables.interval import CronDataIntervalTimetable
from wms_sync_health.freshness import Schedule
app.airflow_state.latest_validations = lambda: []
app.airflow_state.incremental_schedule = lambda: Schedule(
    CronDataIntervalTimetable("0 */2 * * *", timezone="UTC"), timedelta(hours=2), "0 */2 * * *")
report = app.collect_report(budget=60)
print(json.dumps({"error": report.error, "kind": report.warehouse_kind, "notes": report.notes,
                  "problems": [p for e in report.entities for p in e.problems]}))
"""


@pytest.fixture(scope="module")
def oracle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandIn]:
    with running_standin() as standin:
        create_raw_tables(
            standin, settings.ENTITIES_ALL, settings.RAW_SCHEMA, work_dir=tmp_path_factory.mktemp("loader")
        )
        yield standin


def test_every_statement_of_the_page_is_one_oracle_accepts(oracle: StandIn) -> None:
    oracle.reset_log()
    env = oracle.environment("api-server")
    env["PYTHONPATH"] = f"{env['PYTHONPATH']}:{REPO}:{REPO / 'plugins'}"
    env["WMS_WAREHOUSE_KIND"] = "oracle"
    env[f"AIRFLOW_CONN_{settings.WAREHOUSE_CONN_ID.upper()}"] = json.dumps(AIRFLOW_CONNECTION)
    result = subprocess.run(
        [sys.executable, "-c", REPORT], env=env, text=True, capture_output=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-4000:]
    shown = json.loads(result.stdout.strip().splitlines()[-1])
    assert shown["kind"] == "oracle", shown
    assert shown["error"] is None, shown
    report = oracle.report()
    assert report.violations == [], report.violations
    assert report.errors() == [], report.errors()
    assert shown["notes"] == [], shown
    assert shown["problems"] == [], shown
    selects = [s for s in report.statements if s["sql"].lstrip().lower().startswith("select")]
    assert len(selects) >= 5, [s["sql"] for s in report.statements]

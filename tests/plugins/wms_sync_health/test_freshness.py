"""When an entity is red: its newest loaded window against the incremental DAG's schedule, and its newest
change against a per-entity limit that quiet lookups do not have by default."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from airflow.timetables.interval import CronDataIntervalTimetable

from include.wms_pipeline import settings
from wms_sync_health.freshness import BUSY_ENTITIES, CHANGE_AGE_VARIABLE, Schedule, change_age_limits

SOURCES = (
    Path(__file__).resolve().parents[3] / "include/dbt/wms/models/staging/oracle_wms/_oracle_wms__sources.yml"
)


def _schedule(cron: str, timeout_hours: float = 2) -> Schedule:
    return Schedule(CronDataIntervalTimetable(cron, timezone="UTC"), timedelta(hours=timeout_hours), cron)


def test_the_window_due_is_the_newest_interval_end_whose_run_had_its_whole_timeout() -> None:
    two_hourly = _schedule("0 */2 * * *")
    # At 12:30 the run of [08:00, 10:00) has had its 2 h; the one of [10:00, 12:00) may still be running.
    assert two_hourly.window_due(datetime(2026, 12, 7, 12, 30, tzinfo=UTC)) == datetime(
        2026, 12, 7, 10, 0, tzinfo=UTC
    )
    assert two_hourly.window_due(datetime(2026, 12, 7, 14, 0, tzinfo=UTC)) == datetime(
        2026, 12, 7, 12, 0, tzinfo=UTC
    )


def test_a_schedule_with_a_weekend_gap_is_not_due_over_the_weekend() -> None:
    weekdays = _schedule("0 6-18/2 * * 1-5")
    # Sunday noon: the newest interval due ended on Friday at 18:00.
    assert weekdays.window_due(datetime(2026, 12, 6, 12, 0, tzinfo=UTC)) == datetime(
        2026, 12, 4, 18, 0, tzinfo=UTC
    )


def test_busy_entities_default_to_the_dags_freshness_hours_and_lookups_have_no_limit() -> None:
    limits = change_age_limits({})
    assert set(limits) == set(settings.ENTITIES_ALL)
    assert {e: limits[e] for e in BUSY_ENTITIES} == dict.fromkeys(BUSY_ENTITIES, timedelta(hours=48))
    assert all(limits[e] is None for e in settings.ENTITIES_ALL if e not in BUSY_ENTITIES)


def test_the_busy_entities_are_those_whose_dbt_source_freshness_is_checked() -> None:
    [source] = yaml.safe_load(SOURCES.read_text())["sources"]
    checked = {
        t["name"]
        for t in source["tables"]
        if t["name"] in settings.ENTITIES_ALL
        and (t.get("config") or {}).get("freshness", "inherit") is not None
    }
    assert checked == set(BUSY_ENTITIES)


def test_an_operator_sets_limits_per_entity_with_a_default_for_the_rest() -> None:
    limits = change_age_limits({CHANGE_AGE_VARIABLE: '{"item": 720, "inventory": null, "order_hdr": 0}'})
    assert limits["item"] == timedelta(hours=720)
    assert limits["inventory"] is None
    assert limits["order_hdr"] is None
    assert limits["order_dtl"] == timedelta(hours=48)  # not named: its default
    everything = change_age_limits({CHANGE_AGE_VARIABLE: '{"*": 24, "facility": null}'})
    assert everything["company"] == everything["allocation"] == timedelta(hours=24)
    assert everything["facility"] is None


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("48", "must be a JSON object"),
        ("{bad", "must be a JSON object"),
        ('{"orders": 4}', "entities ['orders'] are not in"),
        ('{"item": -1}', "hours must be numbers of at least 0 or null"),
        ('{"item": "a week"}', "hours must be numbers of at least 0 or null"),
    ],
)
def test_a_bad_setting_is_refused_naming_it(value: str, named: str) -> None:
    with pytest.raises(ValueError, match=CHANGE_AGE_VARIABLE) as error:
        change_age_limits({CHANGE_AGE_VARIABLE: value})
    assert named in str(error.value)

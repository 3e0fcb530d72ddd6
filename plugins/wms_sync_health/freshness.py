"""When the page calls an entity stale: two limits, one from the schedule and one per entity.

- **Loaded through** (every entity): the end of the entity's newest incremental window recorded as
  loaded (`etl_loaded_windows`). A run reads every entity of its window whether it changed or not, so a
  quiet lookup is as current here as the busiest table. It is due at the end of the newest interval of
  the incremental DAG's schedule whose run has had its whole `dagrun_timeout` to finish: both read from
  the DAG as the scheduler has it (its serialized timetable and timeout, `airflow_state`), so a
  schedule moved with WMS_INCREMENTAL_SYNC_SCHEDULE moves this limit with it.
- **Newest change** (`mod_ts`): how long the WMS may go without changing the entity before someone
  should look. The busy entities (orders, lines, allocations, inventory: the ones whose dbt source
  freshness is checked) default to the DAG's `freshness_hours` (48, as check_raw_history_is_fresh);
  the lookups (statuses, facilities, companies, items, locations) change rarely and have no limit by
  default. WMS_HEALTH_MAX_CHANGE_AGE_HOURS on the api-server overrides it per entity.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, Protocol

from include.wms_pipeline import settings

CHANGE_AGE_VARIABLE = "WMS_HEALTH_MAX_CHANGE_AGE_HOURS"
# The entities the WMS changes all day; the same list as the dbt sources with a freshness check
# (include/dbt/wms/models/staging/oracle_wms/_oracle_wms__sources.yml; a test holds them equal).
BUSY_ENTITIES = ("order_hdr", "order_dtl", "allocation", "inventory")
ANY_ENTITY = "*"


class Timetable(Protocol):
    """The part of an Airflow timetable used here (CronDataIntervalTimetable in the sync DAGs)."""

    def infer_manual_data_interval(self, *, run_after: Any) -> Any: ...


@dataclass(frozen=True)
class Schedule:
    """The incremental DAG's schedule as the scheduler has it."""

    timetable: Timetable
    dagrun_timeout: timedelta
    summary: str  # e.g. "0 */2 * * *", shown on the page

    def window_due(self, now: datetime) -> datetime:
        """The end of the newest data interval whose run has had its whole dagrun_timeout: the newest
        loaded window should end there or later, else a run is missing, failed or late."""
        import pendulum

        run_after = pendulum.instance(now - self.dagrun_timeout)
        end = self.timetable.infer_manual_data_interval(run_after=run_after).end
        return datetime.fromtimestamp(end.timestamp(), tz=now.tzinfo)


def default_change_age_hours() -> int:
    """The DAG's `freshness_hours` (include/wms_pipeline/checks/specs.py, CheckSettings)."""
    from include.wms_pipeline.checks.specs import CheckSettings

    hours = next(f.default for f in fields(CheckSettings) if f.name == "freshness_hours")
    return int(str(hours))


def change_age_limits(environ: Mapping[str, str] | None = None) -> dict[str, timedelta | None]:
    """Per entity of the product, how old its newest mod_ts may be before it is red (None: no limit).

    WMS_HEALTH_MAX_CHANGE_AGE_HOURS: a JSON object of hours per entity, `"*"` for the entities it does
    not name; 0 or null turns the limit off, e.g. `{"item": 720, "inventory": null}`. An entity neither
    named nor covered by `"*"` keeps its default.
    """
    default = timedelta(hours=default_change_age_hours())
    limits: dict[str, timedelta | None] = {
        entity: default if entity in BUSY_ENTITIES else None for entity in settings.ENTITIES_ALL
    }
    raw = (os.environ if environ is None else environ).get(CHANGE_AGE_VARIABLE, "").strip()
    if not raw:
        return limits
    try:
        given = json.loads(raw)
    except ValueError:
        given = None
    if not isinstance(given, dict):
        raise ValueError(
            f"{CHANGE_AGE_VARIABLE} must be a JSON object of hours per entity, e.g. "
            f'{{"item": 720, "*": 48}}; got {raw!r}'
        )
    unknown = sorted(str(name) for name in given if name != ANY_ENTITY and name not in settings.ENTITIES_ALL)
    bad = {
        str(name): value
        for name, value in given.items()
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or value < 0)
    }
    if unknown or bad:
        raise ValueError(
            f"{CHANGE_AGE_VARIABLE}: "
            + "; ".join(
                ([f"entities {unknown} are not in {list(settings.ENTITIES_ALL)} (or '*')"] if unknown else [])
                + ([f"hours must be numbers of at least 0 or null, got {bad}"] if bad else [])
            )
        )
    for entity in settings.ENTITIES_ALL:
        if entity in given or ANY_ENTITY in given:
            hours = given.get(entity, given.get(ANY_ENTITY))
            limits[entity] = timedelta(hours=hours) if hours else None
    return limits

"""Versions the incremental runs missed, counted when the full sync loads them.

The WMS stamps `mod_ts` when it saves a record, before the transaction commits; a version that
commits later than the incremental lookback covers is read by no incremental run (each reads
`[start - lookback, end)` at about `end`). Only the weekly full sync finds it, if it is still the
record's current version. The loader inserts a version only when (`id`, `mod_ts`) is new, so what a
full sync inserts was not in the warehouse. Of that, the versions older than
`window_end - interval - lookback` (the start of the next incremental window at the latest) are ones
no incremental run read or will read: the incremental runs missed them. A count above 0 means
commits later than the lookback (or windows that never ran); docs/runbook.md says what to do. The
first load of an empty table (no row from any other run than this full sync's) counts nothing:
there were no incremental runs to miss anything. The count goes into the load's row of the load audit
(`etl_load_audit.missed_by_incremental`, NULL for every other load), where on-call finds it.

No Airflow import here: the reliability harness (dev/reliability) counts with the same statement and
records a full sync's deletion cut-off with the same function as the DAG's finalize task.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from include.wms_pipeline import settings


def missed_before(window_end: datetime, interval: timedelta, lookback_minutes: int) -> datetime:
    """The cut-off: a version older than this that only the full sync loaded was missed."""
    if window_end.tzinfo is None or window_end.utcoffset() is None:
        raise ValueError(f"window_end {window_end!r} has no time zone")
    return window_end.astimezone(UTC) - interval - timedelta(minutes=lookback_minutes)


def missed_versions_sql(kind: str, raw_schema: str, entity: str, prefix_length: int) -> str:
    """`select count(*)` of one load's inserted versions older than the cut-off, when the table holds
    rows of other runs than the sync's (3 binds: run id, cut-off, the sync's run-id prefix of
    `prefix_length` characters).

    `entity` and `raw_schema` become identifiers, so only the known entities and a plain schema name
    pass; the values are bound. Oracle's raw timestamps are TIMESTAMP(6) holding UTC (bind a naive UTC
    TIMESTAMP); DuckDB and PostgreSQL compare TIMESTAMPTZ with an aware value.
    """
    if entity not in settings.ENTITIES_ALL:
        raise ValueError(f"unknown entity {entity!r}; known: {', '.join(settings.ENTITIES_ALL)}")
    if not settings.SCHEMA_NAME.fullmatch(raw_schema):
        raise ValueError(f"raw schema {raw_schema!r} is not a plain lowercase name")
    if kind == "oracle":
        first, second, third = ":1", ":2", ":3"
    elif kind == "duckdb":
        first = second = third = "?"
    elif kind == "postgres":
        first = second = third = "%s"
    else:
        raise ValueError(f"unknown warehouse kind {kind!r}; expected oracle, postgres or duckdb")
    table = f"{raw_schema}.{entity}"
    return (
        f"select count(*) from {table} where etl_run_id = {first} and mod_ts < {second} "
        f"and exists (select 1 from {table} o where substr(o.etl_run_id, 1, {int(prefix_length)}) <> {third})"
    )


def count_missed_versions(
    conn: Any, kind: str, raw_schema: str, entity: str, load_run_id: str, before: datetime, sync_prefix: str
) -> int:
    """How many versions the load `load_run_id` inserted with `mod_ts < before`, unless every row of the
    table comes from loads whose run id starts with `sync_prefix` (this full sync's partitions and
    tries: its first load). A DB-API connection."""
    cut_off: datetime = before.astimezone(UTC)
    cursor = conn.cursor()
    try:
        if kind == "oracle":
            import oracledb  # only the Oracle path needs the driver

            # by value python-oracledb binds a datetime as DATE (no fraction): ask for TIMESTAMP
            cursor.setinputsizes(None, oracledb.DB_TYPE_TIMESTAMP, None)
            cut_off = cut_off.replace(tzinfo=None)
        statement = missed_versions_sql(kind, raw_schema, entity, len(sync_prefix))
        cursor.execute(statement, (load_run_id, cut_off, sync_prefix))
        row = cursor.fetchone()
    finally:
        cursor.close()
    return int(row[0]) if row else 0


def record_missed_versions(
    conn: Any, kind: str, raw_schema: str, entity: str, load_run_id: str, missed: int
) -> None:
    """Write `missed` into the load audit row of `load_run_id` (the loader's column
    `etl_load_audit.missed_by_incremental`) and commit. A load that received no record has no audit
    row (and missed nothing). A DB-API connection; values are bound."""
    if not settings.SCHEMA_NAME.fullmatch(raw_schema):
        raise ValueError(f"raw schema {raw_schema!r} is not a plain lowercase name")
    placeholders = {"oracle": (":1", ":2", ":3"), "duckdb": ("?", "?", "?"), "postgres": ("%s", "%s", "%s")}
    if kind not in placeholders:
        raise ValueError(f"unknown warehouse kind {kind!r}; expected oracle, postgres or duckdb")
    count, run, stream = placeholders[kind]
    cursor = conn.cursor()
    try:
        cursor.execute(
            f"update {raw_schema}.etl_load_audit set missed_by_incremental = {count} "
            f"where run_id = {run} and stream_name = {stream}",
            (int(missed), load_run_id, entity),
        )
    finally:
        cursor.close()
    conn.commit()


def deletion_cutoff(window_end: datetime, planned_at: datetime | None, margin: timedelta) -> datetime:
    """The instant before which a record this sync did not see may be marked deleted: the window end
    or the earliest plan time, whichever is earlier, minus `margin` (at least the incremental lookback),
    to the second. A record stamped just before the cut-off that commits after the plan (or a WMS clock
    a little behind Airflow's) is then never marked deleted by this sync (issue 34 item 1)."""
    if window_end.tzinfo is None or (planned_at is not None and planned_at.tzinfo is None):
        raise ValueError("the window end and the plan time must be aware datetimes")
    earliest = min(window_end, planned_at) if planned_at is not None else window_end
    return (earliest - margin).astimezone(UTC).replace(microsecond=0)

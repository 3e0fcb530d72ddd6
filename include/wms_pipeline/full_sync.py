"""The full sync's two bookends: planning id partitions, and declaring the sync complete.

Records deleted in the WMS are marked deleted downstream (dbt staging) only for streams whose full sync
is recorded complete here, which happens only after every partition of that stream succeeded.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import BaseHook

from include.wms_pipeline import deletion_guard, settings
from include.wms_pipeline.checks.binds import Binds
from include.wms_pipeline.meltano import wms_auth, wms_base_url
from include.wms_pipeline.partitions import share_partitions, split_id_range
from include.wms_pipeline.wms_api import WmsClient

log = logging.getLogger(__name__)


def plan_partitions(
    entity: str, *, sharing: Sequence[str], total_partitions: int, min_ids: int
) -> dict[str, Any]:
    """Ask the WMS for the entity's id range and count, and for the counts of the other entities in
    `sharing`; split the entity into its share of `total_partitions` for mapped tasks.

    Each entity's plan task asks for itself, so a count that moves between two plan tasks only shifts
    the shares a little; every partition set still covers its whole id range.
    """
    conn = BaseHook.get_connection(settings.WMS_CONN_ID)
    client = WmsClient(wms_base_url(conn), wms_auth(conn))
    # Before the WMS is asked: a record committed after this instant may lie above the planned id range.
    planned_at = datetime.now(UTC).isoformat()
    stats = client.entity_stats(entity)
    if stats.id_min is None or stats.id_max is None:
        log.info("%s has no records in the WMS", entity)
        return {
            "entity": entity,
            "wms_count": 0,
            "planned_at": planned_at,
            "partitions": [{"index": 0, "id_min": 0, "id_max": 0}],
        }
    counts = {other: client.entity_count(other) for other in sharing if other != entity}
    counts[entity] = stats.count
    share = share_partitions(counts, total_partitions)[entity]
    partitions = split_id_range(stats.id_min, stats.id_max, max_partitions=share, min_ids=min_ids)
    log.info(
        "%s: %d records, ids %d..%d in %d partitions (%d in all, by the counts %s)",
        entity,
        stats.count,
        stats.id_min,
        stats.id_max,
        len(partitions),
        total_partitions,
        counts,
    )
    return {
        "entity": entity,
        "wms_count": stats.count,
        "planned_at": planned_at,
        "partitions": [p.as_dict() for p in partitions],
    }


def sync_scope(entities: Iterable[str]) -> str:
    """The scope this full sync runs under (deletion_guard.scope), from the oracle_wms connection."""
    conn = BaseHook.get_connection(settings.WMS_CONN_ID)
    return deletion_guard.scope(conn.extra_dejson, wms_base_url(conn), list(entities))


def placeholders(kind: str, count: int) -> list[str]:
    """Bind markers in each warehouse driver's style: DuckDB `?`, psycopg `%s`, python-oracledb `:n`."""
    if kind == "oracle":
        return [f":{index}" for index in range(1, count + 1)]
    return ["?" if kind == "duckdb" else "%s"] * count


def as_naive_utc(moment: datetime) -> datetime:
    """`moment` as a naive UTC datetime, microseconds kept: what the Oracle bookkeeping columns hold.

    On Oracle etl_full_sync_complete's times are plain TIMESTAMP(6) holding UTC, and python-oracledb
    sends a datetime's wall-clock fields and ignores its tzinfo: only a naive UTC value is stored as
    the same instant on every worker, whatever its local time zone. A naive `moment` has no instant
    to convert, so it is refused rather than guessed.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no time zone: pass an aware datetime (the full sync's window end)")
    return moment.astimezone(UTC).replace(tzinfo=None)


def _bind_times_as_timestamps(cursor: Any, count: int, time_positions: Sequence[int]) -> None:
    """Ask python-oracledb to bind the `time_positions` (0-based) of a `count`-bind statement as
    TIMESTAMP: by value it binds every datetime as DATE, which has no fractional seconds."""
    import oracledb  # only the Oracle path needs the driver; DAG parsing does not import it

    cursor.setinputsizes(
        *(oracledb.DB_TYPE_TIMESTAMP if position in time_positions else None for position in range(count))
    )


def record_complete(sync_id: str, entities: Iterable[str], window_end: datetime) -> list[str]:
    """Declare each stream's full sync complete, in one transaction; a rerun replaces its own rows."""
    hook: Any = BaseHook.get_connection(settings.WAREHOUSE_CONN_ID).get_hook()  # type: ignore[no-untyped-call]
    table = f"{settings.RAW_SCHEMA}.etl_full_sync_complete"
    kind = settings.warehouse_kind()
    s1, s2 = placeholders(kind, 2)
    i1, i2, i3, i4 = placeholders(kind, 4)
    completed_at = datetime.now(UTC)
    times: tuple[datetime, datetime] = (window_end, completed_at)
    if kind == "oracle":
        times = (as_naive_utc(window_end), as_naive_utc(completed_at))
    recorded = list(entities)
    conn = hook.get_conn()
    try:
        cursor = conn.cursor()
        for entity in recorded:
            cursor.execute(
                f"delete from {table} where sync_id = {s1} and stream_name = {s2}", (sync_id, entity)
            )
            if kind == "oracle":
                _bind_times_as_timestamps(cursor, 4, time_positions=(2, 3))
            cursor.execute(
                f"insert into {table} (sync_id, stream_name, window_end, completed_at) values ({i1}, {i2}, {i3}, {i4})",
                (sync_id, entity, *times),
            )
        conn.commit()
    finally:
        conn.close()
    log.info("full sync %s recorded complete for %s", sync_id, ", ".join(recorded))
    return recorded


# The deletion guard ------------------------------------------------------------------------------------

DECISION_TABLE = "etl_full_sync_decision"
_DECISION_COLUMNS = (
    "sync_id, stream_name, status, scope, previous_scope, live_records, would_mark, deletion_cutoff, "
    "decided_at, reason"
)


def deletion_cutoff(window_end: datetime, planned_at: datetime | None, margin: timedelta) -> datetime:
    """The instant before which a record this sync did not see may be marked deleted: the window end
    or the earliest plan time, whichever is earlier, minus `margin` (at least the incremental lookback),
    to the second. A record stamped just before the cut-off that commits after the plan (or a WMS clock
    a little behind Airflow's) is then never marked deleted by this sync (issue 34 item 1)."""
    if window_end.tzinfo is None or (planned_at is not None and planned_at.tzinfo is None):
        raise ValueError("the window end and the plan time must be aware datetimes")
    earliest = min(window_end, planned_at) if planned_at is not None else window_end
    return (earliest - margin).astimezone(UTC).replace(microsecond=0)


def _decision_ddl(kind: str) -> str:
    table = f"{settings.RAW_SCHEMA}.{DECISION_TABLE}"
    if kind == "oracle":
        text, number, stamp = "varchar2({} char)", "number(19)", "timestamp(6)"
    else:
        text, number, stamp = "varchar({})", "bigint", "timestamptz"
    columns = (
        f"sync_id {text.format(512)} not null, stream_name {text.format(128)} not null, "
        f"status {text.format(16)} not null, scope {text.format(2000)}, previous_scope {text.format(2000)}, "
        f"live_records {number}, would_mark {number}, deletion_cutoff {stamp}, decided_at {stamp}, "
        f"reason {text.format(4000)}, primary key (sync_id, stream_name)"
    )
    if kind == "oracle":
        # ORA-00955: the table exists already (Oracle has no CREATE TABLE IF NOT EXISTS before 23ai).
        return (
            f"begin execute immediate 'create table {table} ({columns})'; "
            "exception when others then if sqlcode != -955 then raise; end if; end;"
        )
    return f"create table if not exists {table} ({columns})"


def _bind_time(kind: str, moment: datetime) -> datetime:
    """A whole-second instant as each driver stores it: naive UTC on Oracle (bound as DATE, no loss)."""
    return as_naive_utc(moment) if kind == "oracle" else moment


def _previous_complete(cursor: Any, kind: str, entity: str, sync_id: str) -> tuple[str, Any] | None:
    binds = Binds(kind)
    sql = (
        "select sync_id, window_end from (\n"
        "    select sync_id, window_end,\n"
        "        row_number() over (order by completed_at desc, sync_id desc) sync_rank\n"
        f"    from {settings.RAW_SCHEMA}.etl_full_sync_complete\n"
        f"    where stream_name = {binds.add(entity)} and sync_id <> {binds.add(sync_id)}\n"
        ") ranked where sync_rank = 1"
    )
    cursor.execute(sql, tuple(binds.values))
    row = cursor.fetchone()
    return (str(row[0]), row[1]) if row else None


def _previous_scope(cursor: Any, kind: str, entity: str, previous_sync: str) -> str | None:
    binds = Binds(kind)
    sql = (
        f"select scope from {settings.RAW_SCHEMA}.{DECISION_TABLE}\n"
        f"where sync_id = {binds.add(previous_sync)} and stream_name = {binds.add(entity)}"
    )
    cursor.execute(sql, tuple(binds.values))
    row = cursor.fetchone()
    return str(row[0]) if row and row[0] is not None else None


def _count_marks(
    cursor: Any, kind: str, entity: str, sync_id: str, cutoff: datetime, previous: tuple[str, Any] | None
) -> tuple[int, int]:
    """(live records, records this sync would newly mark deleted) of `entity`, from the raw history:
    live = current versions the previous complete sync did not mark deleted (the same rule as
    dbt's wms_full_sync_deletions); would mark = live, newest version older than `cutoff`, not seen."""
    settings.entity_names([entity], "the full sync's entity")
    binds = Binds(kind)
    raw, seen = settings.RAW_SCHEMA, f"{settings.RAW_SCHEMA}.etl_full_sync_seen"
    select = (
        "select count(*),\n"
        f"    coalesce(sum(case when cur.mod_ts < {binds.add(_bind_time(kind, cutoff))} and not exists (\n"
        f"        select 1 from {seen} s where s.sync_id = {binds.add(sync_id)}\n"
        f"            and s.stream_name = {binds.add(entity)} and s.record_id = cur.id)\n"
        "    then 1 else 0 end), 0)\n"
        f"from (select id, max(mod_ts) mod_ts from {raw}.{entity} group by id) cur"
    )
    if previous is not None:
        select += (
            f"\nwhere not (cur.mod_ts < {binds.add(previous[1])} and not exists (\n"
            f"    select 1 from {seen} p where p.sync_id = {binds.add(previous[0])}\n"
            f"        and p.stream_name = {binds.add(entity)} and p.record_id = cur.id))"
        )
    cursor.execute(select, tuple(binds.values))
    live, would_mark = cursor.fetchone()
    return int(live), int(would_mark or 0)


def decide(
    sync_id: str,
    entities: Iterable[str],
    cutoff: datetime,
    thresholds: Mapping[str, deletion_guard.Threshold],
    scope: str,
    *,
    confirm: bool,
) -> list[deletion_guard.Decision]:
    """Count each entity's would-be deletion marks, record a decision row per entity in
    etl_full_sync_decision (a rerun replaces its own rows), and return the decisions. Complete and
    released entities are then recorded complete by `record_complete`; held ones are not."""
    hook: Any = BaseHook.get_connection(settings.WAREHOUSE_CONN_ID).get_hook()  # type: ignore[no-untyped-call]
    kind = settings.warehouse_kind()
    decided_at = datetime.now(UTC).replace(microsecond=0)
    decisions = []
    conn = hook.get_conn()
    try:
        cursor = conn.cursor()
        cursor.execute(_decision_ddl(kind))
        for entity in entities:
            previous = _previous_complete(cursor, kind, entity, sync_id)
            live, would_mark = _count_marks(cursor, kind, entity, sync_id, cutoff, previous)
            previous_scope = _previous_scope(cursor, kind, entity, previous[0]) if previous else None
            decision = deletion_guard.Decision(
                entity, live, would_mark, thresholds[entity], scope, previous_scope, confirmed=confirm
            )
            decisions.append(decision)
            binds = Binds(kind)
            cursor.execute(
                f"delete from {settings.RAW_SCHEMA}.{DECISION_TABLE} "
                f"where sync_id = {binds.add(sync_id)} and stream_name = {binds.add(entity)}",
                tuple(binds.values),
            )
            binds = Binds(kind)
            values = (
                sync_id,
                entity,
                decision.status,
                scope,
                previous_scope,
                live,
                would_mark,
                _bind_time(kind, cutoff),
                _bind_time(kind, decided_at),
                decision.reason()[:4000],
            )
            markers = ", ".join(binds.add(value) for value in values)
            cursor.execute(
                f"insert into {settings.RAW_SCHEMA}.{DECISION_TABLE} ({_DECISION_COLUMNS}) values ({markers})",
                tuple(binds.values),
            )
            log.info("full sync %s, %s: %s (%s)", sync_id, decision.status, decision.message(), previous)
        conn.commit()
    finally:
        conn.close()
    return decisions


def held_decisions(sync_id: str) -> list[tuple[str, str]]:
    """(entity, reason) of every entity this sync left held (etl_full_sync_decision)."""
    hook: Any = BaseHook.get_connection(settings.WAREHOUSE_CONN_ID).get_hook()  # type: ignore[no-untyped-call]
    kind = settings.warehouse_kind()
    binds = Binds(kind)
    sql = (
        f"select stream_name, reason, scope from {settings.RAW_SCHEMA}.{DECISION_TABLE}\n"
        f"where sync_id = {binds.add(sync_id)} and status = {binds.add('held')} order by stream_name"
    )
    conn = hook.get_conn()
    try:
        cursor = conn.cursor()
        cursor.execute(sql, tuple(binds.values))
        return [
            (str(entity), f"{reason}; filters in force: {scope}")
            for entity, reason, scope in cursor.fetchall()
        ]
    finally:
        conn.close()

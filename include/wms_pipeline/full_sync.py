"""The full sync's two bookends: planning id partitions, and declaring the sync complete.

Records deleted in the WMS are marked deleted downstream (dbt staging) only for streams whose full sync
is recorded complete here, which happens only after every partition of that stream succeeded.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from airflow.sdk import BaseHook

from include.wms_pipeline import deletion_guard, settings
from include.wms_pipeline.checks.binds import Binds
from include.wms_pipeline.late_commits import deletion_cutoff as deletion_cutoff  # noqa: PLC0414 - re-exported
from include.wms_pipeline.load_evidence import WmsSource
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
    stats = client.entity_stats(entity, scope_filters(entity, conn.extra_dejson))
    if stats.id_min is None or stats.id_max is None:
        log.info("%s has no records in the WMS", entity)
        return {
            "entity": entity,
            "wms_count": 0,
            "planned_at": planned_at,
            "partitions": [{"index": 0, "id_min": 0, "id_max": 0}],
        }
    counts = {
        other: client.entity_count(other, scope_filters(other, conn.extra_dejson))
        for other in sharing
        if other != entity
    }
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


TAP_SCHEMAS = (
    settings.PROJECT_ROOT
    / "include"
    / "meltano"
    / "packages"
    / "tap-oracle-wms"
    / "tap_oracle_wms"
    / "schemas"
)


def scope_filters(entity: str, extra: Mapping[str, Any]) -> dict[str, str]:
    """The list filters the tap adds for the connection's facility_code / company_code (tap client's
    get_url_params: where the entity's schema has facility_id / company_id), so that the WMS count the
    plan asks for is the count of what the tap reads (check_full_sync_counts_match_wms)."""
    settings.entity_names([entity], "the planned entity")
    properties = json.loads((TAP_SCHEMAS / f"{entity}.json").read_text()).get("properties", {})
    filters = {}
    for key, field in (("facility_code", "facility_id"), ("company_code", "company_id")):
        if extra.get(key) and field in properties:
            filters[f"{field}__code"] = str(extra[key])
    return filters


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


def record_complete(
    sync_id: str, entities: Iterable[str], window_end: datetime, source: WmsSource
) -> list[str]:
    """Declare each stream's full sync complete, in one transaction; a rerun replaces its own rows.

    Each row records the WMS the sync read (`source`: base URL with environment, API user; never a
    secret), the one every load of the sync recorded in etl_load_source (verify_before_complete)."""
    hook: Any = BaseHook.get_connection(settings.WAREHOUSE_CONN_ID).get_hook()  # type: ignore[no-untyped-call]
    table = f"{settings.RAW_SCHEMA}.etl_full_sync_complete"
    kind = settings.warehouse_kind()
    s1, s2 = placeholders(kind, 2)
    i1, i2, i3, i4, i5, i6 = placeholders(kind, 6)
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
                _bind_times_as_timestamps(cursor, 6, time_positions=(2, 3))
            cursor.execute(
                f"insert into {table} (sync_id, stream_name, window_end, completed_at, wms_base_url, wms_user) "
                f"values ({i1}, {i2}, {i3}, {i4}, {i5}, {i6})",
                (sync_id, entity, *times, source.base_url, source.user),
            )
        conn.commit()
    finally:
        conn.close()
    log.info("full sync %s recorded complete for %s", sync_id, ", ".join(recorded))
    return recorded


# The deletion guard ------------------------------------------------------------------------------------

DECISION_TABLE = "etl_full_sync_decision"
_DECISION_COLUMNS = (
    "sync_id, stream_name, status, scope, previous_scope, live_records, would_mark, purged, "
    "deletion_cutoff, purge_before, decided_at, reason"
)


def _bind_time(kind: str, moment: datetime) -> datetime:
    """A whole-second instant as each driver stores it: naive UTC on Oracle (bound as DATE, no loss)."""
    return as_naive_utc(moment) if kind == "oracle" else moment


def _previous_complete(cursor: Any, kind: str, entity: str, sync_id: str) -> tuple[str, Any, Any, Any] | None:
    """(sync id, deletion cut-off, purge bound, scope) of the newest complete full sync of `entity`
    other than `sync_id` (the one dbt marks deletions from); None before the first."""
    binds = Binds(kind)
    decision = f"{settings.RAW_SCHEMA}.{DECISION_TABLE}"
    sql = (
        "select ranked.sync_id, ranked.window_end, d.purge_before, d.scope from (\n"
        "    select sync_id, stream_name, window_end,\n"
        "        row_number() over (order by window_end desc, completed_at desc, sync_id desc) sync_rank\n"
        f"    from {settings.RAW_SCHEMA}.etl_full_sync_complete\n"
        f"    where stream_name = {binds.add(entity)} and sync_id <> {binds.add(sync_id)}\n"
        f") ranked\nleft join {decision} d\n"
        "    on d.sync_id = ranked.sync_id and d.stream_name = ranked.stream_name\n"
        "where ranked.sync_rank = 1"
    )
    cursor.execute(sql, tuple(binds.values))
    row = cursor.fetchone()
    return (str(row[0]), row[1], row[2], row[3]) if row else None


def _count_marks(
    cursor: Any,
    kind: str,
    entity: str,
    sync_id: str,
    cutoff: datetime,
    purge_before: datetime | None,
    previous: tuple[str, Any, Any] | None,
) -> tuple[int, int, int]:
    """(live, would mark, purged) records of `entity`, from the raw history, by the rule of dbt's
    wms_full_sync_deletions: live = current versions the previous complete sync neither marked deleted
    nor found purged; of those not seen by this sync, the ones whose newest version is older than
    `purge_before` are purged, the others older than `cutoff` would be marked deleted."""
    settings.entity_names([entity], "the full sync's entity")
    binds = Binds(kind)
    raw, seen = settings.RAW_SCHEMA, f"{settings.RAW_SCHEMA}.etl_full_sync_seen"
    # An unreachable purge bound when none is set keeps one statement shape for every case.
    never = datetime(1900, 1, 1, tzinfo=UTC)
    purge = binds.add(_bind_time(kind, purge_before or never))

    def unseen(by_sync: str, alias: str = "s") -> str:
        """`cur` not seen by the sync `by_sync` (markers added in text order)."""
        sync_marker, stream_marker = binds.add(by_sync), binds.add(entity)
        return (
            f"not exists (select 1 from {seen} {alias} where {alias}.sync_id = {sync_marker}\n"
            f"            and {alias}.stream_name = {stream_marker} and {alias}.record_id = cur.id)"
        )

    select = (
        "select count(*),\n"
        f"    coalesce(sum(case when cur.mod_ts < {purge} then 0 when cur.mod_ts < "
        f"{binds.add(_bind_time(kind, cutoff))} and " + unseen(sync_id) + " then 1 else 0 end), 0),\n"
        f"    coalesce(sum(case when cur.mod_ts < {binds.add(_bind_time(kind, purge_before or never))} and "
        + unseen(sync_id)
        + " then 1 else 0 end), 0)\n"
        f"from (select id, max(mod_ts) mod_ts from {raw}.{entity} group by id) cur"
    )
    if previous is not None:
        # Marked deleted or found purged by the previous sync: unseen by it, older than its cut-off.
        previous_id, previous_cutoff, _ = previous
        select += (
            f"\nwhere not (cur.mod_ts < {binds.add(previous_cutoff)} and " + unseen(previous_id, "p") + ")"
        )
    cursor.execute(select, tuple(binds.values))
    live, would_mark, purged = cursor.fetchone()
    return int(live), int(would_mark or 0), int(purged or 0)


def decide(
    sync_id: str,
    entities: Iterable[str],
    cutoff: datetime,
    thresholds: Mapping[str, deletion_guard.Threshold],
    purge_days: Mapping[str, int | None],
    scope: str,
    *,
    confirm: bool,
) -> list[deletion_guard.Decision]:
    """Count each entity's would-be deletion marks and purged records, record a decision row per entity
    in etl_full_sync_decision (a rerun replaces its own rows), and return the decisions. Complete and
    released entities are then recorded complete by `record_complete`; held ones are not."""
    hook: Any = BaseHook.get_connection(settings.WAREHOUSE_CONN_ID).get_hook()  # type: ignore[no-untyped-call]
    kind = settings.warehouse_kind()
    decided_at = datetime.now(UTC).replace(microsecond=0)
    table = f"{settings.RAW_SCHEMA}.{DECISION_TABLE}"
    decisions = []
    conn = hook.get_conn()
    try:
        cursor = conn.cursor()
        for entity in entities:
            days = purge_days.get(entity)
            purge_before = cutoff - timedelta(days=days) if days else None
            previous = _previous_complete(cursor, kind, entity, sync_id)
            live, would_mark, purged = _count_marks(
                cursor, kind, entity, sync_id, cutoff, purge_before, previous[:3] if previous else None
            )
            previous_scope = str(previous[3]) if previous and previous[3] is not None else None
            decision = deletion_guard.Decision(
                entity, live, would_mark, thresholds[entity], scope, previous_scope, confirm, purged
            )
            decisions.append(decision)
            binds = Binds(kind)
            cursor.execute(
                f"delete from {table} where sync_id = {binds.add(sync_id)} and stream_name = {binds.add(entity)}",
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
                purged,
                _bind_time(kind, cutoff),
                _bind_time(kind, purge_before) if purge_before else None,
                _bind_time(kind, decided_at),
                decision.reason()[:4000],
            )
            markers = ", ".join(binds.add(value) for value in values)
            cursor.execute(
                f"insert into {table} ({_DECISION_COLUMNS}) values ({markers})", tuple(binds.values)
            )
            log.info(
                "full sync %s, %s %s: %d live, %d would be marked deleted, %d purged in the WMS (%s)",
                sync_id,
                entity,
                decision.status,
                live,
                would_mark,
                purged,
                decision.message(),
            )
        conn.commit()
    finally:
        conn.close()
    return decisions


class HeldEntity(NamedTuple):
    """One entity a full sync left held: its counts, whether its scope changed, and the full reason."""

    entity: str
    would_mark: int
    live: int
    scope_changed: bool
    detail: str

    def summary(self) -> str:
        """`order_hdr 38/121`: the records it would mark deleted of its live ones."""
        return f"{self.entity} {self.would_mark}/{self.live}"


def held_decisions(sync_id: str) -> list[HeldEntity]:
    """Every entity this sync left held (etl_full_sync_decision), by name."""
    hook: Any = BaseHook.get_connection(settings.WAREHOUSE_CONN_ID).get_hook()  # type: ignore[no-untyped-call]
    kind = settings.warehouse_kind()
    binds = Binds(kind)
    sql = (
        "select stream_name, would_mark, live_records, reason, scope, previous_scope\n"
        f"from {settings.RAW_SCHEMA}.{DECISION_TABLE}\n"
        f"where sync_id = {binds.add(sync_id)} and status = {binds.add('held')} order by stream_name"
    )
    conn = hook.get_conn()
    try:
        cursor = conn.cursor()
        cursor.execute(sql, tuple(binds.values))
        return [
            HeldEntity(
                str(entity),
                int(would_mark or 0),
                int(live or 0),
                previous is not None and str(previous) != str(scope),
                f"{reason}; filters in force: {scope}",
            )
            for entity, would_mark, live, reason, scope, previous in cursor.fetchall()
        ]
    finally:
        conn.close()

"""The full sync's two bookends: planning id partitions, and declaring the sync complete.

Records deleted in the WMS are marked deleted downstream (dbt staging) only for streams whose full sync
is recorded complete here, which happens only after every partition of that stream succeeded.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from airflow.sdk import BaseHook

from include.wms_pipeline import settings
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
    stats = client.entity_stats(entity)
    if stats.id_min is None or stats.id_max is None:
        log.info("%s has no records in the WMS", entity)
        return {"entity": entity, "wms_count": 0, "partitions": [{"index": 0, "id_min": 0, "id_max": 0}]}
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
    return {"entity": entity, "wms_count": stats.count, "partitions": [p.as_dict() for p in partitions]}


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

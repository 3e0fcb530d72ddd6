"""The warehouse's side of the key-scan full sync: which (id, mod_ts) versions the raw history holds.

Before a partition's extract-load, its task writes those versions (ids in the partition's range) to a
file in its own scratch directory; the tap compares them with the WMS's key pages and fetches whole
records only for the versions missing (tap-oracle-wms keyscan.py). The file lives as long as the task:
what a retried or rerun partition compares with is read from the warehouse again.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from airflow.sdk import BaseHook

from include.wms_pipeline import settings
from include.wms_pipeline.full_sync import placeholders
from include.wms_pipeline.partitions import IdPartition

log = logging.getLogger(__name__)

FETCH_ROWS = 50_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# mod_ts as microseconds since the epoch, computed by the database where it can (no time zone
# library needed on the worker to read DuckDB's TIMESTAMPTZ; PostgreSQL's extract is exact numeric).
_MICROS = {
    "duckdb": "epoch_us(mod_ts)",
    "postgres": "cast(extract(epoch from mod_ts) * 1000000 as bigint)",
    "oracle": "mod_ts",  # TIMESTAMP(6) holding UTC; converted below
}


def _micros(value: Any) -> int:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        delta = moment - _EPOCH
        return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return int(value)


def _table_exists(cursor: Any, kind: str, entity: str) -> bool:
    if kind == "oracle":
        sql = "select count(*) from all_tables where owner = :1 and table_name = :2"
        cursor.execute(sql, (settings.RAW_SCHEMA.upper(), entity.upper()))
    else:
        s1, s2 = placeholders(kind, 2)
        sql = (
            f"select count(*) from information_schema.tables where table_schema = {s1} and table_name = {s2}"
        )
        cursor.execute(sql, (settings.RAW_SCHEMA, entity))
    row = cursor.fetchone()
    return bool(row and row[0])


def write_known_versions(entity: str, partition: IdPartition | None, path: Path) -> int:
    """Write the raw history's versions of `entity` (in `partition`'s id range) to `path` as
    `id<TAB>microseconds` lines; return how many. No raw table yet (first sync): an empty file."""
    (checked,) = settings.entity_names((entity,), "the extract task's entity")  # a table name below
    kind = settings.warehouse_kind()
    hook: Any = BaseHook.get_connection(settings.WAREHOUSE_CONN_ID).get_hook()  # type: ignore[no-untyped-call]
    written = 0
    conn = hook.get_conn()
    try:
        cursor = conn.cursor()
        with path.open("w", encoding="ascii") as out:
            if _table_exists(cursor, kind, checked):
                sql = f"select id, {_MICROS[kind]} from {settings.RAW_SCHEMA}.{checked}"
                binds: tuple[int, ...] = ()
                if partition is not None:
                    low, high = placeholders(kind, 2)
                    sql += f" where id >= {low} and id <= {high}"
                    binds = (partition.id_min, partition.id_max)
                cursor.execute(sql, binds)
                while rows := cursor.fetchmany(FETCH_ROWS):
                    out.writelines(f"{int(record_id)}\t{_micros(micros)}\n" for record_id, micros in rows)
                    written += len(rows)
    finally:
        conn.close()
    log.info("%s: the warehouse holds %d versions in this partition's id range", entity, written)
    return written

"""Table definitions and the set-based statements every dialect shares.

Statements are SQLAlchemy Core constructs, so each database gets its own rendering of one shape:
insert-if-absent is ``INSERT INTO t SELECT ... FROM staging s WHERE NOT EXISTS (...)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from target_warehouse.columns import (
    HISTORY_KEY,
    ID_COLUMN,
    LOADED_AT_COLUMN,
    RUN_ID_COLUMN,
    ColumnSpec,
    Kind,
    etl_trailer_columns,
)
from target_warehouse.dialects.base import WarehouseDialect

AUDIT = "etl_load_audit"
QUARANTINE = "etl_quarantine"
FULL_SYNC_SEEN = "etl_full_sync_seen"
FULL_SYNC_COMPLETE = "etl_full_sync_complete"
LOADED_WINDOWS = "etl_loaded_windows"
# One row per load (run_id, stream_name, as in etl_load_audit): the WMS it read, written when the
# stream starts, before any batch; committed_at and records_read are set by the orchestrator once the
# whole extract-load succeeded (include/wms_pipeline/load_evidence.py).
LOAD_SOURCE = "etl_load_source"
_URL_LENGTH = 1000
# One row per (full sync, stream): what the deletion guard decided and why (written by the DAG).
FULL_SYNC_DECISION = "etl_full_sync_decision"
AUDIT_COUNTS = ("records_received", "records_inserted", "records_already_present", "records_quarantined")
# etl_load_audit.missed_by_incremental: of a full sync's load, the versions it inserted that the
# incremental runs had missed (commits later than the lookback); written by the full sync's extract
# task after the load (include/wms_pipeline/late_commits.py), NULL for every other load.
MISSED_BY_INCREMENTAL = ColumnSpec("missed_by_incremental", Kind.INTEGER)
# Columns added to a bookkeeping table after its first release, with their text length: `ensure_ready`
# adds them to a table an older loader created by ALTER TABLE ... ADD (nullable, nothing dropped or
# rewritten; rows written before have NULL there). etl_full_sync_complete records the WMS the sync
# read (issue 35 item 3), as etl_load_source does.
ADDED_COLUMNS: dict[str, list[tuple[ColumnSpec, int | None]]] = {
    AUDIT: [(MISSED_BY_INCREMENTAL, None)],
    FULL_SYNC_COMPLETE: [
        (ColumnSpec("wms_base_url", Kind.TEXT), _URL_LENGTH),
        (ColumnSpec("wms_user", Kind.TEXT), 128),
    ],
}
_NAME_LENGTH = 128
# etl_quarantine.reason: Oracle's VARCHAR2 holds at most 4000 bytes (MAX_STRING_SIZE = STANDARD),
# whatever the CHAR length says; a reason is cut to that many UTF-8 bytes.
REASON_MAX_BYTES = 4000
# Run and sync ids come from Airflow (dag id + run id + entity + partition): room for the longest.
_RUN_ID_LENGTH = 512


def _column(dialect: WarehouseDialect, spec: ColumnSpec, length: int | None, **kwargs: Any) -> sa.Column[Any]:
    return sa.Column(
        dialect.identifier(spec.name), dialect.sa_type(spec.kind, length), key=spec.name, **kwargs
    )


def _table(
    dialect: WarehouseDialect,
    metadata: sa.MetaData,
    name: str,
    schema: str | None,
    columns: Sequence[tuple[ColumnSpec, int | None, bool]],
) -> sa.Table:
    return sa.Table(
        dialect.identifier(name),
        metadata,
        *[_column(dialect, spec, length, primary_key=key, nullable=not key) for spec, length, key in columns],
        schema=dialect.identifier(schema) if schema else None,
    )


def bookkeeping_tables(dialect: WarehouseDialect, schema: str | None) -> sa.MetaData:
    """The six etl_* tables of the contract (docs/architecture.md, "The warehouse tables").

    etl_loaded_windows is written by the incremental DAG (its record_window_end task) and
    etl_full_sync_decision by the full sync's finalize step, not by the loader; the loader creates them
    with the others so that they exist, with the same grants, before any run reads them.
    """
    metadata = sa.MetaData()
    text, stamp, count = Kind.TEXT, Kind.TIMESTAMP, Kind.INTEGER
    run = (ColumnSpec("run_id", text), _RUN_ID_LENGTH)
    stream = (ColumnSpec("stream_name", text), _NAME_LENGTH)
    sync = (ColumnSpec("sync_id", text), _RUN_ID_LENGTH)
    _table(
        dialect,
        metadata,
        AUDIT,
        schema,
        [
            (*run, True),
            (*stream, True),
            (ColumnSpec("started_at", stamp), None, False),
            (ColumnSpec("finished_at", stamp), None, False),
            *[(ColumnSpec(name, count), None, False) for name in AUDIT_COUNTS],
            *[(spec, length, False) for spec, length in ADDED_COLUMNS[AUDIT]],
        ],
    )
    _table(
        dialect,
        metadata,
        QUARANTINE,
        schema,
        [
            (*run, False),
            (*stream, False),
            (ColumnSpec("quarantined_at", stamp), None, False),
            (ColumnSpec("reason", text), 4000, False),
            (ColumnSpec("raw_record", Kind.JSON), None, False),
        ],
    )
    _table(
        dialect,
        metadata,
        FULL_SYNC_SEEN,
        schema,
        [
            (*sync, True),
            (*stream, True),
            (ColumnSpec("record_id", count), None, True),
        ],
    )
    _table(
        dialect,
        metadata,
        FULL_SYNC_COMPLETE,
        schema,
        [
            (*sync, True),
            (*stream, True),
            (ColumnSpec("window_end", stamp), None, False),
            (ColumnSpec("completed_at", stamp), None, False),
            *[(spec, length, False) for spec, length in ADDED_COLUMNS[FULL_SYNC_COMPLETE]],
        ],
    )
    _table(
        dialect,
        metadata,
        LOADED_WINDOWS,
        schema,
        [
            (*run, True),
            (*stream, True),
            (ColumnSpec("window_start", stamp), None, False),
            (ColumnSpec("window_end", stamp), None, False),
            (ColumnSpec("recorded_at", stamp), None, False),
        ],
    )
    _table(
        dialect,
        metadata,
        FULL_SYNC_DECISION,
        schema,
        [
            (*sync, True),
            (*stream, True),
            (ColumnSpec("status", text), 16, False),
            (ColumnSpec("scope", text), 2000, False),
            (ColumnSpec("previous_scope", text), 2000, False),
            (ColumnSpec("live_records", count), None, False),
            (ColumnSpec("would_mark", count), None, False),
            (ColumnSpec("purged", count), None, False),
            (ColumnSpec("deletion_cutoff", stamp), None, False),
            (ColumnSpec("purge_before", stamp), None, False),
            (ColumnSpec("decided_at", stamp), None, False),
            (ColumnSpec("reason", text), 4000, False),
        ],
    )
    _table(
        dialect,
        metadata,
        LOAD_SOURCE,
        schema,
        [
            (*run, True),
            (*stream, True),
            (ColumnSpec("wms_base_url", text), _URL_LENGTH, False),
            (ColumnSpec("wms_user", text), _NAME_LENGTH, False),
            (ColumnSpec("started_at", stamp), None, False),
            (ColumnSpec("committed_at", stamp), None, False),
            (ColumnSpec("records_read", count), None, False),
        ],
    )
    return metadata


def raw_table(
    dialect: WarehouseDialect,
    name: str,
    schema: str | None,
    columns: Sequence[ColumnSpec],
    lengths: dict[str, int | None],
) -> sa.Table:
    """A stream's history table: every column, the etl columns, primary key (id, mod_ts)."""
    trailer = [(spec, spec.max_length, False) for spec in etl_trailer_columns()]
    return _table(
        dialect,
        sa.MetaData(),
        name,
        schema,
        [
            *[(spec, lengths.get(spec.name), spec.name in HISTORY_KEY) for spec in columns],
            *trailer,
        ],
    )


def _typed_bind(name: str, column: sa.Column[Any]) -> sa.Cast[Any]:
    """``CAST(:name AS <column type>)`` whose bind carries the column's type as well.

    The CAST tells the database the type of a bind in a SELECT list; the bind's own type is what
    the driver is told (Oracle: ``setinputsizes``, so a timestamp keeps its microseconds).
    """
    return sa.cast(sa.bindparam(name, type_=column.type), column.type)


def insert_new_versions(raw: sa.Table, staging: sa.Table, names: Sequence[str]) -> sa.Insert:
    """Insert the staged versions whose (id, mod_ts) the raw table does not hold yet.

    Binds: ``b_loaded_at`` and ``b_run_id``.
    """
    target, source = raw.alias("t"), staging.alias("s")
    already_there = sa.exists().where(*[target.c[key] == source.c[key] for key in HISTORY_KEY])
    select = sa.select(
        *[source.c[name] for name in names],
        _typed_bind("b_loaded_at", raw.c[LOADED_AT_COLUMN]),
        _typed_bind("b_run_id", raw.c[RUN_ID_COLUMN]),
    ).where(~already_there)
    return sa.insert(raw).from_select([*names, LOADED_AT_COLUMN, RUN_ID_COLUMN], select)


def insert_seen_ids(seen: sa.Table, staging: sa.Table) -> sa.Insert:
    """Record the ids a full sync read. Binds: ``b_sync_id``, ``b_stream_name``."""
    target, source = seen.alias("t"), staging.alias("s")
    sync_id = _typed_bind("b_sync_id", seen.c.sync_id)
    stream = _typed_bind("b_stream_name", seen.c.stream_name)
    already_there = sa.exists().where(
        target.c.sync_id == sync_id, target.c.stream_name == stream, target.c.record_id == source.c[ID_COLUMN]
    )
    select = sa.select(sync_id, stream, source.c[ID_COLUMN]).distinct().where(~already_there)
    return sa.insert(seen).from_select(["sync_id", "stream_name", "record_id"], select)


def ensure_audit_row(audit: sa.Table) -> sa.Insert:
    """Insert a zeroed audit row for (run_id, stream_name) unless it exists. Binds: b_run_id, b_stream_name, b_now."""
    run_id = _typed_bind("b_run_id", audit.c.run_id)
    stream = _typed_bind("b_stream_name", audit.c.stream_name)
    now = _typed_bind("b_now", audit.c.started_at)
    existing = audit.alias("t")
    select = sa.select(run_id, stream, now, now, *[sa.literal(0, sa.Integer) for _ in AUDIT_COUNTS]).where(
        ~sa.exists().where(existing.c.run_id == run_id, existing.c.stream_name == stream)
    )
    return sa.insert(audit).from_select(
        ["run_id", "stream_name", "started_at", "finished_at", *AUDIT_COUNTS], select
    )


def ensure_load_source_row(load_source: sa.Table) -> sa.Insert:
    """Record which WMS a load reads, once per (run_id, stream_name).

    Binds: b_run_id, b_stream_name, b_base_url, b_user, b_now.
    """
    run_id = _typed_bind("b_run_id", load_source.c.run_id)
    stream = _typed_bind("b_stream_name", load_source.c.stream_name)
    base_url = _typed_bind("b_base_url", load_source.c.wms_base_url)
    user = _typed_bind("b_user", load_source.c.wms_user)
    now = _typed_bind("b_now", load_source.c.started_at)
    existing = load_source.alias("t")
    select = sa.select(run_id, stream, base_url, user, now).where(
        ~sa.exists().where(existing.c.run_id == run_id, existing.c.stream_name == stream)
    )
    return sa.insert(load_source).from_select(
        ["run_id", "stream_name", "wms_base_url", "wms_user", "started_at"], select
    )


def add_audit_counts(audit: sa.Table) -> sa.Update:
    """Add one batch's counts. Binds: b_run_id, b_stream_name, b_now and b_add_<count>."""
    return (
        sa.update(audit)
        .where(
            audit.c.run_id == sa.bindparam("b_run_id"), audit.c.stream_name == sa.bindparam("b_stream_name")
        )
        .values(
            finished_at=sa.bindparam("b_now"),
            **{name: audit.c[name] + sa.bindparam(f"b_add_{name}") for name in AUDIT_COUNTS},
        )
    )


def cut_to_utf8_bytes(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, never inside a character."""
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", errors="ignore")  # drops only a cut trailing character


def quarantine_rows(
    run_id: str, stream: str, at: dt.datetime | Any, rejected: Sequence[tuple[str, str]]
) -> list[dict[str, Any]]:
    """Parameters for an executemany INSERT into etl_quarantine."""
    return [
        {
            "run_id": run_id,
            "stream_name": stream,
            "quarantined_at": at,
            "reason": cut_to_utf8_bytes(reason, REASON_MAX_BYTES),
            "raw_record": raw,
        }
        for reason, raw in rejected
    ]

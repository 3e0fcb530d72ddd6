"""Write one batch atomically: stage it, insert the new versions, record quarantine, seen ids, audit."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from target_warehouse.columns import ColumnSpec
from target_warehouse.connector import WarehouseConnector
from target_warehouse.tables import (
    AUDIT,
    AUDIT_COUNTS,
    FULL_SYNC_SEEN,
    QUARANTINE,
    add_audit_counts,
    ensure_audit_row,
    insert_new_versions,
    insert_seen_ids,
    quarantine_rows,
)


@dataclass(frozen=True)
class BatchCounts:
    """What one batch did; ``already_present`` includes in-batch duplicates of one (id, mod_ts)."""

    received: int
    inserted: int
    already_present: int
    quarantined: int

    def as_params(self) -> dict[str, int]:
        values = (self.received, self.inserted, self.already_present, self.quarantined)
        return {f"b_add_{name}": value for name, value in zip(AUDIT_COUNTS, values, strict=True)}


@dataclass(frozen=True)
class BatchTarget:
    """Where a stream's batches go and under which run."""

    stream_name: str
    table_name: str
    run_id: str
    full_sync_id: str | None
    # A key-scan full sync's `<entity>__seen` stream: its ids are recorded as seen for `stream_name`
    # (the entity), and nothing goes to a raw table or the load audit.
    seen_only: bool = False


# A concurrent load (a backfill beside the scheduled run, full-sync partitions) may commit the same
# (id, mod_ts) between our NOT EXISTS and our INSERT: the key then rejects ours and the whole batch
# rolls back. Running it again sees the other load's rows as already present.
KEY_CONFLICT_ATTEMPTS = 8
_KEY_CONFLICT_MARKERS = ("duplicate key value violates unique constraint", "ora-00001", "unique constraint")
# ORA-00060: two loads inserting overlapping keys in different orders wait on each other's
# uncommitted unique-index entries; Oracle breaks the deadlock by rolling back one statement.
_DEADLOCK_MARKERS = ("ora-00060",)


def _is_retryable(exc: sa.exc.DBAPIError) -> bool:
    """A key conflict with a concurrent load, or a deadlock Oracle broke (see ``write_batch``)."""
    text = str(exc.orig if exc.orig is not None else exc).lower()
    if isinstance(exc, sa.exc.IntegrityError) and any(marker in text for marker in _KEY_CONFLICT_MARKERS):
        return True
    return any(marker in text for marker in _DEADLOCK_MARKERS)


def write_batch(
    connector: WarehouseConnector,
    target: BatchTarget,
    raw: sa.Table,
    columns: Sequence[ColumnSpec],
    values: Sequence[Sequence[Any]],
    row_count: int,
    rejected: Sequence[tuple[str, str]],
    received: int,
) -> BatchCounts:
    """Load one batch atomically, again from the start when a concurrent load got in its way.

    Retried: a key conflict (the other load committed the same (id, mod_ts) first) and an Oracle
    deadlock (ORA-00060). Both are safe to redo: Oracle rolls back only the statement that hit the
    deadlock, but the error leaves our batch transaction, which is then rolled back as a whole
    (nothing of the batch is committed, the private staging table goes with it), and the next
    attempt stages and inserts the batch from the start, seeing whatever the other load committed
    as already present.
    """
    for attempt in range(1, KEY_CONFLICT_ATTEMPTS + 1):
        try:
            return _write_batch_once(connector, target, raw, columns, values, row_count, rejected, received)
        except sa.exc.DBAPIError as exc:
            if attempt == KEY_CONFLICT_ATTEMPTS or not _is_retryable(exc):
                raise
            time.sleep(random.uniform(0.05, 0.2) * attempt)  # noqa: S311 - jitter, not cryptography
    raise AssertionError("unreachable")


def _write_batch_once(
    connector: WarehouseConnector,
    target: BatchTarget,
    raw: sa.Table,
    columns: Sequence[ColumnSpec],
    values: Sequence[Sequence[Any]],
    row_count: int,
    rejected: Sequence[tuple[str, str]],
    received: int,
) -> BatchCounts:
    """Load one batch in ONE transaction; nothing of it is visible unless all of it commits.

    ``values`` holds one sequence per column of ``columns`` with ``row_count`` values each.
    """
    dialect = connector.dialect
    names = [column.name for column in columns]
    lengths = {str(c.key): getattr(c.type, "length", None) for c in raw.columns}
    staging = dialect.staging_table(dialect.staging_name(target.table_name), columns, lengths)
    identity = {"b_run_id": target.run_id, "b_stream_name": target.stream_name}
    inserted = 0
    if target.seen_only:
        return _record_seen_ids(connector, target, staging, values, row_count, received)
    with connector.begin() as conn:
        now = dialect.timestamp_value(dt.datetime.now(dt.UTC))
        if row_count:
            dialect.create_staging(conn, staging)
            dialect.bulk_load(conn, staging, values)
            statement = insert_new_versions(raw, staging, names)
            inserted = dialect.insert_count(conn, statement, {"b_loaded_at": now, "b_run_id": target.run_id})
            if target.full_sync_id:
                seen = connector.bookkeeping_table(FULL_SYNC_SEEN)
                conn.execute(
                    insert_seen_ids(seen, staging),
                    {"b_sync_id": target.full_sync_id, "b_stream_name": target.stream_name},
                )
            dialect.drop_staging(conn, staging)
        if rejected:
            quarantine = connector.bookkeeping_table(QUARANTINE)
            conn.execute(
                sa.insert(quarantine), quarantine_rows(target.run_id, target.stream_name, now, rejected)
            )
        counts = BatchCounts(
            received=received,
            inserted=inserted,
            already_present=received - len(rejected) - inserted,
            quarantined=len(rejected),
        )
        audit = connector.bookkeeping_table(AUDIT)
        conn.execute(ensure_audit_row(audit), {**identity, "b_now": now})
        conn.execute(add_audit_counts(audit), {**identity, "b_now": now, **counts.as_params()})
    return counts


def _record_seen_ids(
    connector: WarehouseConnector,
    target: BatchTarget,
    staging: sa.Table,
    values: Sequence[Sequence[Any]],
    row_count: int,
    received: int,
) -> BatchCounts:
    """One batch of a `<entity>__seen` stream: stage the ids, record them seen, in one transaction."""
    dialect = connector.dialect
    with connector.begin() as conn:
        if row_count:
            dialect.create_staging(conn, staging)
            dialect.bulk_load(conn, staging, values)
            conn.execute(
                insert_seen_ids(connector.bookkeeping_table(FULL_SYNC_SEEN), staging),
                {"b_sync_id": target.full_sync_id, "b_stream_name": target.stream_name},
            )
            dialect.drop_staging(conn, staging)
    return BatchCounts(received=received, inserted=0, already_present=received, quarantined=0)

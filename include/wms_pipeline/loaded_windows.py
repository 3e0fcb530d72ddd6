"""The warehouse's record of the incremental windows loaded successfully (etl_loaded_windows).

The incremental DAG writes one row per stream at the end of each successful run (`record`, after the
model checks passed); continuity (`window_for_run`'s `covered_until`) and the contiguity check read
them back together with the last complete full sync of each stream (`read`). Nothing here lives on a
worker or in Airflow: a run is a pure function of its data interval and of these rows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from airflow.sdk import BaseHook

from include.wms_pipeline import settings
from include.wms_pipeline.checks import statements
from include.wms_pipeline.checks.binds import Binds
from include.wms_pipeline.checks.specs import CheckSettings
from include.wms_pipeline.full_sync import _bind_times_as_timestamps, as_naive_utc, placeholders
from include.wms_pipeline.windows import ExtractionWindow, LoadedWindow

log = logging.getLogger(__name__)
TABLE = "etl_loaded_windows"


@dataclass(frozen=True)
class LoadedTime:
    """What the warehouse says was loaded: incremental windows and each stream's last full sync end."""

    windows: tuple[LoadedWindow, ...]
    full_sync_ends: dict[str, datetime]


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_rows(rows: Iterable[Sequence[Any]]) -> LoadedTime:
    """The rows of `statements.loaded_windows` as windows and full-sync ends (times as aware UTC)."""
    windows: list[LoadedWindow] = []
    ends: dict[str, datetime] = {}
    for kind, stream, start, end in rows:
        if str(kind) == "f":
            ends[str(stream)] = _aware(end)
        else:
            windows.append(LoadedWindow(str(stream), _aware(start), _aware(end)))
    return LoadedTime(tuple(windows), ends)


def _hook(conn_id: str) -> Any:
    return BaseHook.get_connection(conn_id).get_hook()  # type: ignore[no-untyped-call]


def read(cfg: CheckSettings, conn_id: str = settings.WAREHOUSE_CONN_ID) -> LoadedTime:
    """The loaded windows and full-sync ends of `cfg.entities`; nothing before the loader's first run."""
    hook = _hook(conn_id)
    exists = Binds(cfg.warehouse_kind)
    sql = statements.loaded_windows_table_exists(cfg, exists)
    [[count]] = hook.get_records(sql, parameters=exists.values)
    if not int(count):
        log.info("%s.%s does not exist yet: nothing was loaded", cfg.raw_schema, TABLE)
        return LoadedTime((), {})
    binds = Binds(cfg.warehouse_kind)
    return parse_rows(hook.get_records(statements.loaded_windows(cfg, binds), parameters=binds.values))


def record(run_id: str, entities: Iterable[str], window: ExtractionWindow) -> list[str]:
    """Record `window` as loaded for each stream, in one transaction; a rerun widens its own rows.

    Rows are never updated by another run, so the time recorded as loaded only grows: a later run
    with an earlier window (a re-run, a manual re-read) adds coverage and takes none away. A rerun of
    the same run that reads a narrower window (a scheduled catch-up run reprocessed by a backfill reads
    its interval alone) keeps the wider window its first attempt loaded when the two overlap or touch:
    those versions are in the warehouse (insert-if-absent), and narrowing the row would open a gap the
    contiguity check reports though nothing is missing.
    """
    if window.start is None:
        raise ValueError("only a bounded incremental window can be recorded as loaded")
    kind = settings.warehouse_kind()
    table = f"{settings.RAW_SCHEMA}.{TABLE}"
    s1, s2 = placeholders(kind, 2)
    i1, i2, i3, i4, i5 = placeholders(kind, 5)
    times: tuple[datetime, datetime, datetime] = (window.start, window.end, datetime.now(UTC))
    if kind == "oracle":
        times = (as_naive_utc(times[0]), as_naive_utc(times[1]), as_naive_utc(times[2]))
    recorded = list(entities)
    conn = _hook(settings.WAREHOUSE_CONN_ID).get_conn()
    try:
        cursor = conn.cursor()
        for entity in recorded:
            cursor.execute(
                f"select window_start, window_end from {table} where run_id = {s1} and stream_name = {s2}",
                (run_id, entity),
            )
            row = cursor.fetchone()
            start, end = window.start, window.end
            if row is not None:
                old_start, old_end = _aware(row[0]), _aware(row[1])
                if old_start <= end and start <= old_end:  # overlapping or touching: keep the union
                    start, end = min(start, old_start), max(end, old_end)
            if kind == "oracle":
                start, end = as_naive_utc(start), as_naive_utc(end)
            cursor.execute(
                f"delete from {table} where run_id = {s1} and stream_name = {s2}", (run_id, entity)
            )
            if kind == "oracle":
                _bind_times_as_timestamps(cursor, 5, time_positions=(2, 3, 4))
            cursor.execute(
                f"insert into {table} (run_id, stream_name, window_start, window_end, recorded_at) "
                f"values ({i1}, {i2}, {i3}, {i4}, {i5})",
                (run_id, entity, start, end, times[2]),
            )
        conn.commit()
    finally:
        conn.close()
    log.info(
        "window [%s, %s) recorded as loaded for %s",
        window.start.isoformat(),
        window.end.isoformat(),
        ", ".join(recorded),
    )
    return recorded

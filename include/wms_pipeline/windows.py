"""From an Airflow run to the extraction window the tap reads. Pure functions.

A run is a pure function of its data interval and of what the warehouse records (never of Meltano
state or of an Airflow Variable):

- a scheduled run starts where the time loaded without a gap ends (`covered_until`: the end of the
  contiguous run of successfully loaded windows since the last complete full sync) when that is
  earlier than its own interval start, so an outage, a pause or a failed run is read by the next
  successful run; the catch-up is bounded by `max_catch_up`, beyond which the run fails and tells
  on-call what to run;
- backfill runs and manual runs with a logical date read exactly their data interval;
- manual runs without a logical date end at `run_after` and start at `covered_until` likewise.

The tap widens the start by its `lookback_minutes` so that records committed late in the WMS are
read again; the loader's insert-if-absent on (id, mod_ts) makes the overlap harmless.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

FULL_SYNC_DAG_ID = "wms_full_sync"
INCREMENTAL_DAG_ID = "wms_incremental_sync"


@dataclass(frozen=True)
class ExtractionWindow:
    """[start, end) in UTC; `start` is None for a full (unwindowed) read."""

    start: datetime | None
    end: datetime

    def __post_init__(self) -> None:
        for value in (self.start, self.end):
            if value is not None and value.tzinfo is None:
                raise ValueError("extraction window bounds must be timezone-aware")
        if self.start is not None and self.start >= self.end:
            raise ValueError(
                f"window start {self.start.isoformat()} is not before end {self.end.isoformat()}"
            )


def parse_instant(value: str | datetime, name: str) -> datetime:
    """An ISO-8601 instant; naive values are rejected because the WMS would read them in local time."""
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(f"{name} must be an ISO-8601 timestamp with offset, got {value!r}") from exc
    if parsed.tzinfo is None:
        raise ValueError(f"{name} must carry a UTC offset (e.g. 2026-01-05T00:00:00+00:00), got {value!r}")
    return parsed.astimezone(UTC)


class CatchUpTooLong(ValueError):
    """The time not loaded since the last successful window is longer than the catch-up allowed."""


def catch_up_command(covered_until: datetime, interval_start: datetime) -> str:
    """The backfill that loads exactly the intervals a run may not catch up on by itself."""
    last_logical = interval_start - timedelta(seconds=1)
    return (
        f"airflow backfill create --dag-id {INCREMENTAL_DAG_ID} --from-date {covered_until.isoformat()} "
        f"--to-date {last_logical.isoformat()} --max-active-runs 1"
    )


def window_for_run(
    *,
    data_interval_start: datetime | None,
    data_interval_end: datetime | None,
    run_after: datetime,
    default_span: timedelta,
    covered_until: datetime | None = None,
    continue_from_coverage: bool = False,
    continue_within_limit: bool = False,
    max_catch_up: timedelta | None = None,
    start_override: str | None = None,
    end_override: str | None = None,
) -> ExtractionWindow:
    """The window of one incremental run.

    Args:
        data_interval_start: the run's interval start, absent for manual runs without a logical date.
        data_interval_end: the run's interval end, likewise.
        run_after: when the run was allowed to start; the window end of a manual run, and the latest
            end a `window_end` may name (a window never reaches into the future).
        default_span: the window length of a manual run when nothing else gives a start.
        covered_until: where the time loaded without a gap ends (see `covered_until`), from the
            warehouse; None when nothing was loaded yet.
        continue_from_coverage: a scheduled run: start at `covered_until` when it is earlier than the
            interval start (beyond `max_catch_up`: CatchUpTooLong).
        continue_within_limit: a manual run with a logical date: start at `covered_until` when it is
            earlier than the interval start by at most `max_catch_up`, else read the interval alone (an
            operator re-reading an old interval is not refused). Backfills read exactly their interval.
        max_catch_up: the longest stretch before the interval start a run may catch up on.
        start_override: an explicit start (param `window_start`), e.g. for an initial load.
        end_override: an explicit end (param `window_end`).
    """
    if end_override:
        end = parse_instant(end_override, "window_end")
        if end > run_after:
            raise ValueError(
                f"window_end {end_override!r} is later than the run's start {run_after.isoformat()}: "
                "a window cannot reach into the future; give an instant at or before the run's start"
            )
    else:
        end = data_interval_end or run_after
    end = end.astimezone(UTC)
    if start_override:
        return ExtractionWindow(parse_instant(start_override, "window_start"), end)
    if data_interval_start is not None:
        start = data_interval_start.astimezone(UTC)
        if covered_until is not None and covered_until < start:
            if continue_from_coverage:
                start = _bounded(covered_until, start, max_catch_up)
            elif continue_within_limit and (max_catch_up is None or start - covered_until <= max_catch_up):
                start = covered_until
    elif covered_until is not None and covered_until < end:
        # A manual run without a logical date continues where the loaded time ends.
        own_start = end - default_span
        start = (
            covered_until if covered_until >= own_start else _bounded(covered_until, own_start, max_catch_up)
        )
    else:
        start = end - default_span
    return ExtractionWindow(start.astimezone(UTC), end)


def _bounded(covered_until: datetime, own_start: datetime, max_catch_up: timedelta | None) -> datetime:
    """`covered_until` as the window start, unless the catch-up would be longer than allowed."""
    missing = own_start - covered_until
    if max_catch_up is not None and missing > max_catch_up:
        hours = max_catch_up.total_seconds() / 3600
        raise CatchUpTooLong(
            f"the WMS changes from {covered_until.isoformat()} to {own_start.isoformat()} "
            f"({missing.total_seconds() / 3600:g} hours) were not loaded, more than the {hours:g} hours a run "
            "catches up on by itself (WMS_MAX_CATCH_UP_HOURS). Either run the full sync "
            f"(airflow dags trigger {FULL_SYNC_DAG_ID}), which restores the current state, or load the "
            f"missed intervals with: {catch_up_command(covered_until, own_start)} ; then clear this run. "
            'See docs/runbook.md, "Airflow was down".'
        )
    return covered_until


@dataclass(frozen=True)
class LoadedWindow:
    """One stream's window loaded successfully (recorded in the warehouse's etl_loaded_windows)."""

    stream: str
    start: datetime
    end: datetime


def _aware(moment: datetime) -> datetime:
    """Warehouse times as aware UTC: Oracle's bookkeeping TIMESTAMP columns hold naive UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def missing_ranges(
    windows: Iterable[LoadedWindow], full_sync_ends: Mapping[str, datetime], streams: Iterable[str]
) -> dict[str, list[tuple[datetime, datetime]]]:
    """Per stream, the stretches of time no loaded window covers, between the last complete full sync
    (or the earliest window when there was none) and the latest window end. Streams without a gap are
    left out."""
    gaps: dict[str, list[tuple[datetime, datetime]]] = {}
    for stream, (_, stream_gaps) in _sweep(windows, full_sync_ends, streams).items():
        if stream_gaps:
            gaps[stream] = stream_gaps
    return gaps


def covered_until(
    windows: Iterable[LoadedWindow], full_sync_ends: Mapping[str, datetime], streams: Iterable[str]
) -> datetime | None:
    """Where the time loaded without a gap ends, for every one of `streams`: the earliest, over the
    streams, of the end of the contiguous windows from the last complete full sync (or from the
    earliest window). None when no stream has anything loaded."""
    ends = [end for end, _ in _sweep(windows, full_sync_ends, streams).values() if end is not None]
    return min(ends) if ends else None


def _sweep(
    windows: Iterable[LoadedWindow], full_sync_ends: Mapping[str, datetime], streams: Iterable[str]
) -> dict[str, tuple[datetime | None, list[tuple[datetime, datetime]]]]:
    """Per stream: (end of the first contiguous coverage, every gap after the starting point)."""
    by_stream: dict[str, list[LoadedWindow]] = {stream: [] for stream in streams}
    for window in windows:
        if window.stream in by_stream:
            by_stream[window.stream].append(
                LoadedWindow(window.stream, _aware(window.start), _aware(window.end))
            )
    result: dict[str, tuple[datetime | None, list[tuple[datetime, datetime]]]] = {}
    for stream, stream_windows in by_stream.items():
        synced = full_sync_ends.get(stream)
        reach = _aware(synced) if synced is not None else None
        loaded = sorted((w for w in stream_windows if reach is None or w.end > reach), key=lambda w: w.start)
        if reach is None and loaded:
            reach = loaded[0].start
        first_gap_at: datetime | None = None
        gaps: list[tuple[datetime, datetime]] = []
        for window in loaded:
            assert reach is not None
            if window.start > reach:
                gaps.append((reach, window.start))
                if first_gap_at is None:
                    first_gap_at = reach
            reach = max(reach, window.end)
        result[stream] = (first_gap_at if first_gap_at is not None else reach, gaps)
    return result

"""From an Airflow run to the extraction window the tap reads. Pure functions.

A run is a pure function of its window, never of Meltano state: scheduled and backfill runs use their
data interval; manual runs without a logical date end at `run_after`. The tap widens the start by its
`lookback_minutes` so that records committed late in the WMS are read again; the loader's
insert-if-absent on (id, mod_ts) makes the overlap harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


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


def window_for_run(
    *,
    data_interval_start: datetime | None,
    data_interval_end: datetime | None,
    run_after: datetime,
    default_span: timedelta,
    previous_end: datetime | None = None,
    start_override: str | None = None,
    end_override: str | None = None,
) -> ExtractionWindow:
    """The window of one incremental run.

    Args:
        data_interval_start: the run's interval start, absent for manual runs without a logical date.
        data_interval_end: the run's interval end, likewise.
        run_after: when the run was allowed to start; the window end of a manual run.
        default_span: the window length of a manual run when nothing else gives a start.
        previous_end: where the last successful window ended; a manual run continues from there.
        start_override: an explicit start (param `window_start`), e.g. for an initial load.
        end_override: an explicit end (param `window_end`).
    """
    end = parse_instant(end_override, "window_end") if end_override else (data_interval_end or run_after)
    end = end.astimezone(UTC)
    if start_override:
        return ExtractionWindow(parse_instant(start_override, "window_start"), end)
    if data_interval_start is not None:
        start = data_interval_start
    elif previous_end is not None and previous_end < end:
        start = previous_end
    else:
        start = end - default_span
    return ExtractionWindow(start.astimezone(UTC), end)

"""Extraction windows are pure functions of the run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from include.wms_pipeline.windows import ExtractionWindow, parse_instant, window_for_run

T0 = datetime(2026, 1, 5, 4, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=2)


def test_scheduled_run_reads_its_data_interval() -> None:
    window = window_for_run(
        data_interval_start=T0,
        data_interval_end=T1,
        run_after=T1 + timedelta(minutes=5),
        default_span=timedelta(hours=2),
    )
    assert window == ExtractionWindow(T0, T1)


def test_adjacent_intervals_give_adjacent_windows() -> None:
    first = window_for_run(
        data_interval_start=T0, data_interval_end=T1, run_after=T1, default_span=timedelta(hours=2)
    )
    second = window_for_run(
        data_interval_start=T1,
        data_interval_end=T1 + timedelta(hours=2),
        run_after=T1 + timedelta(hours=2),
        default_span=timedelta(hours=2),
    )
    assert first.end == second.start


def test_manual_run_without_logical_date_ends_at_run_after() -> None:
    run_after = datetime(2026, 1, 5, 7, 13, tzinfo=UTC)
    window = window_for_run(
        data_interval_start=None, data_interval_end=None, run_after=run_after, default_span=timedelta(hours=2)
    )
    assert window == ExtractionWindow(run_after - timedelta(hours=2), run_after)


def test_overrides_win_and_are_normalised_to_utc() -> None:
    window = window_for_run(
        data_interval_start=T0,
        data_interval_end=T1,
        run_after=T1,
        default_span=timedelta(hours=2),
        start_override="2026-01-01T00:00:00-03:00",
        end_override="2026-01-02T00:00:00Z",
    )
    assert window.start == datetime(2026, 1, 1, 3, 0, tzinfo=UTC)
    assert window.end == datetime(2026, 1, 2, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize("value", ["2026-01-01T00:00:00", "yesterday"])
def test_naive_or_unreadable_overrides_are_rejected_with_the_param_name(value: str) -> None:
    with pytest.raises(ValueError, match="window_start"):
        parse_instant(value, "window_start")


def test_empty_window_is_rejected() -> None:
    with pytest.raises(ValueError, match="not before end"):
        ExtractionWindow(T1, T0)

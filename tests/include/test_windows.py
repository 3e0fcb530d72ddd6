"""Extraction windows are pure functions of the run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from include.wms_pipeline.windows import (
    CatchUpTooLong,
    ExtractionWindow,
    LoadedWindow,
    covered_until,
    missing_ranges,
    parse_instant,
    window_for_run,
)

T0 = datetime(2026, 1, 5, 4, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=2)
H = timedelta(hours=1)
SPAN = timedelta(hours=2)
MAX = timedelta(hours=72)


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


# Continuity: a scheduled run starts where the loaded time ends -----------------------------------------


def _scheduled(
    covered: datetime | None, *, continuous: bool = True, maximum: timedelta = MAX
) -> ExtractionWindow:
    return window_for_run(
        data_interval_start=T0,
        data_interval_end=T1,
        run_after=T1,
        default_span=SPAN,
        covered_until=covered,
        continue_from_coverage=continuous,
        max_catch_up=maximum,
    )


def test_a_scheduled_run_after_skipped_intervals_starts_where_the_loaded_time_ends() -> None:
    assert _scheduled(T0 - 6 * H) == ExtractionWindow(T0 - 6 * H, T1)


def test_a_scheduled_run_whose_interval_follows_the_loaded_time_reads_its_interval() -> None:
    assert _scheduled(T0) == ExtractionWindow(T0, T1)
    assert _scheduled(T1) == ExtractionWindow(T0, T1)  # loaded later already (a manual run): no shrinking
    assert _scheduled(None) == ExtractionWindow(T0, T1)  # nothing loaded yet (a new deployment)


def test_a_backfill_reads_exactly_its_interval() -> None:
    assert _scheduled(T0 - 6 * H, continuous=False) == ExtractionWindow(T0, T1)


def _manual_with_logical_date(covered_until: datetime) -> ExtractionWindow:
    return window_for_run(
        data_interval_start=T0,
        data_interval_end=T1,
        run_after=T1,
        default_span=SPAN,
        covered_until=covered_until,
        continue_within_limit=True,
        max_catch_up=MAX,
    )


def test_a_manual_run_with_a_logical_date_continues_from_the_loaded_time_within_the_maximum() -> None:
    """A first incremental run after the initial full sync covers the time since the sync's cut-off."""
    assert _manual_with_logical_date(T0 - 29 * H) == ExtractionWindow(T0 - 29 * H, T1)


def test_a_manual_run_of_an_old_interval_beyond_the_maximum_reads_its_interval_and_is_not_refused() -> None:
    assert _manual_with_logical_date(T0 - 73 * H) == ExtractionWindow(T0, T1)


def test_a_catch_up_longer_than_the_maximum_fails_naming_the_full_sync_and_the_backfill() -> None:
    covered = T0 - 73 * H
    with pytest.raises(CatchUpTooLong) as failure:
        _scheduled(covered)
    message = str(failure.value)
    assert "(73 hours) were not loaded, more than the 72 hours" in message
    assert "WMS_MAX_CATCH_UP_HOURS" in message
    assert "airflow dags trigger wms_full_sync" in message
    assert (
        "airflow backfill create --dag-id wms_incremental_sync --from-date 2026-01-02T03:00:00+00:00 "
        "--to-date 2026-01-05T03:59:59+00:00" in message
    )
    assert _scheduled(T0 - 72 * H) == ExtractionWindow(T0 - 72 * H, T1)  # the maximum itself is allowed


def test_a_manual_run_without_a_logical_date_continues_from_the_loaded_time() -> None:
    run_after = datetime(2026, 1, 5, 7, 13, tzinfo=UTC)
    window = window_for_run(
        data_interval_start=None,
        data_interval_end=None,
        run_after=run_after,
        default_span=SPAN,
        covered_until=T0 - 5 * H,
        max_catch_up=MAX,
    )
    assert window == ExtractionWindow(T0 - 5 * H, run_after)


def test_a_window_end_later_than_the_runs_start_is_rejected_naming_the_value() -> None:
    with pytest.raises(
        ValueError, match=r"window_end '2027-01-05T00:00:00\+00:00' is later than the run's start"
    ):
        window_for_run(
            data_interval_start=None,
            data_interval_end=None,
            run_after=T1,
            default_span=SPAN,
            end_override="2027-01-05T00:00:00+00:00",
        )
    at_start = window_for_run(
        data_interval_start=None,
        data_interval_end=None,
        run_after=T1,
        default_span=SPAN,
        end_override=T1.isoformat(),
    )
    assert at_start.end == T1


# The loaded time, from the warehouse's record -----------------------------------------------------------


def _w(stream: str, start: datetime, end: datetime) -> LoadedWindow:
    return LoadedWindow(stream, start, end)


def test_adjacent_and_overlapping_windows_leave_no_gap() -> None:
    windows = [
        _w("order_hdr", T0, T1),
        _w("order_hdr", T1 - H, T1 + 2 * H),
        _w("order_hdr", T1 + 2 * H, T1 + 4 * H),
    ]
    assert missing_ranges(windows, {}, ["order_hdr"]) == {}
    assert covered_until(windows, {}, ["order_hdr"]) == T1 + 4 * H


def test_a_gap_is_named_and_the_loaded_time_ends_where_it_begins() -> None:
    windows = [_w("order_hdr", T0, T1), _w("order_hdr", T1 + 6 * H, T1 + 8 * H)]
    assert missing_ranges(windows, {}, ["order_hdr"]) == {"order_hdr": [(T1, T1 + 6 * H)]}
    assert covered_until(windows, {}, ["order_hdr"]) == T1


def test_the_loaded_time_of_several_streams_ends_where_the_earliest_ends() -> None:
    windows = [_w("order_hdr", T0, T1 + 4 * H), _w("allocation", T0, T1)]
    assert covered_until(windows, {}, ["order_hdr", "allocation"]) == T1
    assert covered_until(windows, {}, ["order_hdr"]) == T1 + 4 * H  # a manual subset's own streams
    assert covered_until(windows, {}, ["item"]) is None


def test_a_complete_full_sync_covers_what_came_before_it() -> None:
    windows = [_w("order_hdr", T0, T1), _w("order_hdr", T1 + 10 * H, T1 + 12 * H)]
    synced = {"order_hdr": T1 + 10 * H}
    assert missing_ranges(windows, synced, ["order_hdr"]) == {}
    assert covered_until(windows, synced, ["order_hdr"]) == T1 + 12 * H
    # ...but not what came after it.
    later = {"order_hdr": T1 + 9 * H}
    assert missing_ranges(windows, later, ["order_hdr"]) == {"order_hdr": [(T1 + 9 * H, T1 + 10 * H)]}
    assert covered_until([], later, ["order_hdr"]) == T1 + 9 * H


def test_a_rerun_of_an_earlier_window_never_moves_the_loaded_time_back() -> None:
    windows = [_w("order_hdr", T0, T1), _w("order_hdr", T1, T1 + 2 * H)]
    rerun = [*windows, _w("order_hdr", T0 + H, T1), _w("order_hdr", T0 - 4 * H, T0 - 2 * H)]
    # Re-reading hours already loaded, or before the last full sync, changes nothing.
    assert covered_until(rerun, {"order_hdr": T0}, ["order_hdr"]) == T1 + 2 * H
    assert covered_until(rerun[:3], {}, ["order_hdr"]) == T1 + 2 * H


def test_naive_warehouse_times_are_utc() -> None:
    """Oracle's bookkeeping columns hold naive UTC; DuckDB and PostgreSQL give aware values."""
    naive = [_w("order_hdr", T0.replace(tzinfo=None), T1.replace(tzinfo=None)), _w("order_hdr", T1, T1 + H)]
    assert covered_until(naive, {"order_hdr": T0.replace(tzinfo=None)}, ["order_hdr"]) == T1 + H

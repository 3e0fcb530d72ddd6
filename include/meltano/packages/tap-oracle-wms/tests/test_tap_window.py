"""Window settings → lgfapi filters; a run depends on its settings only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tap_oracle_wms.window import ExtractionWindow, WindowConfigError


def test_incremental_window_reads_start_minus_lookback_up_to_end() -> None:
    window = ExtractionWindow.from_config(
        {
            "start_date": "2026-01-05T06:00:00+00:00",
            "end_date": "2026-01-05T07:00:00+00:00",
            "lookback_minutes": 15,
        }
    )

    assert window.is_incremental
    assert window.filters() == {
        "mod_ts__gte": (datetime(2026, 1, 5, 6, tzinfo=UTC) - timedelta(minutes=15)).isoformat(),
        "mod_ts__lt": "2026-01-05T07:00:00+00:00",
    }


def test_offsets_are_kept_and_naive_values_read_as_utc() -> None:
    assert ExtractionWindow.from_config({"start_date": "2026-01-05T03:00:00-03:00"}).filters() == {
        "mod_ts__gte": "2026-01-05T03:00:00-03:00"
    }
    assert ExtractionWindow.from_config({"start_date": "2026-01-05T06:00:00"}).filters() == {
        "mod_ts__gte": "2026-01-05T06:00:00+00:00"
    }


def test_full_sync_walks_ids_within_inclusive_bounds_and_ignores_end_date() -> None:
    window = ExtractionWindow.from_config(
        {"id_min": 1001, "id_max": 2000, "end_date": "2026-01-05T07:00:00Z"}
    )

    assert not window.is_incremental
    assert window.filters() == {"id__gte": "1001", "id__lte": "2000"}


@pytest.mark.parametrize(
    ("config", "setting"),
    [
        ({"start_date": "2026-01-05T07:00:00Z", "end_date": "2026-01-05T07:00:00Z"}, "end_date"),
        ({"id_min": 5, "id_max": 4}, "id_min"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"lookback_minutes": -1}, "lookback_minutes"),
    ],
)
def test_contradictory_settings_are_rejected_naming_the_setting(
    config: dict[str, object], setting: str
) -> None:
    with pytest.raises(WindowConfigError, match=setting):
        ExtractionWindow.from_config(config)

"""The etl_* rows the loader writes: a quarantine reason fits Oracle's VARCHAR2(4000) in bytes."""

from __future__ import annotations

import datetime as dt

import pytest

from target_warehouse.tables import REASON_MAX_BYTES, cut_to_utf8_bytes, quarantine_rows

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "reason",
    [
        "column pick_user: " + "ação-日本" * 600,  # 2-byte and 3-byte characters
        "x" * 3999 + "😀" * 10,  # a 4-byte character across the 4000th byte
        "é" * 4000,  # 4000 characters, 8000 bytes: fits VARCHAR2(4000 CHAR) by count, not by bytes
    ],
    ids=["mixed", "emoji at the limit", "two-byte"],
)
def test_a_long_reason_is_cut_to_4000_utf8_bytes_between_characters(reason: str) -> None:
    (row,) = quarantine_rows("run", "allocation", NOW, [(reason, "{}")])
    cut = row["reason"]
    encoded = cut.encode("utf-8")  # a character cut in half would not encode back
    assert len(encoded) <= REASON_MAX_BYTES
    assert len(encoded) > REASON_MAX_BYTES - 4  # at most the one character that did not fit is lost
    assert reason.startswith(cut)


def test_a_short_reason_is_kept_whole() -> None:
    assert cut_to_utf8_bytes("column id: expected an integer, got 'ten'", 4000) == (
        "column id: expected an integer, got 'ten'"
    )

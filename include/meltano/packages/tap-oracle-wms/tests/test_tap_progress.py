"""Progress lines: pages, records and records/second at a fixed interval."""

from __future__ import annotations

import logging

import pytest

from tap_oracle_wms.progress import ProgressReporter


def test_logs_once_per_interval_with_pages_records_and_rate(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    reporter = ProgressReporter("allocation", logging.getLogger("progress-test"), 30.0, clock=lambda: now[0])
    caplog.set_level(logging.INFO, logger="progress-test")

    for second in (10.0, 20.0, 31.0, 40.0, 62.0):
        now[0] = second
        reporter.page_read(1000)

    lines = [record.getMessage() for record in caplog.records]
    assert lines == [
        f"allocation progress: 3 pages, 3000 records, {3000 / 31:.1f} records/s, 31.0 s elapsed",
        f"allocation progress: 5 pages, 5000 records, {5000 / 62:.1f} records/s, 62.0 s elapsed",
    ]

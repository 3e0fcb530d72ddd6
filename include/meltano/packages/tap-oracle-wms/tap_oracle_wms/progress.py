"""Progress lines for long runs: pages, records and records/second per stream."""

from __future__ import annotations

import logging
import time
import typing as t


class ProgressReporter:
    """Counts pages and records of one stream and logs a line every `interval` seconds.

    `clock` is injectable so tests can drive time instead of sleeping.
    """

    def __init__(
        self,
        stream_name: str,
        logger: logging.Logger,
        interval_seconds: float,
        clock: t.Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream_name = stream_name
        self._logger = logger
        self._interval = interval_seconds
        self._clock = clock
        self._started = clock()
        self._last_logged = self._started
        self.pages = 0
        self.records = 0

    def page_read(self, record_count: int) -> None:
        """Count one page; log when the interval has passed since the last line."""
        self.pages += 1
        self.records += record_count
        now = self._clock()
        if now - self._last_logged >= self._interval:
            self._last_logged = now
            self._log("progress", now)

    def finish(self) -> None:
        """Log the closing totals of the stream."""
        self._log("done", self._clock())

    def rate(self, now: float | None = None) -> float:
        """Records per second since the stream started."""
        elapsed = (self._clock() if now is None else now) - self._started
        return self.records / elapsed if elapsed > 0 else 0.0

    def _log(self, phase: str, now: float) -> None:
        self._logger.info(
            "%s %s: %d pages, %d records, %.1f records/s, %.1f s elapsed",
            self._stream_name,
            phase,
            self.pages,
            self.records,
            self.rate(now),
            now - self._started,
        )

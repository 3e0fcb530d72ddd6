"""One batch write at a time on a background thread, so reading the next batch overlaps it.

Reading and msgspec decoding hold the GIL; Arrow's JSON reader and the database work (DuckDB,
the PostgreSQL server) mostly do not, so on two cores the write of batch N runs while batch N+1 is
read. At most one write is in flight: ``submit`` first waits for the previous one, and its error,
if any, is raised there. The target waits before every STATE message and schema change and at the
end of input, so STATE still only follows committed batches and a failed batch stops the run.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor


class BatchWriter:
    """Runs write jobs one after another on a single worker thread."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="target-warehouse-writer")
        self._in_flight: Future[None] | None = None

    def submit(self, job: Callable[[], None]) -> None:
        """Start ``job`` once the previous job has finished (re-raising its error)."""
        self.wait()
        self._in_flight = self._executor.submit(job)

    def wait(self) -> None:
        """Block until the job in flight, if any, has finished; re-raise its error."""
        in_flight, self._in_flight = self._in_flight, None
        if in_flight is not None:
            in_flight.result()

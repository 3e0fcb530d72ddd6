"""The two numbers that read a whole raw history table: the newest `mod_ts` and the records marked deleted.

Both change only when a load or a full sync finishes, so they are kept per entity under a key made of
the entity's newest load-audit row and its newest completed full sync: a new load or sync is a new
key, and the old value is dropped. A request computes a missing value inline when the page's budget
allows (small warehouses: always); otherwise one background thread computes it on its own connection
and the page says so until it is there (10 million rows: seconds, once per load). The cache is a
derived copy of warehouse data, per api-server process; losing it costs one recomputation.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from .warehouse import Warehouse, as_utc

BACKGROUND_SECONDS = 300.0
Opener = Callable[[float], AbstractContextManager[Warehouse]]


@dataclass(frozen=True)
class FactsKey:
    scope: str  # the warehouse (connection id)
    entity: str
    last_load: str | None  # run id and finish time of the entity's newest load-audit row
    sync_id: str | None
    window_end: datetime | None


@dataclass(frozen=True)
class Facts:
    newest_mod_ts: datetime | None
    marked_deleted: int | None  # None: no completed full sync


def compute(warehouse: Warehouse, raw_schema: str, key: FactsKey, until: float | None = None) -> Facts:
    """Both numbers; `until` (monotonic) bounds each statement below the warehouse's own deadline.

    Deleted: the ids the newest completed full sync did not see whose newest version is older than its
    window end (the deletion cut-off) and not older than its purge bound, exactly what dbt staging marks
    deleted (macros/staging/wms_full_sync_deletions.sql).
    """
    table = f"{raw_schema}.{key.entity}"
    [(newest,)] = warehouse.rows(f"select max(mod_ts) from {table}", until=until)
    deleted = None
    if key.sync_id is not None and key.window_end is not None:
        [(count,)] = warehouse.rows(
            f"select count(*) from (select id, max(mod_ts) as newest from {table} group by id) c "
            f"where c.newest < :window_end and not exists (select 1 from {raw_schema}.etl_full_sync_seen s "
            "where s.sync_id = :sync_id and s.stream_name = :stream and s.record_id = c.id) "
            # purged by the WMS's retention (older than the sync's purge bound) is not deleted
            f"and not exists (select 1 from {raw_schema}.etl_full_sync_decision d where d.sync_id = :sync_id "
            "and d.stream_name = :stream and c.newest < d.purge_before)",
            {"window_end": warehouse.bind_time(key.window_end), "sync_id": key.sync_id, "stream": key.entity},
            until=until,
        )
        deleted = int(count)
    return Facts(as_utc(newest), deleted)


class FactsCache:
    """Newest value per (scope, entity); one background worker for the values a request could not wait for."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[tuple[str, str], tuple[FactsKey, Facts]] = {}
        self._pending: dict[FactsKey, tuple[str, Opener]] = {}
        self._failed: dict[FactsKey, str] = {}
        self._worker: threading.Thread | None = None

    def get(self, key: FactsKey) -> Facts | None:
        with self._lock:
            found = self._values.get((key.scope, key.entity))
        return found[1] if found and found[0] == key else None

    def put(self, key: FactsKey, facts: Facts) -> None:
        with self._lock:
            self._values[(key.scope, key.entity)] = (key, facts)

    def failure(self, key: FactsKey) -> str | None:
        with self._lock:
            return self._failed.get(key)

    def compute_later(self, key: FactsKey, raw_schema: str, opener: Opener) -> None:
        with self._lock:
            if key in self._failed:
                return
            self._pending[key] = (raw_schema, opener)
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="wms-health-facts", daemon=True)
                self._worker.start()

    def wait_idle(self, timeout: float) -> bool:
        """For the benchmark and tests: until the background worker has nothing left to do."""
        with self._lock:
            worker = self._worker
        if worker is not None:
            worker.join(timeout)
        with self._lock:
            return self._worker is None

    def _work(self) -> None:
        while True:
            with self._lock:
                if not self._pending:
                    self._worker = None
                    return
                key, (raw_schema, opener) = self._pending.popitem()
            try:
                with opener(BACKGROUND_SECONDS) as warehouse:
                    facts = compute(warehouse, raw_schema, key)
            except Exception as error:  # reported on the page; the next load's key tries again
                with self._lock:
                    self._failed[key] = type(error).__name__
                continue
            self.put(key, facts)


CACHE = FactsCache()

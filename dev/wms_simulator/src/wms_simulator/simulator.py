"""The public facade: one simulated WMS (store + protocol state) that servers and tests share."""

from __future__ import annotations

import copy
import threading
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .auth import Authenticator
from .catalog import catalog
from .config import SimulatorConfig
from .engine import QueryEngine
from .faults import FaultRegistry
from .records import RecordFactory
from .representation import Representer, format_ts
from .store import AdvanceSummary, Store, from_us

DEFAULT_ROOT = "http://127.0.0.1:80"
PRISTINE_COPY_LIMIT = 200_000  # above this, reset() rebuilds instead of keeping a second copy in memory


@dataclass(frozen=True)
class ServedRequest:
    """One request the simulator served (for test assertions); ``status`` 0 = connection reset, no answer."""

    method: str
    path: str
    query: str
    status: int


class Simulator:
    """Deterministic simulated Oracle WMS Cloud with a simulated clock."""

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        self.lock = threading.RLock()
        self.auth = Authenticator(self.config)
        self.faults = FaultRegistry(self.config.seed)
        self.requests: list[ServedRequest] = []
        self.root = DEFAULT_ROOT  # scheme://host:port used in record urls; set by SimulatorServer.start
        # Opt-in, like the faults: list answers' next_page/previous_page links point at this
        # scheme://host:port instead of the server's own (a compromised endpoint or proxy).
        self.next_page_root: str | None = None
        small = self.config.records <= PRISTINE_COPY_LIMIT
        self._pristine = Store(self.config) if small else None  # copied on reset: cheaper than regenerating
        self._build()

    def _build(self) -> None:
        self.store = copy.deepcopy(self._pristine) if self._pristine is not None else Store(self.config)
        self.factory = RecordFactory(self.store)
        self.engine = QueryEngine(self.store, self.factory)

    @property
    def api_root(self) -> str:
        return f"{self.root}/{self.config.environment}/wms/lgfapi/v10"

    def reset(self) -> None:
        """Back to the configured initial state: clock, data, faults, tokens and request log."""
        with self.lock:
            self._build()
            self.faults.clear()
            self.next_page_root = None
            self.auth.reset()
            self.requests.clear()

    def now(self) -> datetime:
        """The caller's clock (the WMS's own clock is ``wms_now()``; they differ by the configured skew)."""
        return from_us(self.store.now_us - self.store.skew_us)

    def wms_now(self) -> datetime:
        """The WMS clock, which stamps ``mod_ts``: ``now()`` plus ``config.clock_skew_seconds``."""
        return from_us(self.store.now_us)

    def advance(
        self,
        delta: timedelta,
        commit_delay: timedelta | None = None,
        *,
        entity: str | None = None,
        ids: Collection[int] | None = None,
    ) -> AdvanceSummary:
        """Move both clocks by ``delta``, applying the lifecycle changes due in between.

        ``commit_delay`` (opt-in, per change): the changes this advance makes (only those of ``entity``
        and, if given, of the records in ``ids``) become visible to readers ``commit_delay`` after their
        ``mod_ts``, i.e. possibly only during a later advance; until then readers see the version before
        (or no record, for a creation). Without it, ``config.commit_delays`` decides (default: at once).
        """
        with self.lock:
            return self.store.advance(delta, commit_delay, entity, ids)

    def uncommitted(self, entity: str) -> dict[int, tuple[str, datetime]]:
        """Records whose newest saved version is not visible yet: id -> (its mod_ts as the API would
        print it, when it becomes visible on the caller's clock)."""
        with self.lock:
            table = self._table(entity)
            skew = self.store.skew_us
            return {
                table.id_of(pos): (
                    format_ts(mod_us, self.factory.facility_of(entity, pos)),
                    from_us(commit_us - skew),
                )
                for pos, (mod_us, commit_us) in sorted(table.pending_commits().items())
            }

    def _table(self, entity: str) -> Any:
        if entity not in catalog():
            raise KeyError(f"unknown entity {entity!r}; known: {', '.join(sorted(catalog()))}")
        return self.store.tables[entity]

    def versions(self, entity: str) -> dict[int, str]:
        """Live records as readers see them (committed versions): id -> mod_ts exactly as the API prints it."""
        with self.lock:
            table = self._table(entity)
            return {
                table.id_of(pos): format_ts(table.visible_mod_ts(pos), self.factory.facility_of(entity, pos))
                for pos in table.live_positions()
            }

    def records(self, entity: str) -> Iterator[dict[str, Any]]:
        """Live records in API representation, in id order."""
        table = self._table(entity)
        representer = Representer(self.api_root)
        for pos in list(table.live_positions()):
            with self.lock:
                if not table.deleted[pos] and table.is_visible(pos):
                    yield self.render(entity, pos, representer, None)

    def deleted(self, entity: str) -> dict[int, datetime]:
        with self.lock:
            table = self._table(entity)
            return {table.id_of(pos): from_us(when) for pos, when in sorted(table.deleted_at.items())}

    def render(
        self, entity: str, pos: int, representer: Representer, fields: frozenset[str] | None
    ) -> dict[str, Any]:
        raw = self.factory.raw(entity, pos)
        return representer.render(catalog()[entity], raw, self.factory.facility_of(entity, pos), fields)

    def render_json(self, entity: str, pos: int, representer: Representer) -> str:
        """The JSON text of ``render(entity, pos, representer, None)`` (compact separators)."""
        factory = self.factory
        return representer.render_json(
            catalog()[entity],
            factory.defaults(entity),
            factory.assigned(entity, pos),
            factory.facility_of(entity, pos),
        )

    def log_request(self, method: str, path: str, query: str, status: int) -> None:
        with self.lock:
            self.requests.append(ServedRequest(method, path, query, status))

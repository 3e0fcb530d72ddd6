"""What the warehouse should know about the simulated WMS after each load, kept from the simulator's side.

The rules come from docs/architecture.md, not from the SQL: a full sync reads every live record; an
incremental run reads the versions with start <= mod_ts < end; the raw history keeps every version, so
the newest one loaded is the record's current state. A record is deleted when the newest completed full
sync did not see it and its newest loaded mod_ts is older than that sync's deletion cut-off (and, with a
purge horizon, not older than its purge bound: then it was purged and stays). Records the WMS deleted
after the last full sync therefore stay live, with their last loaded version, until the next one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from simulator_pipeline import ENTITIES

from wms_simulator import Simulator

Record = dict[str, Any]  # one record in API representation (FKs as {"id", "key", "url"})


def timestamp(value: str) -> datetime:
    """An API timestamp (ISO-8601 with the facility's offset) as an aware datetime."""
    return datetime.fromisoformat(value)


class LoadedHistory:
    """Newest loaded version of every record per entity, and the newest complete full sync per entity
    (the ids it saw, its deletion cut-off and purge bound), from which the deletion marks follow."""

    def __init__(self) -> None:
        self.current: dict[str, dict[int, Record]] = {entity: {} for entity in ENTITIES}
        # entity -> (ids seen, deletion cut-off, purge bound or None) of the newest complete full sync
        self.newest_complete: dict[str, tuple[set[int], datetime, datetime | None]] = {}

    def full_sync(
        self,
        sim: Simulator,
        window_end: datetime,
        *,
        held: frozenset[str] | set[str] = frozenset(),
        purge_before: datetime | None = None,
    ) -> None:
        """A full sync at the simulator's current state that loaded every record it read. `window_end`
        is its deletion cut-off; it is recorded complete for every entity but the `held` ones (the
        deletion guard held them: their versions load, their marks stay those of the previous sync)."""
        for entity in ENTITIES:
            seen = {record["id"]: record for record in sim.records(entity)}
            self.current[entity].update(seen)
            if entity not in held:
                self.newest_complete[entity] = (set(seen), window_end, purge_before)

    def incremental(self, sim: Simulator, start: datetime, end: datetime) -> None:
        """An incremental run over [start, end): the deletion marks of the last full sync stay as they are."""
        for entity in ENTITIES:
            for record in sim.records(entity):
                if start <= timestamp(record["mod_ts"]) < end:
                    self.current[entity][record["id"]] = record

    def _gone(self, entity: str) -> tuple[set[int], set[int]]:
        """(deleted, purged) ids: unseen by the newest complete sync and older than its cut-off; purged
        when also older than its purge bound."""
        if entity not in self.newest_complete:
            return set(), set()
        seen, cutoff, purge_before = self.newest_complete[entity]
        gone = {
            record_id: timestamp(record["mod_ts"])
            for record_id, record in self.current[entity].items()
            if record_id not in seen and timestamp(record["mod_ts"]) < cutoff
        }
        purged = {i for i, ts in gone.items() if purge_before is not None and ts < purge_before}
        return set(gone) - purged, purged

    @property
    def deleted(self) -> dict[str, set[int]]:
        return {entity: self._gone(entity)[0] for entity in ENTITIES}

    def purged(self, entity: str) -> set[int]:
        return self._gone(entity)[1]

    def live(self, entity: str) -> dict[int, Record]:
        """Records the warehouse holds as not deleted (purged ones included)."""
        deleted = self._gone(entity)[0]
        return {i: r for i, r in self.current[entity].items() if i not in deleted}

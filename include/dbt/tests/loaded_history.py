"""What the warehouse should know about the simulated WMS after each load, kept from the simulator's side.

The rules come from docs/architecture.md, not from the SQL: a full sync reads every live record; an
incremental run reads the versions with start <= mod_ts < end; the raw history keeps every version, so
the newest one loaded is the record's current state. A record is deleted when the newest completed full
sync did not see it and its newest loaded mod_ts is older than that sync's window_end. Records the WMS
deleted after the last full sync therefore stay live, with their last loaded version, until the next one.
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
    """Newest loaded version of every record per entity, and the ids the newest full sync marks deleted."""

    def __init__(self) -> None:
        self.current: dict[str, dict[int, Record]] = {entity: {} for entity in ENTITIES}
        self.deleted: dict[str, set[int]] = {entity: set() for entity in ENTITIES}

    def full_sync(self, sim: Simulator, window_end: datetime) -> None:
        """A completed full sync at the simulator's current state, with the given window_end."""
        for entity in ENTITIES:
            seen = {record["id"]: record for record in sim.records(entity)}
            known = self.current[entity]
            known.update(seen)
            self.deleted[entity] = {
                record_id
                for record_id, record in known.items()
                if record_id not in seen and timestamp(record["mod_ts"]) < window_end
            }

    def incremental(self, sim: Simulator, start: datetime, end: datetime) -> None:
        """An incremental run over [start, end): the deletion marks of the last full sync stay as they are."""
        for entity in ENTITIES:
            for record in sim.records(entity):
                if start <= timestamp(record["mod_ts"]) < end:
                    self.current[entity][record["id"]] = record

    def live(self, entity: str) -> dict[int, Record]:
        """Records the warehouse holds as not deleted."""
        deleted = self.deleted[entity]
        return {i: r for i, r in self.current[entity].items() if i not in deleted}

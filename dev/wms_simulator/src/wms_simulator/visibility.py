"""What the API user may see: records hidden from it, and records deleted on purpose. Opt-in, for tests.

The real WMS answers every list, count and id lookup for the API user's eligible facilities and
companies only; a WMS admin who removes an eligibility (or a role that loses an entity) makes those
records vanish from every answer at once, and the answers still agree with each other. `hide_facility`
does that here: the facility's orders, lines, allocations, inventory and locations are left out of
lists, counts and id lookups until `unhide` (they are not deleted: `Simulator.deleted` does not list
them and they come back unchanged). `hide_records` hides single records the same way (a record whose
commit is not visible yet), and `delete_records` deletes records as the WMS would.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .simulator import Simulator

FACILITY_ENTITIES = ("order_hdr", "order_dtl", "allocation", "inventory", "location")


def _hidden(sim: Simulator) -> dict[str, set[int]]:
    hidden: dict[str, set[int]] | None = getattr(sim.store, "hidden", None)
    if hidden is None:
        hidden = {}
        sim.store.hidden = hidden  # type: ignore[attr-defined]  # lives and resets with the store
    return hidden


def _hide_positions(sim: Simulator, entity: str, positions: list[int]) -> int:
    table = sim.store.tables[entity]
    hidden = _hidden(sim).setdefault(entity, set())
    count = 0
    for pos in positions:
        if not table.deleted[pos]:
            table.deleted[pos] = 1  # out of every answer, as a deleted record is; no deleted_at
            table.live -= 1
            hidden.add(pos)
            count += 1
    return count


def hide_facility(sim: Simulator, facility_id: int) -> dict[str, int]:
    """Hide the live records of one facility (its id as the API prints it); the count per entity."""
    with sim.lock:
        facility_pos = sim.store.tables["facility"].pos_of(facility_id)
        if facility_pos is None:
            raise ValueError(f"no live facility with id {facility_id}")
        hidden = {}
        for entity in FACILITY_ENTITIES:
            table = sim.store.tables[entity]
            positions = [
                pos for pos in table.live_positions() if sim.factory.facility_of(entity, pos) == facility_pos
            ]
            hidden[entity] = _hide_positions(sim, entity, positions)
        sim.store.generation += 1
        return hidden


def hide_records(sim: Simulator, entity: str, record_ids: list[int]) -> int:
    """Hide single live records (e.g. a change whose commit is not visible yet); how many were hidden."""
    with sim.lock:
        table = sim.store.tables[entity]
        positions = [pos for record_id in record_ids if (pos := table.pos_of(record_id)) is not None]
        count = _hide_positions(sim, entity, positions)
        sim.store.generation += 1
        return count


def unhide(sim: Simulator) -> int:
    """Show every hidden record again, as it was; how many."""
    with sim.lock:
        count = 0
        for entity, positions in _hidden(sim).items():
            table = sim.store.tables[entity]
            for pos in positions:
                if table.deleted[pos] and pos not in table.deleted_at:
                    table.deleted[pos] = 0
                    table.live += 1
                    count += 1
        _hidden(sim).clear()
        sim.store.generation += 1
        return count


def delete_records(sim: Simulator, entity: str, record_ids: list[int]) -> list[int]:
    """Delete live records now, as a WMS user would; the ids deleted (`Simulator.deleted` lists them)."""
    with sim.lock:
        table = sim.store.tables[entity]
        deleted = []
        for record_id in record_ids:
            pos = table.pos_of(record_id)
            if pos is not None:
                table.delete(pos, sim.store.now_us)
                deleted.append(record_id)
        sim.store.generation += 1
        return deleted

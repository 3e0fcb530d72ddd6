"""How the simulated warehouse is laid out: entity sizes, id ranges and the fixed relations between records.

Relations that never change are functions of ids (an order's facility, a line's item and quantity, which
inventory an allocation draws from), so neither the store nor the record generator keeps them in memory.
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import SimulatorConfig
from .rand import pick, unit

COMPANIES = (
    ("ACME", "Acme Distribution"),
    ("GLOBEX", "Globex Retail"),
    ("INITECH", "Initech Supply"),
)
# code, name, IANA zone (two zones with DST, two without), city, country
FACILITIES = (
    ("SAO01", "Sao Paulo DC", "America/Sao_Paulo", "Sao Paulo", "BR"),
    ("CHI01", "Chicago DC", "America/Chicago", "Chicago", "US"),
    ("BLR01", "Bengaluru DC", "Asia/Kolkata", "Bengaluru", "IN"),
    ("MAD01", "Madrid DC", "Europe/Madrid", "Madrid", "ES"),
)
DEFAULT_FACILITY = 0  # the API user's default facility: naive timestamps are read in its zone

BASE_IDS = {
    "company": 1,
    "facility": 647,
    "item": 10_001,
    "location": 50_001,
    "inventory": 400_001,
    "order_hdr": 1_000_001,
    "order_dtl": 5_000_001,
    "allocation": 40_000_001,
}

S_FACILITY, S_COMPANY, S_LINES, S_ITEM, S_QTY, S_SHORT, S_SPLIT, S_SLOT, S_DEALLOC, S_CREATE, S_LOC = range(
    11
)
MAX_LINES = 4
INVENTORY_SLOTS = 2


@dataclass(frozen=True)
class Layout:
    """Sizes derived from the configured number of orders."""

    seed: int
    orders: int
    items: int
    locations: int
    inventory: int

    @classmethod
    def from_config(cls, config: SimulatorConfig) -> Layout:
        companies, facilities = len(COMPANIES), len(FACILITIES)
        items = companies * max(7, config.records // (20 * companies))
        locations = facilities * max(10, config.records // (10 * facilities))
        return cls(
            seed=config.seed,
            orders=config.records,
            items=items,
            locations=locations,
            inventory=facilities * items * INVENTORY_SLOTS,
        )

    # orders -------------------------------------------------------------------------------------------
    def order_facility(self, order_id: int) -> int:
        return pick(self.seed, S_FACILITY, order_id, len(FACILITIES))

    def order_company(self, order_id: int) -> int:
        return pick(self.seed, S_COMPANY, order_id, len(COMPANIES))

    def line_count(self, order_id: int) -> int:
        return 1 + pick(self.seed, S_LINES, order_id, MAX_LINES)

    def order_create_offset(self, order_pos: int) -> float:
        """Fractional jitter in [0, 1) of an order's creation slot."""
        return unit(self.seed, S_CREATE, order_pos) * 0.999

    # lines --------------------------------------------------------------------------------------------
    def line_item(self, line_id: int, company: int) -> int:
        companies = len(COMPANIES)
        return company + companies * pick(self.seed, S_ITEM, line_id, self.items // companies)

    def line_ord_qty(self, line_id: int) -> int:
        return 1 + pick(self.seed, S_QTY, line_id, 48)

    def allocation_plan(self, line_id: int) -> tuple[int, ...]:
        """Quantities of the allocations a line gets; their sum never exceeds the ordered quantity."""
        ordered = self.line_ord_qty(line_id)
        total = ordered
        if unit(self.seed, S_SHORT, line_id) < 0.1:  # short allocation
            total = max(1, ordered - 1 - pick(self.seed, S_SHORT + 100, line_id, 3))
        if total >= 2 and pick(self.seed, S_SPLIT, line_id, 5) == 0:
            first = (total + 1) // 2
            return (first, total - first)
        return (total,)

    # inventory ----------------------------------------------------------------------------------------
    def inventory_pos(self, facility: int, item: int, slot: int) -> int:
        return facility + len(FACILITIES) * (item + self.items * slot)

    def inventory_facility(self, pos: int) -> int:
        return pos % len(FACILITIES)

    def inventory_item(self, pos: int) -> int:
        return (pos // len(FACILITIES)) % self.items

    def inventory_location(self, pos: int) -> int:
        facilities = len(FACILITIES)
        per_facility = self.locations // facilities
        return self.inventory_facility(pos) + facilities * pick(self.seed, S_LOC, pos, per_facility)

    def allocation_slot(self, line_id: int, index: int) -> int:
        return pick(self.seed, S_SLOT, line_id * 4 + index, INVENTORY_SLOTS)

    def deallocates_by_delete(self, allocation_id: int) -> bool:
        """On cancellation half of the allocations are deleted, the other half kept with status 99."""
        return pick(self.seed, S_DEALLOC, allocation_id, 2) == 0

    # master data --------------------------------------------------------------------------------------
    def item_company(self, item: int) -> int:
        return item % len(COMPANIES)

    def location_facility(self, pos: int) -> int:
        return pos % len(FACILITIES)

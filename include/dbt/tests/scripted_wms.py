"""A small, deterministic WMS history for the dbt build tests, as raw rows per table.

It exercises what the models must get right: several versions per record, '' for unset text,
-03:00 offsets, facilities in different time zones (and one with none), orders created near
local midnight, cancelled allocations, and full syncs (a newest completed one that misses ids,
an older completed one and an incomplete one that must both be ignored).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

Row = dict[str, Any]

WMS_OFFSET = timezone(timedelta(hours=-3))  # what the real WMS sends (São Paulo tenant)
# After every scripted modification (the newest, a shipment, is on 8 June around 14:00): a version
# loaded before its own mod_ts would be a WMS clock glitch (test assert_orders_not_modified_after_loaded).
LOADED_AT = datetime(2025, 6, 9, 0, 0, tzinfo=UTC)
FULL_SYNC_WINDOW_END = datetime(2025, 6, 8, 0, 0, tzinfo=UTC)
SHIPPED, CANCELLED = 90, 99
ALLOC_OPEN, ALLOC_PICKED, ALLOC_CANCELLED = 10, 90, 99

FACILITIES = [  # id, code, time_zone_id key: IANA zone, a fixed offset, or '' (unset: the models use UTC)
    (1, "SP1", "America/Sao_Paulo"),
    (2, "LIS1", "Europe/Lisbon"),
    (3, "NOTZ", ""),
    # Fixed offsets, ISO sign: PostgreSQL would read 'UTC-3' as POSIX (sign inverted), DuckDB refuses it.
    (4, "FIXW", "UTC-3"),
    (5, "FIXE", "+05:00"),
]
_FIXED_OFFSET = re.compile(r"(?:UTC|GMT)?([+-])(\d{1,2})(?::?00)?", re.IGNORECASE)
ORDER_STATUSES = {
    0: "Created",
    10: "Partly Allocated",
    20: "Allocated",
    25: "In Picking",
    27: "Picked",
    30: "In Packing",
    40: "Packed",
    50: "Loaded",
    90: "Shipped",
    99: "Cancelled",
}
ALLOCATION_STATUSES = {ALLOC_OPEN: "Allocated", ALLOC_PICKED: "Picked", ALLOC_CANCELLED: "Cancelled"}
PICKERS = ["ana", "bruno", ""]


@dataclass
class ScriptedWms:
    """Raw rows per table plus the facts the test needs to know about them."""

    rows: dict[str, list[Row]] = field(default_factory=dict)
    time_zones: dict[int, str] = field(default_factory=dict)
    shipped_order_id: int = 0  # set on a later load: the order it ships
    picked_allocation_id: int = 0  # set on a later load: the allocation it picks

    def add(self, table: str, row: Row) -> None:
        self.rows.setdefault(table, []).append(row)

    def extend(self, later: ScriptedWms) -> None:
        """Append a later load's rows (the history tables only ever grow)."""
        for table, rows in later.rows.items():
            self.rows.setdefault(table, []).extend(rows)


def _wms_ts(moment: datetime) -> datetime:
    return moment.astimezone(WMS_OFFSET)


def _entity(record_id: int, created: datetime, modified: datetime, **values: Any) -> Row:
    return {
        "id": record_id,
        "create_user": "loader",
        "create_ts": _wms_ts(created),
        "mod_user": "",
        "mod_ts": _wms_ts(modified),
        "etl_extracted_at": LOADED_AT,
        "etl_loaded_at": LOADED_AT,
        "etl_run_id": "run-1",
        **values,
    }


def build_scripted_wms(seed: int = 20250601, order_count: int = 40) -> ScriptedWms:
    """The whole scripted history; the same seed always gives the same rows."""
    rng = random.Random(seed)
    wms = ScriptedWms()
    t0 = datetime(2025, 5, 1, tzinfo=UTC)
    _add_reference_data(wms, t0)
    allocation_id = 1000
    for order_id in range(1, order_count + 1):
        allocation_id = _add_order(wms, rng, order_id, allocation_id)
    _add_full_syncs(wms, order_count)
    return wms


def _add_reference_data(wms: ScriptedWms, t0: datetime) -> None:
    for code, name in ORDER_STATUSES.items():
        wms.add("order_status", _entity(code, t0, t0, description=name))
    for code, name in ALLOCATION_STATUSES.items():
        wms.add("allocation_status", _entity(code, t0, t0, description=name))
    wms.add("company", _entity(1, t0, t0, code="ACME", name="Acme", company_type_id=1, company_type_key="R"))
    wms.add("company", _entity(2, t0, t0, code="GLOBEX", name="", company_type_id=1, company_type_key="R"))
    for facility_id, facility_code, zone in FACILITIES:
        wms.time_zones[facility_id] = zone or "UTC"
        # An older version with another name: only the newest must survive staging.
        wms.add("facility", _entity(facility_id, t0, t0, code=facility_code, name="old", time_zone_key=zone))
        wms.add(
            "facility",
            _entity(
                facility_id,
                t0,
                t0 + timedelta(days=1),
                code=facility_code,
                name=f"Facility {facility_code}",
                city="",
                parent_company_id=1,
                parent_company_key="ACME",
                time_zone_id=facility_id,
                time_zone_key=zone,
            ),
        )
    for item_id in range(1, 5):
        wms.add(
            "item",
            _entity(
                item_id,
                t0,
                t0,
                company_id=1 + item_id % 2,
                company_key="",
                code=f"SKU{item_id}",
                description=f"Item {item_id}",
                barcode="",
            ),
        )
    for location_id in range(1, 7):
        facility_id = FACILITIES[location_id % 3][0]
        wms.add(
            "location",
            _entity(
                location_id,
                t0,
                t0,
                facility_id=facility_id,
                locn_str=f"A-{location_id:02d}",
                area="A",
                aisle=str(location_id),
                bay="",
                pick_zone="P1",
            ),
        )
        wms.add(
            "inventory",
            _entity(
                location_id,
                t0,
                t0,
                facility_id=facility_id,
                item_id=1 + location_id % 4,
                location_id=location_id,
                status_id=30,
                curr_qty=Decimal(100),
                orig_qty=Decimal(100),
                container_key="",
            ),
        )


def _add_order(wms: ScriptedWms, rng: random.Random, order_id: int, allocation_id: int) -> int:
    facility_id = FACILITIES[order_id % len(FACILITIES)][0]
    # Orders land between 1 and 5 June, many within two hours of a UTC or local midnight.
    created = datetime(2025, 6, 1, tzinfo=UTC) + timedelta(
        days=rng.randint(0, 4), hours=rng.choice([0, 1, 2, 3, 4, 12, 22, 23]), minutes=rng.randint(0, 59)
    )
    status = rng.choice([0, 10, 20, 27, 40, SHIPPED, SHIPPED, SHIPPED, CANCELLED])
    local_created = local_day(created, wms.time_zones[facility_id])
    shipped = (
        created + timedelta(hours=rng.randint(2, 60), minutes=rng.randint(0, 59))
        if status == SHIPPED
        else None
    )
    final_mod = (shipped or created) + timedelta(hours=1)
    header = {
        "facility_id": facility_id,
        "facility_key": FACILITIES[order_id % len(FACILITIES)][1],
        "company_id": 1,
        "company_key": "ACME",
        "order_nbr": f"ORD{order_id:05d}",
        "order_type_id": 1,
        "order_type_key": "STD",
        "cust_name": rng.choice(["", "Ana", "  "]),
        "ref_nbr": "",
        "ord_date": local_created,
        "req_ship_date": local_created + timedelta(days=rng.randint(0, 2)),
    }
    # Version 1 (created), then the current version.
    wms.add("order_hdr", _entity(order_id, created, created, status_id=0, **header))
    wms.add(
        "order_hdr",
        _entity(
            order_id,
            created,
            final_mod,
            status_id=status,
            order_shipped_ts=_wms_ts(shipped) if shipped else None,
            **header,
        ),
    )
    for seq_nbr in range(1, rng.randint(1, 3) + 1):
        line_id = order_id * 10 + seq_nbr
        ord_qty = Decimal(rng.randint(1, 10))
        item_id = rng.randint(1, 4)
        line = {
            "order_id": order_id,
            "order_key": header["order_nbr"],
            "seq_nbr": seq_nbr,
            "item_id": item_id,
            "item_key": f"SKU{item_id}",
            "status_id": status,
            "orig_ord_qty": ord_qty,
        }
        # The first version ordered one more unit; the current version's quantity counts.
        wms.add("order_dtl", _entity(line_id, created, created, ord_qty=ord_qty + 1, **line))
        wms.add(
            "order_dtl", _entity(line_id, created, created + timedelta(minutes=5), ord_qty=ord_qty, **line)
        )
        if status in (0, CANCELLED):
            continue
        allocation_id = _add_allocations(wms, rng, allocation_id, line_id, ord_qty, created, status)
    return allocation_id


def _add_allocations(
    wms: ScriptedWms,
    rng: random.Random,
    allocation_id: int,
    line_id: int,
    ord_qty: Decimal,
    created: datetime,
    order_status: int,
) -> int:
    allocated = Decimal(rng.randint(0, int(ord_qty)))
    parts = [allocated] if allocated < 2 else [allocated - 1, Decimal(1)]
    for qty in parts:
        allocation_id += 1
        alloc_created = created + timedelta(minutes=rng.randint(10, 600))
        picked = order_status >= 27 and qty > 0
        picked_at = alloc_created + timedelta(minutes=rng.randint(5, 900)) if picked else None
        packed = qty if order_status >= 40 else Decimal(0)
        wms.add(
            "allocation",
            _entity(
                allocation_id,
                alloc_created,
                picked_at or alloc_created,
                order_dtl_id=line_id,
                order_dtl_key=f"{line_id}",
                from_inventory_id=1 + allocation_id % 6,
                from_inventory_key="",
                status_id=ALLOC_PICKED if picked else ALLOC_OPEN,
                alloc_qty=qty,
                packed_qty=packed,
                pick_user=rng.choice(PICKERS) if picked else "",
                picked_ts=_wms_ts(picked_at) if picked_at else None,
                is_picking_flg=picked,
            ),
        )
    # A cancelled allocation allocates nothing, whatever its quantity says.
    if rng.random() < 0.3:
        allocation_id += 1
        wms.add(
            "allocation",
            _entity(
                allocation_id,
                created,
                created + timedelta(minutes=1),
                order_dtl_id=line_id,
                from_inventory_id=1,
                status_id=ALLOC_CANCELLED,
                alloc_qty=ord_qty,
                packed_qty=Decimal(0),
                pick_user="",
                is_picking_flg=False,
            ),
        )
    return allocation_id


def _add_full_syncs(wms: ScriptedWms, order_count: int) -> None:
    """s1 (newest completed, by window end) misses orders 3 and 4; order 4 was modified after s1's
    window, so only order 3 is deleted. s0 (an older window, though recorded complete last) misses
    order 5 and s2 (incomplete) sees nothing: neither may delete anything."""
    order_ids = range(1, order_count + 1)
    late = datetime(2025, 6, 9, tzinfo=UTC)
    for row in wms.rows["order_hdr"]:
        if row["id"] == 4 and row["mod_ts"] == max(
            r["mod_ts"] for r in wms.rows["order_hdr"] if r["id"] == 4
        ):
            row["mod_ts"] = _wms_ts(late)
    for sync_id, missing in (("s0", {5}), ("s1", {3, 4})):
        for record_id in order_ids:
            if record_id not in missing:
                wms.add(
                    "etl_full_sync_seen",
                    {"sync_id": sync_id, "stream_name": "order_hdr", "record_id": record_id},
                )
    wms.add(
        "etl_full_sync_complete",
        {
            "sync_id": "s0",
            "stream_name": "order_hdr",
            "window_end": FULL_SYNC_WINDOW_END - timedelta(days=1),
            # Recorded after s1 (an old sync's finalize cleared after a newer one completed, before
            # issue 35): still older, by its window end.
            "completed_at": FULL_SYNC_WINDOW_END + timedelta(hours=3),
        },
    )
    wms.add(
        "etl_full_sync_complete",
        {
            "sync_id": "s1",
            "stream_name": "order_hdr",
            "window_end": FULL_SYNC_WINDOW_END,
            "completed_at": FULL_SYNC_WINDOW_END + timedelta(hours=2),
        },
    )
    wms.add("etl_full_sync_seen", {"sync_id": "s2", "stream_name": "order_hdr", "record_id": 1})
    wms.add(
        "etl_full_sync_complete",
        {
            "sync_id": "s1",
            "stream_name": "order_dtl",
            "window_end": FULL_SYNC_WINDOW_END,
            "completed_at": FULL_SYNC_WINDOW_END + timedelta(hours=2),
        },
    )
    # The order_dtl sync saw every line except those of order 7: they are deleted.
    for row in wms.rows["order_dtl"]:
        if row["order_id"] != 7:
            seen = {"sync_id": "s1", "stream_name": "order_dtl", "record_id": row["id"]}
            if seen not in wms.rows["etl_full_sync_seen"]:
                wms.add("etl_full_sync_seen", seen)


def later_load(wms: ScriptedWms) -> ScriptedWms:
    """A second load six hours later: one open order ships and one open allocation is picked.
    Incremental models must merge both (the first order in status 20, the first open allocation)."""
    loaded = LOADED_AT + timedelta(hours=6)
    later = ScriptedWms(time_zones=wms.time_zones)
    newest_orders = {r["id"]: r for r in sorted(wms.rows["order_hdr"], key=lambda r: r["mod_ts"])}
    order = next(o for _, o in sorted(newest_orders.items()) if o["status_id"] == 20)
    shipped_at = order["mod_ts"] + timedelta(hours=5)
    later.shipped_order_id = order["id"]
    later.add(
        "order_hdr",
        {
            **order,
            "status_id": SHIPPED,
            "mod_ts": shipped_at,
            "order_shipped_ts": shipped_at,
            "etl_loaded_at": loaded,
            "etl_run_id": "run-2",
        },
    )
    allocation = next(
        a for a in wms.rows["allocation"] if a["status_id"] == ALLOC_OPEN and a["alloc_qty"] > 0
    )
    picked_at = allocation["mod_ts"] + timedelta(hours=2)
    later.picked_allocation_id = allocation["id"]
    later.add(
        "allocation",
        {
            **allocation,
            "status_id": ALLOC_PICKED,
            "mod_ts": picked_at,
            "picked_ts": picked_at,
            "pick_user": "carla",
            "packed_qty": allocation["alloc_qty"],
            "etl_loaded_at": loaded,
            "etl_run_id": "run-2",
        },
    )
    return later


def reference_zone(key: str) -> tzinfo:
    """The zone a time_zone_id key means, read here without the models' SQL: an IANA name, or a
    whole-hour fixed offset with the ISO sign ('UTC-3' is three hours behind UTC)."""
    fixed = _FIXED_OFFSET.fullmatch(key.strip())
    if fixed:
        hours = int(fixed.group(2))
        return timezone(timedelta(hours=-hours if fixed.group(1) == "-" else hours))
    return ZoneInfo(key)


def local_day(moment: datetime, zone: str) -> date:
    """The calendar day of a moment in a facility's zone (the reference the models are checked against)."""
    return moment.astimezone(reference_zone(zone)).date()


def facility_rekeyed(wms: ScriptedWms, facility_id: int, key: str) -> ScriptedWms:
    """A later load holding one new version of a facility whose time_zone_id key is now `key`."""
    newest = max((r for r in wms.rows["facility"] if r["id"] == facility_id), key=lambda r: r["mod_ts"])
    later = ScriptedWms(time_zones=wms.time_zones)
    later.add(
        "facility",
        {
            **newest,
            "mod_ts": newest["mod_ts"] + timedelta(days=1),
            "time_zone_key": key,
            "etl_loaded_at": LOADED_AT + timedelta(hours=7),
            "etl_run_id": "run-3",
        },
    )
    return later

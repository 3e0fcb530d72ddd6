"""Regenerates full records (raw Python values) from the store's compact state and the seed.

Raw values: FK = ``(id, key)`` or None, timestamps = int microseconds UTC, dates = ISO strings,
decimals = int, reverse sets = their child count (or None). ``representation`` turns them into JSON.
Only the fields listed in ``_text`` pools and the builders below carry data; every other field keeps the
describe default (``""`` for text, null otherwise), as unset fields do in real payloads.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from . import lifecycle as lc
from .catalog import EntityMeta, catalog
from .layout import COMPANIES, DEFAULT_FACILITY, FACILITIES
from .rand import h, pick
from .representation import facility_zone
from .store import Store, from_us

USERS = ("wms_integration", "jsilva", "mchen", "aokafor", "lrossi", "pnair")
CITIES = (("Campinas", "SP", "BR"), ("Joliet", "IL", "US"), ("Mysuru", "KA", "IN"), ("Getafe", "M", "ES"))
NAMES = (
    "Northwind Stores",
    "Contoso Market",
    "Fabrikam Outlet",
    "Tailspin Toys",
    "Wide World Importers",
    "Adatum",
)
ORDER_TYPES = ((1, "STD"), (2, "ECOM"), (3, "B2B"))
ALLOC_TYPES = ((1, "Unidades LPN"), (2, "Separacao Ativa"), (3, "Caixas LPN"), (4, "LPN Reapro"))
UOMS = ((1, "Units"), (2, "Cases"), (3, "Lpns"), (4, "Packs"))
S_TEXT = 500
Raw = dict[str, Any]


def _defaults(meta: EntityMeta) -> Raw:
    values: Raw = {}
    for name, field in meta.fields.items():
        if field.type == "string":
            values[name] = ""
        elif field.type == "boolean":
            values[name] = bool(field.describe.get("default"))
        else:
            values[name] = None
    return values


@lru_cache(maxsize=4096)
def _stage_time(seed: int, order_id: int, create_us: int, status: int) -> int | None:
    """When an order reaches ``status`` (``Store.schedule`` is a pure function of these arguments).

    Memoised because an order's allocations (1-8) are served together and each recomputed the schedule.
    """
    return lc.time_of(lc.schedule(seed, order_id, create_us), status)


def _day(micros: int, facility: int = DEFAULT_FACILITY) -> str:
    """The facility-local calendar date of an instant."""
    return from_us(micros).astimezone(facility_zone(facility)).date().isoformat()


class RecordFactory:
    """Builds raw records and cheap single-field accessors for one store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.layout = store.layout
        self.seed = store.seed
        self.t = store.tables
        self._defaults = {name: _defaults(meta) for name, meta in catalog().items()}
        self._builders: dict[str, Callable[[int, Raw], None]] = {
            "company": self._company,
            "facility": self._facility,
            "item": self._item,
            "location": self._location,
            "inventory": self._inventory,
            "order_hdr": self._order_hdr,
            "order_dtl": self._order_dtl,
            "allocation": self._allocation,
            "order_status": self._order_status,
            "allocation_status": self._allocation_status,
        }

    # relations ------------------------------------------------------------------------------------------
    def order_of_line(self, line_pos: int) -> int:
        return self.t["order_dtl"].links["order"][line_pos]

    def facility_of(self, entity: str, pos: int) -> int:
        """The facility whose time zone the record's timestamps are printed in."""
        if entity == "order_hdr":
            return self.layout.order_facility(self.t["order_hdr"].id_of(pos))
        if entity == "order_dtl":
            return self.facility_of("order_hdr", self.order_of_line(pos))
        if entity == "allocation":
            return self.facility_of("order_dtl", self.t["allocation"].links["dtl"][pos])
        if entity == "facility":
            return pos
        if entity == "inventory":
            return self.layout.inventory_facility(pos)
        if entity == "location":
            return self.layout.location_facility(pos)
        return DEFAULT_FACILITY

    def fk(self, entity: str, pos: int) -> tuple[int, str]:
        """FK (id, key) pointing at a simulated record."""
        return (self.t[entity].id_of(pos), self.key_of(entity, pos))

    def key_of(self, entity: str, pos: int) -> str:
        if entity == "company":
            return COMPANIES[pos][0]
        if entity == "facility":
            return FACILITIES[pos][0]
        if entity == "item":
            return self.item_code(pos)
        if entity == "location":
            return self.locn_str(pos)
        if entity == "order_hdr":
            return self.order_nbr(pos)
        if entity == "order_dtl":
            return f"{self.order_nbr(self.order_of_line(pos))},{self.seq_nbr(pos)}"
        return ""  # inventory (and allocation) keys are empty in real payloads

    def order_nbr(self, pos: int) -> str:
        return f"ORD{self.t['order_hdr'].id_of(pos):010d}"

    def seq_nbr(self, line_pos: int) -> int:
        return line_pos - self.t["order_hdr"].links["dtl_start"][self.order_of_line(line_pos)] + 1

    def item_code(self, pos: int) -> str:
        return f"{COMPANIES[self.layout.item_company(pos)][0][:3]}-{self.t['item'].id_of(pos):07d}"

    def locn_str(self, pos: int) -> str:
        n = pos // len(FACILITIES)
        return f"{1 + n % 3}-{10 + (n // 3) % 40:02d}-{1 + (n // 120) % 60:02d}-{1 + n // 7200:02d}"

    def line_item(self, line_pos: int) -> int:
        order_id = self.t["order_hdr"].id_of(self.order_of_line(line_pos))
        return self.layout.line_item(self.t["order_dtl"].id_of(line_pos), self.layout.order_company(order_id))

    def cheap(self, entity: str) -> dict[str, Callable[[int], Any]]:
        """Accessors for fields that filters use often, without building the whole record (FK -> id)."""
        table = self.t[entity]
        access: dict[str, Callable[[int], Any]] = {
            "id": table.id_of,
            "create_ts": table.create_ts.__getitem__,
            "mod_ts": table.visible_mod_ts if table.shown else table.mod_ts.__getitem__,
        }
        if entity in ("order_hdr", "order_dtl", "allocation", "inventory"):
            access["status_id"] = table.visible_status if table.shown else table.status.__getitem__
        if entity == "order_hdr":
            access["facility_id"] = lambda p: self.t["facility"].id_of(
                self.layout.order_facility(table.id_of(p))
            )
            access["company_id"] = lambda p: self.t["company"].id_of(
                self.layout.order_company(table.id_of(p))
            )
            access["order_nbr"] = self.order_nbr
        elif entity == "order_dtl":
            access["order_id"] = lambda p: self.t["order_hdr"].id_of(self.order_of_line(p))
            access["seq_nbr"] = self.seq_nbr
            access["item_id"] = lambda p: self.t["item"].id_of(self.line_item(p))
        elif entity == "allocation":
            access["order_dtl_id"] = lambda p: self.t["order_dtl"].id_of(table.links["dtl"][p])
        elif entity == "inventory":
            access["facility_id"] = lambda p: self.t["facility"].id_of(self.layout.inventory_facility(p))
            access["item_id"] = lambda p: self.t["item"].id_of(self.layout.inventory_item(p))
        return access

    # records ----------------------------------------------------------------------------------------------
    def raw(self, entity: str, pos: int) -> Raw:
        """Every field of the record in API order (assigned values over the describe defaults)."""
        return {**self._defaults[entity], **self.assigned(entity, pos)}

    def defaults(self, entity: str) -> Raw:
        """The value of every field a record does not assign (shared: do not mutate)."""
        return self._defaults[entity]

    def assigned(self, entity: str, pos: int) -> Raw:
        """Only the fields that carry data: id, audit fields and what the entity's builder sets.

        Serializers print the other fields from a per-entity template instead of one by one.
        """
        table = self.t[entity]
        record: Raw = {}
        record_id = table.id_of(pos)
        record["id"] = record_id
        record["create_ts"] = table.create_ts[pos]
        mod_us = record["mod_ts"] = table.visible_mod_ts(pos)
        record["create_user"] = USERS[pick(self.seed, S_TEXT, record_id, len(USERS))]
        record["mod_user"] = USERS[pick(self.seed, S_TEXT + 1, record_id + mod_us, len(USERS))]
        self._builders[entity](pos, record)
        return record

    def _company(self, pos: int, r: Raw) -> None:
        code, name = COMPANIES[pos]
        r.update(code=code, name=name, company_type_id=(1, "R"), city=CITIES[pos][0], country=CITIES[pos][2])
        if pos:
            r["parent_company_id"] = self.fk("company", 0)

    def _facility(self, pos: int, r: Raw) -> None:
        code, name, zone, city, country = FACILITIES[pos]
        r.update(code=code, name=name, city=city, country=country, parent_company_id=self.fk("company", 0))
        r.update(facility_type_id=(1, "DC"), time_zone_id=(10 + pos, zone), lang="en", priority=pos + 1)
        r.update(address_1=f"{100 + pos * 7} Logistics Way", wms_managed_flg=True)

    def _item(self, pos: int, r: Raw) -> None:
        item_id = r["id"]
        code = self.item_code(pos)
        r.update(company_id=self.fk("company", self.layout.item_company(pos)), code=code)
        r.update(description=f"Item {code}", barcode=f"789{item_id:010d}", part_a=code[:3], part_b=code[4:])
        r.update(
            std_pack_qty=1 + pick(self.seed, S_TEXT + 2, item_id, 6),
            std_case_qty=6 * (1 + pick(self.seed, S_TEXT + 3, item_id, 4)),
        )
        r.update(unit_cost=1 + pick(self.seed, S_TEXT + 4, item_id, 500))

    def _location(self, pos: int, r: Raw) -> None:
        locn = self.locn_str(pos)
        area, aisle, bay, level = locn.split("-")
        r.update(
            facility_id=self.fk("facility", self.layout.location_facility(pos)),
            locn_str=locn,
            barcode=locn.replace("-", ""),
        )
        r.update(
            area=area,
            aisle=aisle,
            bay=bay,
            level=level,
            type_id=(1 + pos % 3, ("ACTIVE", "RESERVE", "STAGE")[pos % 3]),
        )
        r.update(pick_seq=pos, putaway_seq=pos, max_lpns=10, pick_zone=f"Z{area}", alloc_zone=f"Z{area}")

    def _inventory(self, pos: int, r: Raw) -> None:
        inventory_id = r["id"]
        original = 200 + pick(self.seed, S_TEXT + 5, inventory_id, 800)
        r.update(facility_id=(self.t["facility"].id_of(self.layout.inventory_facility(pos)), ""))
        r.update(item_id=(self.t["item"].id_of(self.layout.inventory_item(pos)), ""))
        r.update(location_id=(self.t["location"].id_of(self.layout.inventory_location(pos)), ""))
        r.update(
            orig_qty=original,
            curr_qty=max(0, original - self.store.consumed.get(pos, 0)),
            pack_qty=1,
            case_qty=6,
        )
        r.update(status_id=self.t["inventory"].visible_status(pos), uom_id=(1, ""), serial_nbr_set=[])
        r["priority_date"] = _day(self.t["inventory"].create_ts[pos], self.layout.inventory_facility(pos))
        r["expiry_date"] = (
            date(2027, 1, 1) + timedelta(days=pick(self.seed, S_TEXT + 6, inventory_id, 700))
        ).isoformat()

    def _order_hdr(self, pos: int, r: Raw) -> None:
        hdr = self.t["order_hdr"]
        order_id = r["id"]
        facility = self.layout.order_facility(order_id)
        company = self.layout.order_company(order_id)
        customer = pick(self.seed, S_TEXT + 7, order_id, len(NAMES))
        city, state, country = CITIES[facility]
        lines = self.layout.line_count(order_id)
        first_line = hdr.links["dtl_start"][pos]
        ordered = sum(
            self.layout.line_ord_qty(self.t["order_dtl"].id_of(first_line + k)) for k in range(lines)
        )
        created = hdr.create_ts[pos]
        r.update(facility_id=self.fk("facility", facility), company_id=self.fk("company", company))
        r.update(
            order_nbr=self.order_nbr(pos),
            order_type_id=ORDER_TYPES[order_id % 3],
            status_id=hdr.visible_status(pos),
        )
        r.update(ord_date=_day(created, facility), req_ship_date=_day(created + 2 * 86_400_000_000, facility))
        r.update(
            cust_name=NAMES[customer],
            cust_city=city,
            cust_state=state,
            cust_country=country,
            cust_nbr=f"C{customer:05d}",
        )
        r.update(shipto_name=NAMES[customer], shipto_city=city, shipto_state=state, shipto_country=country)
        r.update(
            ref_nbr=f"REF{order_id}", customer_po_nbr=f"PO{h(self.seed, S_TEXT + 8, order_id) % 10**8:08d}"
        )
        r.update(
            sales_channel=("WEB", "STORE", "B2B")[order_id % 3],
            currency_code=("BRL", "USD", "INR", "EUR")[facility],
        )
        r.update(
            priority=1 + order_id % 5,
            total_orig_ord_qty=ordered,
            orig_sku_count=lines,
            order_instructions_set=[],
        )
        r["order_dtl_set"] = lines
        if hdr.visible_status(pos) == lc.SHIPPED:
            r["order_shipped_ts"] = lc.time_of(self.store.schedule(pos), lc.SHIPPED)

    def _order_dtl(self, pos: int, r: Raw) -> None:
        dtl = self.t["order_dtl"]
        line_id = r["id"]
        ordered = self.layout.line_ord_qty(line_id)
        allocated = 0
        if dtl.links["alloc_start"][pos] >= 0 and dtl.visible_status(pos) != lc.CANCELLED:
            allocated = sum(self.layout.allocation_plan(line_id))
        r.update(order_id=self.fk("order_hdr", self.order_of_line(pos)), seq_nbr=self.seq_nbr(pos))
        r.update(item_id=self.fk("item", self.line_item(pos)), status_id=dtl.visible_status(pos))
        r.update(ord_qty=ordered, orig_ord_qty=ordered, alloc_qty=allocated, ordered_uom_qty=ordered)
        r.update(
            uom_id=UOMS[0], ordered_uom_id=UOMS[0], order_instructions_set=[], required_serial_nbr_set=[]
        )
        r.update(sale_price=10 + line_id % 90, cost=5 + line_id % 40, order_dtl_original_seq_nbr=r["seq_nbr"])

    def _allocation(self, pos: int, r: Raw) -> None:
        alloc = self.t["allocation"]
        line_pos = alloc.links["dtl"][pos]
        line_id = self.t["order_dtl"].id_of(line_pos)
        order_pos = self.order_of_line(line_pos)
        order_id = self.t["order_hdr"].id_of(order_pos)
        index = pos - self.t["order_dtl"].links["alloc_start"][line_pos]
        qty = self.layout.allocation_plan(line_id)[index]
        status = alloc.visible_status(pos)
        facility = self.layout.order_facility(order_id)
        item = self.line_item(line_pos)
        slot = self.layout.allocation_slot(line_id, index)
        from_inv = self.layout.inventory_pos(facility, item, slot)
        picked = status in (lc.ALLOC_PICKED, lc.ALLOC_COMPLETED)
        r.update(order_dtl_id=self.fk("order_dtl", line_pos), status_id=status, alloc_qty=qty)
        r.update(from_inventory_id=(self.t["inventory"].id_of(from_inv), ""))
        if picked:
            to_inv = self.layout.inventory_pos(facility, item, 1 - slot)
            r.update(
                to_inventory_id=(self.t["inventory"].id_of(to_inv), ""), pick_user=USERS[1 + order_id % 5]
            )
            create_us = self.t["order_hdr"].create_ts[order_pos]
            r["picked_ts"] = _stage_time(self.seed, order_id, create_us, lc.PICKED)
            order_status = self.t["order_hdr"].visible_status(order_pos)
            r["packed_qty"] = (
                qty if status == lc.ALLOC_COMPLETED else (qty // 2 if order_status == lc.IN_PACKING else 0)
            )
        else:
            r["packed_qty"] = 0
        r.update(type_id=ALLOC_TYPES[line_id % 4], alloc_uom_id=UOMS[line_id % 2 * 3], task_seq_nbr=1 + index)
        r.update(
            wave_id=(5_000_000 + order_id // 50, f"WAVE{order_id // 50:08d}"),
            pick_locn_str=self.locn_str(self.layout.inventory_location(from_inv)),
        )
        r.update(task_id=(9_000_000 + pos, f"T{9_000_000 + pos:011d}"), is_picking_flg=not picked)
        if facility in (0, 1):
            r["mhe_system_id"] = (55, "INDUCAO")

    @staticmethod
    def _order_status(pos: int, r: Raw) -> None:
        r["description"] = lc.ORDER_STATUSES[r["id"]]

    @staticmethod
    def _allocation_status(pos: int, r: Raw) -> None:
        r["description"] = lc.ALLOCATION_STATUSES[r["id"]]

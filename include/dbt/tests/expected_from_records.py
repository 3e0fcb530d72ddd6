"""Every fact and mart figure, computed in plain Python from WMS records in API representation.

An independent reading of the models' documented definitions (the model YAML), not a translation of
the SQL:
- a facility-local day is the calendar date the API prints: the simulator prints order, line and
  allocation timestamps with the offset of the order's facility, so no time-zone arithmetic is needed;
- durations are exact integer microseconds; hours are microseconds / 3,600,000,000 in double precision
  (Python's int / int is correctly rounded, as the warehouses' double division is); a median of an even
  count is the mean of the two middle durations;
- ratios are float(numerator) / float(denominator) of exact decimal sums.
So every figure is compared with `==`, floats included.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from loaded_history import LoadedHistory, Record, timestamp

Row = dict[str, Any]
SHIPPED, CANCELLED, ALLOCATION_CANCELLED = 90, 99, 99  # the project's vars (dbt_project.yml)
MICROSECONDS_PER_HOUR = 3_600_000_000
AGE_BUCKETS = ((24, "0-1d", 1), (48, "1-2d", 2), (72, "2-3d", 3), (168, "3-7d", 4))
OLDEST_BUCKET = ("7d+", 5)


def utc(value: str | None) -> datetime | None:
    """An API timestamp as the models store it: a plain (naive) UTC timestamp."""
    return None if value is None else timestamp(value).astimezone(UTC).replace(tzinfo=None)


def local_day(value: str) -> date:
    return timestamp(value).date()


def microseconds(start: str | datetime, end: str | datetime) -> int:
    """Exact microseconds from start to end (API timestamps or aware datetimes)."""
    delta = (timestamp(end) if isinstance(end, str) else end) - (
        timestamp(start) if isinstance(start, str) else start
    )
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def hours(duration_us: float) -> float:
    return duration_us / MICROSECONDS_PER_HOUR


def median_hours(durations_us: Iterable[int]) -> float:
    return hours(statistics.median(durations_us))


def quantity(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def ratio(numerator: Decimal, denominator: Decimal) -> float | None:
    return float(numerator) / float(denominator) if denominator > 0 else None


def text(value: str | None) -> str | None:
    """Blank text is NULL in the warehouse (Oracle stores '' as NULL; the others follow)."""
    return None if value is None or not value.strip() else value


def fk(record: Record, name: str) -> int | None:
    value = record[name]
    return None if value is None else int(value["id"])


class ExpectedFigures:
    """The facts as the warehouse must hold them for a LoadedHistory (and the records the marts need)."""

    def __init__(self, history: LoadedHistory) -> None:
        self.facilities = history.current["facility"]
        self.order_status_names = {i: r["description"] for i, r in history.current["order_status"].items()}
        self.all_lines = history.current["order_dtl"]
        self.all_orders = history.current["order_hdr"]
        self.orders = history.live("order_hdr")
        self.lines = {i: r for i, r in history.live("order_dtl").items() if fk(r, "order_id") in self.orders}
        self.allocations = history.live("allocation")
        self.line_totals = self._line_totals()

    def _line_totals(self) -> dict[int, Row]:
        """Per line: live (not deleted, not cancelled) allocation count and units."""
        totals: dict[int, Row] = defaultdict(
            lambda: {"count": 0, "allocated": Decimal(0), "packed": Decimal(0), "picked": Decimal(0)}
        )
        for allocation in self.allocations.values():
            if allocation["status_id"] == ALLOCATION_CANCELLED:
                continue
            line = totals[fk(allocation, "order_dtl_id") or 0]
            alloc_qty = quantity(allocation["alloc_qty"]) or Decimal(0)
            line["count"] += 1
            line["allocated"] += alloc_qty
            line["packed"] += quantity(allocation["packed_qty"]) or Decimal(0)
            if allocation["picked_ts"] is not None:
                line["picked"] += alloc_qty
        return totals

    def order_lines(self) -> dict[int, Row]:
        rows = {}
        for line_id, line in self.lines.items():
            totals = self.line_totals.get(line_id, {})
            ordered = quantity(line["ord_qty"]) or Decimal(0)
            allocated = totals.get("allocated", Decimal(0))
            order_id = int(line["order_id"]["id"])  # a live line always belongs to a live order
            rows[line_id] = {
                "order_id": order_id,
                "facility_id": fk(self.orders[order_id], "facility_id"),
                "order_dtl_status_id": line["status_id"],
                "ord_qty": quantity(line["ord_qty"]),
                "allocation_count": totals.get("count", 0),
                "allocated_units": allocated,
                "packed_units": totals.get("packed", Decimal(0)),
                "picked_units": totals.get("picked", Decimal(0)),
                "short_qty": max(ordered - allocated, Decimal(0)),
            }
        return rows

    def orders_fact(self) -> dict[int, Row]:
        lines_by_order: dict[int, list[Row]] = defaultdict(list)
        for line in self.order_lines().values():
            lines_by_order[line["order_id"]].append(line)
        rows = {}
        for order_id, order in self.orders.items():
            lines = lines_by_order[order_id]
            ordered = sum((line["ord_qty"] or Decimal(0) for line in lines), Decimal(0))
            allocated = sum((line["allocated_units"] for line in lines), Decimal(0))
            status, shipped_ts = order["status_id"], order["order_shipped_ts"]
            shipped = status == SHIPPED and shipped_ts is not None
            due = order["req_ship_date"]
            rows[order_id] = {
                "facility_id": fk(order, "facility_id"),
                "order_status_id": status,
                "order_status_name": self.order_status_names.get(status),
                "created_at": utc(order["create_ts"]),
                "order_shipped_at": utc(shipped_ts),
                "modified_at": utc(order["mod_ts"]),
                "line_count": len(lines),
                "units_ordered": ordered,
                "units_allocated": allocated,
                "units_packed": sum((line["packed_units"] for line in lines), Decimal(0)),
                "fill_rate": ratio(allocated, ordered),
                "is_open": int(status not in (SHIPPED, CANCELLED)),
                "is_cancelled": int(status == CANCELLED),
                "is_shipped": int(status == SHIPPED),
                "order_cycle_hours": hours(microseconds(order["create_ts"], shipped_ts)) if shipped else None,
                "days_late": (
                    max((local_day(shipped_ts) - date.fromisoformat(due)).days, 0)
                    if shipped and due is not None
                    else None
                ),
            }
        return rows

    def allocations_fact(self) -> dict[int, Row]:
        rows = {}
        for allocation_id, allocation in self.allocations.items():
            line = self.all_lines.get(fk(allocation, "order_dtl_id") or 0)
            order = self.all_orders.get(fk(line, "order_id") or 0) if line else None
            picked_ts = allocation["picked_ts"]
            rows[allocation_id] = {
                "order_dtl_id": fk(allocation, "order_dtl_id"),
                "order_id": fk(line, "order_id") if line else None,
                "facility_id": fk(order, "facility_id") if order else None,
                "allocation_status_id": allocation["status_id"],
                "is_cancelled": int(allocation["status_id"] == ALLOCATION_CANCELLED),
                "is_picked": int(picked_ts is not None),
                "alloc_qty": quantity(allocation["alloc_qty"]),
                "packed_qty": quantity(allocation["packed_qty"]) or Decimal(0),
                "pick_user": text(allocation["pick_user"]),
                "created_at": utc(allocation["create_ts"]),
                "picked_at": utc(picked_ts),
                "pick_latency_hours": (
                    hours(microseconds(allocation["create_ts"], picked_ts)) if picked_ts else None
                ),
            }
        return rows

    def facility_code(self, facility_id: int | None) -> str | None:
        facility = self.facilities.get(facility_id or 0)
        return text(facility["code"]) if facility else None

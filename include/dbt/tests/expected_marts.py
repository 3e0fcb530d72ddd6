"""The mart figures the dbt project must produce, re-derived in plain Python from the scripted rows.

This is an independent reading of the business rules (docs/architecture.md and the model docs),
not a translation of the SQL: current version = newest mod_ts per id; deleted = missed by the
newest completed full sync and last modified before its window_end (its deletion cut-off), unless
also before its purge bound (purged by retention, kept); local days via zoneinfo.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from scripted_wms import ALLOC_CANCELLED, CANCELLED, SHIPPED, ScriptedWms, local_day

Row = dict[str, Any]
AGE_BUCKETS = ((24, "0-1d"), (48, "1-2d"), (72, "2-3d"), (168, "3-7d"))


def current_versions(rows: Iterable[Row]) -> dict[int, Row]:
    newest: dict[int, Row] = {}
    for row in rows:
        if row["id"] not in newest or row["mod_ts"] > newest[row["id"]]["mod_ts"]:
            newest[row["id"]] = row
    return newest


def deleted_ids(wms: ScriptedWms, stream: str) -> set[int]:
    completed = [r for r in wms.rows.get("etl_full_sync_complete", []) if r["stream_name"] == stream]
    if not completed:
        return set()
    # The newest sync is the one with the latest window end (issue 35), not the last one recorded.
    newest = max(completed, key=lambda r: (r["window_end"], r["completed_at"], r["sync_id"]))
    seen = {
        r["record_id"]
        for r in wms.rows["etl_full_sync_seen"]
        if r["sync_id"] == newest["sync_id"] and r["stream_name"] == stream
    }
    # Older than the sync's purge bound (wms_purge_horizon_days): purged by retention, kept.
    purge_before = next(
        (
            r["purge_before"]
            for r in wms.rows.get("etl_full_sync_decision", [])
            if r["sync_id"] == newest["sync_id"] and r["stream_name"] == stream and r["purge_before"]
        ),
        None,
    )
    return {
        record_id
        for record_id, row in current_versions(wms.rows[stream]).items()
        if record_id not in seen
        and row["mod_ts"] < newest["window_end"]
        and (purge_before is None or row["mod_ts"] >= purge_before)
    }


def _hours(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600


class ExpectedMarts:
    """Computes mart_daily_fulfillment, mart_order_backlog and mart_pick_productivity figures."""

    def __init__(self, wms: ScriptedWms) -> None:
        self.wms = wms
        deleted_orders = deleted_ids(wms, "order_hdr")
        deleted_lines = deleted_ids(wms, "order_dtl")
        self.deleted_orders = deleted_orders
        self.all_orders = current_versions(wms.rows["order_hdr"])
        self.orders = {i: r for i, r in self.all_orders.items() if i not in deleted_orders}
        self.lines = {
            i: r
            for i, r in current_versions(wms.rows["order_dtl"]).items()
            if i not in deleted_lines and r["order_id"] in self.orders
        }
        self.all_lines = current_versions(wms.rows["order_dtl"])
        self.allocations = {
            i: r
            for i, r in current_versions(wms.rows["allocation"]).items()
            if i not in deleted_ids(wms, "allocation")
        }
        # The backlog is aged to the newest WMS change among the live orders, not to a load time.
        self.as_of = max(order["mod_ts"] for order in self.orders.values())

    def _zone(self, facility_id: int) -> str:
        return self.wms.time_zones[facility_id]

    def order_totals(self, order_id: int) -> tuple[Decimal, Decimal, Decimal]:
        """(units ordered, allocated, packed) over live lines and live, non-cancelled allocations."""
        ordered = allocated = packed = Decimal(0)
        for line_id, line in self.lines.items():
            if line["order_id"] != order_id:
                continue
            ordered += line["ord_qty"]
            for allocation in self.allocations.values():
                if allocation["order_dtl_id"] == line_id and allocation["status_id"] != ALLOC_CANCELLED:
                    allocated += allocation["alloc_qty"]
                    packed += allocation["packed_qty"] or 0
        return ordered, allocated, packed

    def daily_fulfillment(self) -> dict[tuple[int, date], Row]:
        days: dict[tuple[int, date], Row] = defaultdict(
            lambda: {
                "orders_created": 0,
                "orders_shipped": 0,
                "orders_cancelled": 0,
                "units_ordered": Decimal(0),
                "units_shipped": Decimal(0),
                "shipped_ordered": Decimal(0),
                "cycle_hours": [],
            }
        )
        for order_id, order in self.orders.items():
            zone = self._zone(order["facility_id"])
            ordered, _allocated, packed = self.order_totals(order_id)
            created = days[(order["facility_id"], local_day(order["create_ts"], zone))]
            created["orders_created"] += 1
            created["units_ordered"] += ordered
            if order["status_id"] == SHIPPED and order["order_shipped_ts"] is not None:
                shipped = days[(order["facility_id"], local_day(order["order_shipped_ts"], zone))]
                shipped["orders_shipped"] += 1
                shipped["units_shipped"] += packed
                shipped["shipped_ordered"] += ordered
                shipped["cycle_hours"].append(_hours(order["create_ts"], order["order_shipped_ts"]))
            if order["status_id"] == CANCELLED:
                days[(order["facility_id"], local_day(order["mod_ts"], zone))]["orders_cancelled"] += 1
        for figures in days.values():
            shipped_ordered = figures.pop("shipped_ordered")
            cycle = figures.pop("cycle_hours")
            figures["fill_rate"] = (
                float(figures["units_shipped"] / shipped_ordered) if shipped_ordered else None
            )
            figures["median_order_cycle_hours"] = statistics.median(cycle) if cycle else None
        return dict(days)

    def order_backlog(self) -> dict[tuple[int, int, str], int]:
        """Open orders per (facility, status, age bucket), aged to the newest order change."""
        counts: dict[tuple[int, int, str], int] = defaultdict(int)
        for order in self.orders.values():
            if order["status_id"] in (SHIPPED, CANCELLED):
                continue
            age = _hours(order["create_ts"], self.as_of)
            bucket = next((name for limit, name in AGE_BUCKETS if age < limit), "7d+")
            counts[(order["facility_id"], order["status_id"], bucket)] += 1
        return dict(counts)

    def pick_productivity(self) -> dict[tuple[int, date, str], tuple[int, Decimal, float]]:
        """(allocations picked, units picked, median latency hours) per facility, local day, picker."""
        groups: dict[tuple[int, date, str], list[Row]] = defaultdict(list)
        for allocation in self.allocations.values():
            if allocation["status_id"] == ALLOC_CANCELLED or allocation["picked_ts"] is None:
                continue
            order = self.all_orders[self.all_lines[allocation["order_dtl_id"]]["order_id"]]
            zone = self._zone(order["facility_id"])
            picker = allocation["pick_user"].strip() or "(unknown)"
            groups[(order["facility_id"], local_day(allocation["picked_ts"], zone), picker)].append(
                allocation
            )
        return {
            key: (
                len(rows),
                sum((r["alloc_qty"] for r in rows), Decimal(0)),
                statistics.median(_hours(r["create_ts"], r["picked_ts"]) for r in rows),
            )
            for key, rows in groups.items()
        }

"""The three marts, computed in plain Python from the records behind ExpectedFigures.

Definitions from models/marts/reporting/_reporting__models.yml; local days, durations and ratios
follow the conventions in expected_from_records.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from expected_from_records import (
    AGE_BUCKETS,
    OLDEST_BUCKET,
    ExpectedFigures,
    hours,
    local_day,
    median_hours,
    microseconds,
    ratio,
    utc,
)
from loaded_history import timestamp

Row = dict[str, Any]
UNKNOWN_PICKER = "(unknown)"


def daily_fulfillment(figures: ExpectedFigures) -> dict[tuple[int, date], Row]:
    """Per facility and local day: orders created (by create day), shipped (by ship day), cancelled
    (by the day of their last change), with units, fill rate and median cycle time."""
    facts = figures.orders_fact()
    days: dict[tuple[int, date], Row] = defaultdict(
        lambda: {
            "orders_created": 0,
            "orders_shipped": 0,
            "orders_cancelled": 0,
            "units_ordered": Decimal(0),
            "units_allocated": Decimal(0),
            "units_shipped": Decimal(0),
            "shipped_units_ordered": Decimal(0),
            "cycles_us": [],
        }
    )
    for order_id, order in figures.orders.items():
        fact = facts[order_id]
        facility_id = fact["facility_id"]
        created = days[(facility_id, local_day(order["create_ts"]))]
        created["orders_created"] += 1
        created["units_ordered"] += fact["units_ordered"]
        created["units_allocated"] += fact["units_allocated"]
        if fact["is_shipped"] and order["order_shipped_ts"] is not None:
            shipped = days[(facility_id, local_day(order["order_shipped_ts"]))]
            shipped["orders_shipped"] += 1
            shipped["units_shipped"] += fact["units_packed"]
            shipped["shipped_units_ordered"] += fact["units_ordered"]
            shipped["cycles_us"].append(microseconds(order["create_ts"], order["order_shipped_ts"]))
        if fact["is_cancelled"]:
            days[(facility_id, local_day(order["mod_ts"]))]["orders_cancelled"] += 1
    rows = {}
    for (facility_id, day), figures_of_day in days.items():
        shipped_units_ordered = figures_of_day.pop("shipped_units_ordered")
        cycles = figures_of_day.pop("cycles_us")
        rows[(facility_id, day)] = {
            **figures_of_day,
            "facility_code": figures.facility_code(facility_id),
            "fill_rate": ratio(figures_of_day["units_shipped"], shipped_units_ordered),
            "median_order_cycle_hours": median_hours(cycles) if cycles else None,
        }
    return rows


def order_backlog(figures: ExpectedFigures) -> dict[tuple[int, int, str], Row]:
    """Open orders per facility, status and age bucket, aged to the newest order change held."""
    facts = figures.orders_fact()
    as_of = max(timestamp(order["mod_ts"]) for order in figures.orders.values())
    groups: dict[tuple[int, int, str], Row] = {}
    for order_id, order in figures.orders.items():
        fact = facts[order_id]
        if not fact["is_open"]:
            continue
        age_hours = hours(microseconds(order["create_ts"], as_of))
        bucket, rank = next(
            ((name, rank) for limit, name, rank in AGE_BUCKETS if age_hours < limit), OLDEST_BUCKET
        )
        key = (fact["facility_id"], fact["order_status_id"], bucket)
        group = groups.setdefault(
            key,
            {
                "facility_code": figures.facility_code(fact["facility_id"]),
                "order_status_name": fact["order_status_name"],
                "age_bucket_rank": rank,
                "open_orders": 0,
                "units_ordered": Decimal(0),
                "units_allocated": Decimal(0),
                "oldest_age_hours": age_hours,
                "as_of_at": utc(as_of.isoformat()),
            },
        )
        group["open_orders"] += 1
        group["units_ordered"] += fact["units_ordered"]
        group["units_allocated"] += fact["units_allocated"]
        group["oldest_age_hours"] = max(group["oldest_age_hours"], age_hours)
    return groups


def pick_productivity(figures: ExpectedFigures) -> dict[tuple[int, date, str], Row]:
    """Picked, not cancelled, live allocations per facility, local pick day and picker."""
    facts = figures.allocations_fact()
    groups: dict[tuple[int, date, str], list[tuple[Decimal, int]]] = defaultdict(list)
    for allocation_id, allocation in figures.allocations.items():
        fact = facts[allocation_id]
        if not fact["is_picked"] or fact["is_cancelled"]:
            continue
        key = (fact["facility_id"], local_day(allocation["picked_ts"]), fact["pick_user"] or UNKNOWN_PICKER)
        latency = microseconds(allocation["create_ts"], allocation["picked_ts"])
        groups[key].append((fact["alloc_qty"], latency))
    return {
        key: {
            "facility_code": figures.facility_code(key[0]),
            "allocations_picked": len(picks),
            "units_picked": sum((qty for qty, _ in picks), Decimal(0)),
            "median_pick_latency_hours": median_hours(latency for _, latency in picks),
        }
        for key, picks in groups.items()
    }

"""Compare the marts a dbt build produced with ExpectedMarts; shared by the DuckDB and PostgreSQL tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from expected_marts import ExpectedMarts
from warehouses import MODEL_SCHEMA

Query = Callable[[str], list[dict[str, Any]]]


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def assert_marts_match(query: Query, expected: ExpectedMarts) -> None:
    _assert_daily_fulfillment(query, expected)
    _assert_order_backlog(query, expected)
    _assert_pick_productivity(query, expected)
    deleted = {r["order_id"] for r in query(f"select order_id from {MODEL_SCHEMA}.fct_orders")}
    assert deleted == set(expected.orders), "fct_orders must hold exactly the live (not deleted) orders"


def _assert_daily_fulfillment(query: Query, expected: ExpectedMarts) -> None:
    rows = query(f"select * from {MODEL_SCHEMA}.mart_daily_fulfillment")
    actual = {(r["facility_id"], _day(r["activity_date"])): r for r in rows}
    want = expected.daily_fulfillment()
    assert sorted(actual) == sorted(want)
    for key, figures in want.items():
        row = actual[key]
        for name in ("orders_created", "orders_shipped", "orders_cancelled"):
            assert row[name] == figures[name], (key, name)
        for name in ("units_ordered", "units_shipped", "fill_rate", "median_order_cycle_hours"):
            want_value = _number(figures[name])
            got = _number(row[name])
            if want_value is None:
                assert got is None, (key, name)
            else:
                assert got == pytest.approx(want_value, abs=1e-4), (key, name)


def _assert_order_backlog(query: Query, expected: ExpectedMarts) -> None:
    rows = query(
        f"select facility_id, order_status_id, age_bucket, open_orders from {MODEL_SCHEMA}.mart_order_backlog"
    )
    actual = {(r["facility_id"], r["order_status_id"], r["age_bucket"]): r["open_orders"] for r in rows}
    assert actual == expected.order_backlog()


def _assert_pick_productivity(query: Query, expected: ExpectedMarts) -> None:
    rows = query(f"select * from {MODEL_SCHEMA}.mart_pick_productivity")
    actual = {
        (r["facility_id"], _day(r["pick_date"]), r["pick_user"]): (
            r["allocations_picked"],
            float(r["units_picked"]),
            float(r["median_pick_latency_hours"]),
        )
        for r in rows
    }
    want = expected.pick_productivity()
    assert sorted(actual) == sorted(want)
    for key, (count, units, latency) in want.items():
        got_count, got_units, got_latency = actual[key]
        assert got_count == count, key
        assert got_units == pytest.approx(float(units)), key
        assert got_latency == pytest.approx(latency, abs=1e-4), key

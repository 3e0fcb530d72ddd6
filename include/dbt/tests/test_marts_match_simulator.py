"""End to end: the simulator → the real Meltano project (tap + loader) → dbt build → every mart and the
facts' key figures equal, exactly, what Python computes from the simulator's own records.

One scenario per warehouse (DuckDB file, throwaway PostgreSQL, and the real Oracle of the opt-in lane when
WMS_TEST_ORACLE_URL is set: oracle_lane.py, docs/oracle.md):
1. initial full sync (completed the way the full-sync DAG completes it) and `dbt build`;
2. the simulated clock advances several times (orders created, progressed, cancelled, purged), one
   incremental window [end of 1, now) is loaded and `dbt build` merges it: records the WMS deleted
   meanwhile are still held, as the warehouse cannot know yet;
3. a second full sync and `dbt build --full-refresh`: the deletions are marked and drop out.
Every build runs with `incremental_lookback_hours: 0`, so the incremental merge must find each change by
its own load time (the production lookback of 3 h only re-merges more rows).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from expected_from_records import CANCELLED, ExpectedFigures
from expected_mart_rows import daily_fulfillment, order_backlog, pick_productivity
from loaded_history import LoadedHistory, timestamp
from oracle_lane import OracleLane, warehouse_kinds
from simulator_pipeline import complete_full_sync, dbt_build, meltano_load
from table_comparison import Query, table_differences
from warehouse_targets import WarehouseTarget, duckdb_target, oracle_target, postgres_target
from warehouses import MODEL_SCHEMA

from wms_simulator import Simulator, SimulatorConfig, SimulatorServer

SIMULATOR = SimulatorConfig(records=150, seed=7, history_days=6)  # short history: purges and a backlog
CLOCK_ADVANCES = (timedelta(hours=8), timedelta(hours=8), timedelta(hours=8))
DBT_VARS = ("--vars", "{incremental_lookback_hours: 0}")

# relation -> (its grain, the columns compared exactly)
COMPARED = {
    "fct_orders": (
        ("order_id",),
        (
            "facility_id", "order_status_id", "order_status_name", "created_at", "order_shipped_at",
            "modified_at", "line_count", "units_ordered", "units_allocated", "units_packed", "fill_rate",
            "is_open", "is_cancelled", "is_shipped", "order_cycle_hours", "days_late",
        ),
    ),
    "fct_order_lines": (
        ("order_dtl_id",),
        (
            "order_id", "facility_id", "order_dtl_status_id", "ord_qty", "allocation_count",
            "allocated_units", "packed_units", "picked_units", "short_qty",
        ),
    ),
    "fct_allocations": (
        ("allocation_id",),
        (
            "order_dtl_id", "order_id", "facility_id", "allocation_status_id", "is_cancelled", "is_picked",
            "alloc_qty", "packed_qty", "pick_user", "created_at", "picked_at", "pick_latency_hours",
        ),
    ),
    "mart_daily_fulfillment": (
        ("facility_id", "activity_date"),
        (
            "facility_code", "orders_created", "orders_shipped", "orders_cancelled", "units_ordered",
            "units_allocated", "units_shipped", "fill_rate", "median_order_cycle_hours",
        ),
    ),
    "mart_order_backlog": (
        ("facility_id", "order_status_id", "age_bucket"),
        (
            "facility_code", "order_status_name", "age_bucket_rank", "open_orders", "units_ordered",
            "units_allocated", "oldest_age_hours", "as_of_at",
        ),
    ),
    "mart_pick_productivity": (
        ("facility_id", "pick_date", "pick_user"),
        ("facility_code", "allocations_picked", "units_picked", "median_pick_latency_hours"),
    ),
}  # fmt: skip


def _differences(query: Query, history: LoadedHistory) -> list[str]:
    figures = ExpectedFigures(history)
    expected: dict[str, Mapping[Any, Mapping[str, Any]]] = {
        "fct_orders": figures.orders_fact(),
        "fct_order_lines": figures.order_lines(),
        "fct_allocations": figures.allocations_fact(),
        "mart_daily_fulfillment": daily_fulfillment(figures),
        "mart_order_backlog": order_backlog(figures),
        "mart_pick_productivity": pick_productivity(figures),
    }
    problems = []
    for relation, (keys, columns) in COMPARED.items():
        assert expected[relation], f"the scenario gives {relation} no rows: it would compare nothing"
        problems += table_differences(query, f"{MODEL_SCHEMA}.{relation}", keys, expected[relation], columns)
    return problems


def _fact_order_ids(query: Query) -> set[int]:
    return {row["order_id"] for row in query(f"select order_id from {MODEL_SCHEMA}.fct_orders")}


@pytest.fixture(params=warehouse_kinds())
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[WarehouseTarget]:
    if request.param == "duckdb":
        yield duckdb_target(tmp_path / "warehouse.duckdb")
    elif request.param == "postgres":
        yield postgres_target(request.getfixturevalue("postgres_url"))
    else:
        lane = OracleLane.from_environ()
        assert lane is not None, "the oracle parameter exists only when WMS_TEST_ORACLE_URL is set"
        lane.clean()  # the lane's two schemas are shared by every test: start and end empty
        try:
            yield oracle_target(lane, lane.db_name())
        finally:
            lane.clean()


def test_marts_equal_python_figures_after_full_incremental_and_full_sync(
    warehouse: WarehouseTarget, tmp_path: Path
) -> None:
    sim = Simulator(SIMULATOR)
    history = LoadedHistory()
    run = uuid.uuid4().hex[:8]  # run, sync and Meltano state ids of concurrent test sessions never meet
    artefacts = tmp_path / "dbt"  # one target dir for the three builds: dbt parses partially
    with SimulatorServer(sim, host="127.0.0.1", port=0) as server:
        first_end = sim.now()
        meltano_load(server, warehouse, f"full-1-{run}", full_sync_id=f"full-1-{run}")
        warehouse.after_load()
        complete_full_sync(warehouse, f"full-1-{run}", first_end)
        history.full_sync(sim, first_end)
        dbt_build(warehouse, artefacts, DBT_VARS)

        assert _differences(warehouse.query, history) == [], "after the initial full sync"

        changes = [sim.advance(step) for step in CLOCK_ADVANCES]
        second_end = sim.now()
        meltano_load(server, warehouse, f"incremental-1-{run}", window=(first_end, second_end))
        warehouse.after_load()
        history.incremental(sim, first_end, second_end)
        dbt_build(warehouse, artefacts, DBT_VARS)

        for entity in ("order_hdr", "allocation"):
            assert any(c[entity].created for c in changes), f"no {entity} created: the scenario tests less"
            assert any(c[entity].changed for c in changes), f"no {entity} changed: the scenario tests less"
        cancelled_in_window = [
            order
            for order in history.current["order_hdr"].values()
            if order["status_id"] == CANCELLED and timestamp(order["mod_ts"]) >= first_end
        ]
        assert cancelled_in_window, "no order was cancelled in the window: the scenario tests less"
        purged = set(sim.deleted("order_hdr"))
        assert purged, "the WMS deleted no order: the scenario tests less"
        assert purged <= _fact_order_ids(warehouse.query), "deletions cannot be known before a full sync"
        assert _differences(warehouse.query, history) == [], "after the incremental run"

        meltano_load(server, warehouse, f"full-2-{run}", full_sync_id=f"full-2-{run}")

        warehouse.after_load()
        complete_full_sync(warehouse, f"full-2-{run}", second_end)
        history.full_sync(sim, second_end)
        dbt_build(warehouse, artefacts, [*DBT_VARS, "--full-refresh"])

        assert purged.isdisjoint(_fact_order_ids(warehouse.query)), "the full sync marks the deletions"
        assert _differences(warehouse.query, history) == [], "after the second full sync"

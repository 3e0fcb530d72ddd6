"""dbt build on DuckDB over scripted raw history; the marts must match an independent Python reading."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from dbt_runner import run_dbt
from expected_marts import ExpectedMarts
from mart_assertions import assert_marts_match
from scripted_wms import build_scripted_wms, facility_rekeyed, later_load
from time_zone_checks import assert_built_warning_only_of_the_defaulted_zone, assert_unknown_zone_fails
from warehouses import MODEL_SCHEMA, load_duckdb, query_duckdb


def _assert_documented_columns_match_tables(
    query: Callable[[str], list[dict[str, Any]]], artefacts: Path
) -> None:
    """Every dimension, fact and mart documents exactly the columns its table has, each described."""
    manifest = json.loads((artefacts / "target" / "manifest.json").read_text())
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or not node["name"].startswith(("dim_", "fct_", "mart_")):
            continue
        rows = query(
            f"select column_name from information_schema.columns "
            f"where table_schema = '{MODEL_SCHEMA}' and table_name = '{node['name']}'"
        )
        assert {r["column_name"] for r in rows} == set(node["columns"]), node["name"]
        assert all(spec["description"].strip() for spec in node["columns"].values()), node["name"]


def test_build_then_incremental_run_match_reference(tmp_path: Path) -> None:
    database = tmp_path / "warehouse.duckdb"
    wms = build_scripted_wms()
    load_duckdb(database, wms)
    env = {"WMS_DUCKDB_PATH": str(database)}

    output = run_dbt(["build", "--target", "duckdb"], tmp_path, env)

    assert_built_warning_only_of_the_defaulted_zone(output)
    query = partial(query_duckdb, database)
    assert_marts_match(query, ExpectedMarts(wms))
    _assert_documented_columns_match_tables(query, tmp_path)

    later = later_load(wms)
    load_duckdb(database, later, create=False)
    wms.extend(later)
    run_dbt(["run", "--target", "duckdb", "--select", "fct_order_lines+ fct_allocations+"], tmp_path, env)

    shipped = query(
        f"select is_shipped, is_open from {MODEL_SCHEMA}.fct_orders where order_id = {later.shipped_order_id}"
    )
    assert shipped == [{"is_shipped": 1, "is_open": 0}]
    picked = query(
        f"select pick_user from {MODEL_SCHEMA}.fct_allocations where allocation_id = {later.picked_allocation_id}"
    )
    assert picked == [{"pick_user": "carla"}]
    assert_marts_match(query, ExpectedMarts(wms))

    load_duckdb(database, facility_rekeyed(wms, 2, "+05:30"), create=False)
    assert_unknown_zone_fails("duckdb", tmp_path, env)

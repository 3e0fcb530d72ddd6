"""dbt build on PostgreSQL over scripted raw history; the marts must match an independent Python reading.

Uses the throwaway PostgreSQL of dev/throwaway_postgres (fixture `postgres_url`: a fresh database).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from dbt_runner import run_dbt
from expected_marts import ExpectedMarts
from mart_assertions import assert_marts_match
from scripted_wms import build_scripted_wms, facility_rekeyed, later_load
from time_zone_checks import assert_built_warning_only_of_the_defaulted_zone, assert_unknown_zone_fails
from warehouses import load_postgres, postgres_env, query_postgres


def test_build_then_incremental_run_match_reference(tmp_path: Path, postgres_url: str) -> None:
    wms = build_scripted_wms()
    load_postgres(postgres_url, wms)
    env = postgres_env(postgres_url)

    output = run_dbt(["build", "--target", "postgres"], tmp_path, env)

    assert_built_warning_only_of_the_defaulted_zone(output)
    query = partial(query_postgres, postgres_url)
    assert_marts_match(query, ExpectedMarts(wms))

    later = later_load(wms)
    load_postgres(postgres_url, later, create=False)
    wms.extend(later)
    run_dbt(["run", "--target", "postgres", "--select", "fct_order_lines+ fct_allocations+"], tmp_path, env)

    assert_marts_match(query, ExpectedMarts(wms))

    load_postgres(postgres_url, facility_rekeyed(wms, 2, "+05:30"), create=False)
    assert_unknown_zone_fails("postgres", tmp_path, env)

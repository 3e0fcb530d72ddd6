"""dbt build on a real Oracle over scripted raw history; the marts must match an independent Python reading.

The opt-in lane (oracle_lane.py, docs/oracle.md): the test exists only when WMS_TEST_ORACLE_URL is set,
so without it nothing is collected here (no skip). The raw tables are created as target-warehouse
creates them on Oracle and filled as WMS_RAW (timestamps bound as naive-UTC TIMESTAMPs); dbt builds as
WMS, with the DB_NAME as its `database`. Never run in this repository's CI.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from dbt_runner import run_dbt
from expected_marts import ExpectedMarts
from mart_assertions import assert_marts_match
from oracle_lane import OracleLane
from scripted_wms import build_scripted_wms, later_load
from warehouses import load_oracle

LANE = OracleLane.from_environ()

if LANE is not None:

    @pytest.fixture
    def lane() -> Iterator[OracleLane]:
        assert LANE is not None
        LANE.clean()  # the lane's two schemas are shared by every test: start and end empty
        try:
            yield LANE
        finally:
            LANE.clean()

    def test_build_then_incremental_run_match_reference(tmp_path: Path, lane: OracleLane) -> None:
        wms = build_scripted_wms()
        load_oracle(lane, wms)
        env = lane.profile_env(lane.db_name())

        output = run_dbt(["build", "--target", "oracle"], tmp_path, env)

        assert "Completed successfully" in output
        query = partial(lane.query, lane.dbt)
        assert_marts_match(query, ExpectedMarts(wms))

        later = later_load(wms)
        load_oracle(lane, later, create=False)
        wms.extend(later)
        # The second run finds the tables of the first under the DB_NAME and merges into them.
        run_dbt(["run", "--target", "oracle", "--select", "fct_order_lines+ fct_allocations+"], tmp_path, env)

        assert_marts_match(query, ExpectedMarts(wms))

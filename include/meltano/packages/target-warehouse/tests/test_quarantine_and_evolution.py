"""Bad records go to etl_quarantine (and fail the run past the threshold); tables grow, never shrink."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from warehouse_testing import DATA_FILES, query

from target_warehouse.errors import QuarantineThresholdExceeded

Loader = Callable[..., list[dict[str, Any]]]


def test_bad_records_are_quarantined_with_their_reason(warehouse_url: str, load: Loader) -> None:
    load(warehouse_url, "allocation_bad_records.singer", run_id="r1", quarantine_threshold=10)
    assert query(warehouse_url, "SELECT id FROM wms_raw.allocation ORDER BY id") == [(1,), (5,)]
    reasons = query(
        warehouse_url,
        "SELECT stream_name, reason, raw_record FROM wms_raw.etl_quarantine "
        "WHERE run_id = 'r1' ORDER BY reason",
    )
    assert [(stream, reason) for stream, reason, _ in reasons] == [
        ("allocation", "column mod_ts: unparsable timestamp '15/09/2025 10:00'"),
        ("allocation", "column status_id: expected an integer, got 'ten'"),
        ("allocation", "missing key column id"),
        ("allocation", "missing key column mod_ts"),
    ]
    assert '"status_id":"ten"' in reasons[1][2]
    audit = query(
        warehouse_url,
        "SELECT records_received, records_inserted, records_quarantined "
        "FROM wms_raw.etl_load_audit WHERE run_id = 'r1'",
    )
    assert audit == [(6, 2, 4)]


def test_quarantine_past_threshold_fails_after_committing_and_before_state(
    duckdb_url: str, load: Loader
) -> None:
    with pytest.raises(QuarantineThresholdExceeded, match="quarantine_threshold=3"):
        load(duckdb_url, "allocation_bad_records.singer", quarantine_threshold=3)
    assert query(duckdb_url, "SELECT COUNT(*) FROM wms_raw.etl_quarantine") == [(4,)]


@pytest.mark.parametrize(("threshold", "exit_code"), [(0, 1), (4, 0)])
def test_cli_exit_code_follows_the_threshold(
    duckdb_url: str, tmp_path: Any, threshold: int, exit_code: int
) -> None:
    config = tmp_path / "config.json"
    config.write_text(f'{{"sqlalchemy_url": "{duckdb_url}", "quarantine_threshold": {threshold}}}')
    result = subprocess.run(
        [sys.executable, "-m", "target_warehouse.target", "--config", str(config)],
        input=(DATA_FILES / "allocation_bad_records.singer").read_text(),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == exit_code, result.stderr[-2000:]
    assert ('"bookmarks"' in result.stdout) is (exit_code == 0)  # no STATE from a failed run


def test_new_fields_add_columns_and_longer_strings_widen(warehouse_url: str, load: Loader) -> None:
    load(warehouse_url, "allocation_history.singer")
    load(warehouse_url, "allocation_schema_v2.singer")
    rows = query(
        warehouse_url,
        "SELECT id, pick_user, pick_locn_str FROM wms_raw.allocation WHERE id IN (1, 7) ORDER BY id, mod_ts",
    )
    assert rows[-1] == (7, "a-user-name-that-is-much-longer-than-thirty-characters", "2-20-57-01")
    assert rows[0][2] is None  # old rows get NULL in the new column, nothing is rewritten
    assert len(rows) == 3

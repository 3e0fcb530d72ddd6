"""A batch that lost to a concurrent load is written again from the start; other errors stop the run."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from warehouse_testing import one_allocation, query, run_target

from target_warehouse import batch

SINGER = one_allocation("2026-01-01T00:00:00.000001Z")
# Oracle Database Error Messages: ORA-00060 "deadlock detected while waiting for resource" (Oracle
# rolls back the statement that detected it); ORA-01031 "insufficient privileges".
DEADLOCK = "ORA-00060: deadlock detected while waiting for resource"
DENIED = "ORA-01031: insufficient privileges"


def _failing_once(monkeypatch: pytest.MonkeyPatch, message: str) -> list[str]:
    """The first attempt at a batch fails as the driver reports ``message``; later ones run."""
    failures: list[str] = []
    real = batch._write_batch_once

    def attempt(*args: Any) -> Any:
        if not failures:
            failures.append(message)
            raise sa.exc.DatabaseError("INSERT INTO ...", {}, Exception(message))
        return real(*args)

    monkeypatch.setattr(batch, "_write_batch_once", attempt)
    return failures


def test_a_batch_that_hit_an_oracle_deadlock_is_written_again(
    duckdb_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    failures = _failing_once(monkeypatch, DEADLOCK)
    run_target({"sqlalchemy_url": duckdb_url}, SINGER)
    assert failures == [DEADLOCK]
    assert query(duckdb_url, "SELECT id FROM wms_raw.allocation") == [(1,)]
    assert query(duckdb_url, "SELECT records_inserted FROM wms_raw.etl_load_audit") == [(1,)]


def test_other_database_errors_are_not_retried(duckdb_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _failing_once(monkeypatch, DENIED)
    with pytest.raises(sa.exc.DatabaseError, match="ORA-01031"):
        run_target({"sqlalchemy_url": duckdb_url}, SINGER)

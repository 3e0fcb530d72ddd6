"""Shared fixtures: a real DuckDB file and a real PostgreSQL database per test (and the real Oracle of
the opt-in lane when WMS_TEST_ORACLE_URL is set: docs/oracle.md), and a target runner."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from warehouse_testing import DATA_FILES, drop_own_tables, oracle_test_url, run_target, warehouse_kinds


@pytest.fixture
def duckdb_url(tmp_path: Path) -> str:
    return f"duckdb:///{tmp_path / 'warehouse.duckdb'}"


@pytest.fixture(params=warehouse_kinds())
def warehouse_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each loading test runs against a DuckDB file and a fresh PostgreSQL database; with the Oracle
    lane, also against WMS_RAW on a real Oracle, emptied before and after the test (a schema there
    is a user, which the loader's login cannot create: the lane's tests share it, one at a time)."""
    if request.param == "duckdb":
        yield f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    elif request.param == "postgres":
        yield str(request.getfixturevalue("postgres_url"))
    else:
        url = oracle_test_url()
        drop_own_tables(url)
        try:
            yield url
        finally:
            drop_own_tables(url)


@pytest.fixture
def load() -> Callable[..., list[dict[str, Any]]]:
    def _load(url: str, data_file: str, **settings: Any) -> list[dict[str, Any]]:
        config = {"sqlalchemy_url": url, **settings}
        return run_target(config, (DATA_FILES / data_file).read_text())

    return _load

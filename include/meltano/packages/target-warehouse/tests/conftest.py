"""Shared fixtures: a real DuckDB file and a real PostgreSQL database per test, and a target runner."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from warehouse_testing import DATA_FILES, run_target


@pytest.fixture
def duckdb_url(tmp_path: Path) -> str:
    return f"duckdb:///{tmp_path / 'warehouse.duckdb'}"


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each loading test runs against a DuckDB file and a fresh PostgreSQL database."""
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def load() -> Callable[..., list[dict[str, Any]]]:
    def _load(url: str, data_file: str, **settings: Any) -> list[dict[str, Any]]:
        config = {"sqlalchemy_url": url, **settings}
        return run_target(config, (DATA_FILES / data_file).read_text())

    return _load

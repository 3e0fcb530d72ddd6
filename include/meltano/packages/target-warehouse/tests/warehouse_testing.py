"""Helpers the loader tests share: the data files, an in-process target run, and a query."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from target_warehouse.target import TargetWarehouse

DATA_FILES = Path(__file__).parent / "data_files"


def run_target(config: dict[str, Any], singer_text: str) -> list[dict[str, Any]]:
    """Load ``singer_text`` in-process; return the STATE values the target emitted."""
    target = TargetWarehouse(config=config, validate_config=True)
    captured = io.StringIO()
    original = target._write_state_message

    def capture(state: dict[str, Any]) -> None:
        captured.write(json.dumps(state) + "\n")
        original(state)

    target._write_state_message = capture  # type: ignore[method-assign]
    target.listen(io.StringIO(singer_text))
    return [json.loads(line) for line in captured.getvalue().splitlines()]


def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` (the engine is disposed so DuckDB's file lock is released)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()

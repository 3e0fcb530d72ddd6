"""Read (id, mod_ts) versions from the warehouse and the simulator in one comparable form."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from wms_simulator import Simulator

Version = tuple[int, datetime]


def utc(value: Any) -> datetime:
    """A timestamp as an aware UTC datetime (strings with offsets, aware or naive-UTC datetimes)."""
    stamp = datetime.fromisoformat(value) if isinstance(value, str) else value
    if stamp.tzinfo is None:
        return stamp.replace(tzinfo=UTC)
    return stamp.astimezone(UTC)


def simulator_versions(sim: Simulator, entity: str) -> set[Version]:
    """Live records of the simulator now."""
    return {(record_id, utc(mod_ts)) for record_id, mod_ts in sim.versions(entity).items()}


def warehouse_rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()  # releases DuckDB's file lock


def warehouse_versions(url: str, entity: str, schema: str = "wms_raw") -> list[Version]:
    """Every (id, mod_ts) row of a raw table, duplicates kept (a duplicate is a failure)."""
    rows = warehouse_rows(url, f"select id, mod_ts from {schema}.{entity}")
    return [(int(record_id), utc(mod_ts)) for record_id, mod_ts in rows]


def table_exists(url: str, entity: str, schema: str = "wms_raw") -> bool:
    engine = sa.create_engine(url)
    try:
        return sa.inspect(engine).has_table(entity, schema=schema)
    finally:
        engine.dispose()


def difference(expected: Iterable[Version], actual: list[Version]) -> dict[str, Any]:
    """Empty when ``actual`` holds exactly ``expected``, each once; otherwise what is wrong."""
    wanted, got = set(expected), set(actual)
    problems: dict[str, Any] = {}
    if missing := wanted - got:
        problems["missing"] = sorted(missing)[:5] + (
            [f"... {len(missing)} in all"] if len(missing) > 5 else []
        )
    if extra := got - wanted:
        problems["unexpected"] = sorted(extra)[:5]
    if len(actual) != len(got):
        problems["duplicates"] = len(actual) - len(got)
    return problems


def snapshot(url: str, sql: str) -> list[tuple[Any, ...]]:
    """A deterministic dump of a query (for comparing two warehouses)."""
    return sorted(warehouse_rows(url, sql), key=repr)

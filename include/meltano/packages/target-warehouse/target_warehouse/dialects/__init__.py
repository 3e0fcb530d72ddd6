"""One class per warehouse; ``dialect_for`` picks it from the SQLAlchemy dialect in use."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Dialect as SADialect

from target_warehouse.dialects.base import WarehouseDialect
from target_warehouse.dialects.duckdb import DuckDBDialect
from target_warehouse.dialects.oracle import OracleDialect
from target_warehouse.dialects.postgres import PostgresDialect

DIALECTS: dict[str, type[WarehouseDialect]] = {
    cls.backend: cls for cls in (DuckDBDialect, OracleDialect, PostgresDialect)
}

__all__ = ["DIALECTS", "DuckDBDialect", "OracleDialect", "PostgresDialect", "WarehouseDialect", "dialect_for"]


def dialect_for(sa_dialect: SADialect, settings: Mapping[str, Any] | None = None) -> WarehouseDialect:
    """The warehouse dialect for a SQLAlchemy dialect; unsupported backends are a configuration error.

    ``settings`` are the loader's settings; a dialect raises ValueError naming a bad one.
    """
    try:
        dialect_class = DIALECTS[sa_dialect.name]
    except KeyError:
        supported = ", ".join(sorted(DIALECTS))
        raise ValueError(
            f"sqlalchemy_url: unsupported database {sa_dialect.name!r}; use one of {supported}"
        ) from None
    return dialect_class(sa_dialect, settings)

"""Bind markers in each warehouse driver's style, numbered in the order they appear in the text."""

from __future__ import annotations

from typing import Any

from include.wms_pipeline.settings import WAREHOUSE_KINDS


class Binds:
    """Collects a statement's bind values; `add` returns the marker to write where the value goes.

    DuckDB takes `?`, psycopg `%s`, python-oracledb `:1`, `:2`, ... (as `full_sync.placeholders`). A
    statement must call `add` in the order its markers appear in the text, each marker once.
    """

    def __init__(self, kind: str) -> None:
        if kind not in WAREHOUSE_KINDS:
            raise ValueError(f"warehouse kind must be one of {', '.join(WAREHOUSE_KINDS)}; got {kind!r}")
        self.kind = kind
        self.values: list[Any] = []

    def add(self, value: Any) -> str:
        self.values.append(value)
        if self.kind == "oracle":
            return f":{len(self.values)}"
        return "?" if self.kind == "duckdb" else "%s"

    def in_list(self, values: list[Any]) -> str:
        """`(m1, m2, ...)` for a non-empty list of values."""
        if not values:
            raise ValueError("an IN list needs at least one value")
        return "(" + ", ".join(self.add(value) for value in values) + ")"

"""Bind markers for the full sync's completion rows, per warehouse driver."""

from __future__ import annotations

import pytest

from include.wms_pipeline.full_sync import placeholders


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("duckdb", ["?", "?", "?"]), ("postgres", ["%s", "%s", "%s"]), ("oracle", [":1", ":2", ":3"])],
)
def test_placeholders_follow_each_driver(kind: str, expected: list[str]) -> None:
    assert placeholders(kind, 3) == expected

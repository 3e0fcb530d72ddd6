"""Exact comparison of a warehouse table with expected rows keyed by its grain, with a readable diff."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

Query = Callable[[str], list[dict[str, Any]]]
MAX_REPORTED = 8


def table_differences(
    query: Query,
    relation: str,
    key_columns: Sequence[str],
    expected: Mapping[Any, Mapping[str, Any]],
    columns: Sequence[str],
) -> list[str]:
    """Every difference between `relation` and `expected` (key -> {column: value}); [] when equal.

    Keys are tuples of `key_columns` values (a bare value when there is one key column). Values are
    compared with ==, so Decimal('48.000000') equals Decimal('48') but floats must match exactly.
    """
    rows = query(f"select {', '.join([*key_columns, *columns])} from {relation}")
    actual: dict[Any, dict[str, Any]] = {}
    for row in rows:
        key_values = tuple(_as_date(row[c]) for c in key_columns)
        key = key_values[0] if len(key_values) == 1 else key_values
        if key in actual:
            return [f"{relation}: key {key!r} appears more than once"]
        actual[key] = {c: row[c] for c in columns}
    problems = []
    missing = sorted(set(expected) - set(actual), key=repr)
    extra = sorted(set(actual) - set(expected), key=repr)
    if missing:
        problems.append(f"{relation}: {len(missing)} expected rows missing, e.g. {missing[:MAX_REPORTED]}")
    if extra:
        problems.append(f"{relation}: {len(extra)} unexpected rows, e.g. {extra[:MAX_REPORTED]}")
    for key in sorted(set(expected) & set(actual), key=repr):
        wrong = {
            column: (actual[key][column], expected[key][column])
            for column in columns
            if actual[key][column] != expected[key][column]
        }
        if wrong:
            problems.append(f"{relation} {key!r}: (warehouse, expected) {wrong}")
    if len(problems) > MAX_REPORTED:
        problems = [*problems[:MAX_REPORTED], f"... and {len(problems) - MAX_REPORTED} more differences"]
    return problems


def _as_date(value: Any) -> Any:
    """A key column read back as a timestamp at midnight (Oracle DATE) is the calendar day."""
    return value.date() if isinstance(value, datetime) else value

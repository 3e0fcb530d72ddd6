"""Lint-time stand-ins for dbt's cross-database macros (`dbt.type_numeric()`, `dbt.dateadd()`, …)."""

from __future__ import annotations


def type_numeric() -> str:
    return "numeric(28, 6)"


def type_int() -> str:
    return "integer"


def type_bigint() -> str:
    return "bigint"


def type_float() -> str:
    return "float"


def dateadd(datepart: str, interval: object, from_date_or_timestamp: str) -> str:
    # SQLFluff's var() renders empty: keep the call parseable.
    return f"dateadd({datepart}, {str(interval) or '1'}, {from_date_or_timestamp})"


def datediff(first_date: str, second_date: str, datepart: str) -> str:
    return f"datediff({datepart}, {first_date}, {second_date})"

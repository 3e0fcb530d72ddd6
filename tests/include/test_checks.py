"""Validation SQL is portable to Oracle and means what its spec says."""

from __future__ import annotations

import re

import pytest

from include.wms_pipeline.checks.specs import SQL_DIR, load_checks

SQL_FILES = sorted(SQL_DIR.glob("*.sql"))


def _code(sql: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda p: p.name)
def test_check_sql_is_oracle_portable(path: object) -> None:
    sql = _code(path.read_text())  # type: ignore[attr-defined]
    assert not sql.rstrip().endswith(";"), "OracleHook does not strip a trailing semicolon"
    assert not re.search(r"\)\s+as\s+\w+\s*($|where|join|,)", sql, re.I), "Oracle rejects AS before an alias"
    assert not re.search(r"\b(true|false)\b", sql, re.I), "Oracle has no boolean literals"
    assert not re.search(r"\blimit\b", sql, re.I)
    assert re.search(r"\bfrom\b", sql, re.I), "Oracle needs a FROM clause (DUAL for scalars)"


def test_every_spec_points_at_an_existing_sql_file() -> None:
    specs = load_checks("wms_raw", 0)
    assert {spec.task_id for spec in specs} == {
        "check_load_audit_reconciles",
        "check_quarantine_within_threshold",
    }
    for spec in specs:
        assert "etl_load_audit" in spec.sql()
        assert spec.params["raw_schema"] == "wms_raw"

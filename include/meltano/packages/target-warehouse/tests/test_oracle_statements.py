"""Every statement the loader sends, rendered by SQLAlchemy's Oracle dialect and checked for Oracle.

The Oracle path shares all code with DuckDB and PostgreSQL except ``OracleDialect``, so rendering
these statements exercises exactly what would reach an Oracle database.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.oracle import oracledb
from sqlalchemy.schema import CreateTable

from target_warehouse.columns import ColumnSpec, Kind, columns_from_schema
from target_warehouse.dialects import OracleDialect
from target_warehouse.tables import (
    AUDIT,
    FULL_SYNC_SEEN,
    QUARANTINE,
    add_audit_counts,
    bookkeeping_tables,
    ensure_audit_row,
    insert_new_versions,
    insert_seen_ids,
)
from target_warehouse.tables import raw_table as build_raw_table

LONG_NAME = "a_" + "very_long_field_name_" * 8
SCHEMA = {
    "id": {"type": "integer"},
    "mod_ts": {"type": "string", "format": "date-time"},
    "status_id": {"type": ["integer", "null"]},
    "alloc_qty": {"type": ["number", "null"]},
    "pick_user": {"type": ["string", "null"], "maxLength": 30},
    "is_picking_flg": {"type": ["boolean", "null"]},
    "picked_date": {"type": ["string", "null"], "format": "date"},
    "level": {"type": ["string", "null"]},
    "notes": {"type": ["string", "null"], "maxLength": 8000},
    LONG_NAME: {"type": ["integer", "null"]},
}


@pytest.fixture(scope="module")
def dialect() -> OracleDialect:
    return OracleDialect(oracledb.dialect())


@pytest.fixture(scope="module")
def columns() -> list[ColumnSpec]:
    return columns_from_schema(SCHEMA, str)


def _lengths(dialect: OracleDialect, columns: list[ColumnSpec]) -> dict[str, int | None]:
    return {c.name: dialect.text_length_for(c.max_length, 0, 0) for c in columns if c.kind is Kind.TEXT}


def _render(dialect: OracleDialect, statement: Any) -> str:
    return str(statement.compile(dialect=dialect.sa_dialect)).strip()


def _statements(dialect: OracleDialect, columns: list[ColumnSpec]) -> dict[str, str]:
    lengths = _lengths(dialect, columns)
    raw = build_raw_table(dialect, "allocation", "wms_raw", columns, lengths)
    staging = dialect.staging_table(dialect.staging_name("allocation"), columns, lengths)
    meta = bookkeeping_tables(dialect, "wms_raw")
    tables = {str(t.name).lower(): t for t in meta.sorted_tables}
    rendered = {
        "create raw": _render(dialect, CreateTable(raw)),
        "create staging": _render(dialect, CreateTable(staging)),
        "staging executemany": _render(dialect, sa.insert(staging)),
        "insert new versions": _render(dialect, insert_new_versions(raw, staging, [c.name for c in columns])),
        "seen ids": _render(dialect, insert_seen_ids(tables[FULL_SYNC_SEEN], staging)),
        "audit ensure": _render(dialect, ensure_audit_row(tables[AUDIT])),
        "audit add": _render(dialect, add_audit_counts(tables[AUDIT])),
        "quarantine insert": _render(dialect, sa.insert(tables[QUARANTINE])),
    }
    for table in meta.sorted_tables:
        rendered[f"create {table.name}"] = _render(dialect, CreateTable(table))
    status = next(c for c in columns if c.name == "status_id")
    for i, ddl in enumerate(dialect.add_column_ddl(raw, status, None)):
        rendered[f"add column {i}"] = ddl
    for i, ddl in enumerate(dialect.widen_text_ddl(raw, "pick_user", 64)):
        rendered[f"widen {i}"] = ddl
    for i, ddl in enumerate(dialect.widen_text_ddl(raw, "pick_user", None)):
        rendered[f"to clob {i}"] = ddl
    return rendered


def _identifiers(sql: str) -> list[str]:
    """Names as written in the SQL, minus keywords, binds, literals and type names."""
    without_literals = re.sub(r"'[^']*'", "", sql)
    without_binds = re.sub(r":\w+", "", without_literals)
    return re.findall(r'"[^"]+"|\b[A-Za-z_][A-Za-z0-9_$#]*\b', without_binds)


def test_statements_are_valid_oracle(dialect: OracleDialect, columns: list[ColumnSpec]) -> None:
    for name, sql in _statements(dialect, columns).items():
        assert not re.search(r"\bLIMIT\b", sql, re.I), name
        assert not re.search(r"\bBOOLEAN\b|\bTRUE\b|\bFALSE\b", sql, re.I), name
        assert not re.search(r"\bAS\s+[ts]\b", sql), f"{name}: Oracle rejects AS before a table alias"
        assert not sql.rstrip().endswith(";"), name
        assert "%(" not in sql, f"{name}: Oracle uses named :binds"
        assert "?" not in sql, f"{name}: Oracle uses named :binds"
        for word in _identifiers(sql):
            assert len(word.strip('"')) <= 128, f"{name}: {word}"


def test_names_are_upper_case_and_reserved_words_quoted(
    dialect: OracleDialect, columns: list[ColumnSpec]
) -> None:
    ddl = _statements(dialect, columns)["create raw"]
    assert ddl.startswith("CREATE TABLE WMS_RAW.ALLOCATION (")
    assert re.search(r"\bPICK_USER VARCHAR2\(30 CHAR\)", ddl)
    assert '"LEVEL" VARCHAR2(32 CHAR)' in ddl  # reserved: quoted, still upper case
    assert "PRIMARY KEY (ID, MOD_TS)" in ddl
    for column in re.findall(r"^\s+(\"?[A-Z0-9_$]+\"?) ", ddl, re.M):
        assert column == column.upper()


def test_oracle_types(dialect: OracleDialect, columns: list[ColumnSpec]) -> None:
    ddl = _statements(dialect, columns)["create raw"]
    assert re.search(r"\bMOD_TS TIMESTAMP\(6\) WITH TIME ZONE NOT NULL", ddl)
    assert re.search(r"\bIS_PICKING_FLG NUMBER\(1\)", ddl)
    assert re.search(r"\bALLOC_QTY NUMBER\b", ddl)
    assert re.search(r"\bPICKED_DATE DATE\b", ddl)
    assert re.search(r"\bNOTES CLOB\b", ddl)  # declared maxLength > 4000
    varchars = re.findall(r"VARCHAR2\([^)]*\)", ddl)
    assert varchars
    assert all(re.fullmatch(r"VARCHAR2\(\d+ CHAR\)", v) for v in varchars), varchars  # CHAR semantics


def test_long_names_are_shortened_deterministically(dialect: OracleDialect) -> None:
    first, second = dialect.identifier(LONG_NAME), dialect.identifier(LONG_NAME)
    assert first == second
    assert len(first) == 128
    assert first.isupper()
    assert dialect.identifier(LONG_NAME + "x") != first


def test_staging_is_a_private_temporary_table_dropped_at_commit(
    dialect: OracleDialect, columns: list[ColumnSpec]
) -> None:
    ddl = _statements(dialect, columns)["create staging"]
    assert ddl.startswith("CREATE PRIVATE TEMPORARY TABLE ORA$PTT_ALLOCATION (")
    assert ddl.endswith("ON COMMIT DROP DEFINITION")


def test_insert_if_absent_shape(dialect: OracleDialect, columns: list[ColumnSpec]) -> None:
    sql = _statements(dialect, columns)["insert new versions"]
    assert sql.startswith("INSERT INTO WMS_RAW.ALLOCATION (ID, MOD_TS,")
    assert "FROM ORA$PTT_ALLOCATION s" in sql
    assert (
        "WHERE NOT (EXISTS (SELECT * \nFROM WMS_RAW.ALLOCATION t \nWHERE t.ID = s.ID AND t.MOD_TS = s.MOD_TS))"
        in sql
    )
    audit = _statements(dialect, columns)["audit ensure"]
    assert "FROM DUAL" in audit  # a SELECT without a table needs DUAL on Oracle


def test_widening_never_truncates(dialect: OracleDialect, columns: list[ColumnSpec]) -> None:
    rendered = _statements(dialect, columns)
    assert rendered["widen 0"] == "ALTER TABLE WMS_RAW.ALLOCATION MODIFY (PICK_USER VARCHAR2(64 CHAR))"
    assert [rendered[f"to clob {i}"] for i in range(4)] == [
        "ALTER TABLE WMS_RAW.ALLOCATION ADD (PICK_USER_ETL_CLOB CLOB)",
        "UPDATE WMS_RAW.ALLOCATION SET PICK_USER_ETL_CLOB = PICK_USER",
        "ALTER TABLE WMS_RAW.ALLOCATION DROP COLUMN PICK_USER",
        "ALTER TABLE WMS_RAW.ALLOCATION RENAME COLUMN PICK_USER_ETL_CLOB TO PICK_USER",
    ]
    assert dialect.text_length_for(30, 4001, 4001) is None  # beyond 4000 characters: CLOB
    assert dialect.text_length_for(None, 1500, 4500) is None  # 1500 chars but 4500 UTF-8 bytes: CLOB
    assert dialect.text_length_for(30, 31, 31) == 32


def test_values_bind_as_oracle_expects(dialect: OracleDialect) -> None:
    convert = dialect.converters()
    assert convert[Kind.BOOLEAN](True) == 1
    stamp = convert[Kind.TIMESTAMP]("2025-09-15T09:35:59.926171-03:00")
    assert (stamp.tzinfo, stamp.hour) == (None, 12)  # naive UTC; the session runs in UTC
    assert dialect.session_setup == ("ALTER SESSION SET TIME_ZONE = '+00:00'",)

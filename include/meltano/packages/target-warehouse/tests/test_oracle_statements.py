"""Every statement the loader sends to Oracle, rendered by SQLAlchemy's Oracle dialect, against Oracle's
documented rules.

The Oracle path shares all code with DuckDB and PostgreSQL except ``OracleDialect``, so rendering
these statements exercises what would reach an Oracle database. Each check names the rule of
Oracle's documentation it stands for; what the driver is handed (bind types) is checked in
``test_oracle_binds.py``, and a recording stand-in for python-oracledb runs the whole loader
(dev/oracle_standin).
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
from target_warehouse.dialects.oracle import DEFAULT_PTT_PREFIX, PTT_PREFIX_SETTING
from target_warehouse.evolution import plan_evolution
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
# Oracle reserved words a WMS field could be called (SQL Language Reference, "Oracle SQL Reserved
# Words"); SQLAlchemy's own Oracle list has only the last one.
RESERVED_FIELDS = ("session", "rows", "file", "online", "access", "level")
SCHEMA: dict[str, Any] = {
    "id": {"type": "integer"},
    "mod_ts": {"type": "string", "format": "date-time"},
    "status_id": {"type": ["integer", "null"]},
    "alloc_qty": {"type": ["number", "null"]},
    "pick_user": {"type": ["string", "null"], "maxLength": 30},
    "is_picking_flg": {"type": ["boolean", "null"]},
    "picked_date": {"type": ["string", "null"], "format": "date"},
    "picked_ts": {"type": ["string", "null"], "format": "date-time"},
    "notes": {"type": ["string", "null"], "maxLength": 8000},
    LONG_NAME: {"type": ["integer", "null"]},
    **{name: {"type": ["string", "null"]} for name in RESERVED_FIELDS},
}


@pytest.fixture(scope="module")
def dialect() -> OracleDialect:
    return OracleDialect(oracledb.dialect())


@pytest.fixture(scope="module")
def columns() -> list[ColumnSpec]:
    return columns_from_schema(SCHEMA, str)


def _lengths(dialect: OracleDialect, columns: list[ColumnSpec]) -> dict[str, int | None]:
    return {c.name: dialect.text_length_for(c.max_length, 0, 0) for c in columns if c.kind is Kind.TEXT}


def _raw(dialect: OracleDialect, columns: list[ColumnSpec]) -> sa.Table:
    return build_raw_table(dialect, "allocation", "wms_raw", columns, _lengths(dialect, columns))


def _render(dialect: OracleDialect, statement: Any) -> str:
    return str(statement.compile(dialect=dialect.sa_dialect)).strip()


def _tables(dialect: OracleDialect, columns: list[ColumnSpec]) -> list[sa.Table]:
    return [_raw(dialect, columns), *bookkeeping_tables(dialect, "wms_raw").sorted_tables]


def _statements(dialect: OracleDialect, columns: list[ColumnSpec]) -> dict[str, str]:
    raw = _raw(dialect, columns)
    staging = dialect.staging_table(dialect.staging_name("allocation"), columns, _lengths(dialect, columns))
    meta = bookkeeping_tables(dialect, "wms_raw")
    tables = {str(t.name).lower(): t for t in meta.sorted_tables}
    rendered = {
        "create staging": _render(dialect, CreateTable(staging)),
        "staging executemany": _render(dialect, sa.insert(staging)),
        "insert new versions": _render(dialect, insert_new_versions(raw, staging, [c.name for c in columns])),
        "seen ids": _render(dialect, insert_seen_ids(tables[FULL_SYNC_SEEN], staging)),
        "audit ensure": _render(dialect, ensure_audit_row(tables[AUDIT])),
        "audit add": _render(dialect, add_audit_counts(tables[AUDIT])),
        "quarantine insert": _render(dialect, sa.insert(tables[QUARANTINE])),
    }
    for table in _tables(dialect, columns):
        rendered[f"create {table.name}"] = _render(dialect, CreateTable(table))
    # The table as created, minus status_id: evolution adds it, and turns pick_user into a CLOB.
    lengths = _lengths(dialect, columns)
    existing = {
        str(dialect.identifier(c.name)).lower(): lengths.get(c.name) for c in columns if c.name != "status_id"
    }
    wanted = {**lengths, "pick_user": None}
    for i, ddl in enumerate(plan_evolution(dialect, raw, columns, existing, wanted)):
        rendered[f"evolution {i}"] = ddl
    return rendered


def _identifiers(sql: str) -> list[str]:
    """Names as written in the SQL, minus keywords, binds, literals and type names."""
    without_literals = re.sub(r"'[^']*'", "", sql)
    without_binds = re.sub(r":(\w+|\"[^\"]+\")", "", without_literals)
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


def test_no_key_column_is_a_timestamp_with_time_zone(
    dialect: OracleDialect, columns: list[ColumnSpec]
) -> None:
    """SQL Language Reference, constraint clause: a primary or unique key cannot contain a TIMESTAMP
    WITH TIME ZONE column (ORA-02329). The raw tables keep their key (id, mod_ts)."""
    raw = _raw(dialect, columns)
    assert [str(c.name) for c in raw.primary_key.columns] == ["ID", "MOD_TS"]
    for table in _tables(dialect, columns):
        for column in table.primary_key.columns:
            rendered = column.type.compile(dialect=dialect.sa_dialect)
            assert "TIME ZONE" not in rendered.upper(), f"{table.name}.{column.name} {rendered}"


def test_every_timestamp_keeps_microseconds_in_utc(dialect: OracleDialect, columns: list[ColumnSpec]) -> None:
    """Every Kind.TIMESTAMP column is TIMESTAMP(6): six fractional digits, the WMS's precision."""
    stamps = [
        (f"{table.name}.{column.name}", column.type.compile(dialect=dialect.sa_dialect))
        for table in _tables(dialect, columns)
        for column in table.columns
        if "TIMESTAMP" in column.type.compile(dialect=dialect.sa_dialect)
    ]
    # raw (mod_ts, picked_ts, etl_extracted/loaded_at), audit, quarantine, complete, loaded windows
    # (start, end, recorded), full-sync decision (cut-off, purge bound, decided), load source (started, committed)
    assert len(stamps) == 4 + 2 + 1 + 2 + 3 + 3 + 2
    assert {rendered for _, rendered in stamps} == {"TIMESTAMP(6)"}, stamps
    stamp = dialect.converters()[Kind.TIMESTAMP]("2025-09-15T09:35:59.926171-03:00")
    assert (stamp.tzinfo, stamp.hour, stamp.microsecond) == (None, 12, 926171)  # naive UTC


def test_reserved_words_are_quoted_upper_case_in_ddl_and_binds(
    dialect: OracleDialect, columns: list[ColumnSpec]
) -> None:
    """An unquoted reserved word is ORA-00904 as a column and ORA-01745 as a bind name."""
    rendered = _statements(dialect, columns)
    for field in RESERVED_FIELDS:
        quoted = f'"{field.upper()}"'
        assert re.search(rf"^\s+{quoted} VARCHAR2\(32 CHAR\)", rendered["create ALLOCATION"], re.M), field
        assert f':"{field}"' in rendered["staging executemany"], field
        assert f"s.{quoted}" in rendered["insert new versions"], field
    for name, sql in rendered.items():
        for field in RESERVED_FIELDS:
            assert not re.search(rf'(?<!")\b{field.upper()}\b', sql), f"{name}: {field} unquoted"


def test_names_are_upper_case(dialect: OracleDialect, columns: list[ColumnSpec]) -> None:
    ddl = _statements(dialect, columns)["create ALLOCATION"]
    assert ddl.startswith("CREATE TABLE WMS_RAW.ALLOCATION (")
    assert re.search(r"\bPICK_USER VARCHAR2\(30 CHAR\)", ddl)
    for column in re.findall(r"^\s+(\"?[A-Z0-9_$]+\"?) ", ddl, re.M):
        assert column == column.upper()


def test_oracle_types(dialect: OracleDialect, columns: list[ColumnSpec]) -> None:
    ddl = _statements(dialect, columns)["create ALLOCATION"]
    assert re.search(r"\bIS_PICKING_FLG NUMBER\(1\)", ddl)
    assert re.search(r"\bID NUMBER\(19\) NOT NULL", ddl)
    assert re.search(r"\bALLOC_QTY NUMBER\b", ddl)
    assert re.search(r"\bPICKED_DATE DATE\b", ddl)
    assert re.search(r"\bNOTES CLOB\b", ddl)  # declared maxLength > 4000
    varchars = re.findall(r"VARCHAR2\([^)]*\)", ddl)
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
    """A private temporary table's name starts with PRIVATE_TEMP_TABLE_PREFIX (default ORA$PTT_)."""
    ddl = _statements(dialect, columns)["create staging"]
    assert ddl.startswith(f"CREATE PRIVATE TEMPORARY TABLE {DEFAULT_PTT_PREFIX}ALLOCATION (")
    assert ddl.endswith("ON COMMIT DROP DEFINITION")
    assert "DEFAULT" not in ddl  # a PTT may have no column defaults,
    assert "PRIMARY KEY" not in ddl  # nor constraints


def test_the_private_temporary_table_prefix_is_a_checked_setting() -> None:
    """Database Reference, PRIVATE_TEMP_TABLE_PREFIX: another value "must begin with the string ORA$"."""
    custom = OracleDialect(oracledb.dialect(), {PTT_PREFIX_SETTING: "ora$wms_"})
    assert custom.staging_name("allocation") == "ORA$WMS_allocation"
    for bad in ("etl$tmp_", "1abc", "ORA$PTT_; drop table x", 'ORA$"b', "ORA$" + "x" * 61):
        with pytest.raises(ValueError, match=PTT_PREFIX_SETTING):
            OracleDialect(oracledb.dialect(), {PTT_PREFIX_SETTING: bad})


def test_insert_if_absent_shape(dialect: OracleDialect, columns: list[ColumnSpec]) -> None:
    sql = _statements(dialect, columns)["insert new versions"]
    assert sql.startswith("INSERT INTO WMS_RAW.ALLOCATION (ID, MOD_TS,")
    assert "FROM ORA$PTT_ALLOCATION s" in sql
    assert "WHERE t.ID = s.ID AND t.MOD_TS = s.MOD_TS" in sql
    assert "FROM DUAL" in _statements(dialect, columns)["audit ensure"]  # Oracle before 23ai needs DUAL


def test_sessions_wait_for_ddl_locks_and_run_in_utc(dialect: OracleDialect) -> None:
    """Database Reference, DDL_LOCK_TIMEOUT: the default 0 means NOWAIT, so DDL under another
    session's open transaction fails at once with ORA-00054."""
    timeouts = [s for s in dialect.session_setup if "DDL_LOCK_TIMEOUT" in s]
    assert len(timeouts) == 1
    assert int(timeouts[0].rsplit("=", 1)[1]) > 0
    assert "ALTER SESSION SET TIME_ZONE = '+00:00'" in dialect.session_setup


def test_a_varchar2_becomes_clob_by_rename_add_copy_drop(
    dialect: OracleDialect, columns: list[ColumnSpec]
) -> None:
    """VARCHAR2 cannot be MODIFYed into CLOB (ORA-22858): the values move through a renamed column."""
    rendered = _statements(dialect, columns)
    evolution = [rendered[k] for k in sorted(rendered) if k.startswith("evolution")]
    assert evolution == [
        "ALTER TABLE WMS_RAW.ALLOCATION ADD (STATUS_ID NUMBER(19))",
        "ALTER TABLE WMS_RAW.ALLOCATION RENAME COLUMN PICK_USER TO PICK_USER_ETL_VARCHAR",
        "ALTER TABLE WMS_RAW.ALLOCATION ADD (PICK_USER CLOB)",
        "UPDATE WMS_RAW.ALLOCATION SET PICK_USER = PICK_USER_ETL_VARCHAR WHERE PICK_USER_ETL_VARCHAR IS NOT NULL",
        "ALTER TABLE WMS_RAW.ALLOCATION DROP COLUMN PICK_USER_ETL_VARCHAR",
    ]
    assert dialect.text_length_for(30, 4001, 4001) is None  # beyond 4000 characters: CLOB
    assert dialect.text_length_for(None, 1500, 4500) is None  # 1500 chars but 4500 UTF-8 bytes: CLOB
    assert dialect.text_length_for(30, 31, 31) == 32


@pytest.mark.parametrize("done", range(1, 4), ids=["renamed", "added", "copied"])
def test_an_interrupted_clob_change_is_finished_by_the_next_plan(
    dialect: OracleDialect, columns: list[ColumnSpec], done: int
) -> None:
    """Each step commits on its own (Oracle DDL commits implicitly): after a crash behind step
    ``done``, the next plan, made from the columns the catalog then lists, runs the remaining steps,
    and never adds the column again empty (ORA-01430, or the history stranded in the old column)."""
    raw = _raw(dialect, columns)
    text = [c for c in columns if c.name == "pick_user"]
    full = plan_evolution(dialect, raw, text, {"pick_user": 30}, {"pick_user": None})
    after = {
        1: {"pick_user_etl_varchar": 30},
        2: {"pick_user_etl_varchar": 30, "pick_user": None},
        3: {"pick_user_etl_varchar": 30, "pick_user": None},  # the copy leaves no trace in the catalog
    }[done]
    resumed = plan_evolution(dialect, raw, text, after, {"pick_user": None})
    assert resumed == full[min(done, 2) :]  # after the copy, copying again is harmless
    assert not any("ADD (PICK_USER_ETL_VARCHAR" in s or "RENAME" in s for s in resumed)
    finished = {"pick_user": None}
    assert plan_evolution(dialect, raw, text, finished, {"pick_user": None}) == []


def test_number_range_follows_oracle_number(dialect: OracleDialect) -> None:
    """SQL Language Reference, "Data Types": NUMBER holds absolute values from 1.0E-130 up to but not
    including 1.0E126, with 38 digits of precision; python-oracledb refuses the rest (DPY-4003)."""
    convert = dialect.converters()[Kind.DECIMAL]
    for fine in ("9.99E125", "-9.99E125", "1E-130", "0", "12345678901234567890123456789012345678", 540):
        convert(fine)
    for outside in ("1E126", "-1E126", "1E-131", "123456789012345678901234567890123456789", 1e300, 10**130):
        with pytest.raises(ValueError, match="Oracle NUMBER"):
            convert(outside)

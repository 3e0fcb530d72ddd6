"""Each rule on its own: a statement that breaks it and one that does not, sent through the driver.

A rule Oracle enforces must come back as Oracle's error; a rule about silent damage (bind types,
implicit commit, NLS conversions) is recorded and the statement runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from oracle_standin import driver
from oracle_standin.testing import StandIn

Connect = Callable[..., driver.Connection]


def run(connect: Connect, *statements: str, parameters: Any = None) -> None:
    cursor = connect().cursor()
    for statement in statements:
        cursor.execute(statement, parameters)


def refused(connect: Connect, statement: str, code: str, *setup: str) -> None:
    run(connect, *setup)
    with pytest.raises(driver.DatabaseError) as raised:
        run(connect, statement)
    assert raised.value.args[0].full_code == code, raised.value.args[0].message


def broken(oracle: StandIn) -> set[str]:
    return oracle.report().rules_broken()


TABLE = "CREATE TABLE T (ID NUMBER(19) NOT NULL, NOTE VARCHAR2(10 CHAR), BODY CLOB, AT TIMESTAMP(6))"


@pytest.mark.parametrize(
    ("bad", "good", "code", "rule"),
    [
        (
            "CREATE TABLE K (ID NUMBER(19), TS TIMESTAMP(6) WITH TIME ZONE, PRIMARY KEY (ID, TS))",
            "CREATE TABLE K (ID NUMBER(19), TS TIMESTAMP(6), PRIMARY KEY (ID, TS))",
            "ORA-02329",
            "tstz_in_key",
        ),
        (
            "CREATE TABLE R (SESSION VARCHAR2(10 CHAR))",
            'CREATE TABLE R ("SESSION" VARCHAR2(10 CHAR))',
            "ORA-00904",
            "reserved_word_identifier",
        ),
        (
            "CREATE TABLE L (" + "C" * 129 + " NUMBER)",
            "CREATE TABLE L (" + "C" * 128 + " NUMBER)",
            "ORA-00972",
            "identifier_too_long",
        ),
        (
            "SELECT * FROM (SELECT 1 A FROM DUAL) _X",
            "SELECT * FROM (SELECT 1 A FROM DUAL) X",
            "ORA-00911",
            "identifier_leading_character",
        ),
        ("SELECT 1 AS A", "SELECT 1 AS A FROM DUAL", "ORA-00923", "select_without_from"),
        (
            "SELECT ID FROM T LIMIT 1",
            "SELECT ID FROM T FETCH FIRST 1 ROWS ONLY",
            "ORA-00933",
            "limit_clause",
        ),
        (
            "SELECT ID FROM T WHERE TRIM(BODY) = ''",
            "SELECT ID FROM T WHERE TRIM(NOTE) = ''",
            "ORA-00932",
            "lob_in_comparison",
        ),
        (
            "SELECT BODY, COUNT(*) FROM T GROUP BY BODY",
            "SELECT DBMS_LOB.SUBSTR(BODY, 4000, 1) B, COUNT(*) FROM T GROUP BY DBMS_LOB.SUBSTR(BODY, 4000, 1)",
            "ORA-00932",
            "lob_in_set_operation",
        ),
        ("SELECT DISTINCT BODY FROM T", "SELECT DISTINCT NOTE FROM T", "ORA-00932", "lob_in_set_operation"),
        ("SELECT ID FROM MISSING", "SELECT ID FROM T", "ORA-00942", "unknown_table"),
    ],
    ids=lambda value: value if isinstance(value, str) and value.islower() else None,
)
def test_oracle_refuses_what_breaks_a_rule_and_runs_what_does_not(
    oracle: StandIn, connect: Connect, bad: str, good: str, code: str, rule: str
) -> None:
    run(connect, TABLE)
    refused(connect, bad, code)
    assert rule in broken(oracle)

    oracle.reset_log()
    run(connect, good)
    assert broken(oracle) == set()


def test_reserved_bind_name_is_refused(oracle: StandIn, connect: Connect) -> None:
    run(connect, TABLE)
    refused(connect, "SELECT ID FROM T WHERE NOTE = :rows", "ORA-01745")
    assert "reserved_word_bind" in broken(oracle)

    oracle.reset_log()
    run(
        connect,
        'SELECT ID FROM T WHERE NOTE = :"rows" OR NOTE = :rows_seen',
        parameters={"rows": "a", "rows_seen": "b"},
    )
    assert broken(oracle) == set()
    assert oracle.report().unanalysed() == []


def test_adding_a_column_that_exists_is_refused(oracle: StandIn, connect: Connect) -> None:
    refused(connect, "ALTER TABLE T ADD (NOTE VARCHAR2(10 CHAR))", "ORA-01430", TABLE)
    assert broken(oracle) == {"column_already_exists"}

    oracle.reset_log()
    run(connect, "ALTER TABLE T ADD (NOTE_2 VARCHAR2(10 CHAR))")
    assert broken(oracle) == set()


def test_a_30_byte_limit_applies_below_compatible_12_2(oracle: StandIn, connect: Connect) -> None:
    oracle.configure(compatible="12.1.0")
    try:
        refused(connect, "CREATE TABLE " + "N" * 31 + " (ID NUMBER)", "ORA-00972")
    finally:
        oracle.configure(compatible="19.0.0")


def test_select_without_from_is_valid_from_23ai(oracle: StandIn, connect: Connect) -> None:
    oracle.configure(version="23.4.0.0.0")
    try:
        run(connect, "SELECT 1 AS A")
    finally:
        oracle.configure(version="19.0.0.0.0")
    assert broken(oracle) == set()


def test_string_converted_to_a_date_without_a_format_model_is_reported(
    oracle: StandIn, connect: Connect
) -> None:
    run(connect, "SELECT CAST('2025-06-01' AS DATE) D FROM DUAL")
    assert "nls_dependent_conversion" in broken(oracle)

    oracle.reset_log()
    run(connect, "SELECT TO_DATE('2025-06-01', 'YYYY-MM-DD') D, DATE '2025-06-01' E FROM DUAL")
    assert broken(oracle) == set()


def test_name_used_twice_is_refused(oracle: StandIn, connect: Connect) -> None:
    refused(connect, TABLE, "ORA-00955", TABLE)
    assert "name_already_used" in broken(oracle)


def test_unknown_insert_column_and_too_long_value_are_refused(oracle: StandIn, connect: Connect) -> None:
    refused(connect, "INSERT INTO T (ID, NOPE) VALUES (1, 2)", "ORA-00904", TABLE)
    cursor = connect().cursor()
    with pytest.raises(driver.DatabaseError, match="ORA-12899"):
        cursor.execute("INSERT INTO T (ID, NOTE) VALUES (:1, :2)", [1, "é" * 11])
    cursor.execute("INSERT INTO T (ID, NOTE) VALUES (:1, :2)", [1, "é" * 10])
    assert broken(oracle) == {"unknown_column", "value_too_large_for_column"}


# Binds: python-oracledb's client-side choices ---------------------------------------------------


def bind_types(oracle: StandIn) -> list[Any]:
    return [s["bind_types"] for s in oracle.report().statements if s["rows"]]


def test_a_datetime_bound_by_value_is_sent_as_date_and_loses_its_microseconds(
    oracle: StandIn, connect: Connect
) -> None:
    run(connect, TABLE)
    cursor = connect().cursor()
    cursor.execute("INSERT INTO T (ID, AT) VALUES (:1, :2)", [1, dt.datetime(2025, 1, 1, 0, 0, 0, 123456)])  # noqa: DTZ001 - naive UTC, as bound to a TIMESTAMP

    assert bind_types(oracle)[-1] == ["DB_TYPE_NUMBER", "DB_TYPE_DATE"]
    assert broken(oracle) == {"datetime_bound_as_date"}


def test_setinputsizes_timestamp_keeps_microseconds(oracle: StandIn, connect: Connect) -> None:
    run(connect, TABLE)
    cursor = connect().cursor()
    cursor.setinputsizes(None, driver.DB_TYPE_TIMESTAMP)  # type: ignore[attr-defined]
    cursor.execute("INSERT INTO T (ID, AT) VALUES (:1, :2)", [1, dt.datetime(2025, 1, 1, 0, 0, 0, 123456)])  # noqa: DTZ001 - naive UTC, as bound to a TIMESTAMP

    assert bind_types(oracle)[-1] == ["DB_TYPE_NUMBER", "DB_TYPE_TIMESTAMP"]
    assert broken(oracle) == set()


def test_an_aware_datetime_is_reported_whatever_its_bind_type(oracle: StandIn, connect: Connect) -> None:
    run(connect, TABLE)
    cursor = connect().cursor()
    cursor.setinputsizes(None, driver.DB_TYPE_TIMESTAMP)  # type: ignore[attr-defined]
    cursor.execute("INSERT INTO T (ID, AT) VALUES (:1, :2)", [1, dt.datetime(2025, 1, 1, tzinfo=dt.UTC)])

    assert broken(oracle) == {"aware_datetime_bound"}


@pytest.mark.parametrize("value", [Decimal("1E126"), Decimal("1E-131"), Decimal("1." + "1" * 40), 10**126])
def test_a_number_oracle_cannot_hold_fails_at_bind_with_dpy_4003(
    oracle: StandIn, connect: Connect, value: Any
) -> None:
    run(connect, TABLE)
    with pytest.raises(driver.DatabaseError, match="DPY-4003"):
        connect().cursor().execute("INSERT INTO T (ID) VALUES (:1)", [value])


def test_numbers_oracle_can_hold_bind(oracle: StandIn, connect: Connect) -> None:
    run(connect, TABLE)
    for value in (Decimal("9.99E125"), Decimal("1E-129"), 10**38, 0.1):
        connect().cursor().execute("INSERT INTO T (ID) VALUES (:1)", [value])
    assert broken(oracle) == set()


# Transactions and locks --------------------------------------------------------------------------


def test_ddl_over_uncommitted_dml_is_reported_as_an_implicit_commit(
    oracle: StandIn, connect: Connect
) -> None:
    connection = connect()
    cursor = connection.cursor()
    cursor.execute(TABLE)
    cursor.execute("INSERT INTO T (ID) VALUES (1)")
    cursor.execute("ALTER TABLE T ADD (EXTRA NUMBER)")

    assert broken(oracle) == {"ddl_commits_open_transaction"}


def test_a_private_temporary_table_dropped_at_commit_does_not_commit(
    oracle: StandIn, connect: Connect
) -> None:
    connection = connect()
    cursor = connection.cursor()
    cursor.execute(TABLE)
    cursor.execute("INSERT INTO T (ID) VALUES (1)")
    cursor.execute("CREATE PRIVATE TEMPORARY TABLE ORA$PTT_T (ID NUMBER) ON COMMIT DROP DEFINITION")
    cursor.execute("INSERT INTO ORA$PTT_T (ID) VALUES (1)")
    connection.commit()

    assert broken(oracle) == set()
    with pytest.raises(driver.DatabaseError, match="ORA-00942"):
        cursor.execute("SELECT ID FROM ORA$PTT_T")  # dropped with the commit


def test_ddl_against_another_sessions_open_transaction_fails_at_once_by_default(
    oracle: StandIn, connect: Connect
) -> None:
    holder = connect()
    holder.cursor().execute(TABLE)
    holder.cursor().execute("INSERT INTO T (ID) VALUES (1)")

    with pytest.raises(driver.DatabaseError, match="ORA-00054"):
        connect().cursor().execute("ALTER TABLE T ADD (EXTRA NUMBER)")
    assert broken(oracle) == {"ddl_lock_not_acquired"}


def test_ddl_waits_up_to_ddl_lock_timeout_for_the_other_commit(oracle: StandIn, connect: Connect) -> None:
    import threading

    holder = connect()
    holder.cursor().execute(TABLE)
    holder.cursor().execute("INSERT INTO T (ID) VALUES (1)")
    threading.Timer(0.5, holder.commit).start()

    changer = connect().cursor()
    changer.execute("ALTER SESSION SET DDL_LOCK_TIMEOUT = 10")
    changer.execute("ALTER TABLE T ADD (EXTRA NUMBER)")

    assert broken(oracle) == set()
    assert ["EXTRA", "NUMBER", True] in oracle.report().table("WMS_RAW", "T")["columns"]  # type: ignore[index]


# PL/SQL ------------------------------------------------------------------------------------------------

DROP_IF_EXISTS = """
DECLARE
  dne_942 EXCEPTION;
  PRAGMA EXCEPTION_INIT(dne_942, -942);
BEGIN
  SAVEPOINT start_transaction;
  EXECUTE IMMEDIATE 'DROP table wms_raw.nothing cascade constraints purge';
  COMMIT;
EXCEPTION
  WHEN dne_942 THEN
    NULL;
END;
"""


def test_an_error_the_block_handles_is_neither_raised_nor_reported(oracle: StandIn, connect: Connect) -> None:
    run(connect, DROP_IF_EXISTS)

    report = oracle.report()
    assert report.violations == []
    assert report.errors() == []
    assert [s["outcome"][:27] for s in report.statements if s["note"]] == ["handled by the PL/SQL block"]


def test_an_error_the_block_does_not_handle_is_raised(oracle: StandIn, connect: Connect) -> None:
    with pytest.raises(driver.DatabaseError, match="ORA-00942"):
        run(connect, DROP_IF_EXISTS.replace("-942", "-1"))


def test_utc_extracted_from_a_timestamp_without_zone_is_reported(oracle: StandIn, connect: Connect) -> None:
    run(connect, TABLE, "CREATE TABLE Z (AT TIMESTAMP(6) WITH TIME ZONE)")
    run(connect, "SELECT SYS_EXTRACT_UTC(AT) U FROM T")
    assert broken(oracle) == {"session_time_zone_conversion"}

    oracle.reset_log()
    run(connect, "SELECT SYS_EXTRACT_UTC(AT) U FROM Z", "SELECT CAST(AT AS TIMESTAMP(6)) U FROM T")
    assert broken(oracle) == set()


def test_grants_and_comments_are_analysed_and_recorded(oracle: StandIn, connect: Connect) -> None:
    run(
        connect,
        TABLE,
        "GRANT SELECT ON WMS_RAW.T TO WMS",
        "COMMENT ON TABLE WMS_RAW.T IS 'raw history'",
        "REVOKE SELECT ON WMS_RAW.T FROM WMS",
    )

    report = oracle.report()
    assert report.unanalysed() == []
    assert report.violations == []

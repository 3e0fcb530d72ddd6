"""The parts of the real-Oracle lane that need no server (oracle_lane.py; docs/oracle.md): which
warehouses the suites take, the two logins from their URLs, dbt's profile from them, the grant script,
and how values cross python-oracledb."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
import oracledb
import pytest
import yaml
from dbt_runner import PROJECT_DIR
from oracle_lane import (
    DBT_URL_VARIABLE,
    GRANT_SCRIPT,
    LOADER_URL_VARIABLE,
    OracleDate,
    OracleLane,
    bind_value,
    grant_block,
    oracle_value,
    warehouse_kinds,
)

SECRET_LOADER = "s3cret/raw@1"
SECRET_DBT = "s3cret:dbt#2"
LOADER_URL = "oracle+oracledb://wms_raw:s3cret%2Fraw%401@db.example:1522/?service_name=wmspdb.example"
DBT_URL = "oracle+oracledb://WMS:s3cret%3Adbt%232@db.example:1522/?service_name=wmspdb.example"


def _lane() -> OracleLane:
    lane = OracleLane.from_environ({LOADER_URL_VARIABLE: LOADER_URL, DBT_URL_VARIABLE: DBT_URL})
    assert lane is not None
    return lane


def test_without_the_variable_the_suites_take_only_duckdb_and_postgres() -> None:
    assert warehouse_kinds({}) == ["duckdb", "postgres"]
    assert OracleLane.from_environ({}) is None


def test_with_the_variable_oracle_is_the_third_warehouse() -> None:
    assert warehouse_kinds({LOADER_URL_VARIABLE: LOADER_URL}) == ["duckdb", "postgres", "oracle"]


def test_the_two_logins_come_from_their_urls_with_escaped_passwords() -> None:
    lane = _lane()

    assert (lane.loader.user, lane.loader.password) == ("WMS_RAW", SECRET_LOADER)
    assert (lane.dbt.user, lane.dbt.password) == ("WMS", SECRET_DBT)
    assert (lane.dbt.host, lane.dbt.port, lane.dbt.service_name) == ("db.example", 1522, "wmspdb.example")
    assert lane.loader_url() == "oracle+oracledb://db.example:1522/?service_name=wmspdb.example"


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({LOADER_URL_VARIABLE: LOADER_URL}, DBT_URL_VARIABLE),
        ({LOADER_URL_VARIABLE: DBT_URL, DBT_URL_VARIABLE: DBT_URL}, "must log in as WMS_RAW"),
        ({LOADER_URL_VARIABLE: LOADER_URL, DBT_URL_VARIABLE: LOADER_URL}, "must log in as WMS"),
        ({LOADER_URL_VARIABLE: LOADER_URL.replace("?service_name=wmspdb.example", ""), DBT_URL_VARIABLE: DBT_URL},
         "service_name"),
        ({LOADER_URL_VARIABLE: LOADER_URL.replace("oracle+oracledb", "postgresql"), DBT_URL_VARIABLE: DBT_URL},
         "oracle+oracledb://"),
        ({LOADER_URL_VARIABLE: LOADER_URL, DBT_URL_VARIABLE: DBT_URL.replace("1522", "1521")},
         "same host, port and service"),
    ],
)  # fmt: skip
def test_an_incomplete_or_wrong_setting_names_what_to_fix_and_never_the_password(
    environ: dict[str, str], named: str
) -> None:
    with pytest.raises(ValueError, match="WMS_TEST_ORACLE") as raised:
        OracleLane.from_environ(environ)

    assert named in str(raised.value)
    assert SECRET_LOADER not in str(raised.value)
    assert SECRET_DBT not in str(raised.value)


def _oracle_profile(env: dict[str, str]) -> dict[str, Any]:
    """profiles.yml's oracle output as dbt renders it with `env` (env_var as dbt defines it)."""

    def env_var(name: str, default: str | None = None) -> str:
        if name in env:
            return env[name]
        if default is None:
            raise KeyError(f"profiles.yml needs {name}, which the lane does not set")
        return default

    template = jinja2.Environment(undefined=jinja2.StrictUndefined)  # noqa: S701 (YAML, not HTML)
    template.filters["as_number"] = int
    rendered = yaml.safe_load(
        template.from_string((PROJECT_DIR / "profiles.yml").read_text()).render(env_var=env_var)
    )
    return dict(rendered["wms"]["outputs"]["oracle"])


def test_dbt_logs_in_as_wms_builds_in_wms_and_its_database_is_the_db_name() -> None:
    profile = _oracle_profile(_lane().profile_env("WMSCDB"))

    assert {
        key: profile[key] for key in ("user", "password", "host", "port", "service", "database", "schema")
    } == {
        "user": "WMS",
        "password": SECRET_DBT,
        "host": "db.example",
        "port": "1522",  # a string in YAML; dbt's as_number makes it a number
        "service": "wmspdb.example",
        "database": "WMSCDB",  # the DB_NAME, not the service name
        "schema": "WMS",
    }


def test_the_grant_script_is_one_plsql_block_granting_select_to_wms_only() -> None:
    block = grant_block()

    assert block.startswith("BEGIN")
    assert block.rstrip().endswith("END;")
    assert "/" not in block.splitlines()
    assert re.findall(r"GRANT (\w+) ON", block) == ["SELECT"]
    assert re.findall(r"TO (\w+)';", block) == ["WMS"]


def test_a_grant_script_with_two_blocks_is_refused(tmp_path: Path) -> None:
    script = tmp_path / "grants.sql"
    script.write_text(GRANT_SCRIPT.read_text() * 2)

    with pytest.raises(ValueError, match="exactly one PL/SQL block"):
        grant_block(script)


def test_datetimes_are_bound_as_naive_utc_keeping_microseconds_and_booleans_as_numbers() -> None:
    sao_paulo = timezone(timedelta(hours=-3))

    utc_wall_clock = datetime(2025, 5, 31, 22, 57, 42, 738709, tzinfo=UTC).replace(tzinfo=None)

    assert bind_value(datetime(2025, 5, 31, 19, 57, 42, 738709, tzinfo=sao_paulo)) == utc_wall_clock
    assert bind_value(True) == 1
    assert bind_value(Decimal("2.5")) == Decimal("2.5")


def test_timestamp_columns_get_a_timestamp_input_size() -> None:
    from oracle_lane import _input_sizes

    rows = [(1, None, "a"), (2, datetime(2025, 1, 1, 0, 0, 0, 123456, tzinfo=UTC).replace(tzinfo=None), "b")]

    assert _input_sizes(rows) == [None, oracledb.DB_TYPE_TIMESTAMP, None]


def test_values_read_back_compare_like_the_other_warehouses() -> None:
    naive = datetime(2025, 6, 1, 2, 30, 0, 5, tzinfo=UTC).replace(tzinfo=None)  # as fetched from TIMESTAMP(6)

    assert oracle_value(naive) == datetime(2025, 6, 1, 2, 30, 0, 5, tzinfo=UTC)
    assert oracle_value(OracleDate(2025, 6, 1)) == date(2025, 6, 1)
    assert oracle_value(OracleDate(2025, 6, 1, 8, 0)) == datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
    assert oracle_value(Decimal("48.0000")) == Decimal(48)


def test_question_marks_become_numbered_binds() -> None:
    from oracle_lane import _numbered_placeholders

    assert _numbered_placeholders("insert into t (a, b, c) values (?, ?, ?)") == (
        "insert into t (a, b, c) values (:1, :2, :3)"
    )


class _RecordingCursor:
    arraysize = 100

    def var(self, kind: Any, **_: Any) -> str:
        return f"var({getattr(kind, '__name__', kind)})"


class _Column:
    def __init__(self, type_code: Any, precision: int | None, scale: int | None) -> None:
        self.type_code, self.precision, self.scale = type_code, precision, scale


@pytest.mark.parametrize(
    ("column", "fetched_as"),
    [
        (_Column(oracledb.DB_TYPE_NUMBER, 19, 0), None),  # NUMBER(19): the driver's int
        (_Column(oracledb.DB_TYPE_NUMBER, 18, 4), "var(Decimal)"),  # NUMBER(18,4): numeric
        (_Column(oracledb.DB_TYPE_NUMBER, 0, -127), "var(Decimal)"),  # NUMBER: sums, raw decimals
        (_Column(oracledb.DB_TYPE_BINARY_DOUBLE, None, None), None),  # the models' doubles: float
    ],
)
def test_numbers_come_back_as_postgresql_returns_them(column: _Column, fetched_as: str | None) -> None:
    from oracle_lane import _decimals_and_dates

    assert _decimals_and_dates(_RecordingCursor(), column) == fetched_as

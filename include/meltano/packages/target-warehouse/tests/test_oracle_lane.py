"""The loader suite's real-Oracle lane (docs/oracle.md). Without a server: when Oracle is a warehouse of the
loading tests, which login it must be, that its password stays out of reports, how values read back.
With the lane set (only then is it defined): the loader's grants on a real Oracle."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from warehouse_testing import ORACLE_URL_VARIABLE, drop_own_tables, oracle_test_url, query, warehouse_kinds

PASSWORD = "pw/with@odd:chars"
URL = "oracle+oracledb://wms_raw:pw%2Fwith%40odd%3Achars@db.example:1521/?service_name=FREEPDB1"


def test_the_loading_tests_take_oracle_only_when_the_lane_is_configured() -> None:
    assert warehouse_kinds({}) == ["duckdb", "postgres"]
    assert warehouse_kinds({ORACLE_URL_VARIABLE: URL}) == ["duckdb", "postgres", "oracle"]


def test_the_url_reaches_the_loader_whole_and_its_repr_hides_the_password() -> None:
    url = oracle_test_url({ORACLE_URL_VARIABLE: URL})

    assert sa.make_url(str(url)).password == PASSWORD
    assert sa.make_url(str(url)).query == {"service_name": "FREEPDB1"}
    assert PASSWORD not in repr(url)
    assert "wms_raw:***@db.example" in repr(url)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("not a url", "not a SQLAlchemy URL"),
        ("postgresql+psycopg://wms_raw:pw@db.example:5432/wms", "oracle+oracledb URL with ?service_name="),
        ("oracle+oracledb://wms_raw:pw@db.example:1521/FREEPDB1", "oracle+oracledb URL with ?service_name="),
        ("oracle+oracledb://wms_etl:pw@db.example:1521/?service_name=FREEPDB1", "must log in as WMS_RAW"),
        ("oracle+oracledb://wms_raw@db.example:1521/?service_name=FREEPDB1", "with its password"),
    ],
)
def test_a_wrong_url_names_the_variable_and_what_to_fix(url: str, problem: str) -> None:
    with pytest.raises(ValueError, match=ORACLE_URL_VARIABLE) as raised:
        oracle_test_url({ORACLE_URL_VARIABLE: url})

    assert problem in str(raised.value)
    assert ":pw@" not in str(raised.value)


def test_oracle_values_read_back_as_the_other_warehouses_return_them() -> None:
    from warehouse_testing import _as_elsewhere

    naive_utc = dt.datetime(2025, 9, 15, 12, 35, 59, 926171, tzinfo=dt.UTC).replace(tzinfo=None)

    assert _as_elsewhere(naive_utc, "DB_TYPE_TIMESTAMP") == dt.datetime(
        2025, 9, 15, 12, 35, 59, 926171, tzinfo=dt.UTC
    )
    assert _as_elsewhere(
        naive_utc.replace(hour=0, minute=0, second=0, microsecond=0), "DB_TYPE_DATE"
    ) == dt.date(2025, 9, 15)
    assert _as_elsewhere(Decimal("1.25"), "DB_TYPE_NUMBER") == Decimal("1.25")


if os.environ.get(ORACLE_URL_VARIABLE):  # the opt-in lane only: a real Oracle (docs/oracle.md)

    @pytest.fixture
    def oracle_url() -> Iterator[str]:
        url = oracle_test_url()
        drop_own_tables(url)
        try:
            yield url
        finally:
            drop_own_tables(url)

    def test_on_oracle_the_loader_grants_dbts_user_select_on_each_table_it_creates(
        oracle_url: str, load: Callable[..., Any]
    ) -> None:
        """WMS builds views on the raw tables, so it must hold SELECT on each directly (docs/oracle.md):
        the loader that creates a table grants it (grant_select_to), as the table's owner."""
        load(oracle_url, "allocation_history.singer", grant_select_to=["WMS"])

        granted = query(
            oracle_url,
            "SELECT table_name, privilege FROM user_tab_privs_made WHERE grantee = 'WMS' ORDER BY table_name",
        )

        tables = [
            name for (name,) in query(oracle_url, "SELECT table_name FROM user_tables ORDER BY table_name")
        ]
        assert "ALLOCATION" in tables
        assert granted == [(name, "SELECT") for name in tables]

"""grant_select_to: the users that may read each table the loader creates (dbt's user on Oracle)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from warehouse_testing import one_allocation, query, run_target

from target_warehouse.errors import WarehouseConfigError

SINGER = one_allocation("2026-01-01T00:00:00Z")
TABLES = (
    "allocation",
    "etl_load_audit",
    "etl_quarantine",
    "etl_full_sync_seen",
    "etl_full_sync_complete",
    "etl_full_sync_decision",
)


@pytest.fixture
def reader(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL role that exists but owns nothing, like dbt's user WMS on Oracle."""
    name = f"reader_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE ROLE {name}"))
    yield name
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP OWNED BY {name}"))
        conn.execute(sa.text(f"DROP ROLE {name}"))
    engine.dispose()


def _can_read(url: str, role: str) -> dict[str, bool]:
    return {
        table: query(url, f"SELECT has_table_privilege('{role}', 'wms_raw.{table}', 'SELECT')") == [(True,)]
        for table in TABLES
    }


def test_every_table_the_loader_creates_is_readable_by_the_grantees(postgres_url: str, reader: str) -> None:
    run_target({"sqlalchemy_url": postgres_url, "grant_select_to": [reader]}, SINGER)
    assert _can_read(postgres_url, reader) == dict.fromkeys(TABLES, True)


def test_without_the_setting_nothing_is_granted(postgres_url: str, reader: str) -> None:
    run_target({"sqlalchemy_url": postgres_url}, SINGER)
    assert _can_read(postgres_url, reader) == dict.fromkeys(TABLES, False)


@pytest.mark.parametrize("grantee", ['wms"; drop table x; --', "1wms", "wms wms", "w" * 129])
def test_a_grantee_that_is_not_a_user_name_is_refused_before_anything_is_created(
    postgres_url: str, grantee: str
) -> None:
    with pytest.raises(WarehouseConfigError, match="grant_select_to"):
        run_target({"sqlalchemy_url": postgres_url, "grant_select_to": [grantee]}, SINGER)
    assert query(
        postgres_url, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'wms_raw'"
    ) == [(0,)]


def test_duckdb_has_no_users_to_grant_to(duckdb_url: str) -> None:
    with pytest.raises(WarehouseConfigError, match="grant_select_to: duckdb has no users"):
        run_target({"sqlalchemy_url": duckdb_url, "grant_select_to": ["wms"]}, SINGER)

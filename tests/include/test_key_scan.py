"""What the key-scan full sync's extract task tells the tap the warehouse holds: the raw history's
(id, mod_ts) versions of the partition's id range, as `id<TAB>microseconds since the epoch (UTC)`."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest

from include.wms_pipeline import settings
from include.wms_pipeline.key_scan import write_known_versions
from include.wms_pipeline.partitions import IdPartition

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SAO_PAULO = timezone(timedelta(hours=-3))
VERSIONS = [
    (10, datetime(2026, 1, 5, 9, 35, 59, 926171, tzinfo=SAO_PAULO)),
    (10, datetime(2026, 1, 5, 12, 0, tzinfo=UTC)),
    (11, datetime(2026, 1, 5, 12, 0, 0, 1, tzinfo=UTC)),
    (99, datetime(2026, 1, 6, tzinfo=UTC)),
]


def micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An Airflow warehouse connection to a raw allocation table holding VERSIONS (timestamptz)."""
    create = "create table wms_raw.allocation (id bigint, mod_ts timestamptz, alloc_qty numeric)"
    if request.param == "duckdb":
        path = tmp_path / "w.duckdb"
        with duckdb.connect(str(path)) as db:
            db.execute("create schema wms_raw")
            db.execute(create)
            db.executemany("insert into wms_raw.allocation values (?, ?, 1)", VERSIONS)
        connection: dict[str, Any] = {"conn_type": "duckdb", "host": str(path)}
    else:
        postgres = request.getfixturevalue("postgres_server")
        dbname = f"keyscan_{uuid.uuid4().hex[:12]}"
        postgres.create_database(dbname)
        with psycopg.connect(postgres.info.url(dbname, driver="postgresql")) as db:
            db.execute("create schema wms_raw")
            db.execute(create)
            db.cursor().executemany("insert into wms_raw.allocation values (%s, %s, 1)", VERSIONS)
        info = postgres.info
        connection = {
            "conn_type": "postgres",
            "host": info.host,
            "port": info.port,
            "login": info.user,
            "password": info.password,
            "schema": dbname,
        }
    monkeypatch.setenv(f"AIRFLOW_CONN_{settings.WAREHOUSE_CONN_ID.upper()}", json.dumps(connection))
    monkeypatch.setenv("WMS_WAREHOUSE_KIND", request.param)
    return request.param


def test_the_partitions_versions_are_written_as_utc_microseconds(warehouse: str, tmp_path: Path) -> None:
    out = tmp_path / "known.tsv"
    written = write_known_versions("allocation", IdPartition(0, 10, 11), out)

    lines = sorted(out.read_text().splitlines())
    assert lines == sorted(f"{i}\t{micros(ts)}" for i, ts in VERSIONS if 10 <= i <= 11)
    assert written == 3


def test_without_a_partition_every_version_is_written(warehouse: str, tmp_path: Path) -> None:
    out = tmp_path / "known.tsv"
    assert write_known_versions("allocation", None, out) == len(VERSIONS)


def test_before_the_first_load_there_is_nothing_known(warehouse: str, tmp_path: Path) -> None:
    out = tmp_path / "known.tsv"
    assert write_known_versions("order_hdr", IdPartition(0, 1, 100), out) == 0
    assert out.read_text() == ""


def test_an_entity_outside_the_product_is_refused_before_any_sql(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not in"):
        write_known_versions("allocation; drop table x", None, tmp_path / "known.tsv")


def test_on_oracle_a_naive_timestamp_holding_utc_is_read_as_utc() -> None:
    """Oracle's raw mod_ts is TIMESTAMP(6) holding UTC, which python-oracledb returns naive; the
    statements that read it are checked on the Oracle stand-in (test_oracle_standin_key_scan.py)."""
    from include.wms_pipeline.key_scan import _micros

    for _, moment in VERSIONS:
        naive_utc = moment.astimezone(UTC).replace(tzinfo=None)
        assert _micros(naive_utc) == micros(moment)

"""The warehouse connection becomes loader settings; credentials stay out of the URL."""

from __future__ import annotations

import json

import pytest
from airflow.models.connection import Connection

from include.wms_pipeline.warehouse import warehouse_target


def test_duckdb_connection_points_at_the_file() -> None:
    target = warehouse_target(Connection(conn_id="w", conn_type="duckdb", host="/data/wms.duckdb"))
    assert (target.kind, target.url, target.password) == ("duckdb", "duckdb:////data/wms.duckdb", None)


def test_postgres_credentials_are_kept_out_of_the_url() -> None:
    conn = Connection(
        conn_id="w", conn_type="postgres", host="db", port=5433, schema="dw", login="etl", password="s3cret!"
    )
    target = warehouse_target(conn)
    assert target.url == "postgresql+psycopg://db:5433/dw"
    assert (target.username, target.password) == ("etl", "s3cret!")
    assert "s3cret" not in target.url


def test_oracle_uses_the_service_name_cosmos_uses() -> None:
    conn = Connection(
        conn_id="w",
        conn_type="oracle",
        host="ora",
        login="etl",
        password="pw",
        extra=json.dumps({"service_name": "DWPDB"}),
    )
    target = warehouse_target(conn)
    assert target.url == "oracle+oracledb://ora:1521/?service_name=DWPDB"
    assert "pw" not in target.url


def test_oracle_without_service_name_names_the_field_to_set() -> None:
    conn = Connection(
        conn_id="wms_warehouse", conn_type="oracle", host="ora", schema="DW", login="u", password="p"
    )
    with pytest.raises(ValueError, match=r"wms_warehouse.*extra.service_name"):
        warehouse_target(conn)


def test_unsupported_connection_type_is_named() -> None:
    with pytest.raises(ValueError, match="conn_type 'mysql'"):
        warehouse_target(Connection(conn_id="w", conn_type="mysql", host="h"))

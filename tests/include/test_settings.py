"""Numeric settings from the environment: a default when unset, a clear error when wrong."""

from __future__ import annotations

import pytest

from include.wms_pipeline.settings import WAREHOUSE_CONN_ID, dbt_conn_id, int_setting


def test_an_unset_or_empty_variable_gives_the_default() -> None:
    assert int_setting("WMS_FULL_SYNC_PARTITIONS", 12, minimum=1, environ={}) == 12
    assert (
        int_setting("WMS_FULL_SYNC_PARTITIONS", 12, minimum=1, environ={"WMS_FULL_SYNC_PARTITIONS": " "})
        == 12
    )


def test_a_set_variable_wins() -> None:
    assert (
        int_setting("WMS_FULL_SYNC_PARTITIONS", 12, minimum=1, environ={"WMS_FULL_SYNC_PARTITIONS": "24"})
        == 24
    )


@pytest.mark.parametrize("raw", ["many", "0", "-3", "2.5"])
def test_a_bad_value_names_the_variable_and_what_it_must_be(raw: str) -> None:
    with pytest.raises(ValueError, match=r"WMS_FULL_SYNC_PARTITIONS must be a whole number of at least 1"):
        int_setting("WMS_FULL_SYNC_PARTITIONS", 12, minimum=1, environ={"WMS_FULL_SYNC_PARTITIONS": raw})


def test_dbt_and_the_checks_use_the_loaders_connection_unless_told_otherwise() -> None:
    assert dbt_conn_id(environ={}) == WAREHOUSE_CONN_ID
    assert dbt_conn_id(environ={"WMS_DBT_CONN_ID": " "}) == WAREHOUSE_CONN_ID
    assert dbt_conn_id(environ={"WMS_DBT_CONN_ID": "wms_warehouse_dbt"}) == "wms_warehouse_dbt"


def test_a_dbt_connection_id_that_is_no_connection_id_names_the_variable() -> None:
    with pytest.raises(ValueError, match=r"WMS_DBT_CONN_ID must be an Airflow connection id"):
        dbt_conn_id(environ={"WMS_DBT_CONN_ID": "wms warehouse; drop"})


def test_the_full_sync_reads_keys_unless_told_to_read_whole_records() -> None:
    from include.wms_pipeline.settings import full_sync_mode

    assert full_sync_mode({}) == "keys"
    assert full_sync_mode({"WMS_FULL_SYNC_MODE": " Records "}) == "records"
    with pytest.raises(ValueError, match="WMS_FULL_SYNC_MODE must be one of keys, records"):
        full_sync_mode({"WMS_FULL_SYNC_MODE": "ids"})

"""One extract-load process: its command, and the settings it gets at run time."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from airflow.models.connection import Connection

from include.wms_pipeline.meltano import (
    extract_load_environment,
    meltano_run_command,
    private_system_dir,
    records_read,
    wms_auth,
)
from include.wms_pipeline.partitions import IdPartition
from include.wms_pipeline.windows import ExtractionWindow

WMS = Connection(
    conn_id="oracle_wms",
    conn_type="http",
    host="https://t.wms.example.com/prod",
    login="api",
    password="wms-pass-123",
)
WAREHOUSE = Connection(
    conn_id="wms_warehouse", conn_type="postgres", host="db", schema="dw", login="etl", password="dw-pass-456"
)
WINDOW = ExtractionWindow(datetime(2026, 1, 5, 4, tzinfo=UTC), datetime(2026, 1, 5, 6, tzinfo=UTC))


def test_command_never_installs_and_never_touches_state() -> None:
    command = meltano_run_command("/venvs/meltano/bin/meltano", "wms_incremental_sync.order_hdr")
    assert command.startswith("set -o pipefail; /venvs/meltano/bin/meltano run ")
    assert command.split()[5:12] == [
        "--no-install",
        "--full-refresh",
        "--no-state-update",
        "--state-id-suffix=wms_incremental_sync.order_hdr",
        "tap-oracle-wms",
        "target-warehouse",
        "2>&1",
    ]


def test_incremental_environment_carries_the_window_and_entity() -> None:
    env = extract_load_environment(
        entity="order_hdr",
        window=WINDOW,
        lookback_minutes=30,
        wms=WMS,
        warehouse=WAREHOUSE,
        load_run_id="d/r/order_hdr",
    )
    assert env["TAP_ORACLE_WMS_START_DATE"] == "2026-01-05T04:00:00+00:00"
    assert env["TAP_ORACLE_WMS_END_DATE"] == "2026-01-05T06:00:00+00:00"
    assert env["TAP_ORACLE_WMS_LOOKBACK_MINUTES"] == "30"
    assert json.loads(env["TAP_ORACLE_WMS_ENTITIES"]) == ["order_hdr"]
    assert env["TARGET_WAREHOUSE_RUN_ID"] == "d/r/order_hdr"
    assert "TARGET_WAREHOUSE_FULL_SYNC_ID" not in env


def test_full_sync_partition_environment_bounds_ids_and_names_the_sync() -> None:
    env = extract_load_environment(
        entity="allocation",
        window=ExtractionWindow(None, WINDOW.end),
        lookback_minutes=0,
        wms=WMS,
        warehouse=WAREHOUSE,
        load_run_id="x",
        partition=IdPartition(2, 1001, 2000),
        full_sync_id="sync-1",
    )
    assert "TAP_ORACLE_WMS_START_DATE" not in env
    assert (env["TAP_ORACLE_WMS_ID_MIN"], env["TAP_ORACLE_WMS_ID_MAX"]) == ("1001", "2000")
    assert env["TARGET_WAREHOUSE_FULL_SYNC_ID"] == "sync-1"


def test_credentials_travel_only_in_their_own_settings() -> None:
    env = extract_load_environment(
        entity="order_hdr", window=WINDOW, lookback_minutes=0, wms=WMS, warehouse=WAREHOUSE, load_run_id="x"
    )
    holders = {key for key, value in env.items() if "wms-pass-123" in value or "dw-pass-456" in value}
    assert holders == {"TAP_ORACLE_WMS_AUTH", "TARGET_WAREHOUSE_PASSWORD"}


def test_oauth2_connection_needs_token_url_and_client_id() -> None:
    conn = Connection(
        conn_id="oracle_wms",
        conn_type="http",
        host="https://t/p",
        password="secret",
        extra=json.dumps({"auth_type": "oauth2", "client_id": "c"}),
    )
    with pytest.raises(ValueError, match="token_url"):
        wms_auth(conn)
    conn = Connection(
        conn_id="oracle_wms",
        conn_type="http",
        host="https://t/p",
        password="secret",
        extra=json.dumps({"auth_type": "oauth2", "client_id": "c", "token_url": "https://idcs/t"}),
    )
    assert wms_auth(conn)["client_secret"] == "secret"


def test_records_read_sums_the_sdk_record_count_metrics_of_the_entity() -> None:
    output = "\n".join(
        [
            'x | INFO | singer_sdk.metrics | METRIC: {"type":"counter","metric":"record_count","value":1000,'
            '"tags":{"stream":"allocation"}}',
            'METRIC: {"type":"counter","metric":"record_count","value":234,"tags":{"stream":"allocation"}}',
            'METRIC: {"type":"counter","metric":"record_count","value":9,"tags":{"stream":"order_hdr"}}',
            'METRIC: {"type":"counter","metric":"http_request_count","value":7,"tags":{"stream":"allocation"}}',
            "METRIC: {not json",
        ]
    )
    assert records_read(output, "allocation") == 1234
    assert records_read(output, "order_dtl") == 0


def test_each_run_gets_a_private_meltano_system_dir_sharing_only_plugin_venvs(tmp_path: Path) -> None:
    installed = tmp_path / "installed"
    for kind in ("extractors", "loaders", "run"):
        (installed / kind).mkdir(parents=True)
    first = private_system_dir(installed, tmp_path / "a")
    second = private_system_dir(installed, tmp_path / "b")
    for private in (first, second):
        assert (private / "extractors").resolve() == installed / "extractors"
        assert (private / "loaders").resolve() == installed / "loaders"
        assert not (private / "run").exists(), "catalogs and the system DB stay private to the run"

"""One extract-load process: its command, and the settings it gets at run time."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from airflow.models.connection import Connection

from include.wms_pipeline.meltano import (
    SCRATCH_OWNER_FILE,
    SCRATCH_PREFIX,
    MeltanoRunOperator,
    clear_stale_scratch,
    extract_load_environment,
    meltano_run_command,
    private_system_dir,
    records_read,
    run_window,
    wms_auth,
    wms_base_url,
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
    assert command.startswith("umask 077; set -o pipefail; /venvs/meltano/bin/meltano run ")
    assert command.split()[7:14] == [
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
    assert "TAP_ORACLE_WMS_FULL_SYNC_MODE" not in env  # no known versions: whole records


def test_a_key_scan_full_sync_passes_the_mode_and_the_known_versions_file(tmp_path: Path) -> None:
    known = tmp_path / "known_versions.tsv"
    env = extract_load_environment(
        entity="allocation",
        window=ExtractionWindow(None, WINDOW.end),
        lookback_minutes=0,
        wms=WMS,
        warehouse=WAREHOUSE,
        load_run_id="x",
        partition=IdPartition(2, 1001, 2000),
        full_sync_id="sync-1",
        known_versions_file=known,
    )
    assert env["TAP_ORACLE_WMS_FULL_SYNC_MODE"] == "keys"
    assert env["TAP_ORACLE_WMS_KNOWN_VERSIONS_FILE"] == str(known)


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


@pytest.mark.parametrize(
    ("field", "url"),
    [
        ("host", "http://t.wms.example.com/prod"),
        ("host", "http://10.1.2.3/prod"),
        ("token_url", "http://idcs.example.com/oauth2/v1/token"),
    ],
)
def test_a_wms_url_without_https_is_refused_naming_the_connection_field(field: str, url: str) -> None:
    extra = {"auth_type": "oauth2", "client_id": "c", "token_url": url} if field == "token_url" else {}
    conn = Connection(
        conn_id="oracle_wms",
        conn_type="http",
        host=url if field == "host" else "https://t/p",
        login="api",
        password="secret",
        extra=json.dumps(extra),
    )
    with pytest.raises(ValueError, match=rf"oracle_wms.*{field}.* must be an https:// URL"):
        wms_base_url(conn) if field == "host" else wms_auth(conn)


def test_plain_http_is_accepted_on_loopback_only() -> None:
    for host in ("http://127.0.0.1:8080/env", "http://localhost:9/env", "http://[::1]:9/env"):
        conn = Connection(conn_id="oracle_wms", conn_type="http", host=host, login="a", password="b")
        assert wms_base_url(conn) == host


WORKER_SECRETS = {
    "AIRFLOW_CONN_OTHER_DAGS_DB": "postgresql://u:other-dag-secret@db/x",
    "AIRFLOW_CONN_WMS_ALERTS_SLACK": "slack://:hook-token-secret@",
    "AIRFLOW__SMTP__SMTP_PASSWORD": "smtp-secret",
    "AIRFLOW__CORE__FERNET_KEY": "fernet-secret",
    "AWS_SECRET_ACCESS_KEY": "aws-secret",
    "PYTHONPATH": "/opt/airflow/plugins",
}


def test_the_extract_load_process_gets_only_what_the_tools_need(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker's connections, Airflow settings and other tools' credentials stay behind; PATH,
    HOME, locale and proxy settings go through, and the run's own settings are added."""
    for name, value in {**WORKER_SECRETS, "HTTPS_PROXY": "http://proxy:3128", "LANG": "C.UTF-8"}.items():
        monkeypatch.setenv(name, value)
    connections = {"oracle_wms": WMS, "wms_warehouse": WAREHOUSE}
    monkeypatch.setattr(
        "include.wms_pipeline.meltano.BaseHook.get_connection", lambda conn_id: connections[conn_id]
    )
    operator = MeltanoRunOperator(
        task_id="extract_load_order_hdr",
        entity="order_hdr",
        state_id_suffix="d.order_hdr",
        lookback_minutes=30,
        default_span=timedelta(hours=2),
        meltano_environment="prod",
    )
    context: dict[str, Any] = {
        "params": {},
        "dag": SimpleNamespace(dag_id="d"),
        "dag_run": SimpleNamespace(run_after=WINDOW.end),
        "data_interval_start": WINDOW.start,
        "data_interval_end": WINDOW.end,
        "run_id": "r",
        "ti": SimpleNamespace(
            try_number=1,
            dag_id="d",
            task_id="extract_load_order_hdr",
            run_id="r",
            # The run's plan_window task chose the window.
            xcom_pull=lambda task_ids: {"start": WINDOW.start.isoformat(), "end": WINDOW.end.isoformat()},
        ),
        "logical_date": WINDOW.end,
    }
    env = operator.get_env(context)
    leaked = {name for name, value in env.items() if any(s in value for s in WORKER_SECRETS.values())}
    assert leaked == set()
    assert not [name for name in env if name.startswith("AIRFLOW") or name == "PYTHONPATH"]
    assert env["PATH"] == os.environ["PATH"]
    assert env["HTTPS_PROXY"] == "http://proxy:3128"
    assert env["LANG"] == "C.UTF-8"
    assert env["MELTANO_ENVIRONMENT"] == "prod"
    assert json.loads(env["TAP_ORACLE_WMS_ENTITIES"]) == ["order_hdr"]
    assert "TARGET_WAREHOUSE_PASSWORD" in env
    assert env["TAP_ORACLE_WMS_START_DATE"] == WINDOW.start.isoformat()


def test_files_the_tools_write_are_readable_by_their_owner_alone(tmp_path: Path) -> None:
    """Meltano writes the tap's and loader's config (credentials) with open(..., "w"): the command's
    umask decides their mode."""
    fake_meltano = tmp_path / "meltano"
    fake_meltano.write_text(f"#!/bin/sh\necho '{{}}' > {tmp_path}/tap.config.json\n")
    fake_meltano.chmod(0o755)
    command = meltano_run_command(str(fake_meltano), "d.order_hdr")
    output = tmp_path / "meltano.log"
    subprocess.run(
        ["bash", "-c", command], env={"PATH": os.environ["PATH"], "WMS_EL_OUTPUT": str(output)}, check=True
    )
    for written in (tmp_path / "tap.config.json", output):
        assert stat.S_IMODE(written.stat().st_mode) == 0o600, written


def _scratch(temp: Path, name: str, *, pid: int | None, age_seconds: float) -> Path:
    directory = temp / name
    directory.mkdir()
    (directory / "tap.0.config.json").write_text("{}")
    if pid is not None:
        (directory / SCRATCH_OWNER_FILE).write_text(str(pid))
    old = time.time() - age_seconds
    os.utime(directory, (old, old))
    return directory


def test_scratch_left_by_a_killed_task_is_removed_by_the_next_one(tmp_path: Path) -> None:
    finished = subprocess.Popen(["true"])
    finished.wait()
    killed = _scratch(tmp_path, f"{SCRATCH_PREFIX}killed", pid=finished.pid, age_seconds=3600)
    running = _scratch(tmp_path, f"{SCRATCH_PREFIX}running", pid=os.getpid(), age_seconds=3600)
    just_started = _scratch(tmp_path, f"{SCRATCH_PREFIX}young", pid=finished.pid, age_seconds=5)
    old_without_owner = _scratch(tmp_path, f"{SCRATCH_PREFIX}old", pid=None, age_seconds=2 * 86400)
    not_ours = _scratch(tmp_path, "other-tool-dir", pid=finished.pid, age_seconds=3600)

    removed = clear_stale_scratch(tmp_path)

    assert sorted(removed) == sorted([killed, old_without_owner])
    assert not killed.exists()
    assert all(path.exists() for path in (running, just_started, not_ours))


def _oracle_warehouse(login: str) -> Connection:
    return Connection(
        conn_id="wms_warehouse",
        conn_type="oracle",
        host="db",
        login=login,
        password="ora-pass-789",
        extra=json.dumps({"service_name": "WMSPDB"}),
    )


def test_on_oracle_the_raw_schemas_owner_grants_dbts_schema_select_on_each_table_it_creates() -> None:
    env = extract_load_environment(
        entity="order_hdr",
        window=WINDOW,
        lookback_minutes=0,
        wms=WMS,
        warehouse=_oracle_warehouse("wms_raw"),
        load_run_id="d/r/order_hdr",
    )
    assert json.loads(env["TARGET_WAREHOUSE_GRANT_SELECT_TO"]) == ["WMS"]


@pytest.mark.parametrize("login", ["WMS", "etl_admin"])
def test_no_grant_is_asked_of_a_loader_that_does_not_own_the_raw_tables_or_is_dbts_own_user(
    login: str,
) -> None:
    """Granting to oneself is ORA-01749; granting on another user's table needs GRANT ANY OBJECT
    PRIVILEGE, which the loader never holds (docs/oracle/grant_raw_read.sql covers those layouts)."""
    env = extract_load_environment(
        entity="order_hdr",
        window=WINDOW,
        lookback_minutes=0,
        wms=WMS,
        warehouse=_oracle_warehouse(login),
        load_run_id="d/r/order_hdr",
    )
    assert "TARGET_WAREHOUSE_GRANT_SELECT_TO" not in env
    postgres = extract_load_environment(
        entity="order_hdr", window=WINDOW, lookback_minutes=0, wms=WMS, warehouse=WAREHOUSE, load_run_id="r"
    )
    assert "TARGET_WAREHOUSE_GRANT_SELECT_TO" not in postgres


@pytest.mark.parametrize(
    ("run_type", "expected_start"),
    [
        ("scheduled", WINDOW.start - timedelta(hours=6)),  # continues where the loaded time ended
        ("backfill", WINDOW.start),  # exactly its interval
        ("manual", WINDOW.start - timedelta(hours=6)),  # with a logical date: within the maximum
    ],
)
def test_only_a_backfill_reads_exactly_its_interval(run_type: str, expected_start: datetime) -> None:
    from airflow.utils.types import DagRunType

    context: dict[str, Any] = {
        "params": {},
        "dag_run": SimpleNamespace(run_after=WINDOW.end, run_type=DagRunType(run_type)),
        "data_interval_start": WINDOW.start,
        "data_interval_end": WINDOW.end,
    }
    window = run_window(
        context,
        timedelta(hours=2),
        full_sync=False,
        covered_until=WINDOW.start - timedelta(hours=6),
        max_catch_up=timedelta(hours=72),
    )
    assert window == ExtractionWindow(expected_start, WINDOW.end)
    full = run_window(
        context, timedelta(hours=2), full_sync=True, covered_until=WINDOW.start - timedelta(hours=6)
    )
    assert full == ExtractionWindow(None, WINDOW.end)

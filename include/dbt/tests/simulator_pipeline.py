"""The production pipeline against an in-process simulator: `meltano run tap-oracle-wms target-warehouse`
on the real Meltano project, the full-sync completion rows the Airflow DAG writes, then dbt.

Meltano's plugins come from `MELTANO_SYS_DIR_ROOT` (default `.local/meltano`, filled by scripts/bootstrap).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from dbt_runner import REPO_ROOT, run_dbt
from warehouse_targets import WarehouseTarget

from wms_simulator import SimulatorServer

ENTITIES = (
    "order_status",
    "allocation_status",
    "facility",
    "company",
    "item",
    "location",
    "inventory",
    "allocation",
    "order_hdr",
    "order_dtl",
)
MELTANO_PROJECT_DIR = REPO_ROOT / "include" / "meltano"
MELTANO_EXECUTABLE = Path(
    os.environ.get("WMS_MELTANO_EXECUTABLE", REPO_ROOT / ".venvs" / "meltano" / "bin" / "meltano")
)
MELTANO_TIMEOUT_SECONDS = 300
RAW_SCHEMA = "wms_raw"
# Settings a developer's shell may hold must not reach the plugins of a test run.
_ISOLATED_PREFIXES = ("TAP_ORACLE_WMS_", "TARGET_WAREHOUSE_", "MELTANO_", "WMS_", "DBT_")


def _meltano_sys_dir() -> Path:
    return Path(os.environ.get("MELTANO_SYS_DIR_ROOT", REPO_ROOT / ".local" / "meltano"))


def meltano_load(
    server: SimulatorServer,
    warehouse: WarehouseTarget,
    run_id: str,
    *,
    window: tuple[datetime, datetime] | None = None,
    full_sync_id: str | None = None,
) -> None:
    """One `meltano run` of every entity: an incremental window [start, end) or, without one, a full sync."""
    if (window is None) == (full_sync_id is None):
        raise ValueError("give either an incremental window or a full_sync_id")
    sys_dir = _meltano_sys_dir()
    if not MELTANO_EXECUTABLE.exists() or not (sys_dir / "extractors" / "tap-oracle-wms").is_dir():
        raise FileNotFoundError(
            f"Meltano or its plugins are missing ({MELTANO_EXECUTABLE}, {sys_dir}): run scripts/bootstrap"
        )
    config = server.config
    env = {k: v for k, v in os.environ.items() if not k.startswith(_ISOLATED_PREFIXES)}
    env.update(
        {
            "MELTANO_ENVIRONMENT": "dev",
            "MELTANO_SYS_DIR_ROOT": str(sys_dir),
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
            "TAP_ORACLE_WMS_BASE_URL": server.base_url,
            "TAP_ORACLE_WMS_AUTH": json.dumps(
                {"type": "basic", "username": config.username, "password": config.password}
            ),
            "TAP_ORACLE_WMS_ENTITIES": json.dumps(list(ENTITIES)),
            "TARGET_WAREHOUSE_SQLALCHEMY_URL": warehouse.loader_url,
            "TARGET_WAREHOUSE_USERNAME": warehouse.loader_username,
            "TARGET_WAREHOUSE_PASSWORD": warehouse.loader_password,
            "TARGET_WAREHOUSE_RUN_ID": run_id,
        }
    )
    if window is not None:
        env["TAP_ORACLE_WMS_START_DATE"] = window[0].isoformat()
        env["TAP_ORACLE_WMS_END_DATE"] = window[1].isoformat()
    if full_sync_id is not None:
        env["TARGET_WAREHOUSE_FULL_SYNC_ID"] = full_sync_id
    command = [
        str(MELTANO_EXECUTABLE),
        "run",
        "--no-install",
        "--full-refresh",  # the window alone decides what is read, never a stored bookmark
        "--no-state-update",
        f"--state-id-suffix={run_id}",
        "tap-oracle-wms",
        "target-warehouse",
    ]
    result = subprocess.run(
        command,
        cwd=MELTANO_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=MELTANO_TIMEOUT_SECONDS,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"meltano run {run_id} failed ({result.returncode}):\n{result.stderr[-6000:]}")


def complete_full_sync(warehouse: WarehouseTarget, sync_id: str, window_end: datetime) -> None:
    """What the full-sync DAG records once every partition of every stream succeeded."""
    completed_at = datetime.now(UTC)
    warehouse.execute(
        f"insert into {RAW_SCHEMA}.etl_full_sync_complete (sync_id, stream_name, window_end, completed_at) "
        "values (?, ?, ?, ?)",
        [(sync_id, stream, window_end, completed_at) for stream in ENTITIES],
    )


def dbt_build(warehouse: WarehouseTarget, artefacts: Path, extra_args: Sequence[str] = ()) -> str:
    """`dbt build` (models, data tests, unit tests) against the warehouse; fails on any error."""
    return run_dbt(["build", "--target", warehouse.dbt_target, *extra_args], artefacts, warehouse.dbt_env)

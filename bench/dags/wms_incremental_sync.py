"""Bench only: the product's incremental DAG with the Cosmos mode chosen by WMS_BENCH_COSMOS_MODE.

product (no change: WATCHER, one `dbt build` from .venvs/dbt, a task per model reporting after it),
local (the product before WATCHER: LOCAL + SUBPROCESS, one `dbt build` per model), dbt_runner (local
with dbt in-process) or watcher_dbt_runner (the product with dbt in-process). The dbt_runner modes
need dbt in the Airflow interpreter: run them from .venvs/bench-airflow-dbt (bench/envs/airflow-dbt).
With WMS_BENCH_LOAD_METHOD=dbt_ls the dbt graph is rendered by `dbt ls` instead of the manifest (the
parse-time comparison). Nothing else changes: same factory, same tasks, same selection.
"""

from __future__ import annotations

import os
from typing import Any

from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

from include.wms_pipeline import dbt as wms_dbt
from include.wms_pipeline import settings

_MODE = os.environ.get("WMS_BENCH_COSMOS_MODE", "product")
_LOCAL = _MODE in ("local", "dbt_runner")
_execution_config = wms_dbt.execution_config
_render_config = wms_dbt.render_config


def _bench_execution_config(paths: settings.Paths) -> Any:
    config = _execution_config(paths)
    if _LOCAL:
        config.execution_mode = ExecutionMode.LOCAL
    if _MODE in ("dbt_runner", "watcher_dbt_runner"):
        config.invocation_mode = InvocationMode.DBT_RUNNER
    return config


def _bench_render_config(select: list[str] | None = None) -> Any:
    config = _render_config(select)
    if _LOCAL:
        # One `dbt build` per model: its tests run right after it, and fail it.
        config.test_behavior = TestBehavior.BUILD
    if os.environ.get("WMS_BENCH_LOAD_METHOD") == "dbt_ls":
        config.load_method = LoadMode.DBT_LS
        if _MODE in ("product", "local"):
            # dbt is not in this interpreter: `dbt ls` runs from .venvs/dbt, as the tasks do.
            config.invocation_mode = InvocationMode.SUBPROCESS
            config.dbt_executable_path = str(settings.paths().dbt)
    return config


wms_dbt.execution_config = _bench_execution_config  # type: ignore[assignment]
wms_dbt.render_config = _bench_render_config  # type: ignore[assignment]
if _LOCAL:
    wms_dbt.report_after_the_build = lambda group: None  # type: ignore[assignment]

from dags.wms_incremental_sync import dag  # noqa: E402, F401

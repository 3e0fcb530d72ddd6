"""Bench only: the product's incremental DAG with the Cosmos mode chosen by WMS_BENCH_COSMOS_MODE.

subprocess (the product: LOCAL + SUBPROCESS from .venvs/dbt), dbt_runner (LOCAL, dbt in-process),
watcher (ExecutionMode.WATCHER: one `dbt build` producer, a sensor per model and per model's tests,
dbt in-process) or watcher_subprocess (the same, the producer running dbt from .venvs/dbt as the
product does). dbt_runner and watcher need dbt in the Airflow interpreter: run them from
.venvs/bench-airflow-dbt (bench/envs/airflow-dbt).
With WMS_BENCH_LOAD_METHOD=dbt_ls the dbt graph is rendered by `dbt ls` instead of the manifest (the
parse-time comparison). Nothing else changes: same factory, same tasks, same selection.
"""

from __future__ import annotations

import os
from typing import Any

from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

from include.wms_pipeline import dbt as wms_dbt
from include.wms_pipeline import settings

_MODE = os.environ.get("WMS_BENCH_COSMOS_MODE", "subprocess")
_execution_config = wms_dbt.execution_config
_render_config = wms_dbt.render_config


def _bench_execution_config(paths: settings.Paths) -> Any:
    config = _execution_config(paths)
    if _MODE == "dbt_runner":
        config.invocation_mode = InvocationMode.DBT_RUNNER
    elif _MODE in ("watcher", "watcher_subprocess"):
        config.execution_mode = ExecutionMode.WATCHER
        if _MODE == "watcher":
            config.invocation_mode = InvocationMode.DBT_RUNNER
    return config


def _bench_render_config(select: list[str] | None = None) -> Any:
    config = _render_config(select)
    if _MODE.startswith("watcher"):
        # The producer runs one `dbt build` (tests included); WATCHER has no per-model build task.
        config.test_behavior = TestBehavior.AFTER_EACH
    if os.environ.get("WMS_BENCH_LOAD_METHOD") == "dbt_ls":
        config.load_method = LoadMode.DBT_LS
        if _MODE == "subprocess":
            # dbt is not in this interpreter: `dbt ls` runs from .venvs/dbt, as the tasks do.
            config.invocation_mode = InvocationMode.SUBPROCESS
            config.dbt_executable_path = str(settings.paths().dbt)
    return config


wms_dbt.execution_config = _bench_execution_config  # type: ignore[assignment]
wms_dbt.render_config = _bench_render_config  # type: ignore[assignment]

from dags.wms_incremental_sync import dag  # noqa: E402, F401

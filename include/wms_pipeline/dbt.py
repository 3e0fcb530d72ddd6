"""The Cosmos configuration of the dbt project: manifest rendering, dbt from its own venv.

The profile is built from the warehouse's Airflow connection with Cosmos' profile mappings, so the
credentials never sit in a profiles.yml on the worker.
"""

from __future__ import annotations

from typing import Any

from cosmos import ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior, TestIndirectSelection
from cosmos.profiles import (
    DuckDBUserPasswordProfileMapping,
    OracleUserPasswordProfileMapping,
    PostgresUserPasswordProfileMapping,
)

from include.wms_pipeline import settings

DBT_PROFILE = "wms"


def profile_config(kind: str) -> ProfileConfig:
    """dbt profile for the warehouse kind, mapped from the `wms_warehouse` connection."""
    conn_id = settings.WAREHOUSE_CONN_ID
    schema = settings.dbt_schema()
    mapping: Any
    if kind == "duckdb":
        mapping = DuckDBUserPasswordProfileMapping(conn_id=conn_id, profile_args={"schema": schema})
    elif kind == "postgres":
        mapping = PostgresUserPasswordProfileMapping(conn_id=conn_id, profile_args={"schema": schema})
    elif kind == "oracle":
        mapping = OracleUserPasswordProfileMapping(
            conn_id=conn_id, profile_args={"schema": schema, "threads": 2}
        )
    else:
        raise ValueError(f"no dbt profile mapping for warehouse kind {kind!r}")
    return ProfileConfig(profile_name=DBT_PROFILE, target_name=kind, profile_mapping=mapping)


def project_config(paths: settings.Paths) -> ProjectConfig:
    config = ProjectConfig(
        dbt_project_path=paths.dbt_project,
        # No packages (no hub is reachable); never run `dbt deps` per task.
        install_dbt_deps=False,
    )
    # The manifest as a local Path, not the ObjectStoragePath that ProjectConfig(manifest_path=...)
    # makes of it: reading through that starts Airflow's hook-lineage collector, which loads every
    # plugin (Cosmos' own imports FastAPI) in each DAG parse and each task: 0.3 s of a 0.7 s parse.
    config.manifest_path = paths.dbt_manifest
    return config


def execution_config(paths: settings.Paths) -> ExecutionConfig:
    return ExecutionConfig(
        execution_mode=ExecutionMode.LOCAL,
        invocation_mode=InvocationMode.SUBPROCESS,
        dbt_executable_path=str(paths.dbt),
        # A model's build runs only the tests whose every parent is built by then; tests spanning
        # several models run in their own tasks, after all their parents (see render_config).
        test_indirect_selection=TestIndirectSelection.CAUTIOUS,
    )


def render_config(select: list[str] | None = None) -> RenderConfig:
    return RenderConfig(
        load_method=LoadMode.DBT_MANIFEST,
        select=select or [],
        # One `dbt build` per model: its tests run right after it, and fail it.
        test_behavior=TestBehavior.BUILD,
        should_detach_multiple_parents_tests=True,
        # OpenLineage has no Oracle adapter; load tasks declare their Assets by hand.
        emit_datasets=False,
    )

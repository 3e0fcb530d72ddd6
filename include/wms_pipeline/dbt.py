"""The Cosmos configuration of the dbt project: manifest rendering, dbt from its own venv.

The profile is built from the warehouse's Airflow connection with Cosmos' profile mappings, so the
credentials never sit in a profiles.yml on the worker.

Execution is Cosmos' WATCHER mode: one task (the producer) runs a single `dbt build` of the whole
selection, and every model and every model's tests keep a task of their own that reports what that
build did to it (a test on several models reports in each of its models' tests tasks). A `dbt build` per model paid dbt's start-up and
project load (~4 s on 2 cores) 34 times per run for under a second of SQL each (bench/NOTES.md).
When a model fails in the build, its task is where the failure shows, alerts and is retried: a
retried model task runs dbt for that model alone.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.sdk import TaskGroup
from airflow.task.trigger_rule import TriggerRule
from cosmos import ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import (
    PRODUCER_WATCHER_TASK_ID,
    ExecutionMode,
    InvocationMode,
    LoadMode,
    TestBehavior,
    TestIndirectSelection,
)
from cosmos.profiles import (
    DuckDBUserPasswordProfileMapping,
    OracleUserPasswordProfileMapping,
    PostgresUserPasswordProfileMapping,
)

from include.wms_pipeline import settings
from include.wms_pipeline.warehouse import oracle_db_name

DBT_PROFILE = "wms"


class OracleDbNameProfileMapping(OracleUserPasswordProfileMapping):  # type: ignore[misc]  # Cosmos ships no type information
    """Cosmos' Oracle mapping, with the profile's `database` taken from extra.database (the DB_NAME).

    Cosmos maps `database` to extra.service_name, but dbt-oracle caches relations under
    SYS_CONTEXT('userenv','DB_NAME') and matches them on `database`: where the names differ, every
    table and incremental model is created again from the second run and fails with ORA-00955
    (dbt-oracle issues #193, #90). Cosmos builds the profile only when a dbt task runs (the DAG renders
    from the manifest), so a connection without extra.database fails the dbt tasks with a message
    naming it, while both DAGs still parse.
    """

    airflow_param_mapping = {
        **OracleUserPasswordProfileMapping.airflow_param_mapping,
        "database": "extra.database",
    }

    @property
    def profile(self) -> dict[str, Any | None]:
        return {**super().profile, "database": oracle_db_name(self.conn)}


def profile_config(kind: str) -> ProfileConfig:
    """dbt profile for the warehouse kind, mapped from the dbt connection (settings.dbt_conn_id)."""
    conn_id = settings.dbt_conn_id()
    schema = settings.dbt_schema()
    mapping: Any
    if kind == "duckdb":
        mapping = DuckDBUserPasswordProfileMapping(conn_id=conn_id, profile_args={"schema": schema})
    elif kind == "postgres":
        mapping = PostgresUserPasswordProfileMapping(conn_id=conn_id, profile_args={"schema": schema})
    elif kind == "oracle":
        mapping = OracleDbNameProfileMapping(conn_id=conn_id, profile_args={"schema": schema, "threads": 2})
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
        execution_mode=ExecutionMode.WATCHER,
        invocation_mode=InvocationMode.SUBPROCESS,
        dbt_executable_path=str(paths.dbt),
        # A retried tests task runs only the tests whose every parent is selected: its model's own.
        test_indirect_selection=TestIndirectSelection.CAUTIOUS,
    )


def render_config(select: list[str] | None = None) -> RenderConfig:
    return RenderConfig(
        load_method=LoadMode.DBT_MANIFEST,
        select=select or [],
        # The producer's `dbt build` runs each model's tests right after it (a failing test skips
        # the models downstream); each model's tests report in their own task, after the model's.
        test_behavior=TestBehavior.AFTER_EACH,
        # A test on several models (relationships) reports in each parent's tests task. Detached,
        # Cosmos 1.15 gives it a task that never learns its result (it reports "not run", after a
        # deferral whose resumption a one-slot scheduler can race into a failure).
        should_detach_multiple_parents_tests=False,
        # OpenLineage has no Oracle adapter; load tasks declare their Assets by hand.
        emit_datasets=False,
    )


def producer_of(group: TaskGroup) -> Any:
    """The WATCHER group's producer: the task that runs the one `dbt build` of the stage."""
    [producer] = [task for task in group if task.task_id == f"{group.group_id}.{PRODUCER_WATCHER_TASK_ID}"]
    return producer


def report_after_the_build(group: TaskGroup) -> None:
    """Start the model tasks of a WATCHER task group only once its producer (the one `dbt build`) is done.

    Cosmos starts a task group's model tasks beside the producer, polling for its results. Where tasks
    run one at a time (`airflow dags test`, a scheduler with one free slot, the DuckDB one-writer
    pool) a model task picked before the producer would poll forever for a build that never starts.
    Run after it, each model task finds its result at once.

    The producer's retry does not run dbt again: Cosmos restores the first attempt's results and
    skips it. So the producer always gets one immediate retry (even where tasks get none), and the
    model tasks run when it is skipped (`none_failed`): a model that failed in the build fails in its
    own task, with its own alert, and on that task's retry dbt builds it alone. A model skipped
    because an upstream one failed is reported failed, not skipped, so it is retried the same way.
    """
    producer = producer_of(group)
    producer.retries = 1
    producer.retry_delay = timedelta(0)
    producer.retry_exponential_backoff = 0
    in_group = {task.task_id for task in group}
    for task in group:
        if task is producer or producer.task_id in task.upstream_task_ids:
            continue  # the producer's own bookkeeping task already follows it
        if not task.upstream_task_ids & in_group:
            producer >> task
            task.trigger_rule = TriggerRule.NONE_FAILED

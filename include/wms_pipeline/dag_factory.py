"""`build_sync_dag(config)`: the one factory both WMS sync DAGs come from.

The weekly full sync and the two-hourly incremental sync differ only by `SyncDagConfig`. Building a
DAG does no network or database work: connections and Variables are read by tasks at run time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from airflow.providers.common.sql.operators.sql import SQLCheckOperator
from airflow.sdk import DAG, CronDataIntervalTimetable, Param, chain
from cosmos import DbtTaskGroup

from include.wms_pipeline import dbt, settings
from include.wms_pipeline.alerts import failure_notifiers
from include.wms_pipeline.checks.specs import load_checks
from include.wms_pipeline.meltano import MeltanoRunOperator

OWNER = "wms-data-platform"
TAGS = frozenset({"wms", "oracle-wms", "meltano", "dbt", "full-sync", "incremental"})


@dataclass(frozen=True)
class SyncDagConfig:
    """Everything that distinguishes one sync DAG from the other."""

    dag_id: str
    display_name: str
    doc_md: str
    schedule: str
    schedule_env: str
    full_sync: bool
    tags: tuple[str, ...]
    entities: tuple[str, ...] = settings.ENTITIES_ALL
    lookback_minutes: int = 30
    dagrun_timeout: timedelta = timedelta(hours=2)
    retries: int = 3
    quarantine_threshold: int = 0
    start_date: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))

    def __post_init__(self) -> None:
        unknown = set(self.tags) - TAGS
        if unknown:
            raise ValueError(f"tags {sorted(unknown)} are not in the closed set {sorted(TAGS)}")
        if self.start_date.tzinfo is None:
            raise ValueError("start_date must be timezone-aware")

    def effective_schedule(self) -> str:
        """The cron schedule, overridable by an environment variable without editing code."""
        return os.environ.get(self.schedule_env, "").strip() or self.schedule


def _params() -> dict[str, Param]:
    return {
        "window_start": Param(
            None,
            type=["null", "string"],
            description="Manual runs: extract records changed from this instant (ISO-8601 with offset), "
            "e.g. for an initial load.",
        ),
        "window_end": Param(
            None,
            type=["null", "string"],
            description="Manual runs: extract up to this instant (exclusive). Defaults to the run's end.",
        ),
    }


def build_sync_dag(config: SyncDagConfig) -> DAG:
    """Wire extract-load → dbt → validations for one sync DAG."""
    paths = settings.paths()
    kind = settings.warehouse_kind()
    # DuckDB takes one writing process at a time: serialise every writer through a one-slot pool.
    writer_pool = settings.DUCKDB_WRITER_POOL if kind == "duckdb" else settings.WMS_API_POOL
    interval = timedelta(hours=2)
    default_args = {
        "owner": OWNER,
        # Local runs and tests set WMS_TASK_RETRIES=0 so that a failure surfaces at once.
        "retries": int(os.environ.get("WMS_TASK_RETRIES", config.retries)),
        "retry_delay": timedelta(minutes=2),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=30),
        "on_failure_callback": failure_notifiers(),
    }
    with DAG(
        dag_id=config.dag_id,
        dag_display_name=config.display_name,
        description=config.doc_md.strip().splitlines()[0].lstrip("# "),
        doc_md=config.doc_md,
        schedule=CronDataIntervalTimetable(config.effective_schedule(), timezone="UTC"),
        start_date=config.start_date,
        catchup=False,
        max_active_runs=1,
        dagrun_timeout=config.dagrun_timeout,
        default_args=default_args,
        tags=list(config.tags),
        params=_params(),
        render_template_as_native_obj=False,
    ) as dag:
        extract_load = [
            MeltanoRunOperator(
                task_id=f"extract_load_{entity}",
                entity=entity,
                state_id_suffix=f"{config.dag_id}.{entity}",
                lookback_minutes=config.lookback_minutes,
                default_span=interval,
                meltano_environment=os.environ.get("WMS_MELTANO_ENVIRONMENT", "prod"),
                full_sync=config.full_sync,
                quarantine_threshold=config.quarantine_threshold,
                paths=paths,
                pool=writer_pool,
                execution_timeout=config.dagrun_timeout,
            )
            for entity in config.entities
        ]
        transform = DbtTaskGroup(
            group_id="transform",
            project_config=dbt.project_config(paths),
            profile_config=dbt.profile_config(kind),
            execution_config=dbt.execution_config(paths),
            render_config=dbt.render_config(),
            operator_args={
                "full_refresh": config.full_sync,
                **({"pool": settings.DUCKDB_WRITER_POOL} if kind == "duckdb" else {}),
            },
            default_args=default_args,
        )
        checks = [
            SQLCheckOperator(
                task_id=spec.task_id,
                conn_id=settings.WAREHOUSE_CONN_ID,
                sql=spec.sql(),
                params=spec.params,
                doc_md=spec.description,
            )
            for spec in load_checks(settings.RAW_SCHEMA, config.quarantine_threshold)
        ]
        chain(extract_load, transform, checks)
    return dag

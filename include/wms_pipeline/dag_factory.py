"""`build_sync_dag(config)`: the one factory both WMS sync DAGs come from.

The weekly full sync and the two-hourly incremental sync differ only by `SyncDagConfig`. Building a
DAG does no network or database work: connections and Variables are read by tasks at run time.

    incremental: plan_window -> extract_load_<entity> ... -> extracts_done -> load checks
                 -> transform (dbt) -> model checks -> record_window_end -> check_loaded_windows_contiguous
    full sync:   plan_<entity> -> extract_load_<entity>[partitions] ... -> extracts_done -> load checks
                 -> finalize_full_sync -> transform (dbt, full refresh) -> model checks
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import (  # type: ignore[attr-defined]  # lazily exported names mypy cannot see
    DAG,
    AsyncCallback,
    CronDataIntervalTimetable,
    DeadlineAlert,
    DeadlineReference,
    Param,
    TriggerRule,
    Variable,
    chain,
    get_current_context,
    task,
)
from cosmos import DbtTaskGroup

from include.wms_pipeline import (
    assets,
    dbt,
    deletion_guard,
    deployment_checks,
    full_sync,
    load_evidence,
    loaded_windows,
    settings,
)
from include.wms_pipeline.alerts import dag_callbacks, task_callbacks
from include.wms_pipeline.checks.operator import WarehouseCheckOperator, WindowContiguityCheckOperator
from include.wms_pipeline.checks.specs import CheckSettings, CheckSpec, sync_checks
from include.wms_pipeline.meltano import PLAN_WINDOW_TASK, MeltanoRunOperator, planned_window, run_window
from include.wms_pipeline.slack import SlackWebhookMessage
from include.wms_pipeline.windows import CatchUpTooLong, covered_until

log = logging.getLogger(__name__)
OWNER = "wms-data-platform"
TAGS = frozenset({"wms", "oracle-wms", "meltano", "dbt", "full-sync", "incremental"})
INTERVAL = timedelta(hours=2)


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
    # Re-read this much before each incremental window: covers WMS commits up to 2 h after their
    # mod_ts (long transactions); chosen from the re-read cost in BENCHMARKS.md ("Incremental lookback").
    lookback_minutes: int = 120
    dagrun_timeout: timedelta = timedelta(hours=2)
    deadline: timedelta | None = None
    retries: int = 3
    quarantine_threshold: int = 0
    # Id partitions of one full sync, shared among the large entities by their record counts: about
    # three per slot of the oracle_wms_api pool, so the sync does not end on one long partition.
    full_sync_partitions: int = 12
    min_ids_per_partition: int = 200_000
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


def _params(config: SyncDagConfig) -> dict[str, Param]:
    return {
        "entities": Param(
            [],
            type="array",
            items={"type": "string", "enum": list(config.entities)},
            description="Manual runs: extract only these entities (empty = all).",
        ),
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
        "full_refresh": Param(
            config.full_sync,
            type="boolean",
            description="Rebuild every incremental dbt model from scratch.",
        ),
        load_evidence.CONFIRM_PARAM: Param(
            None,
            type=["null", "string"],
            maxLength=2000,
            description="Only after the oracle_wms connection was moved to another WMS on purpose: the "
            "new source exactly as the failed verify_wms_source task printed it ('<base URL> as <user>').",
        ),
        **(_deletion_params() if config.full_sync else {}),
    }


def _deletion_params() -> dict[str, Param]:
    """The full sync's deletion guard (docs/runbook.md, "A full sync is held")."""
    return {
        "confirm_deletions": Param(
            False,
            type="boolean",
            description="Full sync held by the deletion guard: after checking that the records are really "
            "gone from the WMS, run the full sync again with this set to record it complete, so the "
            "deletions are marked. Leave off otherwise.",
        ),
        "deletion_max_percent": Param(
            None,
            type=["null", "number"],
            minimum=0,
            maximum=100,
            description="This run only: hold the sync for an entity when it would mark more than this % of "
            "its live records deleted (empty = the wms_deletion_guard Variable, else 2).",
        ),
        "deletion_min_records": Param(
            None,
            type=["null", "integer"],
            minimum=0,
            description="This run only: ... and more than this many records (empty = the "
            "wms_deletion_guard Variable, else 100).",
        ),
    }


def _deadline_alert(minutes: timedelta) -> DeadlineAlert:
    text = (
        ":hourglass: *WMS sync is late*: `{{ dag_run.dag_id }}` run `{{ dag_run.run_id }}` is not done "
        f"{int(minutes.total_seconds() // 60)} minutes after it was queued. Runbook: docs/runbook.md"
    )
    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=minutes,
        callback=AsyncCallback(
            SlackWebhookMessage, kwargs={"slack_webhook_conn_id": settings.SLACK_CONN_ID, "text": text}
        ),
    )


def _with_runbook(doc_md: str) -> str:
    """The DAG's doc followed by the on-call runbook, so the UI's Docs panel is where on-call reads it.

    docs/ ships in the image (see .dockerignore); without it the doc still names the runbook's path.
    """
    runbook = Path(__file__).resolve().parents[2] / "docs" / "runbook.md"
    try:
        return f"{doc_md.rstrip()}\n\n---\n\n{runbook.read_text()}"
    except OSError:
        return doc_md


def _selected(entities: tuple[str, ...]) -> list[str]:
    chosen = (get_current_context().get("params") or {}).get("entities") or []
    return [entity for entity in entities if not chosen or entity in chosen]


def check_settings(config: SyncDagConfig, kind: str) -> CheckSettings:
    """What the DAG's checks are built from: deployment settings and the DAG's definition only."""
    return CheckSettings(
        settings.RAW_SCHEMA, settings.dbt_schema(), kind, config.entities, config.quarantine_threshold
    )


def _check(
    spec: CheckSpec, cfg: CheckSettings, *, full_sync: bool, warehouse_args: dict[str, Any]
) -> WarehouseCheckOperator:
    return WarehouseCheckOperator(
        spec=spec,
        check_settings=cfg,
        full_sync=full_sync,
        # The checks read the raw and the model schemas: dbt's connection can read both.
        conn_id=settings.dbt_conn_id(),
        doc_md=spec.description,
        **warehouse_args,
    )


def build_sync_dag(config: SyncDagConfig) -> DAG:
    """Wire extract-load → checks → dbt → checks for one sync DAG."""
    paths = settings.paths()
    kind = settings.warehouse_kind()
    # DuckDB takes one writing process at a time: serialise every writer through a one-slot pool.
    writer_pool = settings.DUCKDB_WRITER_POOL if kind == "duckdb" else settings.WMS_API_POOL
    # Every other task that opens the warehouse (checks, finalize, dbt): on DuckDB, even a reader
    # cannot open the file while another process writes it, so they take the same pool. Elsewhere
    # they (and the dbt build, below) take the one-slot transform pool: backfill runs do not count
    # toward max_active_runs, and two runs must not merge into the same incremental models at once.
    warehouse_args: dict[str, Any] = {
        "pool": settings.DUCKDB_WRITER_POOL if kind == "duckdb" else settings.TRANSFORM_POOL
    }
    default_args: dict[str, Any] = {
        "owner": OWNER,
        # Local runs and tests set WMS_TASK_RETRIES=0 so that a failure surfaces at once.
        "retries": settings.int_setting("WMS_TASK_RETRIES", config.retries, minimum=0),
        "retry_delay": timedelta(
            seconds=settings.int_setting("WMS_TASK_RETRY_DELAY_SECONDS", 120, minimum=0)
        ),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=30),
        # Tasks only record their error; the DAG's callbacks send one alert per run (alerts.py).
        **task_callbacks(),
    }
    min_ids = settings.int_setting("WMS_MIN_IDS_PER_PARTITION", config.min_ids_per_partition, minimum=1)
    total_partitions = settings.int_setting(
        "WMS_FULL_SYNC_PARTITIONS", config.full_sync_partitions, minimum=1
    )
    # WMS_DEADLINE_MINUTES overrides the deadline; 0 turns it off, which the local runner does for
    # `airflow dags test` (Airflow 3.3.2's dags test fails on DAG-level deadlines when a run finishes).
    deadline_minutes = os.environ.get("WMS_DEADLINE_MINUTES", "").strip()
    deadline = timedelta(minutes=int(deadline_minutes)) if deadline_minutes else config.deadline
    checked = check_settings(config, kind)
    checks = sync_checks(checked, full_sync=config.full_sync)
    with DAG(
        dag_id=config.dag_id,
        dag_display_name=config.display_name,
        description=config.doc_md.strip().splitlines()[0].lstrip("# "),
        doc_md=_with_runbook(config.doc_md),
        schedule=CronDataIntervalTimetable(config.effective_schedule(), timezone="UTC"),
        start_date=config.start_date,
        catchup=False,
        max_active_runs=1,
        dagrun_timeout=config.dagrun_timeout,
        deadline=_deadline_alert(deadline) if deadline else None,
        default_args=default_args,
        **dag_callbacks(),
        tags=list(config.tags),
        params=_params(config),
    ) as dag:
        extract_args: dict[str, Any] = {
            "lookback_minutes": config.lookback_minutes,
            "default_span": INTERVAL,
            "meltano_environment": os.environ.get("WMS_MELTANO_ENVIRONMENT", "prod"),
            "full_sync": config.full_sync,
            "quarantine_threshold": config.quarantine_threshold,
            "paths": paths,
            "pool": writer_pool,
            "execution_timeout": config.dagrun_timeout,
        }
        extract_load: list[Any] = []
        sharing = tuple(e for e in config.entities if e in settings.PARTITIONED_ENTITIES)
        for entity in config.entities:
            common = {
                "task_id": f"extract_load_{entity}",
                "entity": entity,
                "state_id_suffix": f"{config.dag_id}.{entity}",
                "outlets": [assets.raw_table(entity, kind)],
                **extract_args,
            }
            if config.full_sync:
                if entity in sharing:
                    plan = _plan_task(entity, sharing, total_partitions, min_ids)
                else:
                    plan = _plan_task(entity, (entity,), 1, min_ids)
                extract_load.append(MeltanoRunOperator.partial(**common).expand(partition=plan))
            else:
                extract_load.append(MeltanoRunOperator(**common))

        extracts_done = EmptyOperator(task_id="extracts_done", trigger_rule=TriggerRule.NONE_FAILED)
        check_args: dict[str, Any] = {"full_sync": config.full_sync, "warehouse_args": warehouse_args}
        load_checks = [_check(spec, checked, **check_args) for spec in checks if spec.after == "load"]
        model_checks = [_check(spec, checked, **check_args) for spec in checks if spec.after == "transform"]
        transform = DbtTaskGroup(
            group_id="transform",
            project_config=dbt.project_config(paths),
            profile_config=dbt.profile_config(kind),
            execution_config=dbt.execution_config(paths),
            render_config=dbt.render_config(),
            operator_args={
                "full_refresh": True if config.full_sync else "{{ params.full_refresh }}",
                **(warehouse_args if kind == "duckdb" else {}),
            },
            default_args=default_args,
        )
        dbt.report_after_the_build(transform)
        if kind != "duckdb":
            # The one `dbt build` of the stage takes the one-slot transform pool: two runs never build
            # at once. The model tasks only report its results; they run dbt themselves only after a
            # retry or a cleared run (Cosmos skips the producer then), and pooling them too would make
            # such a run's models build one by one (the backfill test's reprocessing went 1.5 -> 4 min
            # per run): that fallback is not serialised across runs (docs/runbook.md).
            dbt.producer_of(transform).pool = settings.TRANSFORM_POOL
        chain(extract_load, extracts_done, load_checks)
        if config.full_sync:
            # Deletion marks only for records older than the cut-off minus at least the incremental
            # lookback (WMS_DELETION_MARGIN_MINUTES may widen it).
            margin = timedelta(
                minutes=settings.int_setting(
                    "WMS_DELETION_MARGIN_MINUTES", config.lookback_minutes, minimum=config.lookback_minutes
                )
            )
            finalize = _finalize_task(config.entities, margin, warehouse_args)
            chain(load_checks, finalize, transform, model_checks)
        else:
            max_catch_up = timedelta(
                hours=settings.int_setting(
                    "WMS_MAX_CATCH_UP_HOURS", settings.MAX_CATCH_UP_HOURS_DEFAULT, minimum=1
                )
            )
            chain(_plan_window_task(config, checked, max_catch_up, warehouse_args), extract_load)
            contiguous = WindowContiguityCheckOperator(
                task_id="check_loaded_windows_contiguous",
                check_settings=checked,
                conn_id=settings.dbt_conn_id(),
                doc_md=WindowContiguityCheckOperator.__doc__,
                **warehouse_args,
            )
            chain(
                load_checks, transform, model_checks, _record_window_task(config, warehouse_args), contiguous
            )
        loading = list(dag.roots)  # the plan tasks: plan_window (incremental) or plan_<entity> (full sync)
        _guard_task(config, warehouse_args) >> loading
    deployment_checks.run_first(dag)  # the deployment's Variables, before any other task
    return dag


def _plan_task(entity: str, sharing: tuple[str, ...], total_partitions: int, min_ids: int) -> Any:
    @task(task_id=f"plan_{entity}", pool=settings.WMS_API_POOL)
    def plan() -> list[dict[str, int]]:
        """Ask the WMS for the id range and count; split the entity into its share of the sync's
        partitions, by the record counts of every large entity in the run.

        Returns the partitions (the extract task maps over them); the WMS count goes to XCom key
        `wms_count` for the full sync's count check.
        """
        from airflow.sdk.exceptions import AirflowSkipException

        if entity not in _selected((entity,)):
            raise AirflowSkipException(f"{entity} is not among the entities selected for this run")
        planned = full_sync.plan_partitions(
            entity, sharing=_selected(sharing), total_partitions=total_partitions, min_ids=min_ids
        )
        ti = get_current_context()["ti"]
        ti.xcom_push(key="wms_count", value=planned["wms_count"])
        ti.xcom_push(key="planned_at", value=planned["planned_at"])
        partitions: list[dict[str, int]] = planned["partitions"]
        return partitions

    return plan()


def _guard_task(config: SyncDagConfig, warehouse_args: dict[str, Any]) -> Any:
    @task(task_id="verify_wms_source", retries=0, **warehouse_args)
    def guard() -> str:
        """Before loading: the WMS is the one the warehouse last loaded from (or `confirm_wms_source`
        names the new one); a full sync is not backfilled, and forgets what an earlier attempt saw."""
        from airflow.sdk.exceptions import AirflowFailException

        context = get_current_context()
        try:
            return load_evidence.guard_run(
                context, full_sync=config.full_sync, selected=_selected(config.entities)
            )
        except load_evidence.OperatorActionRefused as refused:
            raise AirflowFailException(str(refused)) from None

    return guard()


def _finalize_task(entities: tuple[str, ...], margin: timedelta, warehouse_args: dict[str, Any]) -> Any:
    @task(task_id="finalize_full_sync", **warehouse_args)
    def finalize() -> list[str]:
        """Declare the full sync complete for every selected entity whose deletion marks are believable
        (the deletion guard, include/wms_pipeline/deletion_guard.py); hold the others.

        Runs only when no extract task failed (trigger rule all_success on its upstream checks).
        Returns the entities recorded complete; held ones fail `check_full_sync_deletions_plausible`.
        Whatever the task states say, nothing is recorded unless the warehouse holds a committed load of
        every planned partition, all from the current WMS, and no newer full sync is complete
        (load_evidence.py).
        """
        from airflow.sdk.exceptions import AirflowFailException

        context = get_current_context()
        params = context.get("params") or {}
        selected = _selected(entities)
        window_end = run_window(context, INTERVAL, full_sync=True).end
        planned = [
            datetime.fromisoformat(value)
            for entity in selected
            if (value := context["ti"].xcom_pull(task_ids=f"plan_{entity}", key="planned_at"))
        ]
        cutoff = full_sync.deletion_cutoff(window_end, min(planned, default=None), margin)
        source = load_evidence.current_source()
        try:
            load_evidence.verify_before_complete(
                load_evidence.Warehouse(),
                dag_id=context["dag"].dag_id,
                sync_id=context["run_id"],
                window_end=cutoff,  # etl_full_sync_complete.window_end holds each sync's cut-off
                planned=load_evidence.planned_partitions(context, selected),
                source=source,
            )
        except load_evidence.OperatorActionRefused as refused:
            raise AirflowFailException(str(refused)) from None
        limits = deletion_guard.thresholds(
            selected,
            Variable.get(deletion_guard.GUARD_VARIABLE, default=None),
            params.get("deletion_max_percent"),
            params.get("deletion_min_records"),
        )
        purge_days = deletion_guard.purge_horizons(
            selected, Variable.get(deletion_guard.PURGE_VARIABLE, default=None)
        )
        scope = full_sync.sync_scope(entities)
        decisions = full_sync.decide(
            context["run_id"],
            selected,
            cutoff,
            limits,
            purge_days,
            scope,
            confirm=bool(params.get("confirm_deletions")),
        )
        complete = [d.entity for d in decisions if d.status != "held"]
        if complete:
            full_sync.record_complete(context["run_id"], complete, cutoff, source)
        return complete

    return finalize()


def _plan_window_task(
    config: SyncDagConfig, checked: CheckSettings, max_catch_up: timedelta, warehouse_args: dict[str, Any]
) -> Any:
    @task(task_id=PLAN_WINDOW_TASK, **warehouse_args)
    def plan() -> dict[str, str]:
        """Choose this run's window once, for every task of the run: its data interval, started earlier
        where the time loaded without a gap ends (the warehouse's etl_loaded_windows since the last
        complete full sync) when this is a scheduled run, within WMS_MAX_CATCH_UP_HOURS."""
        from airflow.sdk.exceptions import AirflowFailException

        context = get_current_context()
        selected = CheckSettings(
            checked.raw_schema,
            checked.marts_schema,
            checked.warehouse_kind,
            tuple(_selected(config.entities)),
        )
        loaded = loaded_windows.read(selected)
        until = covered_until(loaded.windows, loaded.full_sync_ends, selected.entities)
        try:
            window = run_window(
                context, INTERVAL, full_sync=False, covered_until=until, max_catch_up=max_catch_up
            )
        except CatchUpTooLong as exc:
            raise AirflowFailException(str(exc)) from None  # retrying would not shorten the gap
        assert window.start is not None
        interval_start = context.get("data_interval_start")
        if interval_start is not None and window.start < interval_start:
            log.warning(
                "Catching up: the time loaded without a gap ends at %s, before this run's interval start %s",
                window.start.isoformat(),
                interval_start.isoformat(),
            )
        log.info("Window [%s, %s)", window.start.isoformat(), window.end.isoformat())
        return {"start": window.start.isoformat(), "end": window.end.isoformat()}

    return plan()


def _record_window_task(config: SyncDagConfig, warehouse_args: dict[str, Any]) -> Any:
    @task(task_id="record_window_end", **warehouse_args)
    def record() -> str:
        """Record in the warehouse (etl_loaded_windows) that this run's window was loaded, for each
        selected stream, once the model checks passed: the next runs continue from there."""
        context = get_current_context()
        window = planned_window(context)
        loaded_windows.record(str(context["run_id"]), _selected(config.entities), window)
        return window.end.isoformat()

    return record()

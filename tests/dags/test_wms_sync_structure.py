"""The two sync DAGs: same shape, different configuration."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pendulum
import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import CronDataIntervalTimetable
from airflow.task.trigger_rule import TriggerRule

from include.wms_pipeline.alerts import EmailRunNotifier, SlackRunNotifier, record_task_failure
from include.wms_pipeline.meltano import MeltanoRunOperator
from include.wms_pipeline.settings import DUCKDB_WRITER_POOL, ENTITIES_ALL, PARTITIONED_ENTITIES, paths

LOAD_CHECKS = {
    "check_tap_read_matches_audit",
    "check_load_audit_reconciles",
    "check_quarantine_within_threshold",
    "check_raw_history_is_fresh",
}
MODEL_CHECKS = {"check_current_state_keys_unique", "check_referential_integrity"}
DAG_IDS = ["wms_incremental_sync", "wms_full_sync"]
# What the checks once took from params, and keys no DAG declares.
HOSTILE_CONF_KEYS = (
    "raw_schema",
    "marts_schema",
    "timestamp_literal",
    "quarantine_threshold",
    "freshness_hours",
    "count_tolerance_abs",
    "count_tolerance_ratio",
    "orphan_tolerance_ratio",
    "schema",
    "sql",
)
PRODUCER = "transform.dbt_producer_watcher"


def _extracts(dag: object) -> dict[str, object]:
    return {task.task_id: task for task in dag.tasks if task.task_id.startswith("extract_load_")}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("dag_id", "cron"), [("wms_incremental_sync", "0 */2 * * *"), ("wms_full_sync", "0 3 * * 0")]
)
def test_schedule_is_a_cron_data_interval(dag_bag: DagBag, dag_id: str, cron: str) -> None:
    dag = dag_bag.dags[dag_id]
    assert isinstance(dag.timetable, CronDataIntervalTimetable)
    assert dag.timetable.expression == cron


@pytest.mark.parametrize("dag_id", DAG_IDS)
def test_extract_load_then_load_checks_then_transform_then_model_checks(dag_bag: DagBag, dag_id: str) -> None:
    dag = dag_bag.dags[dag_id]
    extracts = _extracts(dag)
    assert set(extracts) == {f"extract_load_{entity}" for entity in ENTITIES_ALL}
    assert dag.get_task("extracts_done").upstream_task_ids == set(extracts)
    for check in LOAD_CHECKS:
        assert dag.get_task(check).upstream_task_ids == {"extracts_done"}
    transform = {task.task_id for task in dag.tasks if task.task_id.startswith("transform.")}
    roots = {t for t in transform if not dag.get_task(t).upstream_task_ids & transform}
    gate = {"finalize_full_sync"} if dag_id == "wms_full_sync" else LOAD_CHECKS
    for root in roots:
        assert dag.get_task(root).upstream_task_ids == gate
    leaves = {t for t in transform if not dag.get_task(t).downstream_task_ids & transform}
    for check in MODEL_CHECKS:
        assert dag.get_task(check).upstream_task_ids == leaves


def test_full_sync_plans_partitions_and_declares_completion_only_after_every_load_check(
    dag_bag: DagBag,
) -> None:
    dag = dag_bag.dags["wms_full_sync"]
    for entity in ENTITIES_ALL:
        extract = dag.get_task(f"extract_load_{entity}")
        assert extract.upstream_task_ids == {f"plan_{entity}"}
        assert hasattr(extract, "expand_input"), f"{entity} extracts are mapped over id partitions"
    assert dag.get_task("finalize_full_sync").upstream_task_ids == LOAD_CHECKS | {
        "check_full_sync_counts_match_wms"
    }
    assert set(PARTITIONED_ENTITIES) <= set(ENTITIES_ALL)
    assert dag.params["full_refresh"] is True


def test_incremental_records_its_window_last_and_has_a_deadline(dag_bag: DagBag) -> None:
    dag = dag_bag.dags["wms_incremental_sync"]
    assert dag.get_task("record_window_end").upstream_task_ids == MODEL_CHECKS
    assert dag.get_task("check_loaded_windows_contiguous").upstream_task_ids == {"record_window_end"}
    deadlines = dag.deadline if isinstance(dag.deadline, list) else [dag.deadline]
    assert [alert.interval for alert in deadlines] == [timedelta(minutes=90)]
    # The triggerer imports the callback by this path and awaits it (tests/include/test_slack.py).
    assert [alert.callback.path for alert in deadlines] == ["include.wms_pipeline.slack.SlackWebhookMessage"]
    assert dag.params["full_refresh"] is False
    assert dag.params["entities"] == []


@pytest.mark.parametrize("dag_id", DAG_IDS)
def test_transform_is_one_dbt_build_and_a_task_per_model_reporting_after_it(
    dag_bag: DagBag, dag_id: str
) -> None:
    dag = dag_bag.dags[dag_id]
    transform = [task for task in dag.tasks if task.task_id.startswith("transform.")]
    producer = dag.get_task(PRODUCER)
    assert producer.base_cmd == ["build"]  # type: ignore[attr-defined]
    reporters = [t for t in transform if t is not producer and not isinstance(t, EmptyOperator)]
    assert {t.producer_task_id for t in reporters} == {PRODUCER}  # type: ignore[attr-defined]
    manifest = json.loads(paths().dbt_manifest.read_text())
    models = {node["name"] for node in manifest["nodes"].values() if node["resource_type"] == "model"}
    assert {t.task_id for t in reporters} >= {f"transform.{model}.run" for model in models}
    for task in reporters:
        assert PRODUCER in task.get_flat_relative_ids(upstream=True), task.task_id
    # Every data test reports through its models' tests tasks, from the build's own results: a task
    # of its own (Cosmos' detached tests) would never learn them.
    tests = {uid for uid, node in manifest["nodes"].items() if node["resource_type"] == "test"}
    reported = {test for of_model in producer.tests_per_model.values() for test in of_model}  # type: ignore[attr-defined]
    assert reported == tests
    assert not [t.task_id for t in reporters if t.task_id.endswith("_test")]
    first = [t for t in reporters if PRODUCER in t.upstream_task_ids]
    assert first
    assert {t.trigger_rule for t in first} == {TriggerRule.NONE_FAILED}
    # Its retry only hands the first attempt's results over to the model tasks: at once, whatever
    # the DAG's retries.
    assert (producer.retries, producer.retry_delay.total_seconds()) == (1, 0)


@pytest.mark.parametrize("dag_id", DAG_IDS)
def test_tasks_only_record_their_error_and_the_dag_alerts_once_per_run(dag_bag: DagBag, dag_id: str) -> None:
    """A failed task sends nothing itself (one bad credential would otherwise alert once per task):
    it records its first error line; the DAG's callbacks send one message per channel per run."""
    dag = dag_bag.dags[dag_id]
    for task in dag.tasks:
        assert record_task_failure in task.on_failure_callback, task.task_id
        senders = [c for c in task.on_failure_callback if isinstance(c, SlackRunNotifier | EmailRunNotifier)]
        assert senders == [], task.task_id
    for callbacks, outcome in ((dag.on_failure_callback, "failed"), (dag.on_success_callback, "recovered")):
        assert {(type(c), c.outcome) for c in callbacks} == {
            (SlackRunNotifier, outcome),
            (EmailRunNotifier, outcome),
        }


@pytest.mark.parametrize("dag_id", DAG_IDS)
def test_load_tasks_declare_their_raw_table_as_an_asset(dag_bag: DagBag, dag_id: str) -> None:
    for task_id, task in _extracts(dag_bag.dags[dag_id]).items():
        entity = task_id.removeprefix("extract_load_")
        assert [asset.name for asset in task.outlets] == [f"wms_raw.{entity}"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("dag_id", DAG_IDS)
def test_every_task_opening_duckdb_is_serialised_through_one_pool(dag_bag: DagBag, dag_id: str) -> None:
    """The suite runs with the default warehouse kind, DuckDB: one process opens the file at a time,
    across both DAGs (a reader cannot open it while another process writes)."""
    dag = dag_bag.dags[dag_id]
    opening = [
        t
        for t in dag.tasks
        if isinstance(t, MeltanoRunOperator)
        or (t.task_id.startswith(("transform.", "check_")) and not isinstance(t, EmptyOperator))
        or t.task_id == "finalize_full_sync"
    ]
    assert len(opening) > len(ENTITIES_ALL)
    assert {task.task_id: task.pool for task in opening} == dict.fromkeys(
        [task.task_id for task in opening], DUCKDB_WRITER_POOL
    )


@pytest.mark.parametrize("full_sync", [False, True])
def test_on_postgres_dbt_and_the_checks_run_one_at_a_time_across_runs(
    full_sync: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Backfill runs do not count toward max_active_runs (Airflow 3.3's scheduler counts active runs
    with exclude_backfill=True): the one-slot pool keeps two runs from merging into the same models."""
    from include.wms_pipeline.dag_factory import SyncDagConfig, build_sync_dag
    from include.wms_pipeline.deployment_checks import required_pools

    monkeypatch.setenv("WMS_WAREHOUSE_KIND", "postgres")
    dag = build_sync_dag(
        SyncDagConfig(
            dag_id="wms_pool_probe",
            display_name="pool probe",
            doc_md="# pool probe",
            schedule="0 3 * * 0",
            schedule_env="WMS_POOL_PROBE_SCHEDULE",
            full_sync=full_sync,
            tags=("wms",),
        )
    )
    serialised = [
        t
        for t in dag.tasks
        if (t.task_id.startswith("check_") and not isinstance(t, EmptyOperator))
        or t.task_id in {"finalize_full_sync", "verify_wms_source", "transform.dbt_producer_watcher"}
    ]
    assert "transform.dbt_producer_watcher" in {t.task_id for t in serialised}  # the one dbt build
    assert {t.task_id: t.pool for t in serialised} == dict.fromkeys(
        [t.task_id for t in serialised], "wms_transform"
    )
    # The model tasks report the build's results (and run dbt alone only after a retry): not pooled.
    models = [t for t in dag.tasks if t.task_id.startswith("transform.") and t not in serialised]
    assert models
    assert {t.pool for t in models} == {"default_pool"}
    assert {pool.name: pool.slots for pool in required_pools("postgres")}["wms_transform"] == 1


def test_meltano_exit_codes_never_skip_a_task(dag_bag: DagBag) -> None:
    for task in _extracts(dag_bag.dags["wms_incremental_sync"]).values():
        assert task.skip_on_exit_code == []  # type: ignore[attr-defined]


class _PushedXComs:
    """xcom_pull as a run's check sees it: every extract task pushed one load, every plan a count."""

    def __init__(self, dag_id: str) -> None:
        self.dag_id = dag_id

    def xcom_pull(self, task_ids: str, key: str = "return_value") -> Any:
        if key == "wms_count":
            return 5
        entity = task_ids.removeprefix("extract_load_")
        return {"entity": entity, "records_read": 5, "load_run_id": f"{self.dag_id}/run/{entity}/try1"}


class _CommittedLoads:
    """The warehouse as a check sees it: every entity of the run has one committed load."""

    def __init__(self, conn_id: str = "") -> None:
        self.conn_id = conn_id

    def has_table(self, name: str) -> bool:
        return True

    def committed_loads(self, dag_id: str, run_id: str) -> list[tuple[str, str, int]]:
        return [(f"{dag_id}/{run_id}/{entity}/try1", entity, 5) for entity in ENTITIES_ALL]


def _statement_sent(task: Any, context: dict[str, Any]) -> tuple[str, list[Any]]:
    """What the check task hands its database driver in this context: the templates rendered as
    Airflow renders them before `execute`, then the statement with its bind values."""
    task.render_template_fields(context)
    if hasattr(task, "statement"):
        statement = task.statement(context)
        return statement.sql, list(statement.binds)
    return str(task.sql), list(task.parameters or [])


@pytest.mark.parametrize("dag_id", DAG_IDS)
def test_a_manual_runs_conf_cannot_reach_the_checks_sql(
    dag_bag: DagBag, dag_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Airflow merges a run's conf into every task's params (`[core] dag_run_conf_overrides_params`,
    on by default), undeclared keys included. Whatever a hostile conf carries — the checks' former
    parameters, or new keys — no part of it reaches the SQL text or the bind values of any check."""
    from airflow.sdk.definitions.param import process_params

    from include.wms_pipeline import load_evidence

    monkeypatch.setattr(load_evidence, "Warehouse", _CommittedLoads)

    dag = dag_bag.dags[dag_id]
    checks = [task for task in dag.tasks if task.task_id.startswith("check_")]
    assert checks
    payload = (
        "wms_raw.order_hdr; create table wms_raw.injected_by_conf as select 42 as x; select 1 from dual --"
    )
    hostile_conf = dict.fromkeys(HOSTILE_CONF_KEYS, payload) | {"checked_entities": [payload]}
    end = pendulum.datetime(2026, 1, 5, 6, tz="UTC")
    for task in checks:
        params = process_params(dag, task, hostile_conf, suppress_exception=False)
        assert params["raw_schema"] == payload, "Airflow merged the conf into the task's params"
        context: dict[str, Any] = {
            "params": params,
            "ti": _PushedXComs(dag_id),
            "run_id": "manual__2026-01-05T06:00:00+00:00",
            "dag": dag,
            "dag_run": SimpleNamespace(run_after=end, conf=hostile_conf),
            "data_interval_end": end,
        }
        sql, binds = _statement_sent(copy.deepcopy(task), context)
        assert "injected_by_conf" not in sql, task.task_id
        assert [value for value in binds if "injected_by_conf" in str(value)] == [], task.task_id


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("entities", ["order_hdr; drop table wms_raw.order_hdr"]),
        ("entities", "order_hdr' union select 1 --"),
        ("full_refresh", "true; rm -rf /"),
    ],
)
@pytest.mark.parametrize("dag_id", DAG_IDS)
def test_a_hostile_value_for_a_declared_run_param_fails_naming_it(
    dag_bag: DagBag, dag_id: str, param: str, value: Any
) -> None:
    """The params a run may set are typed: a value outside the type is refused before any task runs
    (the API and the Trigger form validate the same way; `window_*` are parsed by windows.py)."""
    from airflow.sdk.definitions.param import process_params
    from airflow.sdk.exceptions import ParamValidationError

    dag = dag_bag.dags[dag_id]
    task = next(task for task in dag.tasks if task.task_id.startswith("extract_load_"))
    with pytest.raises(ParamValidationError, match=param):
        process_params(dag, task, {param: value}, suppress_exception=False)


def test_incremental_plans_its_window_once_before_every_extract(dag_bag: DagBag) -> None:
    """Every extract task and the record task read the one window plan_window chose (XCom)."""
    dag = dag_bag.dags["wms_incremental_sync"]
    plan = dag.get_task("plan_window")
    # The WMS source is verified before anything is planned or read (load_evidence.guard_run).
    assert plan.upstream_task_ids == {"verify_wms_source"}
    assert dag.get_task("verify_wms_source").upstream_task_ids == {"deployment_ready"}
    for extract in _extracts(dag).values():
        assert extract.upstream_task_ids == {"plan_window"}
    assert "plan_window" not in {task.task_id for task in dag_bag.dags["wms_full_sync"].tasks}

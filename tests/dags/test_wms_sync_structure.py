"""The two sync DAGs: same shape, different configuration."""

from __future__ import annotations

import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.sdk import CronDataIntervalTimetable

from include.wms_pipeline.alerts import EmailFailureNotifier, SlackFailureNotifier
from include.wms_pipeline.meltano import MeltanoRunOperator
from include.wms_pipeline.settings import DUCKDB_WRITER_POOL, ENTITIES_ALL

CHECKS = {"check_load_audit_reconciles", "check_quarantine_within_threshold"}


@pytest.mark.parametrize(
    ("dag_id", "cron", "full_sync"),
    [("wms_incremental_sync", "0 */2 * * *", False), ("wms_full_sync", "0 3 * * 0", True)],
)
def test_schedule_is_a_cron_data_interval(dag_bag: DagBag, dag_id: str, cron: str, full_sync: bool) -> None:
    dag = dag_bag.dags[dag_id]
    assert isinstance(dag.timetable, CronDataIntervalTimetable)
    assert dag.timetable.expression == cron
    extracts = [task for task in dag.tasks if isinstance(task, MeltanoRunOperator)]
    assert {task.full_sync for task in extracts} == {full_sync}


@pytest.mark.parametrize("dag_id", ["wms_incremental_sync", "wms_full_sync"])
def test_extract_load_then_transform_then_checks(dag_bag: DagBag, dag_id: str) -> None:
    dag = dag_bag.dags[dag_id]
    extracts = {task.task_id: task for task in dag.tasks if isinstance(task, MeltanoRunOperator)}
    assert set(extracts) == {f"extract_load_{entity}" for entity in ENTITIES_ALL}
    transform = [task for task in dag.tasks if task.task_id.startswith("transform.")]
    assert transform, "the dbt project renders as a task group"
    roots = {
        task.task_id for task in transform if not task.upstream_task_ids & {t.task_id for t in transform}
    }
    for task_id in roots:
        assert set(extracts) <= dag.get_task(task_id).upstream_task_ids
    leaves = {
        task.task_id for task in transform if not task.downstream_task_ids & {t.task_id for t in transform}
    }
    for check in CHECKS:
        assert leaves <= dag.get_task(check).upstream_task_ids


@pytest.mark.parametrize("dag_id", ["wms_incremental_sync", "wms_full_sync"])
def test_every_task_alerts_by_slack_and_email(dag_bag: DagBag, dag_id: str) -> None:
    for task in dag_bag.dags[dag_id].tasks:
        kinds = {type(callback) for callback in task.on_failure_callback}
        assert kinds == {SlackFailureNotifier, EmailFailureNotifier}, task.task_id


def test_duckdb_writers_are_serialised_through_one_pool(dag_bag: DagBag) -> None:
    """The suite runs with the default warehouse kind, DuckDB: one writing process at a time."""
    dag = dag_bag.dags["wms_incremental_sync"]
    writers = [
        task
        for task in dag.tasks
        if isinstance(task, MeltanoRunOperator) or task.task_id.startswith("transform.")
    ]
    assert {task.pool for task in writers} == {DUCKDB_WRITER_POOL}


def test_extract_tasks_never_push_to_xcom(dag_bag: DagBag) -> None:
    for task in dag_bag.dags["wms_incremental_sync"].tasks:
        if isinstance(task, MeltanoRunOperator):
            assert task.do_xcom_push is False
            assert task.skip_on_exit_code == []

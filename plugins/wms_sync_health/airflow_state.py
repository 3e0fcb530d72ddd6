"""What the page reads from Airflow itself: the check tasks of each DAG's newest run.

The end of the last successful window is the warehouse's (etl_loaded_windows, read in report.py).
"""

from __future__ import annotations

from typing import Any

from .freshness import Schedule

INCREMENTAL_DAG_ID = "wms_incremental_sync"
FULL_SYNC_DAG_ID = "wms_full_sync"
DAG_IDS = (FULL_SYNC_DAG_ID, INCREMENTAL_DAG_ID)
CHECK_PREFIX = "check_"


def latest_validations(dag_ids: tuple[str, ...] = DAG_IDS) -> list[dict[str, Any]]:
    """The check tasks (`check_*`) of each DAG's newest run: state and end, newest run first."""
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    found: list[dict[str, Any]] = []
    with create_session() as session:
        for dag_id in dag_ids:
            run = session.scalars(
                select(DagRun).where(DagRun.dag_id == dag_id).order_by(DagRun.id.desc()).limit(1)
            ).first()
            if run is None:
                continue
            instances = session.scalars(
                select(TaskInstance)
                .where(
                    TaskInstance.dag_id == dag_id,
                    TaskInstance.run_id == run.run_id,
                    TaskInstance.task_id.startswith(CHECK_PREFIX),
                )
                .order_by(TaskInstance.task_id)
                .limit(100)
            ).all()
            found.extend(
                {
                    "dag_id": dag_id,
                    "run_id": run.run_id,
                    "task_id": ti.task_id,
                    "state": str(ti.state) if ti.state is not None else None,
                    "end_date": ti.end_date.isoformat() if ti.end_date else None,
                }
                for ti in instances
            )
    return found


def incremental_schedule(dag_id: str = INCREMENTAL_DAG_ID) -> Schedule | None:
    """The incremental DAG's timetable and dagrun_timeout as the scheduler has them (its serialized
    DAG), or None before the DAG was parsed; a deserialized DAG is reused while its hash is the same."""
    from airflow.models.serialized_dag import SerializedDagModel
    from airflow.utils.session import create_session

    with create_session() as session:
        row = SerializedDagModel.get(dag_id, session=session)
        if row is None:
            return None
        digest = str(row.dag_hash)
        cached = _SCHEDULES.get(dag_id)
        if cached is not None and cached[0] == digest:
            return cached[1]
        dag = row.dag
    if dag is None or dag.dagrun_timeout is None:
        return None
    schedule = Schedule(dag.timetable, dag.dagrun_timeout, str(dag.timetable.summary))
    _SCHEDULES[dag_id] = (digest, schedule)
    return schedule


_SCHEDULES: dict[str, tuple[str, Schedule]] = {}

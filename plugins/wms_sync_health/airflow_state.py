"""What the page reads from Airflow itself: the end of the last successful window, and the check tasks.

`last_window_end` is the one place that knows where that record lives (today the Variable that the
incremental DAG's `record_window_end` task writes); move it here if the record moves.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

INCREMENTAL_DAG_ID = "wms_incremental_sync"
FULL_SYNC_DAG_ID = "wms_full_sync"
DAG_IDS = (FULL_SYNC_DAG_ID, INCREMENTAL_DAG_ID)
CHECK_PREFIX = "check_"


def last_window_end(dag_id: str = INCREMENTAL_DAG_ID) -> datetime | None:
    """The end of `dag_id`'s last successful window, or None when no run has recorded one."""
    from airflow.models.variable import Variable

    from include.wms_pipeline.meltano import last_window_variable

    recorded = Variable.get(last_window_variable(dag_id), default_var=None)
    if not recorded:
        return None
    moment = datetime.fromisoformat(str(recorded))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


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

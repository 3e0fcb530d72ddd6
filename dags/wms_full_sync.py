"""# WMS full sync (weekly)

Reads every Oracle WMS record of every entity, loads the versions the warehouse does not have yet,
records which ids the WMS still has (so records deleted in the WMS are marked deleted downstream), and
rebuilds every dbt model with a full refresh, then validates. Built by the shared Airflow DAG factory
in `include/wms_pipeline`.

- **Window**: everything up to the data interval end (default schedule Sunday 03:00 UTC; override with
  the environment variable `WMS_FULL_SYNC_SCHEDULE`).
- **Safe to rerun**: loading is insert-if-absent on (`id`, `mod_ts`); an incomplete full sync never
  marks anything deleted.
- **On failure**: Slack and email alerts. What to do: the on-call runbook, `docs/runbook.md`.
"""

from __future__ import annotations

from datetime import timedelta

from include.wms_pipeline.dag_factory import SyncDagConfig, build_sync_dag

dag = build_sync_dag(
    SyncDagConfig(
        dag_id="wms_full_sync",
        display_name="WMS full sync (weekly)",
        doc_md=__doc__ or "",
        schedule="0 3 * * 0",
        schedule_env="WMS_FULL_SYNC_SCHEDULE",
        full_sync=True,
        tags=("wms", "oracle-wms", "full-sync"),
        dagrun_timeout=timedelta(hours=12),
    )
)

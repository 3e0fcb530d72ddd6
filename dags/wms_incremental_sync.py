"""# WMS incremental sync (every two hours)

Reads every Oracle WMS record changed in the run's data interval (widened by a lookback), loads each
version exactly once into the warehouse's raw history, rebuilds the dbt models incrementally and
validates the load. Built by the shared Airflow DAG factory in `include/wms_pipeline`.

- **Window**: the data interval `[start - lookback, end)`; manual runs without a logical date end at
  their `run_after`. Params `window_start` / `window_end` override it (e.g. an initial load).
- **Safe to rerun and backfill**: loading is insert-if-absent on (`id`, `mod_ts`).
- **Late**: a run not done 90 minutes after it was queued sends a Slack deadline alert.
- **On failure**: Slack and email alerts. What to do: the on-call runbook, `docs/runbook.md`.
"""

from __future__ import annotations

from datetime import timedelta

from include.wms_pipeline.dag_factory import SyncDagConfig, build_sync_dag

dag = build_sync_dag(
    SyncDagConfig(
        dag_id="wms_incremental_sync",
        display_name="WMS incremental sync (2-hourly)",
        doc_md=__doc__ or "",
        schedule="0 */2 * * *",
        schedule_env="WMS_INCREMENTAL_SYNC_SCHEDULE",
        full_sync=False,
        tags=("wms", "oracle-wms", "incremental"),
        deadline=timedelta(minutes=90),
    )
)

-- Records this run's successful loads could not load (kept in etl_quarantine with the reason) stay within the threshold.
select
    case when coalesce(sum(records_quarantined), 0) <= {{ params.quarantine_threshold | int }} then 1 else 0 end
        as quarantined_within_threshold
from {{ params.raw_schema }}.etl_load_audit
where {{ this_run_load_ids() }}

-- Every stream loaded by this run reconciles: what the loader received is what it inserted, found already
-- present, or quarantined. (A quiet window may leave no audit rows; tap_read_matches_audit covers that.)
select
    case
        when coalesce(sum(case
            when records_received = records_inserted + records_already_present + records_quarantined
            then 0 else 1 end), 0) = 0
        then 1 else 0
    end as every_stream_reconciles
from {{ params.raw_schema }}.etl_load_audit
where {{ this_run_load_ids() }}

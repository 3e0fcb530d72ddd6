-- Every stream of this run reconciles: what the loader received is what it inserted, found already
-- present, or quarantined. Fails (0) if the run left no audit row at all.
select
    case when count(*) > 0 then 1 else 0 end as audit_rows_exist,
    case
        when sum(case
            when records_received = records_inserted + records_already_present + records_quarantined
            then 0 else 1 end) = 0
        then 1 else 0
    end as every_stream_reconciles
from {{ params.raw_schema }}.etl_load_audit
where run_id like '{{ (dag.dag_id ~ "/" ~ run_id) | replace("'", "''") }}/%'

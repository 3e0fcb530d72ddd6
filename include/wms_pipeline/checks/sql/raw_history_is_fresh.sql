-- The newest order change in the raw history is recent: no more than the allowed hours before the
-- end of this run's window (a WMS that stopped changing, or a sync that stopped loading, shows here).
select
    case when max(mod_ts) >= {{ params.timestamp_literal }} '{{ (data_interval_end | default(dag_run.run_after)).subtract(hours=params.freshness_hours).strftime('%Y-%m-%d %H:%M:%S') }} UTC'
        then 1 else 0 end as order_changes_are_fresh
from {{ params.raw_schema }}.order_hdr

{#- Ids of `stream` gone from the WMS, per docs/architecture.md: the newest *completed* full sync of
    the stream did not see the id, and the record's newest mod_ts is older than that sync's deletion
    cut-off (etl_full_sync_complete.window_end: the sync's window end or plan time, whichever is
    earlier, minus at least the incremental lookback, so a record that committed late is never marked).
    A record whose newest mod_ts is also older than the sync's purge bound (etl_full_sync_decision.
    purge_before, set from the wms_purge_horizon_days Variable) was purged by the WMS's retention, not
    deleted: it gets purged_in_wms_at instead of deleted_at. A sync the deletion guard held is not
    complete, so it marks nothing. `current_relation` must hold one row per id with its newest mod_ts.
    The newest complete sync is the one with the latest cut-off (then the latest completion): an older
    sync recorded complete later never becomes the newest (issue 35).
    Returns record_id, deleted_at, purged_in_wms_at (one of the two is set; both are the completion
    time of the sync that noticed the absence). -#}
{% macro wms_full_sync_deletions(stream, current_relation) -%}
    select
        current_rows.id as record_id,
        case when newest_sync.purge_before is null or current_rows.mod_ts >= newest_sync.purge_before
            then {{ wms_to_utc('newest_sync.completed_at') }} end as deleted_at,
        case when current_rows.mod_ts < newest_sync.purge_before
            then {{ wms_to_utc('newest_sync.completed_at') }} end as purged_in_wms_at
    from {{ current_relation }} current_rows
    inner join (
        select
            completed.sync_id,
            completed.window_end,
            completed.completed_at,
            decision.purge_before
        from (
            select
                sync_complete.sync_id,
                sync_complete.window_end,
                sync_complete.completed_at,
                row_number() over (
                    order by sync_complete.window_end desc, sync_complete.completed_at desc,
                        sync_complete.sync_id desc
                ) as sync_rank
            from {{ source('oracle_wms', 'etl_full_sync_complete') }} sync_complete
            where sync_complete.stream_name = '{{ stream }}'
        ) completed
        left join {{ source('oracle_wms', 'etl_full_sync_decision') }} decision
            on decision.sync_id = completed.sync_id
            and decision.stream_name = '{{ stream }}'
        where completed.sync_rank = 1
    ) newest_sync
        on current_rows.mod_ts < newest_sync.window_end
    where not exists (
        select 1
        from {{ source('oracle_wms', 'etl_full_sync_seen') }} seen
        where seen.sync_id = newest_sync.sync_id
            and seen.stream_name = '{{ stream }}'
            and seen.record_id = current_rows.id
    )
{%- endmacro %}

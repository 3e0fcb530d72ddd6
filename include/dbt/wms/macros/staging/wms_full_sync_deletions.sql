{#- Ids of `stream` deleted in the WMS, per docs/architecture.md: the newest *completed* full sync of
    the stream (the latest window end; a sync recorded complete later over an older window never
    becomes the newest) did not see the id, and the record's newest mod_ts is older than that sync's
    window_end. `current_relation` must hold one row per id with its newest mod_ts.
    Returns record_id, deleted_at (the completion time of the sync that noticed the absence). -#}
{% macro wms_full_sync_deletions(stream, current_relation) -%}
    select
        current_rows.id as record_id,
        {{ wms_to_utc('newest_sync.completed_at') }} as deleted_at
    from {{ current_relation }} current_rows
    inner join (
        select
            completed.sync_id,
            completed.window_end,
            completed.completed_at
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

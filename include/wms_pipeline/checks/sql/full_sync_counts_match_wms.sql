-- Per entity: the ids this full sync saw match the WMS's own result_count (asked when the sync was
-- planned), within a tolerance for records created or deleted while the sync ran. Entities not
-- selected for this run (a manual subset) pass.
select
{%- for entity in params.checked_entities %}
{%- set wms_count = ti.xcom_pull(task_ids='plan_' ~ entity, key='wms_count') %}
{%- if wms_count is none %}
    1 as {{ entity }}_ok{{ "," if not loop.last }}
{%- else %}
    case when abs(count(distinct case when stream_name = '{{ entity }}' then record_id end) - {{ wms_count | int }})
        <= {{ params.count_tolerance_abs | int }} + {{ wms_count | int }} * {{ params.count_tolerance_ratio | float }}
        then 1 else 0 end as {{ entity }}_ok{{ "," if not loop.last }}
{%- endif %}
{%- endfor %}
from {{ params.raw_schema }}.etl_full_sync_seen
where sync_id = '{{ run_id | replace("'", "''") }}'

-- Per entity: what the tap read (its Singer SDK record_count metrics, pushed to XCom by each extract
-- task, summed over partitions) is what the loader's audit says it received, for exactly those load
-- attempts (a retried task has a new load run id, so earlier attempts never count twice).
-- Entities skipped in this run (a manual entity subset) pass.
select
{%- for entity in params.checked_entities %}
{%- set pushed = ti.xcom_pull(task_ids='extract_load_' ~ entity) %}
{%- if pushed is none %}
    1 as {{ entity }}_ok{{ "," if not loop.last }}
{%- else %}
{%- set loads = [pushed] if pushed is mapping else (pushed | list) %}
{%- set read = loads | map(attribute='records_read') | sum %}
    case when coalesce(sum(case when stream_name = '{{ entity }}' and run_id in (
        {%- for load in loads %}'{{ load.load_run_id | replace("'", "''") }}'{{ ", " if not loop.last }}{% endfor -%}
    ) then records_received end), 0) = {{ read | int }}
        then 1 else 0 end as {{ entity }}_ok{{ "," if not loop.last }}
{%- endif %}
{%- endfor %}
from {{ params.raw_schema }}.etl_load_audit
where {{ this_run_load_ids() }}

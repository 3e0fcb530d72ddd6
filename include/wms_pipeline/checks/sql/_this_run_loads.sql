{#- Prepended to the checks that read the load audit: the load run ids of this run's successful
    extract-load attempts, from the XCom each extract task pushed (one per mapped partition). Failed
    attempts push nothing, so a retry never counts twice. -#}
{%- set this_run = namespace(loads=[]) %}
{%- for entity in params.checked_entities %}
{%- set pushed = ti.xcom_pull(task_ids='extract_load_' ~ entity) %}
{%- if pushed is not none %}
{%- set this_run.loads = this_run.loads + ([pushed] if pushed is mapping else (pushed | list)) %}
{%- endif %}
{%- endfor %}
{%- macro this_run_load_ids() -%}
{%- if this_run.loads -%}
run_id in ({% for load in this_run.loads %}'{{ load.load_run_id | replace("'", "''") }}'{{ ", " if not loop.last }}{% endfor %})
{%- else -%}
1 = 0
{%- endif -%}
{%- endmacro %}

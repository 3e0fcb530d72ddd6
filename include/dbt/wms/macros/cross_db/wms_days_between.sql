{#- Whole days from date `start_date` to date `end_date` (end - start). -#}
{% macro wms_days_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('wms_days_between', 'wms')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__wms_days_between(start_date, end_date) -%}
    (cast({{ end_date }} as date) - cast({{ start_date }} as date))
{%- endmacro %}

{% macro postgres__wms_days_between(start_date, end_date) -%}
    (cast({{ end_date }} as date) - cast({{ start_date }} as date))
{%- endmacro %}

{% macro duckdb__wms_days_between(start_date, end_date) -%}
    date_diff('day', cast({{ start_date }} as date), cast({{ end_date }} as date))
{%- endmacro %}

{% macro oracle__wms_days_between(start_date, end_date) -%}
    (trunc({{ end_date }}) - trunc({{ start_date }}))
{%- endmacro %}

{#- An offset-aware timestamp (or ISO-8601 text with an offset) as a plain TIMESTAMP in UTC. -#}
{% macro wms_to_utc(expr) -%}
    {{ return(adapter.dispatch('wms_to_utc', 'wms')(expr)) }}
{%- endmacro %}

{% macro default__wms_to_utc(expr) -%}
    cast(({{ expr }}) at time zone 'UTC' as timestamp)
{%- endmacro %}

{% macro postgres__wms_to_utc(expr) -%}
    (cast({{ expr }} as timestamptz) at time zone 'UTC')
{%- endmacro %}

{% macro duckdb__wms_to_utc(expr) -%}
    timezone('UTC', cast({{ expr }} as timestamptz))
{%- endmacro %}

{% macro oracle__wms_to_utc(expr) -%}
    sys_extract_utc({{ expr }})
{%- endmacro %}

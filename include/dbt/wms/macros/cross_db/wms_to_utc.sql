{#- A raw timestamp as a plain TIMESTAMP in UTC. DuckDB and PostgreSQL store the raw times
    offset-aware (or as ISO-8601 text with an offset); Oracle stores them as plain TIMESTAMP(6)
    already holding UTC (TIMESTAMP WITH TIME ZONE cannot be part of the raw tables' primary key,
    ORA-02329), so there the value is taken as it is: no conversion that would read the session's
    time zone. -#}
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

{#- sys_extract_utc() of a plain TIMESTAMP first reads it in the session time zone, which python-oracledb
    thin mode takes from the dbt worker's local zone: the result would move with the worker. -#}
{% macro oracle__wms_to_utc(expr) -%}
    cast({{ expr }} as timestamp(6))
{%- endmacro %}

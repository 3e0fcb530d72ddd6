{#- A query of one column, `name`: every time zone name the warehouse knows (its IANA tz database and
    aliases). DuckDB: ICU's list; PostgreSQL: pg_timezone_names (the POSIX forms such as 'UTC-3' that
    PostgreSQL also accepts are not in it); Oracle: V$TIMEZONE_NAMES, readable by every user. -#}
{% macro wms_known_time_zones() -%}
    {{ return(adapter.dispatch('wms_known_time_zones', 'wms')()) }}
{%- endmacro %}

{% macro default__wms_known_time_zones() -%}
    select name from pg_timezone_names
{%- endmacro %}

{% macro duckdb__wms_known_time_zones() -%}
    select name from pg_timezone_names()
{%- endmacro %}

{% macro oracle__wms_known_time_zones() -%}
    select distinct tzname as name from v$timezone_names
{%- endmacro %}

{#- True when `expr` matches the POSIX regular expression `pattern` (a SQL string literal, anchored
    by the caller). DuckDB's regexp_matches finds a match anywhere, like PostgreSQL's ~ and Oracle's
    REGEXP_LIKE; the three read the classes used here ([0-9], [+-], {m,n}, ?) the same way. -#}
{% macro wms_regexp_like(expr, pattern) -%}
    {{ return(adapter.dispatch('wms_regexp_like', 'wms')(expr, pattern)) }}
{%- endmacro %}

{% macro default__wms_regexp_like(expr, pattern) -%}
    regexp_like({{ expr }}, {{ pattern }})
{%- endmacro %}

{% macro postgres__wms_regexp_like(expr, pattern) -%}
    (({{ expr }}) ~ {{ pattern }})
{%- endmacro %}

{% macro duckdb__wms_regexp_like(expr, pattern) -%}
    regexp_matches({{ expr }}, {{ pattern }})
{%- endmacro %}

{#- Median as an aggregate (continuous: the mean of the two middle values for an even count). -#}
{% macro wms_median(expr) -%}
    {{ return(adapter.dispatch('wms_median', 'wms')(expr)) }}
{%- endmacro %}

{% macro default__wms_median(expr) -%}
    percentile_cont(0.5) within group (order by {{ expr }})
{%- endmacro %}

{% macro postgres__wms_median(expr) -%}
    percentile_cont(0.5) within group (order by {{ expr }})
{%- endmacro %}

{% macro duckdb__wms_median(expr) -%}
    quantile_cont({{ expr }}, 0.5)
{%- endmacro %}

{% macro oracle__wms_median(expr) -%}
    median({{ expr }})
{%- endmacro %}

{#- A double-precision type for KPIs (rates, hours). dbt.type_float() is 4-byte REAL on DuckDB,
    so DuckDB gets DOUBLE; the others use dbt's float type (Postgres float8, Oracle NUMBER). -#}
{% macro wms_type_double() -%}
    {{ return(adapter.dispatch('wms_type_double', 'wms')()) }}
{%- endmacro %}

{% macro default__wms_type_double() -%}
    {{ dbt.type_float() }}
{%- endmacro %}

{% macro duckdb__wms_type_double() -%}
    double
{%- endmacro %}

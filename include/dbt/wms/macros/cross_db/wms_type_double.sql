{#- A double-precision (IEEE binary64) type for KPIs (rates, hours). dbt.type_float() is 4-byte REAL on
    DuckDB and NUMBER on Oracle (dbt-oracle's FLOAT label), so DuckDB gets DOUBLE and Oracle
    BINARY_DOUBLE; PostgreSQL uses dbt's float type (float8). On Oracle NUMBER would divide in
    decimal (up to 40 digits) and round again when fetched, so a ratio of fractional quantities could
    differ in its last bit from the binary64 division every other warehouse (and the Python reference
    in include/dbt/tests) performs; BINARY_DOUBLE is that same IEEE 754 operation. -#}
{% macro wms_type_double() -%}
    {{ return(adapter.dispatch('wms_type_double', 'wms')()) }}
{%- endmacro %}

{% macro default__wms_type_double() -%}
    {{ dbt.type_float() }}
{%- endmacro %}

{% macro duckdb__wms_type_double() -%}
    double
{%- endmacro %}

{% macro oracle__wms_type_double() -%}
    binary_double
{%- endmacro %}
